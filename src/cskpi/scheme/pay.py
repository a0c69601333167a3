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
    CANCELLABLE,
    Adjustment,
    Award,
    Base,
    Commission,
    CommissionTier,
    Direction,
    EventKind,
    FormulaAward,
    KpiBonus,
    Level,
    Pay,
    Pool,
    PoolScope,
    PoolSplit,
    RankAward,
    RankSample,
    TargetAward,
    TargetBracket,
    TargetRule,
    Ties,
    Veto,
    VetoEffect,
)
from .reader import LoadContext, Reader, YMap, YNode, YScalar
from .texts import Msg, key_of, what

DEFAULT_BONUS_FORMULA = "pool * score / max_score"
PAY_NAMES = ("score", "max_score", "pass_ratio", "level_factor", "sales")
"""Names a pay formula may use (besides lookups): the agent's score and level."""
BONUS_NAMES = ("pool", *PAY_NAMES)
"""Names a ``kpi_bonus`` formula may use."""
POOL_KEYS = ("label", "per", "amount", "split", "requires_pass")


def read_veto(node: YNode | None, r: Reader, ctx: LoadContext) -> list[Veto]:
    """``veto:`` entries: ``{when, cancels: [...], reason}`` (or the older ``effect``), or a
    bare condition string (it cancels everything)."""
    out: list[Veto] = []
    veto = what("veto")
    condition = key_of("when", veto)
    for entry in r.sequence(node, what("vetoes")):
        if isinstance(entry, YScalar):
            cond = r.formula(entry, condition, ctx.condition_names, "bool", ctx.lookups)
            if cond is not None:
                out.append(Veto(cond, "score", cond.text, entry.line))
            continue
        m = r.mapping(entry, veto)
        if m is None:
            continue
        r.check_keys(m, ("when", "effect", "reason", "cancels"), veto)
        when = r.require(m, "when", veto)
        cond = r.formula(when, condition, ctx.condition_names, "bool",
                         ctx.lookups) if when else None
        effect = r.choice(m.get("effect"), key_of("effect", veto), ("score", "bonus"), "score")
        reason = r.string(m.get("reason"), key_of("reason", veto))
        cancels = _cancels(m, veto, r)
        if cond is not None and effect is not None and cancels is not None:
            if "cancels" not in m:
                cancels = frozenset(CANCELLABLE) if effect == "score" else frozenset(
                    ("kpi_bonus",))
            effect = "score" if "score" in cancels else "bonus"
            out.append(Veto(cond, cast(VetoEffect, effect), reason or cond.text, m.line,
                            cancels))
    return out


def _cancels(m: YMap, veto: Msg, r: Reader) -> frozenset[str] | None:
    """What a veto cancels (``cancels: [kpi_bonus, commission, awards]``)."""
    node = m.get("cancels")
    if node is None:
        return frozenset()
    if "effect" in m:
        r.error("many_kinds", m.key_line("cancels"), variant="veto")
        return None
    where = key_of("cancels", veto)
    names = r.strings(node, where)
    wrong = [n for n in names if n not in CANCELLABLE]
    for name in wrong:
        r.error("bad_value", node.line, variant="choice", hint=r.hint(CANCELLABLE, name),
                what=where, choices=", ".join(CANCELLABLE), value=name)
    if wrong:
        return None
    if not names:
        r.error("missing_key", node.line, variant="empty", what=where)
        return None
    return frozenset(names)


