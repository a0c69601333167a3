"""The app factory and ``serve`` (what ``cskpi serve`` calls)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cskpi.web import app as web_app
from cskpi.web.app import create_app
from cskpi.web.settings import make_settings
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, login


def test_serve_runs_uvicorn_on_the_default_sqlite_beside_the_workspace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import uvicorn

    from cskpi.web.services.warmup import GC_THRESHOLDS

    calls: list[tuple[Any, dict[str, Any]]] = []
    # the thresholds the collector has while the app serves (rare full collections: one
    # walks the whole cache, 340 ms at 100 agents and 10M messages)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(
        (app, {**kw, "gc": gc.get_threshold()})))
    monkeypatch.delenv("CSKPI_DATABASE_URL", raising=False)
    monkeypatch.setenv("CSKPI_ADMIN_PASSWORD", ADMIN_PASSWORD)
    workspace = tmp_path / "shop.duckdb"
    before = gc.get_threshold()
    try:
        web_app.serve("127.0.0.1", 8765, workspace)
    finally:
        gc.set_threshold(*before)
    [(app, options)] = calls
    assert options["gc"] == GC_THRESHOLDS != before
    assert isinstance(app, FastAPI)
    assert options["host"] == "127.0.0.1" and options["port"] == 8765
    assert (tmp_path / "shop.duckdb.app.sqlite").exists()
    assert login(TestClient(app), "admin", ADMIN_PASSWORD).status_code == 303


def test_a_missing_workspace_is_a_page_saying_so_and_503_for_the_api(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "none.duckdb", admin_password=ADMIN_PASSWORD,
                             database_url=f"sqlite:///{tmp_path / 'app.sqlite'}", environ={},
                             **FAST_ARGON2)
    app = create_app(settings, out=io.StringIO())
    client = TestClient(app)
    login(client, "admin", ADMIN_PASSWORD)
    page = client.get("/overview")  # a fresh install: nothing failed, there is no data yet
    assert page.status_code == 200 and "There is no data yet" in page.text
    assert 'href="/data"' in page.text.split('id="no-data"')[1]
    api = client.get("/api/v1/metrics")
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "workspace_unavailable"
    assert api.json()["error"]["details"]["hint"].startswith("create one with")
    # with nothing to show yet, the start page is the Data page (upload), not an error
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/data")
    assert client.get("/data").status_code == 200
    app.state.cskpi.engine.dispose()


def test_two_apps_do_not_share_state(tmp_path: Path) -> None:
    apps = []
    for name in ("one", "two"):
        settings = make_settings(tmp_path / f"{name}.duckdb", environ={},
                                 admin_password=ADMIN_PASSWORD, **FAST_ARGON2)
        apps.append(create_app(settings, out=io.StringIO()))
    assert apps[0].state.cskpi.engine is not apps[1].state.cskpi.engine
    assert (tmp_path / "one.duckdb.app.sqlite").exists()
    assert (tmp_path / "two.duckdb.app.sqlite").exists()
    for app in apps:
        app.state.cskpi.engine.dispose()
