"""Any table a face shows, as a CSV file or an Excel workbook.

A :class:`Table` is what a page shows, as data: a title, its columns (a header in the
reader's language and a unit) and its rows, holding the values the core gave (numbers,
local times, text), never the text they were shown as.  The writers keep them so:

- **Excel** (:func:`xlsx_bytes`, one sheet per table): numbers are number cells with the
  unit's format (a rate ``0.00%``, money ``#,##0.00``, a duration ``[m]:ss`` as the Excel
  report writes them), times are date cells, text is a text cell, never a formula
  (:func:`cskpi.reports.excel_style.write_cell`);
- **CSV** (:func:`csv_bytes`): numbers as plain numbers (a rate as the fraction the core
  gives, 0.8499; durations in seconds; money in yuan: the header says which), times as
  ``YYYY-MM-DD HH:MM:SS``, text that starts like a formula behind a ``'``
  (:func:`cskpi.safe_text.csv_value`).  UTF-8 with a byte-order mark, so Excel reads the
  Chinese in it.

A column's unit is a catalog unit (``count``, ``rate``, ``s``, ``h``, ``money``),
``points``, ``decimal``, ``number`` (of no known unit), ``datetime``, ``date``, ``text``,
or ``auto`` (by the value's type: the drill-down's columns).  A :class:`Value` brings its own unit to one cell (a
trend table's rows are metrics of different units).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from .. import units
from ..safe_text import csv_value
from .excel_style import (
    HEADER_ALIGN,
    HEADER_BORDER,
    HEADER_FILL,
    HEADER_FONT,
    TOP,
    WRAP_TOP,
    fit_columns,
    fix_properties,
    workbook_bytes,
    write_cell,
)
from .formats import DAY_H, DAY_S, EXCEL_FORMATS

DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
SHEET_NAME_MAX = 31  # Excel's limit
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")  # characters Excel refuses


@dataclass(frozen=True)
class Column:
    """A column: its header as the reader reads it, and the unit of its values."""

    header: str
    unit: str = "text"


@dataclass(frozen=True)
class Value:
    """A cell with a unit of its own (else the column's)."""

    value: Any
    unit: str


@dataclass(frozen=True)
class Table:
    """A table as a page shows it: ``id`` names it in links and files."""

    id: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def _unit_of(value: Any) -> str:
    """The unit of a value in an ``auto`` column, by its type."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return "text"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, int | float | Decimal):
        return "number"
    return "text"


def _cells(table: Table, lang: str) -> list[list[tuple[Any, str]]]:
    """Every cell as (value, unit), units resolved; flags become words of ``lang``."""
    out = []
    for row in table.rows:
        line = []
        for column, value in zip(table.columns, row, strict=True):
            unit = column.unit
            if isinstance(value, Value):
                value, unit = value.value, value.unit
            if isinstance(value, float) and math.isnan(value):
                value = None  # no figure (a rate without basis), as the page's "—"
            if unit == "auto":
                unit = _unit_of(value)
            if isinstance(value, bool):
                value, unit = units.format_value(value, "count", lang), "text"
            line.append((value, unit))
        out.append(line)
    return out


# --- CSV -----------------------------------------------------------------------------------

def _csv_text(value: Any, unit: str) -> Any:
    """A value as a CSV field: plain numbers, ISO-like times, text kept text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # 3.0 sessions read 3
    if isinstance(value, int | float):
        return repr(value)
    return csv_value(str(value))


def csv_bytes(table: Table, lang: str, header: Callable[[Column], str] | None = None) -> bytes:
    """The table as a CSV file (UTF-8 with a byte-order mark, CRLF line ends).

    ``header`` gives a column's header in the file (the CSV's may name the unit its plain
    numbers are in); the column's own by default.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_value(header(c) if header else c.header) for c in table.columns])
    for line in _cells(table, lang):
        writer.writerow([_csv_text(value, unit) for value, unit in line])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --- Excel ---------------------------------------------------------------------------------

def _excel(value: Any, unit: str) -> tuple[Any, str | None]:
    """(what the cell stores, its number format)."""
    if value is None:
        return None, None
    if unit == "datetime" and isinstance(value, dt.datetime):
        return value, DATETIME_FORMAT
    if unit in ("date", "datetime") and isinstance(value, dt.date):
        return value, DATE_FORMAT
    if isinstance(value, str) or unit == "text":
        return str(value), None
    if unit == "number":  # of no known unit: Excel's General format
        return (value if isinstance(value, int) else float(value)), None
    number = float(value)
    if unit == "s":
        return number / DAY_S, EXCEL_FORMATS["s"]
    if unit == "h":
        return number / DAY_H, EXCEL_FORMATS["h"]
    if isinstance(value, int) or (unit == "count" and number.is_integer()):
        return int(number), EXCEL_FORMATS.get(unit, EXCEL_FORMATS["count"])
    return number, EXCEL_FORMATS.get(unit)


def sheet_name(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of ``[]:*?/\\``), unique among
    ``taken`` (compared as Excel does, ignoring case)."""
    base = SHEET_NAME_BAD.sub("_", title).strip("' ") or "Sheet"
    name, n = base[:SHEET_NAME_MAX], 1
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[:SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def xlsx_bytes(tables: Sequence[Table], lang: str, title: str,
               when: dt.datetime | None = None) -> bytes:
    """The tables as one workbook, a sheet each: a header row (frozen), then the rows."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(sheet_name(table.title, taken))
        for j, column in enumerate(table.columns, start=1):
            cell = write_cell(ws, 1, j, column.header)
            cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
            cell.alignment = HEADER_ALIGN
        for i, line in enumerate(_cells(table, lang), start=2):
            for j, (value, unit) in enumerate(line, start=1):
                stored, number_format = _excel(value, unit)
                cell = write_cell(ws, i, j, stored)
                if stored is None:
                    continue
                cell.alignment = WRAP_TOP if isinstance(stored, str) else TOP
                if number_format:
                    cell.number_format = number_format
        ws.freeze_panes = "A2"
        fit_columns(ws)
    fix_properties(wb, when or dt.datetime(2000, 1, 1), title)
    return workbook_bytes(wb)