def read_events(node: YNode | None, r: Reader) -> list[EventKind]:
    """``events:`` the kinds a scheme knows beyond the defaults: ``{kind, label, money}``
    (money per event, a pay line) or ``{kind, label, points}`` (points per event)."""
    out: list[EventKind] = []
    event = what("event_kind")
    seen: dict[str, int] = {}
    for entry in r.sequence(node, what("events")):
        m = r.mapping(entry, event)
        if m is None:
            continue
        r.check_keys(m, ("kind", "label", "money", "points"), event)
        kind = r.string(r.require(m, "kind", event), key_of("kind", event))
        label = r.string(m.get("label"), key_of("label", event))
        money = r.number(m.get("money"), key_of("money", event))
        points = r.number(m.get("points"), key_of("points", event))
        if "money" in m and "points" in m:
            r.error("many_kinds", m.key_line("points"), variant="event", kind=kind or "?")
            continue
        if kind is None or ("money" in m and money is None) or ("points" in m
                                                                  and points is None):
            continue
        if kind in seen:
            r.error("duplicate_key", m.line, variant="event", kind=kind, first=seen[kind])
            continue
        seen[kind] = m.line
        out.append(EventKind(kind, label, money, points, m.line))
    return out


def read_levels(node: YNode | None, r: Reader) -> list[Level]:
    """``levels:`` named bands of score / max_score, best first; the last may have no
    ``min_ratio`` (every score below the others)."""
    out: list[Level] = []
    level = what("level")
    for entry in r.sequence(node, what("levels")):
        m = r.mapping(entry, level)
        if m is None:
            continue
        r.check_keys(m, ("name", "min_ratio", "factor"), level)
        name = r.string(r.require(m, "name", level), key_of("name", level))
        ratio = r.number(m.get("min_ratio"), key_of("min_ratio", level))
        factor = r.number(m.get("factor"), key_of("factor", level)) if "factor" in m \
            else Decimal(1)
        if name is None or factor is None or ("min_ratio" in m and ratio is None):
            continue
        out.append(Level(name, ratio, factor, m.line))
    return out


def read_adjustments(node: YNode | None, r: Reader) -> list[Adjustment]:
    """``adjustments:`` entries ``{event, points: n | {min, max}, label?}``."""
    out: list[Adjustment] = []
    adjustment = what("adjustment")
    for entry in r.sequence(node, what("adjustments")):
        m = r.mapping(entry, adjustment)
        if m is None:
            continue
        r.check_keys(m, ("event", "points", "label"), adjustment)
        event = r.string(r.require(m, "event", adjustment), key_of("event", adjustment))
        label = r.string(m.get("label"), key_of("label", adjustment))
        points_node = r.require(m, "points", adjustment)
        points_what = key_of("points", adjustment)
        if isinstance(points_node, YMap):
            r.check_keys(points_node, ("min", "max"), points_what)
            low = r.number(r.require(points_node, "min", points_what), key_of("min", points_what))
            high = r.number(r.require(points_node, "max", points_what),
                            key_of("max", points_what))
            if event is not None and low is not None and high is not None:
                out.append(Adjustment(event, None, low, high, label, m.line))
        elif points_node is not None:
            points = r.number(points_node, points_what)
            if event is not None and points is not None:
                out.append(Adjustment(event, points, None, None, label, m.line))
    return out


def read_pay(node: YNode | None, r: Reader,
             ctx: LoadContext) -> tuple[Pay | None, YNode | None]:
    """``pay:`` and, separately, its ``awards`` node (read by :func:`read_awards`)."""
    m = r.mapping(node, what("pay"))
    if m is None:
        return None, None
    r.check_keys(m, ("base", "kpi_bonus", "commission", "awards", "pools"), what("pay"))
    pay = Pay(_base(m.get("base"), r), _kpi_bonus(m.get("kpi_bonus"), r, ctx),
              _commission(m.get("commission"), r), m.line,
              tuple(_pools(m.get("pools"), r, ctx)))
    return pay, m.get("awards")


