"""The Data page: upload, the check report row by row, import (all or nothing), history.

Every test builds its own workspace in ``tmp_path`` (imports write to it) and an app on
it; the shared demo workspace of the other web tests is never touched.
"""

from __future__ import annotations

import csv
import hashlib
import html as htmllib
import os
import re
import time
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cskpi.data.demo import generate
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from cskpi.web.app import create_app
from cskpi.web.db.engine import transaction
from cskpi.web.db.models import AuditEntry
from cskpi.web.services.accounts import create_user
from cskpi.web.services.uploads import staging_root
from cskpi.web.settings import make_settings
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PASSWORDS, form_token, login

USERS = {**PASSWORDS, "mgr2": "manager-pass-2"}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """These tests do not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """This test's own workspace file (not created yet: a new install)."""
    (tmp_path / "ws").mkdir()
    return tmp_path / "ws" / "shop.duckdb"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A small demo shop's CSV files: 3 agents, 2 days of October 2026."""
    generate(tmp_path / "demo", agents=3, days=2)
    return tmp_path / "demo"


@pytest.fixture
def data_app(ws: Path, database_url: str) -> Iterator[FastAPI]:
    """An app on this test's workspace (uploads limited to 1 MB) with mgr, mgr2, a001."""
    settings = make_settings(ws, database_url=database_url, environ={},
                             admin_password=ADMIN_PASSWORD, upload_max_mb=1, **FAST_ARGON2)
    app = create_app(settings)
    state = app.state.cskpi
    with transaction(state.sessions) as db:
        for name in ("mgr", "mgr2"):
            create_user(db, state.passwords, username=name, password=USERS[name],
                        role="manager")
        create_user(db, state.passwords, username="a001", password=USERS["a001"],
                    role="agent", agent_id="A001")
    yield app
    state.engine.dispose()


@pytest.fixture
def client_as(data_app: FastAPI) -> Callable[[str | None], TestClient]:
    def make(username: str | None) -> TestClient:
        client = TestClient(data_app)
        if username is not None:
            assert login(client, username, USERS[username]).status_code == 303
        return client

    return make


def _upload(client: TestClient, files: list[tuple[str, bytes]], **fields: str) -> Any:
    token = form_token(client.get("/account").text)
    return client.post("/data/upload", data={"csrf_token": token, **fields},
                       files=[("files", (name, body, "text/csv")) for name, body in files],
                       follow_redirects=False)


def _demo_files(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir())]


def _token(response: Any) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/data/uploads/")
    return str(location.rsplit("/", 1)[1])


def _post(client: TestClient, path: str) -> Any:
    token = form_token(client.get("/account").text)
    return client.post(path, data={"csrf_token": token}, follow_redirects=False)


def _data_rows(path: Path) -> int:
    """Rows of a CSV file below its header, counted here rather than by the app."""
    with path.open(newline="", encoding="utf-8") as f:
        return len(list(csv.reader(f))) - 1


def _table(html: str, table_id: str) -> list[list[str]]:
    """The cells of a table's body rows, as text."""
    body = html.split(f'id="{table_id}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    return [[htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.DOTALL)]


def _staged(ws: Path) -> list[str]:
    root = staging_root(ws)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_upload_check_import_and_history(client_as: Callable[..., TestClient], ws: Path,
                                         demo: Path, data_app: FastAPI) -> None:
    client = client_as("mgr")
    empty = client.get("/overview?period=2026-10")  # no workspace yet: says so, links Data
    assert empty.status_code == 200 and 'id="no-data"' in empty.text
    assert 'href="/data"' in empty.text.split('id="no-data"')[1]
    token = _token(_upload(client, _demo_files(demo)))
    assert not ws.exists()  # staged beside it, nothing stored

    page = client.get(f"/data/uploads/{token}").text
    assert "No errors" in page and "Nothing has been stored in the workspace yet" in page
    found = {row[0]: int(row[2].replace(",", "")) for row in _table(page, "tables")}
    expected = {p.stem: _data_rows(p) for p in demo.iterdir()}
    assert found == expected
    assert f'action="/data/uploads/{token}/import"' in page

    done = _post(client, f"/data/uploads/{token}/import")
    assert done.status_code == 303 and done.headers["location"] == "/data?imported=1"
    assert _staged(ws) == []
    home = client.get("/data?imported=1").text
    # every row of every file is new: the sum of the files' rows is added (13 files, the
    # empty reviews and events files included)
    assert (f"Import #1 stored: {sum(expected.values()):,} rows added from "
            f"{len(expected)} file(s)") in home
    history = _table(home, "history")
    assert history[0][:3] == ["#1", history[0][1], "mgr"]
    agents_sha = hashlib.sha256((demo / "agents.csv").read_bytes()).hexdigest()
    assert f'<code title="{agents_sha}">{agents_sha[:12]}</code>' in home

    with data_app.state.cskpi.sessions() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "data.import")).one()
    assert entry.username == "mgr" and entry.after["added"] == sum(expected.values())
    assert client.get("/overview?period=2026-10").status_code == 200
    board = client.get("/leaderboard?period=2026-10").text
    assert all(a in board for a in ("A001", "A002", "A003"))


