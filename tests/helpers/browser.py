"""Helpers of the browser tests (tests/e2e): the app served by uvicorn in a thread, on a
free port of 127.0.0.1, for Debian's chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app served in a thread while the block runs: its base URL."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def chromium() -> str:
    """Debian's chromium; called when a browser test module is imported, which is skipped
    with the reason when Playwright, the web extra or chromium is missing."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    pytest.importorskip("fastapi", reason="the [web] extra is not installed")
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:  # pragma: no cover - ./test.sh installs Debian's chromium as root
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                    allow_module_level=True)
    return path


@contextmanager
def launched(path: str) -> Iterator[Any]:
    """A headless chromium while the block runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, base: str, user: str, password: str) -> None:
    """Log ``page`` in through the login form."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