def _pools(node: YNode | None, r: Reader, ctx: LoadContext) -> list[Pool]:
    """``pools:`` shared money, per team or for the shop, split by score, sales or equally."""
    out: list[Pool] = []
    for index, entry in enumerate(r.sequence(node, what("pools")), 1):
        numbered = what("pool_n", n=index)
        m = r.mapping(entry, numbered)
        if m is None:
            continue
        r.check_keys(m, POOL_KEYS, numbered)
        label = r.string(r.require(m, "label", numbered), key_of("label", numbered))
        pool = what("pool", label=label) if label else numbered
        per = r.choice(r.require(m, "per", pool), key_of("per", pool), ("team", "shop"))
        split = r.choice(r.require(m, "split", pool), key_of("split", pool),
                         ("score", "sales", "equal"))
        amount = r.formula(r.require(m, "amount", pool), key_of("amount", pool), (),
                           "number", ctx.lookups)
        requires_pass = r.boolean(m.get("requires_pass"), key_of("requires_pass", pool),
                                  False)
        if label is None or per is None or split is None or amount is None:
            continue
        out.append(Pool(label, cast(PoolScope, per), amount, cast(PoolSplit, split),
                        requires_pass, m.line))
    return out


def _base(node: YNode | None, r: Reader) -> Base | None:
    if node is None:
        return None
    base = what("base")
    if isinstance(node, YMap):
        r.check_keys(node, ("by_level",), base)
        by_level = key_of("by_level", base)
        levels = r.mapping(r.require(node, "by_level", base), by_level)
        if levels is None:
            return None
        amounts = {level: r.number(n, key_of(level, by_level))
                   for level, (_, n) in levels.entries.items()}
        if any(a is None for a in amounts.values()):
            return None
        return Base(None, MappingProxyType(cast(dict[str, Decimal], amounts)), node.line)
    amount = r.number(node, base)
    return Base(amount, None, node.line) if amount is not None else None


def _kpi_bonus(node: YNode | None, r: Reader, ctx: LoadContext) -> KpiBonus | None:
    bonus = what("kpi_bonus")
    m = r.mapping(node, bonus)
    if m is None:
        return None
    r.check_keys(m, ("pool", "formula", "requires_pass", "cap"), bonus)
    pool = r.number(r.require(m, "pool", bonus), key_of("pool", bonus))
    formula_node = m.get("formula") or YScalar(DEFAULT_BONUS_FORMULA, DEFAULT_BONUS_FORMULA,
                                               m.line)
    formula = r.formula(formula_node, key_of("formula", bonus), BONUS_NAMES, "number",
                        ctx.lookups)
    requires_pass = r.boolean(m.get("requires_pass"), key_of("requires_pass", bonus), True)
    cap_node = m.get("cap")
    capped, cap = True, pool
    if isinstance(cap_node, YScalar) and cap_node.raw.strip() == "none":
        capped, cap = False, None
    elif cap_node is not None:
        cap = r.number(cap_node, key_of("cap", bonus))
        if cap is None:
            return None
    if pool is None or formula is None:
        return None
    return KpiBonus(pool, formula, requires_pass, m.line, cap, capped)


def _commission(node: YNode | None, r: Reader) -> Commission | None:
    com = what("commission")
    m = r.mapping(node, com)
    if m is None:
        return None
    r.check_keys(m, ("rate", "tiers", "of_target", "marginal", "on", "net_of_refunds",
                     "requires_pass"), com)
    on = r.string(m.get("on"), key_of("on", com)) if "on" in m else "sales"
    marginal = r.boolean(m.get("marginal"), key_of("marginal", com), False)
    net = r.boolean(m.get("net_of_refunds"), key_of("net_of_refunds", com), False)
    requires_pass = r.boolean(m.get("requires_pass"), key_of("requires_pass", com), False)
    kinds = [k for k in ("rate", "tiers", "of_target") if k in m]
    if len(kinds) > 1:
        r.error("many_kinds", m.key_line(kinds[1]), variant="commission",
                given=", ".join(kinds))
        return None
    if not kinds:
        r.error("no_kind", m.line, variant="commission", kinds="rate, tiers, of_target")
        return None
    if "rate" in m:
        rate = r.number(m.get("rate"), key_of("rate", com))
        if rate is None or on is None:
            return None
        return Commission(on, rate, (), marginal, net, m.line, requires_pass=requires_pass)
    if "of_target" in m:
        brackets = _of_target(m.get("of_target"), key_of("of_target", com), r)
        if brackets is None or on is None:
            return None
        return Commission(on, None, (), marginal, net, m.line, brackets, requires_pass)
    tiers: list[CommissionTier] = []
    tier = what("commission_tier")
    for entry in r.sequence(m.get("tiers"), key_of("tiers", com)):
        t = r.mapping(entry, tier)
        if t is None:
            return None
        r.check_keys(t, ("upto", "rate"), tier)
        rate = r.number(r.require(t, "rate", tier), key_of("rate", tier))
        upto = r.number(t.get("upto"), key_of("upto", tier))
        if rate is None or ("upto" in t and upto is None):
            return None
        tiers.append(CommissionTier(rate, upto, t.line))
    if on is None or not tiers:
        if not tiers:
            r.error("missing_key", m.key_line("tiers"), variant="empty",
                    what=key_of("tiers", com))
        return None
    return Commission(on, None, tuple(tiers), marginal, net, m.line,
                      requires_pass=requires_pass)


