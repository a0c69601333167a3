"""Finding the malformed rows of a CSV file that DuckDB refused to read.

DuckDB reads CSV strictly and stops at the first malformed row, which is fast and
bounded.  Its ``store_rejects`` table would list every bad row, but it stores one entry
per surplus field, each with the whole line: a 300 KB file whose rows have thousands of
fields took 85 s and 4.45 GB (beyond the connection's memory limit).  This scan runs
only when the strict read failed, goes through the file once, and bounds the work per
row: lines are read with a limit and a row may span at most ``max_row_chars``, however
many fields it holds.

Rows are numbered as a spreadsheet shows them: the header is row 1 and a row whose
quoted field holds line breaks is still one row.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import Issue

MAX_LISTED = 20  # rows listed one by one; the rest are counted
# invalid UTF-8 bytes, read with errors="surrogateescape"
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class _RowTooLong(Exception):
    pass


class _BoundedLines:
    """The physical lines of a text file for ``csv.reader``, at most ``limit`` characters
    for the row being read (a quote left open would otherwise make the rest of the file
    one row)."""

    def __init__(self, f: IO[str], limit: int) -> None:
        self.f = f
        self.limit = limit
        self.pending = 0  # characters read for the current row

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self.f.readline(self.limit - self.pending + 1)
        if not line:
            raise StopIteration
        self.pending += len(line)
        if self.pending > self.limit:
            raise _RowTooLong
        return line

    def row_done(self) -> None:
        self.pending = 0


def allow_long_fields(limit: int) -> None:
    # csv's limit (131,072 by default) is global: it is only ever raised, to the row limit
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


def scan_rows(path: Path, *, file: str, delimiter: str, width: int,
              max_row_chars: int) -> list[Issue]:
    """The malformed rows of the UTF-8 file ``path`` (reported as ``file``): a wrong
    number of fields, bad quoting, invalid UTF-8, a row over the limit.

    Bad quoting and an over-long row end the scan: where the next row starts is not
    known after them.
    """
    allow_long_fields(max_row_chars)
    issues: list[Issue] = []
    bad = 0
    row = 0
    delim_name = {",": ",", ";": ";", "\t": "Tab"}.get(delimiter, delimiter)

    def add(code: str, at: int, **params: object) -> None:
        nonlocal bad
        bad += 1
        if len(issues) < MAX_LISTED:
            issues.append(Issue("error", code, file=file, row=at, params=dict(params)))

    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        lines = _BoundedLines(f, max_row_chars)
        reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True,
                            strict=True)
        try:
            for record in reader:
                row += 1
                lines.row_done()
                if not record:
                    continue  # a blank line (DuckDB skips it too)
                if any(_UNDECODABLE.search(field) for field in record):
                    add("bad_utf8_row", row)
                elif len(record) != width and row > 1:
                    add("bad_csv_row", row, found=len(record), expected=width,
                        delimiter=delim_name)
        except _RowTooLong:
            add("row_too_long", row + 1, limit=max_row_chars)
        except csv.Error:
            add("bad_quotes", row + 1)
    if bad > len(issues):
        issues.append(Issue("error", "more_bad_rows", file=file,
                            params={"count": bad - len(issues)}))
    return issues
