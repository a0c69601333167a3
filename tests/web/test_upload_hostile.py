"""The Data page's upload never answers 500, whatever the files hold (issue #15).

Each hostile file goes the whole way a browser can send it: the upload (staged, or
refused with a 4xx), the check page (200 with the problems, or a 4xx), an import posted
even though the page offers none (refused, shown on the page), and the page again.
Every answer is a 2xx/3xx/4xx, and where the file is staged the page names a problem.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook

from cskpi.data.demo import generate
from cskpi.web.app import create_app
from cskpi.web.services.accounts import create_user
from cskpi.web.settings import make_settings
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, PASSWORDS, form_token, login

UPLOAD_MAX_MB = 1
BOMB_MB = 256  # what the bomb's sheet inflates to (it travels as ~250 KB)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """These tests do not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


@pytest.fixture(scope="module")
def demo_agents(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real agents.csv (2 agents): the good part some hostile files start from."""
    folder = tmp_path_factory.mktemp("hostile-demo")
    generate(folder, agents=2, days=1)
    return (folder / "agents.csv").read_bytes()


@pytest.fixture
def manager(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    """A manager logged in on an app with a new, empty workspace; server errors are
    answered (500), not raised, so that the test sees what a browser would."""
    (tmp_path / "ws").mkdir()
    settings = make_settings(tmp_path / "ws" / "shop.duckdb", database_url=database_url,
                             environ={}, admin_password=ADMIN_PASSWORD,
                             upload_max_mb=UPLOAD_MAX_MB, **FAST_ARGON2)
    app: FastAPI = create_app(settings)
    state = app.state.cskpi
    with state.sessions() as db:
        create_user(db, state.passwords, username="mgr", password=PASSWORDS["mgr"],
                    role="manager")
        db.commit()
    client = TestClient(app, raise_server_exceptions=False)
    assert login(client, "mgr").status_code == 303
    yield client
    state.engine.dispose()


# --- the hostile files -----------------------------------------------------------------------


def _noise(n: int, seed: int = 15) -> bytes:
    return random.Random(seed).randbytes(n)


def _xlsx(agents_csv: bytes) -> bytes:
    """A real workbook holding the agents table."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in agents_csv.decode("utf-8").splitlines():
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_bomb(agents_csv: bytes) -> bytes:
    """A workbook whose sheet is a few hundred KB zipped and ``BOMB_MB`` unzipped (its
    rows padded with whitespace, which is valid XML)."""
    real = zipfile.ZipFile(io.BytesIO(_xlsx(agents_csv)))
    sheet = "xl/worksheets/sheet1.xml"
    xml = real.read(sheet).decode("utf-8")
    head, tail = xml.split("<sheetData>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in real.infolist():
            if info.filename != sheet:
                bomb.writestr(info, real.read(info))
        with bomb.open(sheet, "w", force_zip64=True) as part:
            part.write((head + "<sheetData>").encode())
            pad = b" " * (1 << 20)
            for _ in range(BOMB_MB):
                part.write(pad)
            part.write(tail.encode())
    return out.getvalue()


def _cases(agents_csv: bytes) -> dict[str, tuple[str, Callable[[], bytes]]]:
    """name -> (file name, its bytes)."""
    header = agents_csv.split(b"\n", 1)[0]
    return {
        "binary_noise_as_csv": ("agents.csv", lambda: _noise(50_000)),
        "nul_bytes_in_csv": ("agents.csv",
                             lambda: agents_csv.replace(b",", b"\x00,", 3) + b"\x00" * 1000),
        "invalid_utf8_after_a_good_start": ("agents.csv",
                                            lambda: agents_csv + b"\xff\xfe\xfa" * 2000),
        "utf16_bom_with_an_odd_byte": ("agents.txt",
                                       lambda: b"\xff\xfe" + "a,b\n".encode("utf-16-le")
                                       + b"\x00"),
        "unclosed_quote": ("agents.csv", lambda: header + b'\n"A001,' + b"x" * 5000),
        "huge_header_line": ("agents.csv",
                             lambda: b"agent_id," + b"h" * 900_000 + b"\nA001,1\n"),
        "huge_number_of_columns": ("agents.csv", lambda: b",".join(
            b"c%d" % i for i in range(120_000)) + b"\n" + b"1," * 10 + b"\n"),
        "empty_file": ("agents.csv", lambda: b""),
        "truncated_xlsx": ("agents.xlsx", lambda: _xlsx(agents_csv)[:2000]),
        "text_named_xlsx": ("agents.xlsx", lambda: agents_csv),
        "zip_without_a_workbook": ("agents.xlsx", _zip_of_text),
        "xlsx_bomb": ("agents.xlsx", lambda: _xlsx_bomb(agents_csv)),
        "parquet_garbage": ("agents.parquet", lambda: b"PAR1" + _noise(20_000) + b"PAR1"),
        "parquet_truncated_magic": ("agents.parquet", lambda: b"PAR1"),
    }


def _zip_of_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return out.getvalue()


CASE_NAMES = list(_cases(b"agent_id\n"))


# --- the test --------------------------------------------------------------------------------


def _csrf(client: TestClient) -> str:
    return form_token(client.get("/account").text)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_a_hostile_file_never_gets_a_500(manager: TestClient, demo_agents: bytes,
                                         case: str) -> None:
    file_name, make = _cases(demo_agents)[case]
    body = make()
    assert len(body) <= UPLOAD_MAX_MB << 20, "the case must fit the upload limit"
    upload = manager.post("/data/upload", data={"csrf_token": _csrf(manager)},
                          files=[("files", (file_name, body, "application/octet-stream"))],
                          follow_redirects=False)
    assert upload.status_code in (303, 400, 413, 415, 422), upload.text[:500]
    if upload.status_code != 303:
        assert 'class="error"' in upload.text  # the refusal says why
        return
    page_path = upload.headers["location"]
    page = manager.get(page_path)
    assert page.status_code < 500, page.text[:500]
    if page.status_code >= 400:
        assert 'class="error"' in page.text
        return
    assert '<p id="verdict" class="error"' in page.text  # a problem is named
    assert 'id="issues"' in page.text
    imported = manager.post(f"{page_path}/import", data={"csrf_token": _csrf(manager)},
                            follow_redirects=False)
    assert imported.status_code in (303, 400, 404, 409, 422), imported.text[:500]
    if imported.status_code == 303:
        assert imported.headers["location"] == page_path  # refused: back to its page
        again = manager.get(page_path)
        assert again.status_code == 200 and 'id="import-refused"' in again.text
