"""Text from the data never becomes a spreadsheet formula (issue #15, item 2).

A shop whose agents are named ``=HYPERLINK(…)``, ``+1+1``, ``-2+3``, ``@SUM(A1)``,
``\\t=1`` and ``\\r=1`` (teams, grade notes, reviewers, events and scheme labels too):
the Excel report stores every one of them as a text cell with its exact characters, the
CSV output puts ``'`` before them while numbers stay numbers, and the PDF shows them as
plain text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

import cskpi
from cskpi.cli.output import to_csv
from cskpi.data.demo import generate
from cskpi.metrics.catalog import METRICS
from cskpi.reports import gather_report
from cskpi.reports.fonts import FontFile
from cskpi.reports.pdf import pdf_bytes
from cskpi.scoring.presets import preset_text
from cskpi.shop import Shop
from tests.helpers.reports import PERIOD

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
ERROR_LOOKALIKE = "#N/A"  # openpyxl stores this string as an error cell unless told
ITEM_LABEL = '=HYPERLINK("http://evil","quality")'  # a scheme's own text
ADJUSTMENT_LABEL = "+2 praise"
SCHEMES = ("presale-standard", "aftersale-4crown")


def _rewrite(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo shop (6 agents, 5 days) with formula-like names, teams, notes and events."""
    root = tmp_path_factory.mktemp("injection")
    data = root / "data"
    generate(data, agents=6, days=5, seed=3)

    def agents(rows: list[dict[str, str]]) -> None:
        for i, row in enumerate(rows):  # A001-A003 presale, A004-A005 aftersale, A006 lead
            row["name"] = FORMULAS[i]
            row["team"] = FORMULAS[(i + 1) % len(FORMULAS)]

    def grades(rows: list[dict[str, str]]) -> None:
        notes = [*FORMULAS, ERROR_LOOKALIKE]
        for i, row in enumerate(rows):
            row["note"] = notes[i % len(notes)]
            row["reviewer"] = FORMULAS[(i + 2) % len(FORMULAS)]

    def events(rows: list[dict[str, str]]) -> None:
        for i, text in enumerate(FORMULAS):
            rows.append({"agent_id": f"A00{i + 1}", "ts": "2026-10-02 10:00:00", "kind": text,
                         "points": "-5", "note": text})
        for minute in ("10", "20"):  # 2 × -5 points: A004's adjustments are negative
            rows.append({"agent_id": "A004", "ts": f"2026-10-03 11:{minute}:00",
                         "kind": "low_quality_review", "points": "", "note": "=1+2"})

    _rewrite(data / "agents.csv", agents)
    _rewrite(data / "grades.csv", grades)
    _rewrite(data / "events.csv", events)
    Shop(root / "ws.duckdb").import_folder(data)
    return root / "ws.duckdb"


@pytest.fixture(scope="module")
def labelled_scheme(shop: Path) -> Path:
    """aftersale-4crown with a formula-like item label and adjustment label."""
    text = preset_text("aftersale-4crown")
    text = text.replace("label: 售后客服素质", f"label: '{ITEM_LABEL}'")
    text = text.replace("{event: praise, points: 2}",
                        f"{{event: praise, points: 2, label: '{ADJUSTMENT_LABEL}'}}")
    assert ITEM_LABEL in text and ADJUSTMENT_LABEL in text
    path = shop.parent / "labelled.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _all_cells(wb: openpyxl.Workbook) -> list[Any]:
    return [cell for ws in wb for row in ws.iter_rows() for cell in row]


@pytest.mark.parametrize("scheme", [*SCHEMES, "labelled"])
def test_excel_report_keeps_data_as_text(shop: Path, labelled_scheme: Path, cli: Any,
                                         scheme: str, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    name = str(labelled_scheme) if scheme == "labelled" else scheme
    result = cli("report", "-w", shop, "--scheme", name, "--period", PERIOD,
                 "--out", out, "--allow-incomplete")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)  # not data_only: formulas would show as "f" cells
    cells = _all_cells(wb)
    assert [(c.parent.title, c.coordinate, c.value) for c in cells
            if c.data_type in ("f", "e")] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert set(FORMULAS) <= texts  # the Metrics sheet names every agent and team, verbatim
    if scheme == "labelled":
        assert {ITEM_LABEL, ADJUSTMENT_LABEL} <= texts
    if scheme != "presale-standard":
        assert ERROR_LOOKALIKE in texts  # a grade note on the Explanations sheet
    # as if typed after ': editing such a cell in Excel keeps it text
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str)
               and c.value.startswith(("=", "+", "-", "@", "\t", "\r")))
    scores = wb["Scores"]
    names = [scores.cell(r, 2).value for r in range(2, scores.max_row + 1)]
    expected = {"presale-standard": FORMULAS[:3]}.get(scheme, FORMULAS[3:5])
    assert names == expected


