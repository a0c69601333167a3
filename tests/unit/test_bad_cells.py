"""A cell that cannot be read is reported as the file wrote it, at its row, for every
column of every table of the contract, from every reader and every way in: a folder
checked, imported into a new workspace (typed straight into the workspace's tables), and
imported into a workspace that holds data already (typed into staging tables).

The typed table keeps one bit per checked cell (``_flags``), not the cell's text; the text
as written is read again from the file only when a bit is set (``validate.written_cells``).
The cases are generated from the contract: every column that is not free text gets a
value its type cannot read, every money column a decorated amount (``￥10,000.00``, read
with a warning), every rate a value over 1 written without ``%``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from cskpi.data import convert
from cskpi.data.schema import TABLES, Column
from cskpi.errors import Issue, ValidationFailed
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.common import AGENTS_CSV, write_folder

# a value each type cannot read (as a user could write it)
UNREADABLE = {
    "timestamp": "2026/10/05 9:3",  # a one-digit minute
    "date": "2026-13-45",
    "int": "two",
    "money": "12 yuan",
    "number": "x1",
    "bool": "maybe",
    "period": "2026-13",
    "enum": "nonsense",
}
DECORATED = "￥10,000.00"  # a money cell read as 10000.00, with a warning


def cases(column: Column) -> list[tuple[str, str, dict[str, str]]]:
    """(value written, code expected, parameters expected) for each check of a column."""
    found = []
    if column.type != "str":
        code = {"enum": "bad_value", "money": "bad_money"}.get(column.type, "bad_type")
        found.append((UNREADABLE[column.type], code, {"value": UNREADABLE[column.type]}))
    if convert.is_money(column):
        found.append((DECORATED, "money_cleaned", {"value": DECORATED, "amount": "10000.00"}))
    if column.type == "number" and column.unit == "rate":
        found.append(("1.5", "rate_over_1", {"value": "1.5"}))
    return found


def table_rows(name: str) -> tuple[list[str], list[list[str]], dict[tuple[int, str], tuple]]:
    """The header, one row per case (every other cell empty) and what each row expects,
    by (spreadsheet row, column)."""
    table = TABLES[name]
    header = list(table.column_names)
    body: list[list[str]] = []
    expected = {}
    for col in table.columns:
        for value, code, params in cases(col):
            row = [""] * len(header)
            row[header.index(col.name)] = value
            body.append(row)
            expected[(len(body) + 1, col.name)] = (code, params)
    return header, body, expected


def write_table(folder: Path, name: str, reader: str) -> dict[tuple[int, str], tuple]:
    header, body, expected = table_rows(name)
    if reader == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(header)
        for row in body:
            ws.append([cell or None for cell in row])
        wb.save(folder / f"{name}.xlsx")
        return expected
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *body])
    encoding = "gbk" if reader == "csv-gbk" else "utf-8"
    (folder / f"{name}.csv").write_bytes(out.getvalue().encode(encoding))
    return expected


def bad_folder(root: Path, reader: str) -> tuple[Path, dict[tuple[str, int, str], tuple]]:
    folder = write_folder(root, {})
    expected = {}
    for name in TABLES:
        file = f"{name}.xlsx" if reader == "xlsx" else f"{name}.csv"
        for (row, column), found in write_table(folder, name, reader).items():
            expected[(file, row, column)] = found
    return folder, expected


def issues_of(way: str, folder: Path, tmp_path: Path) -> list[Issue]:
    if way == "checked":
        return Shop(data=folder).validate()
    ws = Workspace(tmp_path / f"{way}.duckdb")
    if way == "existing":  # a workspace holding the agents: the staged way in
        ws.import_folder(write_folder(tmp_path / "agents", {"agents.csv": AGENTS_CSV}))
    with pytest.raises(ValidationFailed) as failed:
        ws.import_folder(folder)
    return failed.value.issues


@pytest.mark.parametrize("reader", ["csv", "csv-gbk", "xlsx"])
@pytest.mark.parametrize("way", ["checked", "new", "existing"])
def test_every_unreadable_cell_is_reported_as_written_at_its_row(tmp_path, reader, way):
    folder, expected = bad_folder(tmp_path / "data", reader)
    # checked cells per table: agents 2, sessions 4, messages 3, ratings 2, orders 6,
    # refunds 8, reviews 2, complaints 3, attendance 2, online 2, grades 2, events 2,
    # targets 2 = 40; agent_metrics 33 (a 64-bit flag column): 73
    assert len(expected) == 73
    issues = issues_of(way, folder, tmp_path)
    found = {(i.file, i.row, i.column): i for i in issues
             if i.code in ("bad_value", "bad_money", "bad_type", "money_cleaned",
                           "rate_over_1")}
    for where, (code, params) in expected.items():
        issue = found.get(where)
        assert issue is not None, f"nothing reported at {where}"
        assert issue.code == code, where
        assert {k: issue.params.get(k) for k in params} == params, where
    assert set(found) == set(expected)  # and nothing else: the other rows' bits are clear
    # a cell that could not be read is not also called missing
    missing = {(i.file, i.row, i.column) for i in issues if i.code == "missing_value"}
    assert not missing & set(expected)