def test_a_bad_row_is_shown_with_file_row_column_and_hint(
        client_as: Callable[..., TestClient], ws: Path, demo: Path) -> None:
    messages = demo / "messages.csv"
    lines = messages.read_text("utf-8").splitlines()
    cells = lines[2].split(",")  # spreadsheet row 3 (row 1 is the header)
    cells[1] = "yesterday noon"
    lines[2] = ",".join(cells)
    messages.write_text("\n".join(lines) + "\n", "utf-8")
    client = client_as("mgr")
    token = _token(_upload(client, _demo_files(demo)))
    page = client.get(f"/data/uploads/{token}").text
    issues = _table(page, "issues")
    hint = "write e.g. 2026-10-03 14:05:09, 2026/10/03 14:05:09 or 2026-10-03T14:05:09+08:00"
    assert ["error", "messages.csv", "3", "ts", "cannot read 'yesterday noon' as timestamp",
            hint] in issues
    assert issues[0][0] == "error"  # errors first
    assert "/import" not in page and "Nothing has been stored" in page
    refused = _post(client, f"/data/uploads/{token}/import")  # even when forced
    assert refused.headers["location"] == f"/data/uploads/{token}"
    assert not ws.exists()


def _orders(amount: str) -> list[tuple[str, bytes]]:
    return [("orders.csv", ("order_id,customer_id,created_ts,amount\n"
                            f"Z1,C9,2026-10-01 10:00:00,{amount}\n").encode())]


def test_a_refused_import_leaves_the_workspace_unchanged(
        client_as: Callable[..., TestClient], ws: Path, demo: Path) -> None:
    Shop(ws).import_folder(demo)  # as `cskpi import` would
    client = client_as("mgr")
    first, second = (_token(_upload(client, _orders(a))) for a in ("1.00", "2.00"))
    for token in (first, second):  # both agree with the workspace as it is now
        assert "/import" in client.get(f"/data/uploads/{token}").text
    assert _post(client, f"/data/uploads/{first}/import").status_code == 303
    before = (Workspace(ws).counts(), Workspace(ws).import_log())

    refused = _post(client, f"/data/uploads/{second}/import")
    assert refused.headers["location"] == f"/data/uploads/{second}"
    page = client.get(f"/data/uploads/{second}").text
    assert "The import was refused" in page
    assert _table(page, "refused-issues")[0][:5] == [
        "error", "orders.csv", "2", "order_id",
        "key order_id=Z1 is already stored with different content"]
    assert (Workspace(ws).counts(), Workspace(ws).import_log()) == before
    assert Shop(ws).roster()  # still readable
    with Workspace(ws).connect() as con:
        assert con.execute("SELECT amount FROM orders WHERE order_id = 'Z1'").fetchall()[0][0] \
            == 1
    history = _table(client.get("/data").text, "history")
    assert [row[2] for row in history if row[0].startswith("#")] == ["mgr", "— (command line)"]


