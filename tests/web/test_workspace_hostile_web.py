"""A damaged workspace behind the web app is a 503 page saying what is wrong, in the
reader's language, never a 500; an upload of files imported before stores nothing and
still lands on the Data page."""

from __future__ import annotations

import io
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cskpi.data.demo import generate
from cskpi.web.app import create_app
from cskpi.web.settings import make_settings
from tests.helpers.damaged import damage, with_damaged_data_block
from tests.helpers.holder import Holder
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, form_token, login


def _client(ws: Path, tmp_path: Path) -> TestClient:
    settings = make_settings(ws, admin_password=ADMIN_PASSWORD,
                             database_url=f"sqlite:///{tmp_path / 'app.sqlite'}", environ={},
                             **FAST_ARGON2)
    client = TestClient(create_app(settings, out=io.StringIO()))
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
    return client


@pytest.mark.parametrize("where", ["header", "data block"])
def test_a_damaged_workspace_is_a_503_page(workspace: Path, tmp_path: Path, where: str) -> None:
    ws = tmp_path / "shop.duckdb"
    if where == "header":
        shutil.copy(workspace, ws)
        damage(ws, 4096 + 100)
    else:
        with_damaged_data_block(workspace, ws)
    client = _client(ws, tmp_path)
    page = client.get("/overview?period=2026-10")
    assert page.status_code == 503
    assert f"the workspace {ws} is damaged" in page.text
    assert "restore the file from a backup" in page.text
    zh = client.get("/overview?period=2026-10", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 503 and "已损坏" in zh.text and "从备份恢复" in zh.text
    api = client.get("/api/v1/metrics?period=2026-10")
    assert api.status_code == 503
    error = api.json()["error"]
    assert error["code"] == "workspace_unavailable" and "is damaged" in error["message"]
    assert error["details"]["hint"].startswith("restore the file from a backup")


def _import(client: TestClient, folder: Path) -> Any:
    csrf = form_token(client.get("/account").text)
    upload = client.post("/data/upload", data={"csrf_token": csrf}, follow_redirects=False,
                         files=[("files", (p.name, p.read_bytes(), "text/csv"))
                                for p in sorted(folder.iterdir())])
    assert upload.status_code == 303, upload.text
    return client.post(upload.headers["location"] + "/import", data={"csrf_token": csrf},
                       follow_redirects=False)


def test_an_upload_of_files_imported_before_stores_nothing(tmp_path: Path) -> None:
    generate(tmp_path / "demo", agents=3, days=2)
    client = _client(tmp_path / "ws" / "shop.duckdb", tmp_path)
    first = _import(client, tmp_path / "demo")
    assert first.headers["location"] == "/data?imported=1"
    again = _import(client, tmp_path / "demo")
    assert again.status_code == 303 and again.headers["location"] == "/data"
    assert client.get(again.headers["location"]).status_code == 200


def test_a_page_waits_for_a_workspace_another_process_writes(workspace: Path,
                                                             tmp_path: Path) -> None:
    """While `cskpi import` holds the workspace, a page waits up to page_wait_s (5 s by
    default) and shows the figures once it lets go; when it holds on longer, the page is
    a 503 saying so, with Retry-After, never a 500 (issue #20, item 10)."""
    ws = tmp_path / "shop.duckdb"
    shutil.copy(workspace, ws)
    client = _client(ws, tmp_path)
    with Holder(ws) as holder:
        threading.Timer(1.0, holder.release).start()
        waited = client.get("/overview?period=2026-10")
    assert waited.status_code == 200 and "A001" in waited.text
    client.app.state.cskpi.data.wait_s = 0.5  # type: ignore[attr-defined]
    # figures not computed yet: October's and the month before's (the overview compares
    # with it) are kept, and served without the file
    with Holder(ws):
        busy = client.get("/leaderboard?period=2026-08")
        api = client.get("/api/v1/metrics?period=2026-08")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "10"
    assert re.search(r"is in use by another process \(waited [01] s\)", busy.text)  # ~0.5 s
    assert api.status_code == 503 and api.json()["error"]["code"] == "workspace_unavailable"
    assert client.get("/leaderboard?period=2026-08").status_code == 200  # let go: served


def test_a_cached_page_is_served_while_another_process_stores(workspace: Path,
                                                              tmp_path: Path) -> None:
    """An import storing a month holds the file and changes it before it commits: pages
    already shown are answered as they were (the data is unchanged until the commit),
    not kept waiting for the whole store (issue #20: p95 < 1 s while an import runs)."""
    ws = tmp_path / "shop.duckdb"
    shutil.copy(workspace, ws)
    client = _client(ws, tmp_path)
    before = client.get("/leaderboard?period=2026-10")
    assert before.status_code == 200
    client.app.state.cskpi.data.wait_s = 0.5  # type: ignore[attr-defined]
    with Holder(ws, write=True):
        started = time.monotonic()
        during = client.get("/leaderboard?period=2026-10")
        took = time.monotonic() - started
        # a page not shown before needs the file: it waits, then says so
        unseen = client.get("/leaderboard?period=2026-08")
        # and the pages shown before are still answered as they were: asking for one
        # not shown does not forget them (the data changes once, when the writer is done)
        started = time.monotonic()
        again = client.get("/leaderboard?period=2026-10")
        took_again = time.monotonic() - started
    assert during.status_code == 200 and took < 0.5, took
    assert during.text.split("<main>")[1] == before.text.split("<main>")[1]
    assert unseen.status_code == 503
    assert again.status_code == 200 and took_again < 0.5, took_again
    assert again.text.split("<main>")[1] == before.text.split("<main>")[1]
    # the writer let go: the file changed, the page is made again from it
    assert client.get("/leaderboard?period=2026-10").status_code == 200
