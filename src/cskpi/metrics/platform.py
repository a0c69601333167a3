"""Imported platform figures (``agent_metrics``): combined over days and groups by what
they are, then merged into the computed rows.

Counts, money and hours add up.  A rate or mean is recombined weighted by the count the
export gives beside it (its basis: satisfaction by rated sessions, conversion by
inquiring customers …) and carries that as ``_num``/``_den``; AOV is sales / paying
customers.  Nothing is summed or averaged blindly: a rate whose basis is missing on some
day is the mean of its days, and the row's reasons say so.  Each metric's rule is its
catalog entry's :attr:`~cskpi.metrics.catalog.Metric.platform`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..data.schema import AGENT_METRIC_COLUMNS
from .catalog import CATALOG
from .rows import GROUP_FIELD, money


@dataclass
class Imported:
    """One imported figure of a group and period."""

    value: Any
    num: Any = None  # rates and means: the weighted sum and its basis
    den: Any = None
    note: str | None = None  # how it was combined, when not as its rule says


def combine(rows: Iterable[Mapping[str, Any]], periods: list[tuple[dt.date, dt.date, dt.date]],
            by: str, team_of: Mapping[str, Any]) -> dict[tuple[Any, dt.date], dict[str, Imported]]:
    """The platform's daily rows combined per (group, period key)."""
    days: dict[tuple[Any, dt.date], list[Mapping[str, Any]]] = defaultdict(list)
    first, last = periods[0][1], periods[-1][2]
    for row in rows:
        d = row["date"]
        if d < first or d > last:
            continue
        key = next(k for k, s, e in periods if s <= d <= e)
        group = {"agent": row["agent_id"], "team": team_of.get(row["agent_id"]),
                 "shop": "shop"}[by]
        days[(group, key)].append(row)
    return {gk: _combine_days(rows_) for gk, rows_ in days.items()}


def _combine_days(rows: list[Mapping[str, Any]]) -> dict[str, Imported]:
    out: dict[str, Imported] = {}
    for metric in AGENT_METRIC_COLUMNS:
        rule = CATALOG[metric].platform
        values = [r for r in rows if r.get(metric) is not None]
        if not values or rule is None:
            continue
        unit = CATALOG[metric].unit
        if rule.how == "sum":
            total = sum((Decimal(str(r[metric])) for r in values), Decimal(0))
            out[metric] = Imported(money(total) if unit == "money" else
                                   int(total) if unit == "count" else float(total))
            continue
        if rule.how == "ratio":
            assert rule.num and rule.den
            pairs = [r for r in rows if r.get(rule.num) is not None
                     and r.get(rule.den) is not None]
            if len(pairs) == len(values):
                num = money(sum((Decimal(str(r[rule.num])) for r in pairs), Decimal(0)))
                den = int(sum(Decimal(str(r[rule.den])) for r in pairs))
                value = money(num / den) if den else None
                out[metric] = Imported(value, num, den,
                                       None if den else f"no basis: {rule.den} is 0")
                continue
        elif rule.basis is not None and all(r.get(rule.basis) is not None for r in values):
            num = sum(float(r[metric]) * float(r[rule.basis]) for r in values)
            den = int(sum(Decimal(str(r[rule.basis])) for r in values))
            out[metric] = Imported(num / den if den else None, num, den,
                                   None if den else f"no basis: {rule.basis} is 0")
            continue
        # no count beside it on some day: the mean of the days, said so
        mean = sum(float(r[metric]) for r in values) / len(values)
        basis = rule.basis or rule.den
        note = (f"imported: mean of {len(values)} days (the export has no {basis} beside it "
                "on every day)") if basis else (
                f"imported: mean of {len(values)} days (the export gives no count to weigh "
                "it by)")
        out[metric] = Imported(money(mean) if unit == "money" else mean, None, None, note)
    return out


def merge(row: dict[str, Any], imported: Mapping[str, Imported] | None, by: str,
          differences: list[dict[str, Any]]) -> None:
    """Fill the figures the data could not compute from the platform's; where both exist
    and disagree, record the difference in the row and in ``differences``."""
    row.setdefault("differences", [])
    if not imported:
        return
    sources = row.setdefault("sources", {})
    notes = row.setdefault("notes", {})
    for metric, fig in imported.items():
        computed = row.get(metric)
        if computed is None:
            if fig.value is None:
                continue
            row[metric] = fig.value
            row["reasons"].pop(metric, None)
            row.get("reason_codes", {}).pop(metric, None)
            sources[metric] = "imported"
            if CATALOG[metric].is_rate:
                row[f"{metric}_num"], row[f"{metric}_den"] = fig.num, fig.den
            if fig.note:
                notes[metric] = fig.note
        elif fig.value is not None and not _same(computed, fig.value):
            diff = {"metric": metric, "computed": computed, "imported": fig.value}
            row["differences"].append(diff)
            differences.append({GROUP_FIELD[by]: row[GROUP_FIELD[by]],
                                "period_start": row["period_start"],
                                "period_end": row["period_end"], **diff})
    if not notes:
        row.pop("notes")


def _same(a: Any, b: Any) -> bool:
    x, y = float(a), float(b)
    return abs(x - y) <= max(1e-6, 1e-4 * abs(y))
