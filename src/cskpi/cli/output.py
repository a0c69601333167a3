"""Rendering results as JSON, CSV or terminal tables (shared by commands)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from ..jsonable import jsonable
from ..safe_text import csv_value


def to_json(data: Any) -> str:
    """JSON with money as numbers, dates as ISO strings and NaN as null: the one encoder
    (:func:`cskpi.jsonable.jsonable`) the web's API uses too."""
    return json.dumps(jsonable(data), ensure_ascii=False, indent=2)


# nested: JSON output only
NOT_CSV = ("reasons", "reason_codes", "sources", "notes", "differences")


def to_csv(rows: list[dict[str, Any]], skip: tuple[str, ...] = NOT_CSV) -> str:
    """Rows as CSV, a line (ending in a line feed) per row; the first row's keys are the header.

    Text that starts like a formula gets a ``'`` in front (:func:`~cskpi.safe_text.csv_value`);
    numbers are left as they are.  A field holding a carriage return is quoted, as one
    holding a line feed is: unquoted, a reader would start a new row inside it, and the
    rest of the text would open a cell of its own (a formula after all).
    """
    if not rows:
        return ""
    fields = [k for k in rows[0] if k not in skip]
    buf = io.StringIO()
    # "\r\n" makes the writer quote fields with a CR or an LF; each line then ends in "\n"
    writer = csv.writer(buf, lineterminator="\r\n")
    lines = []
    for values in [fields, *([row.get(k) for k in fields] for row in rows)]:
        buf.seek(0)
        buf.truncate()
        writer.writerow(["" if v is None else csv_value(v) for v in values])
        lines.append(buf.getvalue()[:-2])
    return "\n".join(lines) + "\n"


def format_value(value: Any, unit: str, lang: str = "en") -> str:
    if value is None:
        return "—"
    if unit == "rate":
        return f"{float(value):.1%}"
    if unit == "money":
        return f"{Decimal(value):,.2f}"
    if unit in ("s", "h", "points"):
        return f"{float(value):,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
