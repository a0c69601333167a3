"""An upload imported through the Data page runs in a process of its own (issue #20,
item 10): pages are answered while it reads and checks its files, its result is what the
import gives in-process (the report, or every issue of a refused folder), and an import
that ends without finishing, or that finds the workspace in use, is a coded error page,
never a 500.

Every test builds its own workspace (3 demo agents A001-A003, two days of October 2026)
and an app on it.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cskpi.data.demo import generate
from cskpi.errors import Issue, UsageError, ValidationFailed
from cskpi.shop import Shop
from cskpi.store.files import WAIT_ENV
from cskpi.store.workspace import FAULT_DIR_ENV, FAULT_ENV, Workspace
from cskpi.web.app import create_app
from cskpi.web.services.gateway import DataGateway
from cskpi.web.services.importer import import_in_child
from cskpi.web.services.uploads import Upload, staging_root
from cskpi.web.settings import make_settings
from tests.helpers.holder import Holder
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, form_token, login

# Three sessions of November 2026, by agents the workspace knows: November's sessions
# are these 3 (each has an agent from its start: its human start is its start).
NOVEMBER_SESSIONS = (
    "session_id,customer_id,agent_id,start_ts,transfer_ts,end_ts,channel,kind\n"
    "N1,C900001,A001,2026-11-02 09:00:00,,2026-11-02 09:10:00,taobao,presale\n"
    "N2,C900002,A002,2026-11-02 10:00:00,,2026-11-02 10:05:00,taobao,presale\n"
    "N3,C900003,A001,2026-11-03 11:00:00,,2026-11-03 11:20:00,taobao,presale\n")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    generate(tmp_path / "demo", agents=3, days=2)
    Shop(tmp_path / "ws" / "shop.duckdb").import_folder(tmp_path / "demo")  # import 1
    return tmp_path / "ws" / "shop.duckdb"


@pytest.fixture
def data_app(ws: Path, tmp_path: Path) -> FastAPI:
    settings = make_settings(ws, admin_password=ADMIN_PASSWORD,
                             database_url=f"sqlite:///{tmp_path / 'app.sqlite'}", environ={},
                             **FAST_ARGON2)
    return create_app(settings, out=io.StringIO())


@pytest.fixture
def client_of(data_app: FastAPI) -> Callable[[], TestClient]:
    """A new client logged in as the admin (who may import), one per thread."""
    def make() -> TestClient:
        client = TestClient(data_app)
        assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
        return client

    return make


def _upload(client: TestClient, name: str, body: str) -> str:
    """Stage one file; the upload's page."""
    csrf = form_token(client.get("/account").text)
    staged = client.post("/data/upload", data={"csrf_token": csrf}, follow_redirects=False,
                         files=[("files", (name, body.encode(), "text/csv"))])
    assert staged.status_code == 303, staged.text
    return str(staged.headers["location"])


def _import(client: TestClient, page: str) -> Any:
    csrf = form_token(client.get("/account").text)
    return client.post(f"{page}/import", data={"csrf_token": csrf}, follow_redirects=False)


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    return thread, result


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shop_sessions(client: TestClient, period: str) -> int:
    rows = client.get(f"/api/v1/metrics?period={period}&by=shop").json()["rows"]
    return int(rows[0]["sessions"])


