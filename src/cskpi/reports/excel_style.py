"""Worksheet helpers: styled tables, column widths, highlighting, reproducible saving.

A workbook saved by :func:`workbook_bytes` is byte-identical for identical content:
document properties carry a fixed time given by the caller and every zip entry the
same fixed date, instead of the clock.

Every cell is written by :func:`write_cell`: a string from the data (an agent named
``=HYPERLINK(…)``, a note ``+1+1``) is always a text cell, never a formula, and keeps its
text.  The report has no formula cells; conditional formatting rules are code.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..safe_text import starts_like_formula

FONT = "Calibri"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
HEADER_FONT = Font(name=FONT, bold=True)
HEADER_BORDER = Border(bottom=Side(style="thin", color="8EA9DB"))
TITLE_FONT = Font(name=FONT, bold=True, size=14)
SECTION_FONT = Font(name=FONT, bold=True, size=12)
LABEL_FONT = Font(name=FONT, color="404040")
BOLD_FONT = Font(name=FONT, bold=True)
NOTE_FONT = Font(name=FONT, italic=True, color="7F7F7F", size=9)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")

# Excel's own "light red fill with dark red text" and friends
HIGHLIGHTS: dict[str, tuple[str, str]] = {"bad": ("FFC7CE", "9C0006"),
                                          "warn": ("FFEB9C", "9C5700"),
                                          "good": ("C6EFCE", "006100")}
MAX_WIDTH = 60
LINE_HEIGHT = 15  # points per line of 11-point text
HEADER_WRAP_AT = 18


@dataclass(frozen=True)
class Cell:
    """A value with its own number format (overrides the column's)."""

    value: Any
    number_format: str | None = None


def text_width(text: str) -> int:
    """Display width of text: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_cell(ws: Worksheet, row: int, column: int, value: Any) -> SheetCell:
    """Put ``value`` at ``row``, ``column``: the one way the report writes a cell.

    openpyxl turns a string starting with ``=`` into a formula (and ``#N/A`` into an
    error); text here always stays a text cell with its exact characters.  Text that
    starts like a formula also gets Excel's quote prefix (as if typed after ``'``), so
    editing the cell does not turn it into one.  Numbers, dates and None are stored as
    they are.  A control character XML cannot hold is shown as U+FFFD (�).
    """
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        # control characters XML cannot hold (a \x01 in a name) would fail the save
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if starts_like_formula(value):
            cell.quotePrefix = True
    return cell


def title(ws: Worksheet, row: int, text: str, *, font: Font = SECTION_FONT,
          column: int = 1) -> None:
    """A bold line of text (column A unless told)."""
    write_cell(ws, row, column, text).font = font


def put(ws: Worksheet, row: int, column: int, value: Any) -> SheetCell:
    """One value (or :class:`Cell`, with its number format) at ``row``, ``column``."""
    fmt = None
    if isinstance(value, Cell):
        value, fmt = value.value, value.number_format
    cell = write_cell(ws, row, column, value)
    if fmt and value is not None:
        cell.number_format = fmt
    return cell


def write_table(ws: Worksheet, top: int, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                formats: Sequence[str | None] = (), *, left: int = 1) -> int:
    """Write a header row at ``top`` and ``rows`` under it; return the last row written.

    ``formats`` gives a number format per column (None: General); a :class:`Cell`
    value brings its own.  Text cells wrap and align to the top.
    """
    for j, header in enumerate(headers):
        cell = write_cell(ws, top, left + j, header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        cell.alignment = HEADER_ALIGN
    r = top
    for r, row in enumerate(rows, start=top + 1):
        for j, value in enumerate(row):
            fmt = formats[j] if j < len(formats) else None
            if isinstance(value, Cell):
                fmt = value.number_format or fmt
                value = value.value
            cell = write_cell(ws, r, left + j, value)
            if value is None:
                continue
            cell.alignment = WRAP_TOP if isinstance(value, str) else TOP
            if fmt and not isinstance(value, str):
                cell.number_format = fmt
    return r


def _shown_width(value: Any, number_format: str) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return max(text_width(line) for line in value.split("\n"))
    if number_format in ("[m]:ss", "[h]:mm"):
        return 7
    if isinstance(value, float | int):
        digits = len(f"{abs(value):,.0f}")
        return digits + (4 if "0.0" in number_format or "%" in number_format else 1)
    return len(str(value))


def fit_columns(ws: Worksheet, header_rows: Sequence[int] = (1,),
                skip_rows: Sequence[int] = (), *, min_width: int = 6,
                max_width: int = MAX_WIDTH) -> None:
    """Set each column's width from what it shows.

    Header cells count up to :data:`HEADER_WRAP_AT` (longer ones wrap); rows in
    ``skip_rows`` (titles that may run over the next columns) do not count; nothing
    is wider than ``max_width`` (long text wraps).
    """
    widths: dict[int, int] = {}
    headers, skipped = set(header_rows), set(skip_rows)
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or cell.row in skipped:
                continue
            w = _shown_width(cell.value, cell.number_format)
            if cell.row in headers:
                w = min(w, HEADER_WRAP_AT)
            widths[cell.column] = max(widths.get(cell.column, 0), w)
    final = {col: max(min_width, min(max_width, w + 2)) for col, w in widths.items()}
    for col, w in sorted(final.items()):
        ws.column_dimensions[get_column_letter(col)].width = w
    fit_rows(ws, final, skipped)


def fit_rows(ws: Worksheet, widths: dict[int, int], skip_rows: set[int]) -> None:
    """Give rows whose text wraps the height of their lines (LibreOffice does not)."""
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if not isinstance(cell.value, str) or cell.row in skip_rows:
                continue
            room = max(1, widths.get(cell.column, 10) - 1)
            lines = max(lines, sum(-(-max(1, text_width(part)) // room)
                                   for part in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_HEIGHT * lines


def print_setup(ws: Worksheet, *, title_rows: str | None = None,
                title_cols: str | None = None, fit_width: bool = True) -> None:
    """Landscape A4, header rows (and columns) repeated on every printed page.

    ``fit_width`` scales the sheet to one page wide (LibreOffice's PDF export and
    Excel's print both honour it); very wide sheets leave it off.
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols


def highlight(ws: Worksheet, ref: str, formula: str, kind: str = "bad") -> None:
    """Colour the cells of ``ref`` while ``formula`` (relative to its top-left) holds."""
    fill_color, font_color = HIGHLIGHTS[kind]
    ws.conditional_formatting.add(ref, FormulaRule(
        formula=[formula], font=Font(name=FONT, color=font_color),
        fill=PatternFill("solid", start_color=fill_color, end_color=fill_color)))


def fix_properties(wb: Workbook, when: dt.datetime, doc_title: str) -> None:
    """Document properties that do not depend on the clock or the machine."""
    props = wb.properties
    props.creator = "cskpi"
    props.lastModifiedBy = None
    props.title = doc_title
    props.created = when
    props.modified = when


def workbook_bytes(wb: Workbook) -> bytes:
    """The xlsx file of ``wb``, with fixed zip entry dates (same content, same bytes).

    A carriage return in text is written as ``&#13;``: openpyxl writes it as it is, and
    every XML reader (Excel's too) would read it back as a line feed.
    """
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # writes every part, then closes the archive
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            part = src.read(info.filename)
            if info.filename.endswith(".xml"):
                part = part.replace(b"\r", b"&#13;")
            dst.writestr(fixed, part)
    return out.getvalue()