def test_a_too_large_upload_is_refused_and_nothing_is_staged(
        client_as: Callable[..., TestClient], ws: Path) -> None:
    client = client_as("mgr")
    big = b"agent_id,name\n" + b"A001,x\n" * (1024 * 1024 // 7 + 10)  # > 1 MB
    response = _upload(client, [("agents.csv", big)])
    assert response.status_code == 413
    assert "larger than 1 MB" in response.text
    assert _staged(ws) == []


def _asgi_upload(app: FastAPI, client: TestClient, chunks: list[bytes],
                 headers: dict[str, str]) -> tuple[int, int]:
    """POST /data/upload straight to the app, one body chunk per ``receive()``, as a
    server streams it; (status, chunks the app read)."""
    import anyio

    read: list[int] = []
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        if len(read) == len(chunks):
            return {"type": "http.disconnect"}
        read.append(1)
        return {"type": "http.request", "body": chunks[len(read) - 1],
                "more_body": len(read) < len(chunks)}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    cookie = f"cskpi_session={client.cookies['cskpi_session']}"
    scope: dict[str, Any] = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/data/upload",
             "raw_path": b"/data/upload", "query_string": b"", "root_path": "",
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
             "headers": [(k.encode(), v.encode()) for k, v in
                         {"host": "testserver", "cookie": cookie, **headers}.items()]}
    async def call() -> None:
        await app(scope, receive, send)

    anyio.run(call)
    return status[0], len(read)


def test_the_size_limit_holds_while_the_body_streams(
        client_as: Callable[..., TestClient], ws: Path, data_app: FastAPI) -> None:
    client = client_as("mgr")
    boundary = "cskpi-test-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{form_token(client.get('/account').text)}\r\n--{boundary}\r\n"
            "Content-Disposition: form-data; name=\"files\"; filename=\"agents.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\nagent_id\r\n").encode()
    chunks = [head] + [b"A001\r\n" * 10922 + b"xxxx"] * 40 + [f"\r\n--{boundary}--\r\n".encode()]
    assert len(chunks[1]) == 64 * 1024
    multipart = {"content-type": f"multipart/form-data; boundary={boundary}"}
    # no Content-Length: the head and 16 chunks of 64 KiB make 1 MiB + the head, over the
    # 1 MB limit, so the app stops at the 17th of 42 chunks
    assert _asgi_upload(data_app, client, chunks, multipart) == (413, 17)
    assert _staged(ws) == []
    # a Content-Length over the limit is refused before any of the body is read
    too_long = {**multipart, "content-length": str(2 * 1024 * 1024)}
    assert _asgi_upload(data_app, client, chunks, too_long) == (413, 0)
    # under the limit the same stream is staged
    assert _asgi_upload(data_app, client, chunks[:3] + chunks[-1:], multipart) == (303, 4)
    assert len(_staged(ws)) == 1


@pytest.mark.parametrize(("name", "says"), [
    ("agents.exe", "'agents.exe' is not a file the import reads"),
    ("../agents.csv", "The file name '../agents.csv' is not allowed"),
])
def test_a_disallowed_file_name_is_refused_by_name(
        client_as: Callable[..., TestClient], ws: Path, name: str, says: str) -> None:
    response = _upload(client_as("mgr"), [("agents.csv", b"agent_id\nA1\n"),
                                         (name, b"agent_id\nA1\n")])
    assert response.status_code == 400
    text = htmllib.unescape(response.text)
    assert says in text
    if "/" not in name:  # the message lists the names that are accepted
        assert "(agents, sessions, messages, ratings, orders" in text and ".xlsx" in text
    assert _staged(ws) == []


def test_chinese_and_stamped_names_are_uploaded_and_an_unknown_file_is_listed(
        client_as: Callable[..., TestClient], ws: Path) -> None:
    client = client_as("mgr")
    token = _token(_upload(client, [("客服.csv", b"agent_id\nA1\n"),
                                    ("orders_2026-11.csv", b"order_id,customer_id,created_ts\n"
                                                           b"O1,C1,2026-11-05 10:00:00\n"),
                                    ("payroll.csv", b"x,y\n1,2\n")]))
    page = htmllib.unescape(client.get(f"/data/uploads/{token}").text)
    assert "payroll.csv" in page and "neither the name nor the headers match" in page
    assert _post(client, f"/data/uploads/{token}/import").status_code == 303
    from tests.helpers.common import query

    assert query(ws, "SELECT order_id FROM orders") == [("O1",)]