def test_a_cached_page_is_answered_while_an_upload_is_imported(
        client_of: Callable[[], TestClient], ws: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    reader, importer = client_of(), client_of()
    assert reader.get("/overview?period=2026-10").status_code == 200  # now in the cache
    assert _shop_sessions(reader, "2026-10") > 0
    assert _shop_sessions(reader, "2026-11") == 0  # no November yet
    page = _upload(importer, "sessions.csv", NOVEMBER_SESSIONS)
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    # the import pauses once its files are staged and checked (it holds no write lock)
    monkeypatch.setenv(FAULT_ENV, "pause-staged")
    monkeypatch.setenv(FAULT_DIR_ENV, str(rendezvous))
    importing, imported = _in_thread(lambda: _import(importer, page))
    try:
        deadline = time.monotonic() + 120
        while not (rendezvous / "paused").exists():
            assert importing.is_alive(), f"the import ended without pausing: {imported}"
            assert time.monotonic() < deadline, "the import did not pause"
            time.sleep(0.02)
        started = time.monotonic()
        reading, read = _in_thread(lambda: reader.get("/overview?period=2026-10"))
        reading.join(timeout=2)
        assert not reading.is_alive(), "a cached page waited for the import"
        assert read[0].status_code == 200 and "A001" in read[0].text
        assert time.monotonic() - started < 2
    finally:
        (rendezvous / "go").write_text("go")
    importing.join(timeout=120)
    assert imported[0].status_code == 303
    assert imported[0].headers["location"] == "/data?imported=2"
    assert _shop_sessions(reader, "2026-11") == 3  # N1, N2, N3
    assert reader.get("/overview?period=2026-11").status_code == 200


def test_a_cached_page_is_answered_while_an_upload_is_checked(
        client_of: Callable[[], TestClient], ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The upload's page checks the files against the workspace, which another process
    holds meanwhile: the check waits for it, the pages do not wait for the check."""
    reader, uploader = client_of(), client_of()
    assert reader.get("/overview?period=2026-10").status_code == 200  # now in the cache
    assert uploader.get("/data").status_code == 200  # where one uploads (imports read)
    page = _upload(uploader, "sessions.csv", NOVEMBER_SESSIONS)
    monkeypatch.setenv(WAIT_ENV, "60")  # the check waits for the file this long
    with Holder(ws) as holder:
        checking, checked = _in_thread(lambda: uploader.get(page))
        time.sleep(1.5)  # the check has begun (and waits for the file)
        reading, read = _in_thread(lambda: reader.get("/overview?period=2026-10"))
        reading.join(timeout=2)
        assert not reading.is_alive(), "a cached page waited for the check"
        assert read[0].status_code == 200
        assert checking.is_alive()  # still waiting for the file
        holder.release()
        checking.join(timeout=120)
    assert checked[0].status_code == 200
    assert f'action="{page}/import"' in checked[0].text  # nothing blocks the import


BAD_SESSIONS = (
    "session_id,customer_id,agent_id,start_ts,transfer_ts,end_ts,channel,kind\n"
    "N1,C900001,A001,2026-11-02 09:00:00,,2026-11-02 09:10:00,taobao,presale\n"
    "N2,C900002,A002,2026/11/02 9:3,,2026-11-02 10:05:00,taobao,presale\n")


def test_a_refused_upload_records_every_issue_and_changes_nothing(
        client_of: Callable[[], TestClient], ws: Path, tmp_path: Path) -> None:
    client = client_of()
    page = _upload(client, "sessions.csv", BAD_SESSIONS)
    before = (_sha256(ws), Workspace(ws).counts(), Workspace(ws).import_log())
    refused = _import(client, page)  # forced: the check page offers no Import
    assert refused.status_code == 303 and refused.headers["location"] == page
    token = page.rsplit("/", 1)[1]
    # what the upload's page shows of the refusal (kept with the staged files)
    issues = Upload(token, 0, "admin", "", folder=staging_root(ws) / token).failure()
    assert issues is not None
    # the bad cell: data line 2 is spreadsheet row 3 (row 1 is the header); the upload
    # keeps an issue's English text, not its parameters
    errors = [(i.code, i.file, i.row, i.column, i.message) for i in issues if i.is_error]
    assert errors == [("bad_type", "sessions.csv", 3, "start_ts",
                       "'2026/11/02 9:3' has a one-digit minute or second: is 9:3 nine past "
                       "three minutes or half past nine?")]
    # the same issues as the import refuses in this process, errors first
    assert [i.to_dict() for i in issues] == [i.to_dict() for i in _refused_here(ws, tmp_path)]
    assert (_sha256(ws), Workspace(ws).counts(), Workspace(ws).import_log()) == before
    shown = client.get(page).text
    assert 'id="import-refused"' in shown and "2026/11/02 9:3" in shown


def _refused_here(ws: Path, tmp_path: Path) -> list[Issue]:
    """The issues of BAD_SESSIONS imported in this process, errors first."""
    (tmp_path / "bad").mkdir(exist_ok=True)
    (tmp_path / "bad" / "sessions.csv").write_text(BAD_SESSIONS, "utf-8")
    with pytest.raises(ValidationFailed) as refused:
        Shop(ws).import_folder(tmp_path / "bad")
    return sorted(refused.value.issues, key=lambda i: not i.is_error)


def test_the_child_raises_what_the_import_raises_here(ws: Path, tmp_path: Path) -> None:
    """Every field of every issue, the parameters and catalog key too, and the error's
    own code, message and hint."""
    expected = _refused_here(ws, tmp_path)
    with pytest.raises(ValidationFailed) as refused:
        import_in_child(Shop(ws), tmp_path / "bad")
    got = sorted(refused.value.issues, key=lambda i: not i.is_error)
    assert [(vars(i), i.key) for i in got] == [(vars(i), i.key) for i in expected]
    assert got[0].params == {"value": "2026/11/02 9:3"} and got[0].key == "bad_timestamp_digits"
    assert str(refused.value) == "1 error(s) in the input; nothing was imported"
    with pytest.raises(UsageError) as unknown:  # any other coded error, rebuilt as raised
        import_in_child(Shop(ws), tmp_path / "bad", replace=["nonsense"])
    assert unknown.value.code == "unknown_replace"
    assert unknown.value.params["tables"] == "nonsense"
    assert str(unknown.value) == unknown.value.message == "--replace: unknown table(s) nonsense"
    assert str(unknown.value.hint).startswith("tables: agents, sessions")


def test_an_import_that_dies_is_a_coded_error_and_stores_nothing(
        client_of: Callable[[], TestClient], ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_of()
    page = _upload(client, "sessions.csv", NOVEMBER_SESSIONS)
    before = (Workspace(ws).counts(), Workspace(ws).import_log())
    monkeypatch.setenv(FAULT_ENV, "kill-before-commit")  # the import's process is killed
    died = _import(client, page)
    assert died.status_code == 400
    assert "the import stopped before it finished" in died.text
    assert "exit code -9" in died.text  # SIGKILL
    assert "Traceback" not in died.text
    assert (Workspace(ws).counts(), Workspace(ws).import_log()) == before
    monkeypatch.delenv(FAULT_ENV)
    again = _import(client, page)  # the upload is still there: imported now
    assert again.headers["location"] == "/data?imported=2"
    assert _shop_sessions(client, "2026-11") == 3


def test_an_import_that_finds_the_workspace_in_use_is_a_503(
        client_of: Callable[[], TestClient], ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_of()
    page = _upload(client, "sessions.csv", NOVEMBER_SESSIONS)
    monkeypatch.setenv(WAIT_ENV, "0.5")  # the import's process waits half a second
    with Holder(ws):
        busy = _import(client, page)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "10"
    assert "is in use by another process" in busy.text
    assert _import(client, page).headers["location"] == "/data?imported=2"


def test_forget_does_not_wait_for_a_call_in_progress_and_drops_its_result(ws: Path) -> None:
    """What an import through the app does when it ends: the file's signature unchanged
    (as when a page computed while the rows were stored kept the new one), the next call
    computes again; a call in progress is not waited for, and its result is dropped too."""
    gateway = DataGateway(ws, schemes_by_role={})
    computed: list[int] = []

    def compute() -> int:
        computed.append(len(computed) + 1)
        return computed[-1]

    assert gateway.cached(("test",), compute) == 1
    assert gateway.cached(("test",), compute) == 1  # kept
    gateway.forget()
    assert gateway.cached(("test",), compute) == 2
    inside, leave = threading.Event(), threading.Event()

    def slow() -> int:
        inside.set()
        leave.wait(30)
        return compute()

    running, result = _in_thread(lambda: gateway.cached(("slow",), slow))
    assert inside.wait(30)
    started = time.monotonic()
    gateway.forget()  # while the call holds the gateway's lock
    assert time.monotonic() - started < 1
    leave.set()
    running.join(30)
    assert result == [3]
    assert gateway.cached(("slow",), compute) == 4  # computed after forget: dropped
    assert gateway.cached(("test",), compute) == 5
