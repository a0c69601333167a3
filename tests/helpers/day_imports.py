"""A demo shop as CSV rows per table, cut into import folders by day: the imports of the
incremental-cache tests (tests/unit/test_incremental_metrics.py) and of the compiled-SQL
tests (tests/unit/test_compiled.py)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from cskpi.data.schema import TABLES

Rows = list[dict[str, str]]
Tables = dict[str, Rows]  # table name -> CSV rows (column -> text)
SESSION_TABLES = ("sessions", "messages", "ratings")


def day_of(ts: str) -> dt.date:
    """The local day of a demo timestamp (written as local wall-clock time)."""
    return dt.date.fromisoformat(ts[:10])


def read_tables(folder: Path) -> Tables:
    tables: Tables = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            tables[path.stem] = list(csv.DictReader(f))
    return tables


def write_tables(folder: Path, tables: Tables) -> Path:
    """One CSV per non-empty table, columns in contract order."""
    folder.mkdir(parents=True)
    for name, rows in tables.items():
        if not rows:
            continue
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=TABLES[name].column_names,
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder


def split_by_day(tables: Tables, *cuts: dt.date) -> list[Tables]:
    """Import folders cut at ``cuts`` (each the first day of the next folder).

    Sessions go by their local start day, their messages and ratings with them, orders by
    the day they were created; every other table goes in the first folder.
    """
    def part(d: dt.date) -> int:
        return sum(d >= cut for cut in cuts)

    parts: list[Tables] = [{name: [] for name in tables} for _ in range(len(cuts) + 1)]
    home: dict[str, int] = {}
    for s in tables["sessions"]:
        home[s["session_id"]] = part(day_of(s["start_ts"]))
        parts[home[s["session_id"]]]["sessions"].append(s)
    for name in ("messages", "ratings"):
        for row in tables[name]:
            parts[home[row["session_id"]]][name].append(row)
    for order in tables["orders"]:
        parts[part(day_of(order["created_ts"]))]["orders"].append(order)
    for name, rows in tables.items():
        if name not in (*SESSION_TABLES, "orders"):
            parts[0][name] = list(rows)
    return parts
