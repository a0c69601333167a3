"""Presentation helpers: which metrics a page shows, alerts, sorting, sample sizes, bars.

Nothing here computes a metric: rows come from :mod:`cskpi.core` through the gateway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..metrics.catalog import CATALOG

OVERVIEW_KEYS = ("sessions", "customers", "first_response_s", "response_s", "reply_3min_rate",
                 "satisfaction", "conversion_rate", "sales", "aov", "refund_rate",
                 "complaint_rate")
LEADERBOARD_KEYS = ("sessions", "first_response_s", "response_s", "reply_3min_rate",
                    "satisfaction", "conversion_rate", "sales", "aov", "refund_rate",
                    "complaint_rate", "late")


@dataclass(frozen=True)
class Alert:
    """A figure on the wrong side of a threshold."""

    group: str
    name: str | None
    metric: str
    value: float
    op: str
    threshold: float


def alerts(rows: Iterable[dict[str, Any]], rules: Sequence[tuple[str, str, float]],
           group_field: str = "agent_id") -> list[Alert]:
    """Every (row, rule) where the value is below (``<``) or above (``>``) the threshold."""
    out = []
    for row in rows:
        for metric, op, threshold in rules:
            value = row.get(metric)
            if value is None:
                continue
            if (op == "<" and float(value) < threshold) or (op == ">" and float(value) > threshold):
                out.append(Alert(str(row.get(group_field)), row.get("name"), metric,
                                 float(value), op, threshold))
    return out


def sample_size(row: dict[str, Any], key: str) -> Any:
    """The denominator behind a rate or mean (None for counts and sums)."""
    return row.get(f"{key}_den")


def is_small(row: dict[str, Any], key: str, min_sample: int) -> bool:
    """True when a rate or mean rests on fewer than ``min_sample`` cases."""
    n = sample_size(row, key)
    return n is not None and float(n) < min_sample


def default_order(key: str) -> str:
    """Best first: descending for higher-is-better metrics, ascending for lower."""
    metric = CATALOG.get(key)
    return "asc" if metric is not None and metric.direction == "lower" else "desc"


def sort_rows(rows: list[dict[str, Any]], key: str, order: str) -> list[dict[str, Any]]:
    """Rows by ``key``; missing values always last."""
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (r[key], str(r.get("agent_id"))), reverse=order == "desc")
    return present + missing


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    width: float
    alert: bool


def bars(rows: Sequence[dict[str, Any]], key: str, threshold: float | None,
         width: float = 600, label_field: str = "agent_id") -> list[Bar]:
    """Horizontal bars for an inline SVG chart (values scaled to the largest one)."""
    values = [float(r[key]) for r in rows if r.get(key) is not None]
    top = max(values + [threshold or 0.0, 1e-9])
    out = []
    for r in rows:
        if r.get(key) is None:
            continue
        v = float(r[key])
        out.append(Bar(str(r.get(label_field)), v, 0, width * v / top,
                       threshold is not None and v < threshold))
    return out


def threshold_x(rows: Sequence[dict[str, Any]], key: str, threshold: float,
                width: float = 600) -> float:
    """Where the threshold line of :func:`bars` sits."""
    values = [float(r[key]) for r in rows if r.get(key) is not None]
    top = max(values + [threshold, 1e-9])
    return width * threshold / top