def _of_target(node: YNode | None, where: Msg,
               r: Reader) -> tuple[TargetBracket, ...] | None:
    """``of_target: [{from: 1.0, rate: 0.03}, …]``: brackets of target attainment."""
    out: list[TargetBracket] = []
    bracket = what("bracket")
    for entry in r.sequence(node, where):
        t = r.mapping(entry, bracket)
        if t is None:
            return None
        r.check_keys(t, ("from", "rate"), bracket)
        start = r.number(r.require(t, "from", bracket), key_of("from", bracket))
        rate = r.number(r.require(t, "rate", bracket), key_of("rate", bracket))
        if start is None or rate is None:
            return None
        out.append(TargetBracket(start, rate, t.line))
    if not out:
        r.error("missing_key", node.line if node is not None else None, variant="empty",
                what=where)
        return None
    return tuple(out)


def read_awards(node: YNode | None, r: Reader, ctx: LoadContext) -> list[Award]:
    """Rank (排名奖) and target (达标奖) awards."""
    out: list[Award] = []
    award = what("award")
    for entry in r.sequence(node, what("awards")):
        m = r.mapping(entry, award)
        if m is None:
            continue
        kind = r.choice(r.require(m, "kind", award), key_of("kind", award),
                        ("rank", "target", "formula"))
        award = (_rank_award(m, r, ctx) if kind == "rank"
                 else _target_award(m, r) if kind == "target"
                 else _formula_award(m, r, ctx) if kind == "formula" else None)
        if award is not None:
            out.append(award)
    return out


def _rank_award(m: YMap, r: Reader, ctx: LoadContext) -> RankAward | None:
    rank = what("rank_award")
    r.check_keys(m, ("kind", "metric", "top", "amount", "ties", "min_sample", "direction",
                     "label"), rank)
    metric = r.string(r.require(m, "metric", rank), key_of("metric", rank))
    top = r.integer(r.require(m, "top", rank), key_of("top", rank))
    amount = r.number(r.require(m, "amount", rank), key_of("amount", rank))
    ties = r.choice(m.get("ties"), key_of("ties", rank), ("split", "repeat"), "split")
    direction = r.choice(m.get("direction"), key_of("direction", rank), ("higher", "lower"))
    label = r.string(m.get("label"), key_of("label", rank))
    sample: RankSample | None = None
    sample_what = key_of("min_sample", rank)
    sample_map = r.mapping(m.get("min_sample"), sample_what)
    if sample_map is not None:
        r.check_keys(sample_map, ("metric", "n"), sample_what)
        s_metric = r.string(r.require(sample_map, "metric", sample_what),
                            key_of("metric", sample_what))
        n = r.integer(r.require(sample_map, "n", sample_what), key_of("n", sample_what))
        if s_metric is None or n is None:
            return None
        sample = RankSample(s_metric, n, sample_map.line)
    if "direction" in m and direction is None:
        return None
    if direction is None and metric is not None and ctx.metrics is not None \
            and metric in ctx.metrics:
        direction = ctx.metrics[metric].direction
        if direction not in ("higher", "lower"):
            r.error("award_direction", m.line, metric=metric)
            return None
    if metric is None or top is None or amount is None or ties is None:
        return None
    return RankAward(metric, top, amount, cast(Ties, ties), sample,
                     cast(Direction | None, direction), label, m.line)


