"""Rules a built scheme must follow, checked all at once.

These run on the models (every part carries its YAML line) together with the facts
the caller handed to the loader: metric keys with unit and direction, event kinds
and the agent roster.  Each broken rule becomes an issue; nothing raises.

Metric values are taken to be non-negative and rates to lie in 0..1; that is how a
set of tiers is judged to cover every value (see :func:`check_tiers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .limits import LIMITS_HINT, NUMBER_LIMIT, size_text
from .models import (
    Commission,
    GradeItem,
    Item,
    LinearItem,
    PerItem,
    RankAward,
    Scheme,
    TargetAward,
    TargetItem,
    Tier,
    TiersItem,
)
from .reader import LoadContext, Reader


def validate_scheme(scheme: Scheme, r: Reader, ctx: LoadContext) -> None:
    """Check every rule of a built scheme, recording issues in ``r``."""
    if scheme.max_score.copy_abs() >= NUMBER_LIMIT:
        r.error("number_range", f"the items' max points add up to {size_text(scheme.max_score)}"
                "; the maximum score must be below 10^15", scheme.line, LIMITS_HINT)
    first_line: dict[str, int] = {}
    for item in scheme.items:
        if item.key in first_line:
            r.error("duplicate_item", f"item key {item.key!r} is used twice", item.line,
                    f"the first one is at line {first_line[item.key]}")
        else:
            first_line[item.key] = item.line
        check_item(item, r, ctx)
    for adj in scheme.adjustments:
        _check_event(adj.event, "an adjustment", adj.line, r, ctx)
        if adj.min_points is not None and adj.max_points is not None \
                and adj.min_points > adj.max_points:
            r.error("adjustment_range", f"the points range of {adj.event!r} has min "
                    f"{adj.min_points} above max {adj.max_points}", adj.line,
                    "write {min: LOW, max: HIGH}")
    for award in scheme.awards:
        _check_award(award, r, ctx)
    if scheme.pay is not None:
        if scheme.pay.kpi_bonus is not None and scheme.pay.kpi_bonus.pool < 0:
            r.error("bad_value", "the kpi_bonus pool is negative", scheme.pay.kpi_bonus.line)
        if scheme.pay.commission is not None:
            _check_commission(scheme.pay.commission, r, ctx)
    for rule in scheme.targets.values():
        _check_metric(rule.metric, "a target", rule.line, r, ctx)
    if ctx.roster is not None:
        _check_roster(scheme, ctx.roster, r)


def _check_metric(metric: str, what: str, line: int, r: Reader, ctx: LoadContext) -> bool:
    """Whether ``metric`` is known (always true when the caller gave no metrics)."""
    if ctx.metrics is None or metric in ctx.metrics:
        return True
    r.error("unknown_metric", f"{what} uses unknown metric {metric!r}", line,
            r.hint(sorted(ctx.metrics), metric))
    return False


def _check_event(name: str, what: str, line: int, r: Reader, ctx: LoadContext) -> None:
    if name not in ctx.event_kinds:
        r.error("unknown_event", f"{what} uses unknown event kind {name!r}", line,
                r.hint(ctx.event_kinds, name))


def _points(points: Decimal, item: Item, what: str, line: int, r: Reader) -> None:
    if item.max >= 0 and not 0 <= points <= item.max:
        r.error("points_range", f"{what} gives {points} points, outside 0..{item.max} "
                f"(the max of item {item.key!r})", line)


def check_item(item: Item, r: Reader, ctx: LoadContext) -> None:
    """The value rules of one item."""
    if item.max < 0:  # points checks are skipped for this item: every value would fail
        r.error("negative_max", f"item {item.key!r} has a negative max ({item.max})", item.line)
    direction: str | None = None
    if isinstance(item, TiersItem | LinearItem | TargetItem):
        what = f"item {item.key!r}"
        if _check_metric(item.metric, what, item.line, r, ctx) and ctx.metrics is not None:
            direction = ctx.metrics[item.metric].direction
    if item.min_sample is not None:
        sample = item.min_sample
        if sample.metric is not None:
            _check_metric(sample.metric, f"min_sample of {item.key!r}", sample.line, r, ctx)
        if sample.neutral is not None:
            _points(sample.neutral, item, "the neutral fallback", sample.line, r)
    if isinstance(item, TiersItem):
        unit = ctx.metrics[item.metric].unit if direction is not None and ctx.metrics else None
        check_tiers(item, unit, direction, r)
    elif isinstance(item, LinearItem):
        if item.worst == item.best:
            r.error("linear_range", f"item {item.key!r}: 'from' and 'to' are equal "
                    f"({item.worst})", item.line, "from: the worst value, to: the best value")
        elif (direction == "higher") == (item.worst > item.best) and direction in (
                "higher", "lower"):
            _direction_warning(item, direction, r)
    elif isinstance(item, TargetItem):
        if direction == "lower":
            _direction_warning(item, direction, r)
    elif isinstance(item, GradeItem):
        for grade, points in item.grades.items():
            _points(points, item, f"grade {grade}", item.line, r)
    elif isinstance(item, PerItem):
        _check_per(item, r)


def _direction_warning(item: Item, direction: str, r: Reader) -> None:
    r.warning("direction_mismatch", f"item {item.key!r} scores its metric as if "
              f"{'lower' if direction == 'higher' else 'higher'} were better, but "
              f"{direction} is better", item.line,
              "tiers: 'max' bounds for lower-is-better, 'min' for higher-is-better; "
              "linear: from the worst value to the best")


def _check_per(item: PerItem, r: Reader) -> None:
    if item.max < 0:
        return
    if item.min is not None and item.min > item.max:
        r.error("points_range", f"item {item.key!r}: min {item.min} is above max {item.max}",
                item.line)
    elif not (item.min if item.min is not None else item.start) <= item.start <= item.max:
        r.error("points_range", f"item {item.key!r} starts at {item.start}, outside "
                f"{item.min if item.min is not None else '…'}..{item.max}", item.line)


def check_tiers(item: TiersItem, unit: str | None, direction: str | None, r: Reader) -> None:
    """Order, overlap, gaps and points of tiers (first match wins).

    ``max`` tiers need increasing bounds; ``min`` tiers decreasing ones.  Without a
    final catch-all ``{points: p}`` the last bound must reach the end of the metric's
    range (1 for a rate, 0 for ``min`` tiers), else some values match no tier.
    """
    kinds = {"max" if t.max is not None else "min" for t in item.tiers if not t.is_catch_all}
    bounded = [t for t in item.tiers if not t.is_catch_all]
    if len(kinds) > 1:
        odd = next(t for t in bounded if (t.max is None) != (bounded[0].max is None))
        r.error("tier_mixed", f"item {item.key!r} mixes 'max' and 'min' tiers", odd.line,
                "use 'max' bounds (lower is better) or 'min' bounds (higher is better)")
    for tier in item.tiers:
        _points(tier.points, item, "a tier", tier.line, r)
    catch_all = next((i for i, t in enumerate(item.tiers) if t.is_catch_all), None)
    if catch_all is not None and catch_all < len(item.tiers) - 1:
        r.error("tier_overlap", f"item {item.key!r}: tiers after the catch-all at line "
                f"{item.tiers[catch_all].line} never match", item.tiers[catch_all + 1].line,
                "put the catch-all {points: p} last")
    if len(kinds) != 1:
        return
    upper = kinds == {"max"}
    _check_bounds(item, bounded, upper, r)
    if catch_all is None and bounded:
        last = bounded[-1].bound
        assert last is not None
        covered = last >= 1 and unit == "rate" if upper else last <= 0
        if not covered:
            side = f"above {last}" if upper else f"below {last}"
            r.error("tier_gap", f"item {item.key!r}: values {side} match no tier",
                    bounded[-1].line, "add a final catch-all tier such as {points: 0}")
    if direction in ("higher", "lower") and upper == (direction == "higher"):
        _direction_warning(item, direction, r)
    ordered = [t.points for t in item.tiers]
    if any(b > a for a, b in zip(ordered, ordered[1:], strict=False)):
        r.warning("tier_points_order", f"item {item.key!r}: a worse tier gives more points "
                  "than a better one", item.line, "tiers go from the best values to the worst")


def _check_bounds(item: TiersItem, bounded: Sequence[Tier], upper: bool, r: Reader) -> None:
    for prev, tier in zip(bounded, bounded[1:], strict=False):
        a, b = prev.bound, tier.bound
        assert a is not None and b is not None
        if a == b:
            r.error("tier_overlap", f"item {item.key!r}: two tiers have the bound {b}; the "
                    "second never matches", tier.line)
        elif (b < a) if upper else (b > a):
            r.error("tier_order", f"item {item.key!r}: bound {b} comes after {a}; "
                    f"{'max' if upper else 'min'} bounds must "
                    f"{'increase' if upper else 'decrease'} (first match wins)", tier.line,
                    "list the tiers from the best values to the worst")


def _check_award(award: RankAward | TargetAward, r: Reader, ctx: LoadContext) -> None:
    _check_metric(award.metric, f"a {award.kind} award", award.line, r, ctx)
    if award.amount < 0:
        r.error("bad_value", f"a {award.kind} award has a negative amount", award.line)
    if isinstance(award, RankAward) and award.min_sample is not None:
        _check_metric(award.min_sample.metric, "a rank award's min_sample",
                      award.min_sample.line, r, ctx)


def _check_commission(c: Commission, r: Reader, ctx: LoadContext) -> None:
    if _check_metric(c.on, "the commission", c.line, r, ctx) and ctx.metrics is not None \
            and ctx.metrics[c.on].unit != "money":
        r.warning("unit_mismatch", f"the commission is on {c.on!r}, which is not money",
                  c.line)
    rates = [(c.rate, c.line)] if c.rate is not None else [(t.rate, t.line) for t in c.tiers]
    for rate, line in rates:
        if not 0 <= rate <= 1:
            r.error("bad_value", f"a commission rate must be between 0 and 1, not {rate}", line,
                    "2 % is written 0.02")
    bounded = [t for t in c.tiers if t.upto is not None]
    for prev, tier in zip(bounded, bounded[1:], strict=False):
        assert prev.upto is not None and tier.upto is not None
        if tier.upto <= prev.upto:
            code = "tier_overlap" if tier.upto == prev.upto else "tier_order"
            r.error(code, f"commission tier 'upto' {tier.upto} does not increase after "
                    f"{prev.upto}", tier.line)
    open_tiers = [i for i, t in enumerate(c.tiers) if t.upto is None]
    if c.tiers and not open_tiers:
        r.error("tier_gap", "commission tiers end without an open tier for amounts above "
                f"{c.tiers[-1].upto}", c.tiers[-1].line, "finish with {rate: R}")
    elif open_tiers and open_tiers[0] != len(c.tiers) - 1:
        r.error("tier_overlap", "commission tiers after the open tier never apply",
                c.tiers[open_tiers[0] + 1].line, "put the tier without 'upto' last")


def _check_roster(scheme: Scheme, roster: Sequence[Mapping[str, Any]], r: Reader) -> None:
    covered = [a for a in roster if scheme.applies_to.matches(a)]
    line = scheme.applies_to.line or scheme.line
    ids = {str(a.get("agent_id")) for a in roster}
    for agent_id in scheme.applies_to.agents:
        if agent_id not in ids:
            r.warning("unknown_agent", f"applies_to names agent {agent_id!r}, who is not in "
                      "the roster", line)
    if not covered:
        parts = []
        for key in ("role", "team", "level"):
            values = sorted({str(a[key]) for a in roster if a.get(key) is not None})
            if values:
                parts.append(f"{key}s: {', '.join(values)}")
        r.error("applies_to_nobody", "applies_to matches no agent of the roster", line,
                "the roster has " + ("; ".join(parts) if parts else "no agents"))
        return
    base = scheme.pay.base if scheme.pay is not None else None
    if base is not None and base.by_level is not None:
        missing = sorted({str(a.get("level")) for a in covered
                          if base.for_level(str(a.get("level"))) is None})
        if missing:
            r.error("missing_level", f"base pay has no amount for level {', '.join(missing)}",
                    base.line, "add them under by_level")
