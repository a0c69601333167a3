"""Helpers of the download tests: a page's ``<table>`` read from its HTML, a CSV or Excel
download read back, the file names of a ``Content-Disposition``."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

import openpyxl


class _Tables(HTMLParser):
    """Collects one ``<table id=…>``: header cells and body rows, as text."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # > 0 inside the table
        self.section = ""
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
            self.found = True
        if not self.depth:
            return
        if tag in ("thead", "tbody"):
            self.section = tag
        elif tag == "tr" and self.section != "thead":  # a table may have no <tbody>
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag in ("td", "th") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            if self.section == "thead":
                self.headers.append(text)
            elif self.rows:
                self.rows[-1].append(text)
            self.cell = None
        elif tag == "table":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def html_table(html: str, table_id: str) -> tuple[list[str], list[list[str]]]:
    """(header texts, body rows as cell texts) of the page's table ``table_id``."""
    parser = _Tables(table_id)
    parser.feed(html)
    assert parser.found, f"no table {table_id!r} in the page"
    return parser.headers, parser.rows


def csv_rows(body: bytes) -> list[list[str]]:
    """A downloaded CSV's rows (header first); it must start with a UTF-8 BOM."""
    assert body.startswith(b"\xef\xbb\xbf"), "no byte-order mark: Excel misreads the Chinese"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def workbook(body: bytes) -> Any:
    """A downloaded .xlsx opened with openpyxl (values, not formulas evaluated)."""
    return openpyxl.load_workbook(io.BytesIO(body))


def file_names(disposition: str) -> tuple[str, str]:
    """(``filename``, ``filename*`` decoded) of a ``Content-Disposition`` header."""
    assert disposition.startswith("attachment; ")
    parts = dict(p.strip().split("=", 1) for p in disposition.split(";")[1:])
    assert parts["filename*"].startswith("UTF-8''")
    return parts["filename"].strip('"'), unquote(parts["filename*"][len("UTF-8''"):])
