"""Rendering results as JSON, CSV or terminal tables (shared by commands)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def to_json(data: Any) -> str:
    """JSON with money as numbers and dates as ISO strings."""
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def to_csv(rows: list[dict[str, Any]], skip: tuple[str, ...] = ("reasons", "sources")) -> str:
    if not rows:
        return ""
    fields = [k for k in rows[0] if k not in skip]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in fields})
    return buf.getvalue()


def format_value(value: Any, unit: str, lang: str = "en") -> str:
    if value is None:
        return "—"
    if unit == "rate":
        return f"{float(value):.1%}"
    if unit == "money":
        return f"{Decimal(value):,.2f}"
    if unit in ("s", "h"):
        return f"{float(value):,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
