"""Imported events and complaints: the stable key that names each, and the corrections
entered elsewhere (an upheld appeal in the web app) that scoring applies to them.

Keys:

- a complaint is named by its ``complaint_id`` (the complaints table's key);
- the events table has no key (two identical rows may be two real events), so an event is
  named by what it says: a digest of its agent, local time (to the second), kind, points
  and note, with its place among the identical rows of the month (``e3f0c1…-1``, then
  ``-2`` for a second row alike).  Importing the same rows again, or replacing the table
  with a file that still holds them, gives the same keys; a row whose content is changed
  in the data is another event, and a correction of the old one no longer applies.

A correction (plain data, as scoring is given entries) names the row it corrects:
``{"corrects": "events" | "complaints", "key": KEY, "agent_id", "date", "kind",
"points", "cancelled"}``.  A cancelled row does not count (a complaint is then as one not
verified, so a complaint event naming it does not count either); otherwise the row counts
with the correction's points instead of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

EVENTS, COMPLAINTS = "events", "complaints"
TABLES = (EVENTS, COMPLAINTS)
"""The imported tables whose rows may be corrected."""
DIGEST_CHARS = 16
"""Hex digits of an event's content digest kept in its key (64 bits)."""


def _points_text(value: Any) -> str:
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    return f"{number:f}"


def _time_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return "" if value is None else str(value).replace("T", " ")[:19]


def event_digest(row: Mapping[str, Any]) -> str:
    """The digest of an imported event's content (agent, local time, kind, points, note)."""
    content = [str(row.get("agent_id") or ""), _time_text(row.get("ts_local")),
               str(row.get("kind") or ""), _points_text(row.get("points")),
               str(row.get("note") or "")]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def keyed_events(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A month's imported events, each with its ``key`` (see the module's docstring)."""
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        digest = event_digest(row)
        seen[digest] = seen.get(digest, 0) + 1
        out.append({**row, "key": f"{digest}-{seen[digest]}"})
    return out


def keyed_complaints(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The complaints, each with its ``key`` (its complaint id)."""
    return [{**row, "key": str(row.get("complaint_id"))} for row in rows]


def is_correction(entry: Mapping[str, Any]) -> bool:
    """Whether an entry given to scoring corrects an imported row (rather than adds one)."""
    return entry.get("corrects") in TABLES


def apply_corrections(events: Sequence[Mapping[str, Any]],
                      complaints: Sequence[Mapping[str, Any]] | None,
                      corrections: Iterable[Mapping[str, Any]],
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """The imported events and complaints (keyed) as the corrections leave them."""
    by_key = {(c["corrects"], str(c["key"])): c for c in corrections}

    def corrected(table: str, row: dict[str, Any]) -> dict[str, Any] | None:
        fix = by_key.get((table, str(row["key"])))
        if fix is None:
            return row
        if fix.get("cancelled"):
            return None if table == EVENTS else {**row, "verified": False}
        return {**row, "points": fix.get("points")}

    kept = [r for r in (corrected(EVENTS, dict(e)) for e in events) if r is not None]
    if complaints is None:
        return kept, None
    return kept, [r for r in (corrected(COMPLAINTS, dict(c)) for c in complaints)
                  if r is not None]