def test_write_cell_stores_text_as_text_and_numbers_as_numbers() -> None:
    from cskpi.reports.excel_style import write_cell

    ws = openpyxl.Workbook().active
    values = ["=1+1", "+1", "-5 points", "@A1", "\t=1", "=", "#N/A", "plain", -5, 2.5]
    cells = [write_cell(ws, 1, col, v) for col, v in enumerate(values, start=1)]
    assert [c.data_type for c in cells] == ["s"] * 8 + ["n", "n"]
    assert [c.value for c in cells] == values
    assert [bool(c.quotePrefix) for c in cells] == [True] * 6 + [False] * 4


def test_control_characters_in_data_do_not_break_the_workbook() -> None:
    """A name with \x01 (which XML cannot hold) is shown as U+FFFD; the file still saves."""
    from cskpi.reports.excel_style import workbook_bytes, write_cell

    wb = openpyxl.Workbook()
    write_cell(wb.active, 1, 1, "张\x01伟\x1f")
    back = openpyxl.load_workbook(io.BytesIO(workbook_bytes(wb))).active
    assert back.cell(1, 1).value == "张\ufffd伟\ufffd"


def test_every_cell_is_written_by_write_cell() -> None:
    """Sheets put values through excel_style.write_cell, so a new sheet cannot forget."""
    reports = Path(cskpi.__file__).parent / "reports"
    direct = re.compile(r"\.cell\(|\.value\s*=|\bws\.append\(|\bws\[[^\]]+\]\s*=")
    found = [(path.name, line.strip()) for path in sorted(reports.glob("*.py"))
             for line in path.read_text(encoding="utf-8").splitlines() if direct.search(line)]
    assert found == [("excel_style.py", "cell = ws.cell(row=row, column=column)"),
                     ("excel_style.py", "cell.value = value")]


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_metrics_csv_prefixes_formula_like_text(shop: Path, cli: Any) -> None:
    result = cli("metrics", "-w", shop, "--period", PERIOD, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = _csv_rows(result.stdout)
    assert [r["name"] for r in rows] == ["'" + f for f in FORMULAS]
    assert [r["team"] for r in rows] == ["'" + f for f in FORMULAS[1:] + FORMULAS[:1]]
    figures = [c for m in METRICS for c in (m.key, f"{m.key}_num", f"{m.key}_den")
               if c in rows[0]]
    assert len(figures) > len(METRICS)
    for row in rows:
        for column in figures:
            assert row[column] == "" or _is_number(row[column]), (column, row[column])


def test_score_csv_prefixes_names_and_leaves_negative_numbers(shop: Path, cli: Any) -> None:
    result = cli("score", "-w", shop, "--scheme", "aftersale-4crown", "--period", PERIOD,
                 "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = _csv_rows(result.stdout)
    assert [(r["agent_id"], r["name"]) for r in rows] == [("A004", "'@SUM(A1)"),
                                                          ("A005", "'\t=1")]
    assert Decimal(rows[0]["adjustments"]) < 0  # -5 points each: written as a number
    for row in rows:
        for column, value in row.items():
            if column not in ("agent_id", "name", "scheme", "passed", "vetoed"):
                assert _is_number(value), (column, value)


def test_to_csv_prefixes_text_only_and_quotes_carriage_returns() -> None:
    rows = [{"text": "-5 points", "number": -5, "money": Decimal("-12.50"), "empty": None},
            {"text": "\r=1", "number": 3.5, "money": Decimal("0"), "empty": "@x"},
            {"text": "a\r=HYPERLINK(1)", "number": 0, "money": Decimal("1"), "empty": "ok"}]
    out = to_csv(rows)
    assert out.startswith("text,number,money,empty\n'-5 points,-5,-12.50,\n")
    # a CR inside a field is quoted: unquoted, a reader would start a row at "=HYPERLINK"
    assert _csv_rows(out) == [
        {"text": "'-5 points", "number": "-5", "money": "-12.50", "empty": ""},
        {"text": "'\r=1", "number": "3.5", "money": "0", "empty": "'@x"},
        {"text": "a\r=HYPERLINK(1)", "number": "0", "money": "1", "empty": "ok"}]


@pytest.mark.slow  # a whole PDF report built and read back
def test_pdf_shows_formula_like_names_as_text(shop: Path, any_font: FontFile) -> None:
    for scheme in SCHEMES:
        report = gather_report(shop, scheme, PERIOD)
        reader = PdfReader(io.BytesIO(pdf_bytes(report, "en", font=any_font)))
        assert len(reader.pages) == len(report.cards) + 1
        text = "".join(page.extract_text() or "" for page in reader.pages)
        for card in report.cards:
            assert card.name is not None
            assert card.name.strip() in text
        assert all("/Annots" not in page for page in reader.pages)  # no link was made
