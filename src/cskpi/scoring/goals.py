"""Goals and alerts: the figures a metric is held to, and the figures past a threshold.

A goal is a scheme's target (a ``targets`` rule with a fixed value, a target item or a
target award with a number), the targets table's sales target of a row, or a platform
profile's compliance threshold; :meth:`Goal.met` says whether a row's exact figure (its
numerator over its denominator for a rate) reaches it.  An alert is a figure below or
above a threshold the app is configured with.  The web app shows both beside the
figures; nothing here formats them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ..metrics.catalog import CATALOG
from ..metrics.profiles import resolve as resolve_profile
from ..scheme import Scheme, TargetAward, TargetItem
from .score import metric_value


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


@dataclass(frozen=True)
class Goal:
    """A figure a metric is held to: a scheme's (or the targets table's) target, or a
    platform's threshold.  ``source`` names where it comes from (scheme, profile)."""

    metric: str
    value: Decimal
    kind: Literal["target", "threshold"]
    source: str
    direction: str  # higher: met when value >= goal; lower: met when value <= goal

    def met(self, row: Mapping[str, Any]) -> bool | None:
        """Whether the row's exact figure (num/den for a rate) reaches the goal."""
        value, _, _ = metric_value(row, self.metric)
        if value is None:
            return None
        return value <= self.value if self.direction == "lower" else value >= self.value


def _direction(metric: str) -> str:
    return "lower" if CATALOG[metric].direction == "lower" else "higher"


def scheme_goals(scheme: Scheme) -> list[Goal]:
    """The targets a scheme sets in numbers: ``targets`` rules with a fixed value, target
    items with a number, target awards with a number to reach.

    History and percentile rules give each agent their own target, so they are no goal
    of a team; ``target: targets`` items take theirs from the targets table.
    """
    found: list[tuple[str, Decimal]] = []
    for metric, rule in scheme.targets.items():
        if rule.method == "fixed" and rule.value is not None:
            found.append((metric, rule.value))
    for item in scheme.items:
        if isinstance(item, TargetItem) and item.target is not None:
            found.append((item.metric, item.target))
    for award in scheme.awards:
        if isinstance(award, TargetAward) and award.reach is not None:
            found.append((award.metric, award.reach))
    return [Goal(m, v, "target", scheme.name, _direction(m))
            for m, v in dict.fromkeys(found) if m in CATALOG]


def platform_goals(profile: str) -> list[Goal]:
    """The profile's compliance thresholds (each a floor, as ``cskpi compliance`` checks)."""
    prof = resolve_profile(profile)
    return [Goal(m, Decimal(str(v)), "threshold", prof.name, "higher")
            for m, v in prof.compliance.items() if m in CATALOG]


def row_goals(row: Mapping[str, Any], goals: Sequence[Goal]) -> dict[str, list[Goal]]:
    """Goals by metric for one shop, team or agent row: the general ones, plus the row's
    own sales target from the targets table (the core reports it as the denominator of
    ``target_completion``)."""
    out: dict[str, list[Goal]] = {}
    for goal in goals:
        out.setdefault(goal.metric, []).append(goal)
    den = row.get("target_completion_den")
    if den is not None:
        out.setdefault("sales", []).insert(0, Goal("sales", Decimal(str(den)), "target",
                                                   "targets", "higher"))
    return out