def _formula_award(m: YMap, r: Reader, ctx: LoadContext) -> FormulaAward | None:
    award = what("formula_award")
    r.check_keys(m, ("kind", "amount", "label"), award)
    amount = r.formula(r.require(m, "amount", award), key_of("amount", award), PAY_NAMES,
                       "number", ctx.lookups)
    label = r.string(m.get("label"), key_of("label", award))
    return FormulaAward(amount, label, m.line) if amount is not None else None


def _target_award(m: YMap, r: Reader) -> TargetAward | None:
    award = what("target_award")
    r.check_keys(m, ("kind", "metric", "reach", "amount", "label"), award)
    metric = r.string(r.require(m, "metric", award), key_of("metric", award))
    amount = r.number(r.require(m, "amount", award), key_of("amount", award))
    label = r.string(m.get("label"), key_of("label", award))
    reach_node = r.require(m, "reach", award)
    reach: Decimal | None = None
    if isinstance(reach_node, YScalar) and reach_node.raw == "target":
        reach = None
    elif reach_node is not None:
        reach = r.number(reach_node, key_of("reach", award))
        if reach is None:
            return None
    if metric is None or amount is None or reach_node is None:
        return None
    return TargetAward(metric, amount, reach, label, m.line)


def read_targets(node: YNode | None, r: Reader) -> dict[str, TargetRule]:
    """``targets:`` per metric: history / percentile / fixed."""
    m = r.mapping(node, what("targets"))
    out: dict[str, TargetRule] = {}
    for metric, (_line, spec_node) in (m.entries.items() if m else ()):
        target = what("target_of", metric=metric)
        spec = r.mapping(spec_node, target)
        if spec is None:
            continue
        r.check_keys(spec, ("history", "percentile", "periods", "fixed"), target)
        methods = [k for k in ("history", "percentile", "fixed") if k in spec]
        if len(methods) != 1:
            r.error("no_kind" if not methods else "many_kinds", spec.line, variant="target",
                    what=target)
            continue
        if "periods" in spec and methods[0] != "percentile":
            r.error("unknown_key", spec.key_line("periods"), variant="periods", what=target)
            continue
        rule = _target_rule(metric, methods[0], spec, target, r)
        if rule is not None:
            out[metric] = rule
    return out


def _target_rule(metric: str, method: str, spec: YMap, target: Msg,
                 r: Reader) -> TargetRule | None:
    line = spec.line
    if method == "fixed":
        value = r.number(spec.get("fixed"), key_of("fixed", target))
        return TargetRule(metric, "fixed", value=value, line=line) if value is not None else None
    if method == "percentile":
        pct_node = spec.get("percentile")
        pct = r.number(pct_node, key_of("percentile", target))
        periods = r.integer(r.require(spec, "periods", target), key_of("periods", target))
        if pct is not None and not 0 <= pct <= 100:
            r.error("bad_value", pct_node.line if pct_node else line, variant="percentile",
                    what=target, value=str(pct))
            return None
        if pct is None or periods is None:
            return None
        return TargetRule(metric, "percentile", periods, percentile=pct, line=line)
    history = key_of("history", target)
    hist = r.mapping(spec.get("history"), history)
    if hist is None:
        return None
    r.check_keys(hist, ("periods", "uplift"), history)
    periods = r.integer(r.require(hist, "periods", history), key_of("periods", history))
    uplift = r.number(hist.get("uplift"), key_of("uplift", history)) \
        if "uplift" in hist else Decimal(0)
    if periods is None or uplift is None:
        return None
    return TargetRule(metric, "history", periods, uplift, line=line)

