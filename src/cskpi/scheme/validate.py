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

from .formula import Formula
from .limits import NUMBER_LIMIT, limits_hint, size_text
from .models import (
    Commission,
    FormulaAward,
    FormulaItem,
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
from .texts import Msg, key_of, phrase, what


def validate_scheme(scheme: Scheme, r: Reader, ctx: LoadContext) -> None:
    """Check every rule of a built scheme, recording issues in ``r``."""
    if scheme.max_score.copy_abs() >= NUMBER_LIMIT:
        r.error("number_range", scheme.line, variant="max_score", hint=limits_hint(),
                size=size_text(scheme.max_score))
    first_line: dict[str, int] = {}
    for item in scheme.items:
        if item.key in first_line:
            r.error("duplicate_item", item.line, key=item.key, first=first_line[item.key])
        else:
            first_line[item.key] = item.line
        check_item(item, r, ctx)
    for adj in scheme.adjustments:
        _check_event(adj.event, what("adjustment"), adj.line, r, ctx)
        if adj.min_points is not None and adj.max_points is not None \
                and adj.min_points > adj.max_points:
            r.error("adjustment_range", adj.line, event=adj.event, min=str(adj.min_points),
                    max=str(adj.max_points))
    for award in scheme.awards:
        if not isinstance(award, FormulaAward):
            _check_award(award, r, ctx)
    if scheme.pay is not None:
        bonus = scheme.pay.kpi_bonus
        if bonus is not None and bonus.pool < 0:
            r.error("bad_value", bonus.line, variant="negative", what=what("kpi_bonus_pool"))
        if bonus is not None and bonus.cap is not None and bonus.cap < 0:
            r.error("bad_value", bonus.line, variant="negative", what=what("kpi_bonus_cap"))
        if scheme.pay.commission is not None:
            _check_commission(scheme.pay.commission, r, ctx)
    for rule in scheme.targets.values():
        _check_metric(rule.metric, what("target_of", metric=rule.metric), rule.line, r, ctx)
    check_levels(scheme, r)
    check_order(scheme, r)
    if not scheme.items and (scheme.pass_ratio is not None or scheme.levels):
        r.error("missing_key", scheme.line, variant="items_for",
                what=what("levels") if scheme.levels else key_of("pass_ratio", what("scheme")))
    if ctx.roster is not None:
        _check_roster(scheme, ctx.roster, r)


def check_levels(scheme: Scheme, r: Reader) -> None:
    """Levels: unique names, ``min_ratio`` decreasing (first match wins), the band without
    one last, factors not negative."""
    seen: dict[str, int] = {}
    previous: Decimal | None = None
    for index, level in enumerate(scheme.levels):
        if level.name in seen:
            r.error("duplicate_key", level.line, variant="level", name=level.name,
                    first=seen[level.name])
        seen.setdefault(level.name, level.line)
        if level.factor < 0:
            r.error("bad_value", level.line, variant="negative",
                    what=what("level_named", name=level.name))
        if level.min_ratio is None:
            if index != len(scheme.levels) - 1:
                r.error("tier_overlap", scheme.levels[index + 1].line, variant="level",
                        name=level.name)
            continue
        if level.min_ratio < 0:
            r.error("bad_value", level.line, variant="negative",
                    what=what("level_named", name=level.name))
        if previous is not None and level.min_ratio >= previous:
            r.error("tier_order", level.line, variant="level", name=level.name,
                    bound=str(level.min_ratio), after=str(previous))
        previous = level.min_ratio


BEFORE_SCORE = frozenset({"team", "shop", "team_avg"})


def check_order(scheme: Scheme, r: Reader) -> None:
    """Each formula may only use what scoring has resolved before it: items, tier bounds and
    veto conditions come before the score (so not ``team('score')`` …) and before the
    level (so not ``streak()``); pay formulas come after both.  A formula that reads
    what depends on it is a ``formula_cycle``; ``level_factor`` needs levels, and a shop
    pool has no team."""
    early: list[tuple[Msg, int, Formula]] = []
    for item in scheme.items:
        it = what("item", key=item.key)
        if isinstance(item, FormulaItem):
            early.append((it, item.line, item.formula))
        if isinstance(item, TiersItem):
            early += [(it, t.line, b) for t in item.tiers if isinstance(b := t.bound, Formula)]
    early += [(what("veto"), v.line, v.condition) for v in scheme.veto]
    for user, line, formula in early:
        for lookup in sorted(formula.lookups, key=lambda x: x.name):
            if lookup.func == "streak" or (lookup.func in BEFORE_SCORE and lookup.key == "score"):
                needs = "level" if lookup.func == "streak" else "score"
                r.error("formula_cycle", line, variant=needs, what=user, lookup=lookup.name)
    late: list[tuple[Msg, int, Formula]] = []
    if scheme.pay is not None and scheme.pay.kpi_bonus is not None:
        late.append((what("kpi_bonus"), scheme.pay.kpi_bonus.line, scheme.pay.kpi_bonus.formula))
    late += [(what("formula_award"), a.line, a.amount) for a in scheme.awards
             if isinstance(a, FormulaAward)]
    for user, line, formula in late:
        if "level_factor" in formula.names and not scheme.levels:
            r.error("unknown_name", line, variant="level_factor", what=user)
    for pool in scheme.pay.pools if scheme.pay is not None else ():
        if pool.per == "shop":
            for lookup in pool.amount.lookups:
                if lookup.func in ("team", "team_avg"):
                    r.error("pool_scope", pool.line, label=pool.label, lookup=lookup.name)


def _check_metric(metric: str, user: Msg, line: int, r: Reader, ctx: LoadContext) -> bool:
    """Whether ``metric`` is known (always true when the caller gave no metrics)."""
    if ctx.metrics is None or metric in ctx.metrics:
        return True
    r.error("unknown_metric", line, hint=r.hint(sorted(ctx.metrics), metric), what=user,
            metric=metric)
    return False


def _check_event(name: str, user: Msg, line: int, r: Reader, ctx: LoadContext) -> None:
    if name not in ctx.event_kinds:
        r.error("unknown_event", line, what=user, name=name,
                hint=phrase("hint.declare_event", valid=r.hint(ctx.event_kinds, name),
                            kind=name))


def _points(points: Decimal, item: Item, part: Msg, line: int, r: Reader) -> None:
    top = item.own_max
    if top >= 0 and not 0 <= points <= top:
        r.error("points_range", line, what=part, points=str(points), max=str(top),
                key=item.key)


def check_item(item: Item, r: Reader, ctx: LoadContext) -> None:
    """The value rules of one item."""
    it = what("item", key=item.key)
    if item.max < 0:  # points checks are skipped for this item: every value would fail
        r.error("negative_max", item.line, key=item.key, max=str(item.max))
    direction: str | None = None
    if isinstance(item, TiersItem | LinearItem | TargetItem):
        if _check_metric(item.metric, it, item.line, r, ctx) and ctx.metrics is not None:
            direction = ctx.metrics[item.metric].direction
    if item.min_sample is not None:
        sample = item.min_sample
        if sample.metric is not None:
            _check_metric(sample.metric, what("min_sample_of", key=item.key), sample.line, r,
                          ctx)
        if sample.neutral is not None:
            _points(sample.neutral, item, what("neutral_fallback"), sample.line, r)
    if isinstance(item, TiersItem):
        unit = ctx.metrics[item.metric].unit if direction is not None and ctx.metrics else None
        check_tiers(item, unit, direction, r)
    elif isinstance(item, LinearItem):
        if item.worst == item.best:
            r.error("linear_range", item.line, key=item.key, value=str(item.worst))
        elif (direction == "higher") == (item.worst > item.best) and direction in (
                "higher", "lower"):
            _direction_warning(item, direction, r)
    elif isinstance(item, GradeItem):
        for grade, points in item.grades.items():
            _points(points, item, what("grade", grade=grade), item.line, r)
    elif isinstance(item, PerItem):
        _check_per(item, r)


def _direction_warning(item: Item, direction: str, r: Reader) -> None:
    r.warning("direction_mismatch", item.line, variant=direction, key=item.key)


def _check_per(item: PerItem, r: Reader) -> None:
    top = item.own_max
    if top < 0:
        return
    if item.min is not None and item.min > top:
        r.error("points_range", item.line, variant="min_max", key=item.key,
                min=str(item.min), max=str(top))
    elif not (item.min if item.min is not None else item.start) <= item.start <= top:
        r.error("points_range", item.line, variant="start", key=item.key,
                start=str(item.start), min=str(item.min) if item.min is not None else "…",
                max=str(top))


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
        r.error("tier_mixed", odd.line, key=item.key)
    for tier in item.tiers:
        _points(tier.points, item, what("a_tier"), tier.line, r)
    catch_all = next((i for i, t in enumerate(item.tiers) if t.is_catch_all), None)
    if catch_all is not None and catch_all < len(item.tiers) - 1:
        r.error("tier_overlap", item.tiers[catch_all + 1].line, variant="catch_all",
                key=item.key, at=item.tiers[catch_all].line)
    if len(kinds) != 1:
        return
    upper = kinds == {"max"}
    _check_bounds(item, bounded, upper, r)
    last = bounded[-1].fixed_bound if bounded else None
    if catch_all is None and last is not None:  # a formula bound: judged per agent
        covered = last >= 1 and unit == "rate" if upper else last <= 0
        if not covered:
            r.error("tier_gap", bounded[-1].line, variant="above" if upper else "below",
                    key=item.key, bound=str(last))
    if direction in ("higher", "lower") and upper == (direction == "higher"):
        _direction_warning(item, direction, r)
    ordered = [t.points for t in item.tiers]
    if any(b > a for a, b in zip(ordered, ordered[1:], strict=False)):
        r.warning("tier_points_order", item.line, key=item.key)


def _check_bounds(item: TiersItem, bounded: Sequence[Tier], upper: bool, r: Reader) -> None:
    """Numeric bounds in order (a formula bound is computed per agent, not checked here)."""
    for prev, tier in zip(bounded, bounded[1:], strict=False):
        a, b = prev.fixed_bound, tier.fixed_bound
        if a is None or b is None:
            continue
        if a == b:
            r.error("tier_overlap", tier.line, key=item.key, bound=str(b))
        elif (b < a) if upper else (b > a):
            r.error("tier_order", tier.line, variant="max" if upper else "min", key=item.key,
                    bound=str(b), after=str(a))


def _check_award(award: RankAward | TargetAward, r: Reader, ctx: LoadContext) -> None:
    user = what(f"{award.kind}_award")
    _check_metric(award.metric, user, award.line, r, ctx)
    if award.amount < 0:
        r.error("bad_value", award.line, variant="negative", what=user)
    if isinstance(award, RankAward) and award.min_sample is not None:
        _check_metric(award.min_sample.metric, user, award.min_sample.line, r, ctx)


def _check_commission(c: Commission, r: Reader, ctx: LoadContext) -> None:
    if _check_metric(c.on, what("commission"), c.line, r, ctx) and ctx.metrics is not None \
            and ctx.metrics[c.on].unit != "money":
        r.warning("unit_mismatch", c.line, metric=c.on)
    rates = [(c.rate, c.line)] if c.rate is not None else [(t.rate, t.line) for t in c.tiers]
    rates += [(b.rate, b.line) for b in c.of_target]
    for rate, line in rates:
        if not 0 <= rate <= 1:
            r.error("bad_value", line, variant="rate", value=str(rate))
    for prev, bracket in zip(c.of_target, c.of_target[1:], strict=False):
        if bracket.start <= prev.start:
            r.error("tier_order", bracket.line, variant="bracket", bound=str(bracket.start),
                    after=str(prev.start))
    if c.of_target and c.of_target[0].start < 0:
        r.error("bad_value", c.of_target[0].line, variant="negative",
                what=what("bracket"))
    bounded = [t for t in c.tiers if t.upto is not None]
    for prev, tier in zip(bounded, bounded[1:], strict=False):
        assert prev.upto is not None and tier.upto is not None
        if tier.upto <= prev.upto:
            code = "tier_overlap" if tier.upto == prev.upto else "tier_order"
            r.error(code, tier.line, variant="upto", upto=str(tier.upto), after=str(prev.upto))
    open_tiers = [i for i, t in enumerate(c.tiers) if t.upto is None]
    if c.tiers and not open_tiers:
        r.error("tier_gap", c.tiers[-1].line, variant="commission", upto=str(c.tiers[-1].upto))
    elif open_tiers and open_tiers[0] != len(c.tiers) - 1:
        r.error("tier_overlap", c.tiers[open_tiers[0] + 1].line, variant="open")


def _check_roster(scheme: Scheme, roster: Sequence[Mapping[str, Any]], r: Reader) -> None:
    covered = [a for a in roster if scheme.applies_to.matches(a)]
    line = scheme.applies_to.line or scheme.line
    ids = {str(a.get("agent_id")) for a in roster}
    for agent_id in scheme.applies_to.agents:
        if agent_id not in ids:
            r.warning("unknown_agent", line, agent=agent_id)
    if not covered:
        parts = []
        for key in ("role", "team", "level"):
            values = sorted({str(a[key]) for a in roster if a.get(key) is not None})
            if values:
                parts.append(phrase(f"roster.{key}s", values=", ".join(values)))
        r.error("applies_to_nobody", line,
                hint=phrase("hint.roster", parts=parts) if parts else phrase("hint.no_agents"))
        return
    base = scheme.pay.base if scheme.pay is not None else None
    if base is not None and base.by_level is not None:
        missing = sorted({str(a.get("level")) for a in covered
                          if base.for_level(str(a.get("level"))) is None})
        if missing:
            r.error("missing_level", base.line, levels=", ".join(missing))
