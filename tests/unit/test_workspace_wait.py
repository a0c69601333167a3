"""A command that finds its workspace in use by another process (an import, the web app
writing its cache) waits for it, saying so, instead of failing at once; it gives up after
CSKPI_WORKSPACE_WAIT_S seconds with how long it waited (issue #20, item 10)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cskpi.data.demo import generate
from cskpi.errors import UsageError, WorkspaceError
from cskpi.shop import Shop
from cskpi.store import files
from cskpi.store.workspace import Workspace
from tests.helpers.holder import Holder


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wait")
    generate(root / "data", agents=2, days=1)
    Shop(root / "shop.duckdb").import_folder(root / "data")
    return root / "shop.duckdb"


def test_a_held_workspace_is_waited_for_and_then_read(shop: Path) -> None:
    told: list[tuple[str, float, float]] = []
    with Holder(shop) as holder:
        # the other process lets go 1.5 s from now; the reader waits up to 60 s
        threading.Timer(1.5, holder.release).start()
        start = time.monotonic()
        with files.waiting(files.LockWait(60, lambda p, w, limit: told.append((p.name, w,
                                                                                 limit)))):
            counts = Workspace(shop).counts()
        waited = time.monotonic() - start
    assert counts["agents"] == 2
    assert 1.4 <= waited < 30
    # told once when the wait began (nothing waited yet), not again within 10 s
    assert [(name, limit) for name, _w, limit in told] == [("shop.duckdb", 60)]
    assert told[0][1] < 0.5


def test_a_wait_that_runs_out_says_how_long_it_waited(shop: Path) -> None:
    with Holder(shop), files.waiting(files.LockWait(1.2)):
        start = time.monotonic()
        with pytest.raises(WorkspaceError) as exc:
            Workspace(shop).counts()
        assert time.monotonic() - start >= 1.2
    assert exc.value.code == "workspace_in_use"
    assert exc.value.params["waited"] == 1  # round(1.2 s)
    assert "(waited 1 s)" in str(exc.value)


def test_no_wait_fails_at_once(shop: Path) -> None:
    with Holder(shop), files.waiting(files.LockWait(0)):
        start = time.monotonic()
        with pytest.raises(WorkspaceError) as exc:
            Workspace(shop).counts()
        assert time.monotonic() - start < 5
    assert exc.value.params["waited"] == 0


@pytest.mark.parametrize("value,seconds", [("", 120.0), ("0", 0.0), ("2.5", 2.5),
                                           (" 300 ", 300.0), ("86400", 86400.0)])
def test_the_wait_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str,
                                       seconds: float) -> None:
    monkeypatch.setenv(files.WAIT_ENV, value)
    assert files.wait_from_env() == seconds


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf", "86401", "1e9"])
def test_a_wait_that_is_no_number_of_seconds_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                        value: str) -> None:
    monkeypatch.setenv(files.WAIT_ENV, value)
    with pytest.raises(UsageError) as exc:
        files.wait_from_env()
    assert exc.value.code == "workspace_wait_env"
    assert f"{files.WAIT_ENV}={value} is not a number of seconds from 0 to 86400" in str(
        exc.value)


def test_the_command_line_says_it_waits_in_the_users_language(
        shop: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(files.WAIT_ENV, "1")
    with Holder(shop):
        en = cli("metrics", "-w", shop, "--period", "2026-10")
        zh = cli("metrics", "-w", shop, "--period", "2026-10", "--lang", "zh")
    assert en.exit_code != 0 and zh.exit_code != 0
    assert ("the workspace shop.duckdb is in use by another process: waiting for it "
            "(0 of at most 1 s)") in en.output
    assert "(waited 1 s)" in en.output
    assert "正被另一个进程使用，等待中（0 / 最多 1 秒）" in zh.output
    assert "（已等待 1 秒）" in zh.output
    assert "Traceback" not in en.output + zh.output