def test_who_may_upload(client_as: Callable[..., TestClient], ws: Path) -> None:
    files = [("agents.csv", b"agent_id\nA1\n")]
    assert _upload(client_as("admin"), files).status_code == 303
    assert _upload(client_as("mgr"), files).status_code == 303
    assert len(_staged(ws)) == 2
    assert _upload(client_as("a001"), files).status_code == 403
    anonymous = client_as(None).post("/data/upload", files=files, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    forged = client_as("mgr").post("/data/upload", data={"csrf_token": "forged"},
                                   files=files, follow_redirects=False)
    assert forged.status_code == 403
    assert len(_staged(ws)) == 2
    assert client_as("a001").get("/data").status_code == 403


@pytest.mark.parametrize("action", ["import", "discard"])
def test_who_may_import_or_discard(client_as: Callable[..., TestClient], action: str) -> None:
    path = f"/data/uploads/{'x' * 32}/{action}"  # a well-formed token nobody uploaded
    got = [_post(client_as(name), path).status_code for name in ("admin", "mgr", "a001")]
    assert got == [404, 404, 403]
    anonymous = client_as(None).post(path, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_an_upload_belongs_to_its_uploader(client_as: Callable[..., TestClient],
                                           ws: Path) -> None:
    owner, other = client_as("mgr"), client_as("mgr2")
    token = _token(_upload(owner, [("agents.csv", b"agent_id\nA1\n")]))
    assert other.get(f"/data/uploads/{token}").status_code == 404
    assert _post(other, f"/data/uploads/{token}/import").status_code == 404
    assert _post(other, f"/data/uploads/{token}/discard").status_code == 404
    assert token not in other.get("/data").text and token in owner.get("/data").text
    assert _staged(ws) == [token]
    assert not ws.exists()
    assert _post(owner, f"/data/uploads/{token}/discard").headers["location"] == \
        "/data?discarded=true"
    assert _staged(ws) == [] and owner.get(f"/data/uploads/{token}").status_code == 404
    assert owner.get("/data/uploads/not-a-token").status_code == 404


def test_a_gbk_csv_with_chinese_headers_uploads_fine(client_as: Callable[..., TestClient],
                                                     ws: Path) -> None:
    agents = "客服ID,姓名,岗位,组别\nA101,张三,售前,一组\nA102,李四,售后,二组\n".encode("gbk")
    client = client_as("mgr")
    token = _token(_upload(client, [("agents.csv", agents)]))
    page = client.get(f"/data/uploads/{token}").text
    assert _table(page, "tables") == [["agents", "agents.csv", "2", "0", ""]]
    assert "No errors" in page
    assert _post(client, f"/data/uploads/{token}/import").status_code == 303
    assert [(a["agent_id"], a["name"], a["role"]) for a in Shop(ws).roster()] == [
        ("A101", "张三", "presale"), ("A102", "李四", "aftersale")]


def test_the_roster_can_be_replaced(client_as: Callable[..., TestClient], ws: Path,
                                    demo: Path) -> None:
    Shop(ws).import_folder(demo)
    renamed = (demo / "agents.csv").read_text("utf-8").replace(
        str(Shop(ws).roster()[0]["name"]), "新名字", 1).encode()
    client = client_as("mgr")
    merged = client.get(f"/data/uploads/{_token(_upload(client, [('agents.csv', renamed)]))}")
    assert "is already stored with different content" in merged.text
    assert "/import" not in merged.text
    token = _token(_upload(client, [("agents.csv", renamed)], replace_agents="1"))
    page = client.get(f"/data/uploads/{token}").text
    assert "will replace the stored roster" in page and "No errors" in page
    assert _post(client, f"/data/uploads/{token}/import").status_code == 303
    assert Shop(ws).roster()[0]["name"] == "新名字" and len(Shop(ws).roster()) == 3


def test_stale_uploads_are_removed_on_the_next_upload(
        client_as: Callable[..., TestClient], ws: Path) -> None:
    root = staging_root(ws)
    old, recent = root / ("o" * 32), root / ("r" * 32)
    for folder in (old, recent):
        folder.mkdir(parents=True)
    day_ago = time.time() - 24 * 3600 - 60
    os.utime(old, (day_ago, day_ago))
    token = _token(_upload(client_as("mgr"), [("agents.csv", b"agent_id\nA1\n")]))
    assert _staged(ws) == sorted([recent.name, token])


def test_the_page_in_chinese(client_as: Callable[..., TestClient]) -> None:
    client = client_as("mgr")
    zh = {"accept-language": "zh-CN,zh;q=0.9"}
    page = client.get("/data", headers=zh).text
    assert '<html lang="zh-CN">' in page and "上传文件" in page and "导入记录" in page
    assert "每次上传最多 1 MB" in page
    token = _token(_upload(client, [("agents.csv", b"agent_id,role\nA1,nobody\n")]))
    report = client.get(f"/data/uploads/{token}", headers=zh).text
    assert "导入前检查" in report and ">错误<" in report and "agents（客服）" in report
