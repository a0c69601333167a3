"""The web's report downloads are `cskpi report`'s files (#17): the same workspace, scheme
and period give the same sheets, cells, PDF text and chart labels.  (The web once built
its own report data: an empty daily trend chart, no computed-vs-platform differences,
the server's profile instead of the scheme's.)"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from cskpi.reports import build_report
from tests.helpers.web import PERIOD

SCHEME = "presale-standard"


def cells(book: Any) -> dict[str, list[list[Any]]]:
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book}


def test_the_web_excel_is_cskpi_report_s(client_for: Callable[..., TestClient],
                                         workspace: Path, tmp_path: Path) -> None:
    response = client_for("mgr").get(f"/reports/{PERIOD}.xlsx?scheme={SCHEME}")
    assert response.status_code == 200
    cli = build_report(workspace, SCHEME, PERIOD, tmp_path / "r.xlsx", "en")
    web, ours = (cells(openpyxl.load_workbook(io.BytesIO(response.content))),
                 cells(openpyxl.load_workbook(cli)))
    assert list(web) == list(ours)
    for sheet in ours:
        assert web[sheet] == ours[sheet], sheet
    assert len(ours["Metrics"]) > 2  # a header and agents: the comparison compared rows


def test_the_web_pdf_is_cskpi_report_s(client_for: Callable[..., TestClient],
                                       workspace: Path, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    response = client_for("mgr").get(f"/reports/{PERIOD}.pdf?scheme={SCHEME}")
    assert response.status_code == 200
    cli = build_report(workspace, SCHEME, PERIOD, tmp_path / "r.pdf", "en")

    def pages(data: bytes) -> list[str]:
        return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]

    web, ours = pages(response.content), pages(cli.read_bytes())
    assert web == ours
    # the daily trend chart (it was empty on the web): its title and its days' axis
    trends = [page for page in ours if "Sessions per day" in page]
    assert trends and all("\n1\n6\n11\n16\n21\n26" in page for page in trends)
