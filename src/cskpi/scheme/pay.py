"""Reading the sections around the items: veto, adjustments, pay, awards, targets.

Like :mod:`cskpi.scheme.items`, these readers check shape and build models; value
rules that need the whole scheme or the caller's facts are in
:mod:`cskpi.scheme.validate`.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import cast

from .models import (
    Adjustment,
    Award,
    Base,
    Commission,
    CommissionTier,
    Direction,
    KpiBonus,
    Pay,
    RankAward,
    RankSample,
    TargetAward,
    TargetRule,
    Ties,
    Veto,
    VetoEffect,
)
from .reader import LoadContext, Reader, YMap, YNode, YScalar

DEFAULT_BONUS_FORMULA = "pool * score / max_score"
BONUS_NAMES = ("pool", "score", "max_score", "pass_ratio")
"""Names a ``kpi_bonus`` formula may use."""


def read_veto(node: YNode | None, r: Reader, ctx: LoadContext) -> list[Veto]:
    """``veto:`` entries: ``{when, effect, reason}`` or a bare condition string."""
    out: list[Veto] = []
    for entry in r.sequence(node, "veto"):
        if isinstance(entry, YScalar):
            cond = r.formula(entry, "a veto condition", ctx.condition_names, "bool")
            if cond is not None:
                out.append(Veto(cond, "score", cond.text, entry.line))
            continue
        m = r.mapping(entry, "a veto")
        if m is None:
            continue
        r.check_keys(m, ("when", "effect", "reason"), "a veto")
        when = r.require(m, "when", "a veto")
        cond = r.formula(when, "a veto condition", ctx.condition_names, "bool") if when else None
        effect = r.choice(m.get("effect"), "a veto effect", ("score", "bonus"), "score")
        reason = r.string(m.get("reason"), "a veto reason")
        if cond is not None and effect is not None:
            out.append(Veto(cond, cast(VetoEffect, effect), reason or cond.text, m.line))
    return out


def read_adjustments(node: YNode | None, r: Reader) -> list[Adjustment]:
    """``adjustments:`` entries ``{event, points: n | {min, max}, label?}``."""
    out: list[Adjustment] = []
    for entry in r.sequence(node, "adjustments"):
        m = r.mapping(entry, "an adjustment")
        if m is None:
            continue
        r.check_keys(m, ("event", "points", "label"), "an adjustment")
        event = r.string(r.require(m, "event", "an adjustment"), "an adjustment event")
        label = r.string(m.get("label"), "an adjustment label")
        points_node = r.require(m, "points", "an adjustment")
        if isinstance(points_node, YMap):
            r.check_keys(points_node, ("min", "max"), "an adjustment's points range")
            low = r.number(r.require(points_node, "min", "a points range"), "points min")
            high = r.number(r.require(points_node, "max", "a points range"), "points max")
            if event is not None and low is not None and high is not None:
                out.append(Adjustment(event, None, low, high, label, m.line))
        elif points_node is not None:
            points = r.number(points_node, "adjustment points")
            if event is not None and points is not None:
                out.append(Adjustment(event, points, None, None, label, m.line))
    return out


def read_pay(node: YNode | None, r: Reader) -> tuple[Pay | None, YNode | None]:
    """``pay:`` and, separately, its ``awards`` node (read by :func:`read_awards`)."""
    m = r.mapping(node, "pay")
    if m is None:
        return None, None
    r.check_keys(m, ("base", "kpi_bonus", "commission", "awards"), "pay")
    pay = Pay(_base(m.get("base"), r), _kpi_bonus(m.get("kpi_bonus"), r),
              _commission(m.get("commission"), r), m.line)
    return pay, m.get("awards")


def _base(node: YNode | None, r: Reader) -> Base | None:
    if node is None:
        return None
    if isinstance(node, YMap):
        r.check_keys(node, ("by_level",), "base pay")
        levels = r.mapping(r.require(node, "by_level", "base pay"), "base by_level")
        if levels is None:
            return None
        amounts = {level: r.number(n, f"base pay of level {level}")
                   for level, (_, n) in levels.entries.items()}
        if any(a is None for a in amounts.values()):
            return None
        return Base(None, MappingProxyType(cast(dict[str, Decimal], amounts)), node.line)
    amount = r.number(node, "base pay")
    return Base(amount, None, node.line) if amount is not None else None


def _kpi_bonus(node: YNode | None, r: Reader) -> KpiBonus | None:
    m = r.mapping(node, "kpi_bonus")
    if m is None:
        return None
    r.check_keys(m, ("pool", "formula", "requires_pass"), "kpi_bonus")
    pool = r.number(r.require(m, "pool", "kpi_bonus"), "the kpi_bonus pool")
    formula_node = m.get("formula") or YScalar(DEFAULT_BONUS_FORMULA, DEFAULT_BONUS_FORMULA,
                                               m.line)
    formula = r.formula(formula_node, "the kpi_bonus formula", BONUS_NAMES, "number")
    requires_pass = r.boolean(m.get("requires_pass"), "requires_pass", True)
    if pool is None or formula is None:
        return None
    return KpiBonus(pool, formula, requires_pass, m.line)


def _commission(node: YNode | None, r: Reader) -> Commission | None:
    m = r.mapping(node, "commission")
    if m is None:
        return None
    r.check_keys(m, ("rate", "tiers", "marginal", "on", "net_of_refunds"), "commission")
    on = r.string(m.get("on"), "commission 'on'") if "on" in m else "sales"
    marginal = r.boolean(m.get("marginal"), "commission marginal", False)
    net = r.boolean(m.get("net_of_refunds"), "net_of_refunds", False)
    if "rate" in m and "tiers" in m:
        r.error("many_kinds", "a commission has both 'rate' and 'tiers'", m.key_line("tiers"),
                "keep one: a flat rate or tiers of rates")
        return None
    if "rate" not in m and "tiers" not in m:
        r.error("no_kind", "a commission needs 'rate' or 'tiers'", m.line)
        return None
    if "rate" in m:
        rate = r.number(m.get("rate"), "the commission rate")
        if rate is None or on is None:
            return None
        return Commission(on, rate, (), marginal, net, m.line)
    tiers: list[CommissionTier] = []
    for entry in r.sequence(m.get("tiers"), "commission tiers"):
        t = r.mapping(entry, "a commission tier")
        if t is None:
            return None
        r.check_keys(t, ("upto", "rate"), "a commission tier")
        rate = r.number(r.require(t, "rate", "a commission tier"), "a commission tier rate")
        upto = r.number(t.get("upto"), "a commission tier 'upto'")
        if rate is None or ("upto" in t and upto is None):
            return None
        tiers.append(CommissionTier(rate, upto, t.line))
    if on is None or not tiers:
        if not tiers:
            r.error("missing_key", "commission tiers are empty", m.key_line("tiers"))
        return None
    return Commission(on, None, tuple(tiers), marginal, net, m.line)


def read_awards(node: YNode | None, r: Reader, ctx: LoadContext) -> list[Award]:
    """Rank (排名奖) and target (达标奖) awards."""
    out: list[Award] = []
    for entry in r.sequence(node, "awards"):
        m = r.mapping(entry, "an award")
        if m is None:
            continue
        kind = r.choice(r.require(m, "kind", "an award"), "an award kind", ("rank", "target"))
        award = (_rank_award(m, r, ctx) if kind == "rank"
                 else _target_award(m, r) if kind == "target" else None)
        if award is not None:
            out.append(award)
    return out


def _rank_award(m: YMap, r: Reader, ctx: LoadContext) -> RankAward | None:
    r.check_keys(m, ("kind", "metric", "top", "amount", "ties", "min_sample", "direction",
                     "label"), "a rank award")
    metric = r.string(r.require(m, "metric", "a rank award"), "a rank award metric")
    top = r.integer(r.require(m, "top", "a rank award"), "a rank award's top")
    amount = r.number(r.require(m, "amount", "a rank award"), "a rank award amount")
    ties = r.choice(m.get("ties"), "ties", ("split", "repeat"), "split")
    direction = r.choice(m.get("direction"), "a rank direction", ("higher", "lower"))
    label = r.string(m.get("label"), "an award label")
    sample: RankSample | None = None
    sample_map = r.mapping(m.get("min_sample"), "a rank award's min_sample")
    if sample_map is not None:
        r.check_keys(sample_map, ("metric", "n"), "a rank award's min_sample")
        s_metric = r.string(r.require(sample_map, "metric", "min_sample"), "min_sample metric")
        n = r.integer(r.require(sample_map, "n", "min_sample"), "min_sample n")
        if s_metric is None or n is None:
            return None
        sample = RankSample(s_metric, n, sample_map.line)
    if "direction" in m and direction is None:
        return None
    if direction is None and metric is not None and ctx.metrics is not None \
            and metric in ctx.metrics:
        direction = ctx.metrics[metric].direction
        if direction not in ("higher", "lower"):
            r.error("award_direction", f"metric {metric!r} has no better direction to rank by",
                    m.line, "add direction: higher or direction: lower")
            return None
    if metric is None or top is None or amount is None or ties is None:
        return None
    return RankAward(metric, top, amount, cast(Ties, ties), sample,
                     cast(Direction | None, direction), label, m.line)


def _target_award(m: YMap, r: Reader) -> TargetAward | None:
    r.check_keys(m, ("kind", "metric", "reach", "amount", "label"), "a target award")
    metric = r.string(r.require(m, "metric", "a target award"), "a target award metric")
    amount = r.number(r.require(m, "amount", "a target award"), "a target award amount")
    label = r.string(m.get("label"), "an award label")
    reach_node = r.require(m, "reach", "a target award")
    reach: Decimal | None = None
    if isinstance(reach_node, YScalar) and reach_node.raw == "target":
        reach = None
    elif reach_node is not None:
        reach = r.number(reach_node, "a target award's reach")
        if reach is None:
            return None
    if metric is None or amount is None or reach_node is None:
        return None
    return TargetAward(metric, amount, reach, label, m.line)


def read_targets(node: YNode | None, r: Reader) -> dict[str, TargetRule]:
    """``targets:`` per metric: history / percentile / fixed."""
    m = r.mapping(node, "targets")
    out: dict[str, TargetRule] = {}
    for metric, (_line, spec_node) in (m.entries.items() if m else ()):
        spec = r.mapping(spec_node, f"the target of {metric}")
        if spec is None:
            continue
        what = f"the target of {metric}"
        r.check_keys(spec, ("history", "percentile", "periods", "fixed"), what)
        methods = [k for k in ("history", "percentile", "fixed") if k in spec]
        if len(methods) != 1:
            r.error("no_kind" if not methods else "many_kinds",
                    f"{what} needs exactly one of history, percentile, fixed", spec.line)
            continue
        if "periods" in spec and methods[0] != "percentile":
            r.error("unknown_key", f"'periods' of {what} belongs inside history or with "
                    "percentile", spec.key_line("periods"))
            continue
        rule = _target_rule(metric, methods[0], spec, what, r)
        if rule is not None:
            out[metric] = rule
    return out


def _target_rule(metric: str, method: str, spec: YMap, what: str,
                 r: Reader) -> TargetRule | None:
    line = spec.line
    if method == "fixed":
        value = r.number(spec.get("fixed"), f"the fixed {what}")
        return TargetRule(metric, "fixed", value=value, line=line) if value is not None else None
    if method == "percentile":
        pct_node = spec.get("percentile")
        pct = r.number(pct_node, f"the percentile of {what}")
        periods = r.integer(r.require(spec, "periods", what), f"periods of {what}")
        if pct is not None and not 0 <= pct <= 100:
            r.error("bad_value", f"the percentile of {what} must be 0 to 100, not {pct}",
                    pct_node.line if pct_node else line)
            return None
        if pct is None or periods is None:
            return None
        return TargetRule(metric, "percentile", periods, percentile=pct, line=line)
    hist = r.mapping(spec.get("history"), f"history of {what}")
    if hist is None:
        return None
    r.check_keys(hist, ("periods", "uplift"), f"history of {what}")
    periods = r.integer(r.require(hist, "periods", f"history of {what}"), f"periods of {what}")
    uplift = r.number(hist.get("uplift"), f"uplift of {what}") if "uplift" in hist else Decimal(0)
    if periods is None or uplift is None:
        return None
    return TargetRule(metric, "history", periods, uplift, line=line)

