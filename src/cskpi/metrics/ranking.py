"""Metric rows ranked by one figure, best first by the catalog's direction.

The leaderboard's order: the web page and any other face that ranks agents by a metric
call these, so "best" means the same everywhere (lower is better for response times,
refund and complaint rates; higher for the rest).
"""

from __future__ import annotations

from typing import Any

from .catalog import CATALOG


def default_order(key: str) -> str:
    """Best first: descending for higher-is-better metrics, ascending for lower."""
    metric = CATALOG.get(key)
    return "asc" if metric is not None and metric.direction == "lower" else "desc"


def sort_rows(rows: list[dict[str, Any]], key: str, order: str) -> list[dict[str, Any]]:
    """Rows by ``key`` (ties by agent ID); missing values always last."""
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (r[key], str(r.get("agent_id"))), reverse=order == "desc")
    return present + missing
