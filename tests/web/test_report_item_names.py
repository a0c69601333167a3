"""English reports and downloads name a scheme's items as the English pages do (#20 item
8): the item's ``label_en`` when the scheme gives one, else the shop's label glossed by
what it measures; Chinese ones keep the shop's label.  The CLI's ``cskpi report --lang en``
and the web's downloads write the same names (the same files, tests/web/test_report_equality.py).

The scheme is presale-standard saved in the app with two English names:
conversion (询单转化率) "Inquiry conversion" and response (平均响应时长) "Response time";
satisfaction (满意率) has none, so English reads "满意率 (Satisfaction)".
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cskpi.cli.main import app as cli_app
from cskpi.scoring.presets import resolve
from tests.helpers.web import PERIOD

SCHEME = "presale-standard"
NAMED = {"询单转化率": "Inquiry conversion", "平均响应时长": "Response time"}


def _text() -> str:
    _, text = resolve(SCHEME)
    for label, english in NAMED.items():
        line = f"    label: {label}\n"
        assert text.count(line) == 1, label
        text = text.replace(line, f"{line}    label_en: {english}\n")
    return text


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


@pytest.fixture
def named(app: FastAPI) -> str:
    """presale-standard with label_en, saved in the app (in force); its text."""
    from sqlalchemy import select

    from cskpi.web.db.engine import transaction
    from cskpi.web.db.models import User
    from cskpi.web.services.schemes import save_version

    text = _text()
    with transaction(app.state.cskpi.sessions) as db:
        mgr = db.scalar(select(User).where(User.username == "mgr"))
        save_version(db, mgr, name=SCHEME, text=text, note="English names")
    return text


def _cells(book: Any) -> dict[str, list[list[Any]]]:
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book}


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    pages = [p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(data)).pages]
    return " ".join(" ".join(pages).split())


def test_english_reports_name_items_in_english_on_the_web_and_the_cli(
        named: str, client_for: Callable[..., TestClient], workspace: Path,
        tmp_path: Path) -> None:
    mgr = client_for("mgr")
    web = mgr.get(f"/reports/{PERIOD}.xlsx?scheme={SCHEME}")
    assert web.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(web.content))
    header = [c.value for c in book["Scores"][1]]
    # items with their maxima (presale-standard: 40, 20, 20, 20)
    assert header[3:7] == ["Inquiry conversion (40)", "Response time (20)",
                           "满意率 (Satisfaction) (20)", "业绩目标完成度 (Sales) (20)"]
    items = {row[2].value for row in book["Explanations"].iter_rows(min_row=2)}
    assert {"Inquiry conversion", "Response time", "满意率 (Satisfaction)"} <= items
    assert not items & {"询单转化率", "平均响应时长"}
    summary = [v for row in _cells(book)["Summary"] for v in row if isinstance(v, str)]
    assert "full points of Inquiry conversion" in summary  # the basis of its threshold

    # `cskpi report --lang en` with the same scheme as a file: the same cells
    scheme = tmp_path / "presale-standard.yaml"
    scheme.write_text(named, encoding="utf-8")
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(cli_app, ["report", "-w", str(workspace), "--scheme",
                                          str(scheme), "--period", PERIOD, "--out", str(out),
                                          "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert _cells(openpyxl.load_workbook(out)) == _cells(book)

    zh = mgr.get(f"/reports/{PERIOD}.xlsx?scheme={SCHEME}", headers={"Accept-Language": "zh-CN"})
    zh_header = [c.value for c in openpyxl.load_workbook(io.BytesIO(zh.content))["得分"][1]]
    assert zh_header[3:6] == ["询单转化率 (40)", "平均响应时长 (20)", "满意率 (20)"]


def test_the_english_pdf_names_items_in_english(
        named: str, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    en = _pdf_text(mgr.get(f"/reports/{PERIOD}.pdf?scheme={SCHEME}").content)
    # each pre-sale agent's page lists the items (A001, A002, A003) and its points chart
    assert en.count("Inquiry conversion") >= 3 and en.count("Response time") >= 3
    assert "询单转化率" not in en and "满意率 (Satisfaction)" in en
    zh = _pdf_text(mgr.get(f"/reports/{PERIOD}.pdf?scheme={SCHEME}",
                           headers={"Accept-Language": "zh-CN"}).content)
    assert "询单转化率" in zh and "Inquiry conversion" not in zh


def test_the_scorecard_download_names_items_as_its_page(
        named: str, client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    page = f"/agents/A001/scorecard?period={PERIOD}"
    got = mgr.get(f"{page}&format=xlsx&table=card-items")
    assert got.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(got.content)).worksheets[0]
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert names[:4] == ["Inquiry conversion", "Response time", "满意率 (Satisfaction)",
                         "业绩目标完成度 (Sales)"]
    csv = mgr.get(f"{page}&format=csv&table=card-items").content.decode("utf-8-sig")
    assert "\nInquiry conversion," in csv
    zh = mgr.get(f"{page}&format=csv&table=card-items", headers={"Accept-Language": "zh-CN"})
    assert "\n询单转化率," in zh.content.decode("utf-8-sig")


def test_reports_name_event_kinds_in_their_language(
        client_for: Callable[..., TestClient]) -> None:
    """aftersale-4crown's adjustments have no labels: an event kind is named by the
    catalog in the report's language (was the kind as written, ``praise``, in both)."""
    mgr = client_for("mgr")
    for lang, sheet, kind, praise in (("en", "Explanations", "adjustment", "praise"),
                                      ("zh-CN", "得分说明", "加减分", "客户表扬")):
        got = mgr.get(f"/reports/{PERIOD}.xlsx?scheme=aftersale-4crown",
                      headers={"Accept-Language": lang})
        rows = openpyxl.load_workbook(io.BytesIO(got.content))[sheet].iter_rows(min_row=2)
        # the after-sale agents' imported praise, one each (the demo's events.csv)
        assert [(r[0].value, r[2].value) for r in rows if r[3].value == kind] == [
            ("A004", praise), ("A005", praise)]
