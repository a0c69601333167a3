"""Tables as CSV and Excel files (cskpi.reports.tables): numbers stay numbers, times stay
times, text from the data never becomes a formula, Chinese survives Excel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cskpi.reports.tables import Column, Table, Value, csv_bytes, sheet_name, xlsx_bytes
from tests.helpers.exports import csv_rows, workbook

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]

TABLE = Table("agents", "客服", (
    Column("客服"), Column("会话数", "count"), Column("3分钟回复率", "rate"),
    Column("首响", "s"), Column("销售额", "money"), Column("时间", "datetime"),
    Column("混合", "auto")), (
    ("A001", 159, 0.8996539792387543, 275, Decimal("7687.27"),
     dt.datetime(2026, 10, 5, 16, 28, 30), True),
    ("A002", 0, None, None, Decimal("-5.00"), None, Value(0.25, "rate")),
))


def test_csv_keeps_numbers_plain_and_times_readable() -> None:
    rows = csv_rows(csv_bytes(TABLE, "zh_CN"))
    assert rows[0] == ["客服", "会话数", "3分钟回复率", "首响", "销售额", "时间", "混合"]
    # the rate as the fraction the core gave, seconds as seconds, money in yuan, a flag
    # in the reader's language (是), a missing figure empty
    assert rows[1] == ["A001", "159", "0.8996539792387543", "275", "7687.27",
                       "2026-10-05 16:28:30", "是"]
    assert rows[2] == ["A002", "0", "", "", "-5.00", "", "0.25"]  # -5.00: a number, no '


def test_csv_headers_can_name_their_unit() -> None:
    rows = csv_rows(csv_bytes(TABLE, "en", lambda c: f"{c.header} [{c.unit}]"))
    assert rows[0][2] == "3分钟回复率 [rate]"


def test_excel_cells_are_typed_with_the_units_format() -> None:
    ws = workbook(xlsx_bytes([TABLE], "en", "test")).worksheets[0]
    assert ws.title == "客服" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["客服", "会话数", "3分钟回复率", "首响", "销售额", "时间",
                                        "混合"]
    a001 = ws[2]
    assert (a001[1].value, a001[1].data_type, a001[1].number_format) == (159, "n", "#,##0")
    assert a001[2].value == pytest.approx(0.8996539792387543)
    assert a001[2].number_format == "0.00%"
    # 275 s as Excel stores durations (275 / 86,400 of a day, shown as 4:35), which
    # openpyxl reads back as the duration it is
    assert a001[3].value == dt.timedelta(seconds=275) and a001[3].number_format == "[m]:ss"
    assert a001[4].value == pytest.approx(7687.27) and a001[4].number_format == "#,##0.00"
    assert a001[5].value == dt.datetime(2026, 10, 5, 16, 28, 30)
    assert a001[5].is_date and a001[5].number_format == "yyyy-mm-dd hh:mm:ss"
    assert (a001[6].value, a001[6].data_type) == ("yes", "s")
    a002 = ws[3]
    assert a002[2].value is None and a002[4].value == pytest.approx(-5.0)
    assert (a002[6].value, a002[6].number_format) == (pytest.approx(0.25), "0.00%")


def test_text_that_looks_like_a_formula_stays_text() -> None:
    table = Table("t", "t", (Column("name"), Column("points", "points")),
                  tuple((text, -5) for text in FORMULAS))
    rows = csv_rows(csv_bytes(table, "en"))
    assert [r[0] for r in rows[1:]] == ["'" + text for text in FORMULAS]
    assert {r[1] for r in rows[1:]} == {"-5"}  # the number -5 keeps no quote
    ws = workbook(xlsx_bytes([table], "en", "t")).worksheets[0]
    for row, text in zip(ws.iter_rows(min_row=2), FORMULAS, strict=True):
        assert row[0].data_type == "s" and row[0].value == text
        assert row[1].data_type == "n" and row[1].value == -5


def test_sheet_names_excel_accepts() -> None:
    taken: set[str] = set()
    assert sheet_name("Conversion: by/hour [x]*?", taken) == "Conversion_ by_hour _x___"
    long = "询单转化率" * 10
    assert sheet_name(long, taken) == long[:31]
    assert sheet_name(long, taken) == long[:27] + " (2)"  # unique, still 31 characters
    assert sheet_name("AGENTS", taken) == "AGENTS" and sheet_name("agents", taken) == "agents (2)"


def test_several_tables_make_several_sheets() -> None:
    other = Table("b", "客服", (Column("x", "count"),), ((1,),))
    wb = workbook(xlsx_bytes([TABLE, other], "en", "page"))
    assert wb.sheetnames == ["客服", "客服 (2)"]
    assert wb.properties.title == "page"


def test_a_figure_without_basis_is_empty() -> None:
    """A NaN (a rate over nothing) is no figure: an empty cell, as the page's —."""
    table = Table("t", "t", (Column("rate", "rate"),), ((float("nan"),),))
    assert csv_rows(csv_bytes(table, "en"))[1] == [""]
    assert workbook(xlsx_bytes([table], "en", "t")).worksheets[0]["A2"].value is None
