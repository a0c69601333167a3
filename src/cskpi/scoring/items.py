"""Scoring one item of one agent: points on the item's own scale, then its weight.

Each kind gives points and the rule that gave them (a code with parameters):

* tiers: the first tier the value falls in; a bound may be a formula (a target × 1.1),
  computed for the agent, and a tier whose bound cannot be computed is passed over;
* linear: 0 at ``from``, the item's points at ``to``, clamped;
* target: ``max × min(1, value / target)``, or ``max × min(1, target / value)`` when
  lower is better (a value of 0 reaches any target);
* grade, per (attendance statuses counted per day, or per run of days with
  ``per_occurrence``; events, complaints each once), formula.

A weighted item (``weight``) scores on its own scale and counts ``points × weight``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..scheme import (
    ATTENDANCE_STATUSES,
    Formula,
    FormulaItem,
    FormulaRangeError,
    GradeItem,
    LinearItem,
    PerItem,
    TargetItem,
    TiersItem,
)
from ..scheme.limits import shorten
from . import texts
from .cards import ItemScore, ScoreProblem, ScoringInput, metric_value, value_of
from .lookups import Resolver, events_of, occurrences
from .texts import event_ref, figure, number, points, rule

ZERO = Decimal(0)
GRADE_ALIASES = {"优": "A", "良": "B", "中": "C", "差": "D"}


def clamp(v: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
    return max(lo, min(hi, v))


def range_problem(agent_id: str, what: dict[str, Any], formula: Formula,
                  err: FormulaRangeError) -> ScoreProblem:
    """The ``formula_range`` problem of one agent whose data takes a formula out of bounds."""
    return ScoreProblem(agent_id, "formula_range", {
        "what": what, "agent": agent_id, "problem": err.problem, "column": err.column,
        "formula": shorten(formula.text, 60)})


def score_item(item: Any, agent: Mapping[str, Any], ctx: Resolver) -> ItemScore:
    """The item's points for the agent (weighted), with its rule."""
    row = ctx.inp.metrics.get(agent["agent_id"], {})
    if isinstance(item, GradeItem):
        scored = _grade(item, agent, ctx.inp, ctx.problems)
    elif isinstance(item, PerItem):
        scored = _per(item, agent, row, ctx.inp)
    elif isinstance(item, FormulaItem):
        scored = _formula_item(item, agent, ctx)
    else:
        scored = _metric_item(item, agent, row, ctx)
    return weighted(item, scored)


def weighted(item: Any, scored: ItemScore) -> ItemScore:
    """A weighted item's points: its own points × weight (the rule says so)."""
    if item.weight is None:
        return scored
    own = scored.points
    scored.points = own * item.weight
    scored.max = item.max
    scored.weight = item.weight
    scored.rule_params = {"rule": rule(scored.rule_code, **scored.rule_params),
                          "weight": number(item.weight), "points": points(scored.points)}
    scored.rule_code = "weighted"
    return scored


def _formula_item(item: FormulaItem, agent: Mapping[str, Any], ctx: Resolver) -> ItemScore:
    env = ctx.env(item.formula, agent["agent_id"])
    text = shorten(item.formula.text, 60)
    top = item.own_max
    try:
        v = item.formula.evaluate(env)
    except FormulaRangeError as err:
        ctx.problems.append(range_problem(agent["agent_id"], texts.rule(
            "what.item", key=item.key), item.formula, err))
        return ItemScore(item.key, item.label, "formula", ZERO, top, "formula.range",
                         {"formula": text}, note_code="out_of_range")
    if v is None or isinstance(v, bool):
        return ItemScore(item.key, item.label, "formula", ZERO, top, "formula.none",
                         {"formula": text}, note_code="missing_input")
    pts = clamp(Decimal(v), ZERO, top)
    return ItemScore(item.key, item.label, "formula", pts, top, "formula.value",
                     {"formula": text, "value": points(Decimal(v)), "points": points(pts)})


def _metric_item(item: Any, agent: Mapping[str, Any], row: Mapping[str, Any],
                 ctx: Resolver) -> ItemScore:
    inp = ctx.inp
    metric = item.metric
    unit = inp.metric_units.get(metric, "count")
    value, num, den = metric_value(row, metric)
    base = ItemScore(item.key, item.label, item.kind, ZERO, item.own_max, "", metric=metric,
                     value=value, num=num, den=den)
    ms = item.min_sample
    if ms is not None:
        basis_key = ms.metric or f"{metric}_den"
        basis = row.get(basis_key) if ms.metric is None else row.get(ms.metric)
        if basis is None or Decimal(str(basis)) < ms.n:
            return _fallback(item, base, agent, ctx, ms, basis, unit)
    if value is None:
        # coded, so the rule reads in the reader's language
        reason = (row.get("reason_codes") or {}).get(metric) \
            or (row.get("reasons") or {}).get(metric, "no data")
        base.rule_code, base.rule_params = "missing", {"reason": reason}
        base.note_code = "missing_metric"
        return base
    pts, code, params = points_for(item, value, unit, agent, ctx)
    base.points, base.rule_code, base.rule_params = pts, code, params
    return base


def _bound(bound: Any, agent: Mapping[str, Any], ctx: Resolver,
           item: Any) -> Decimal | None:
    """A tier bound for the agent: the number, or its formula's value (None: unknown)."""
    if not isinstance(bound, Formula):
        return bound
    try:
        value = bound.evaluate(ctx.env(bound, agent["agent_id"]))
    except FormulaRangeError as err:
        ctx.problems.append(range_problem(agent["agent_id"], texts.rule(
            "what.item", key=item.key), bound, err))
        return None
    return value if isinstance(value, Decimal) else None


def points_for(item: Any, value: Decimal, unit: str, agent: Mapping[str, Any],
               ctx: Resolver) -> tuple[Decimal, str, dict[str, Any]]:
    """Points of a metric item for ``value`` on its own scale, with the rule's code and
    parameters."""
    shown = value_of(value, unit)
    top = item.own_max
    if isinstance(item, TiersItem):
        for tier in item.tiers:
            if tier.is_catch_all:
                return tier.points, "tier.otherwise", {"value": shown,
                                                       "points": points(tier.points)}
            upper = tier.max is not None
            bound = _bound(tier.max if upper else tier.min, agent, ctx, item)
            if bound is None:
                continue
            if (value <= bound) if upper else (value >= bound):
                return tier.points, "tier.max" if upper else "tier.min", {
                    "value": shown, "bound": value_of(bound, unit),
                    "points": points(tier.points)}
        return ZERO, "tier.none", {"value": shown}
    if isinstance(item, LinearItem):
        span = item.best - item.worst
        share = clamp((value - item.worst) / span, ZERO, Decimal(1)) if span else Decimal(1)
        pts = top * share
        return pts, "linear", {"value": shown, "worst": value_of(item.worst, unit),
                               "best": value_of(item.best, unit), "max": points(top),
                               "points": points(pts)}
    if isinstance(item, TargetItem):
        inp = ctx.inp
        target = item.target if item.target is not None else inp.targets.get(
            (agent["agent_id"], item.metric))
        if target is None or target <= 0:
            ctx.problems.append(ScoreProblem(agent["agent_id"], "missing_target", {
                "metric": texts.metric_ref(item.metric), "agent": agent["agent_id"],
                "period": inp.period, "item": item.key}))
            return ZERO, "target.missing", {}
        params = {"value": shown, "target": value_of(target, unit)}
        if inp.metric_directions.get(item.metric) == "lower":  # less is better: target / value
            share = Decimal(1) if value <= target else target / value
            code = "target.lower"
        else:
            share = min(Decimal(1), value / target)
            code = "target"
        pts = top * share
        return pts, code, {**params, "share": figure(share, "rate"), "points": points(pts)}
    raise TypeError(type(item).__name__)  # pragma: no cover


def _fallback(item: Any, base: ItemScore, agent: Mapping[str, Any], ctx: Resolver, ms: Any,
              basis: Any, unit: str) -> ItemScore:
    said = {"basis": number(basis if basis is not None else 0), "n": number(ms.n)}
    if ms.fallback == "full":
        base.points, base.rule_code, base.rule_params = item.own_max, "sample.full", said
    elif ms.fallback == "neutral":
        pts = ms.neutral if ms.neutral is not None else item.own_max / 2
        base.points, base.rule_code = pts, "sample.neutral"
        base.rule_params = {**said, "points": points(pts)}
    else:
        team_row = ctx.inp.team_metrics.get(agent.get("team"), {})
        team_value = metric_value(team_row, item.metric)[0]
        if team_value is None:
            base.points, base.rule_code, base.rule_params = ZERO, "sample.team_none", said
        else:
            pts, code, params = points_for(item, team_value, unit, agent, ctx)
            base.points, base.rule_code = pts, "sample.team"
            base.rule_params = {**said, "rule": rule(code, **params)}
    base.note_code = "min_sample"
    return base


def _grade(item: GradeItem, agent: Mapping[str, Any], inp: ScoringInput,
           problems: list[ScoreProblem]) -> ItemScore:
    found = [g for g in inp.grades if g["agent_id"] == agent["agent_id"]
             and g["item"] == item.key and g["period"] == inp.period]
    if not found:
        problems.append(ScoreProblem(agent["agent_id"], "missing_grade", {
            "agent": agent["agent_id"], "item": item.key, "label": item.label,
            "period": inp.period}))
        return ItemScore(item.key, item.label, "grade", ZERO, item.own_max, "grade.missing",
                         note_code="missing_grade")
    grade = GRADE_ALIASES.get(found[0]["grade"], found[0]["grade"])
    pts = item.grades[grade]
    params: dict[str, Any] = {"grade": grade, "points": points(pts)}
    code = "grade"
    if found[0].get("reviewer"):
        code, params["reviewer"] = "grade.by", str(found[0]["reviewer"])
    return ItemScore(item.key, item.label, "grade", pts, item.own_max, code, params,
                     value=None, note=found[0].get("note"))


def _per(item: PerItem, agent: Mapping[str, Any], row: Mapping[str, Any],
         inp: ScoringInput) -> ItemScore:
    total = item.start
    parts = []
    for name, each in item.per.items():
        code = "per.part"
        if name in ATTENDANCE_STATUSES:
            runs = occurrences(inp, agent["agent_id"], name) \
                if name in item.per_occurrence else None
            count = runs if runs is not None else int(row.get(name) or 0)
            if runs is not None:
                code = "per.part_runs"
        else:
            count = len(events_of(inp, agent["agent_id"], name))
        if count:
            total += each * count
            parts.append(rule(code, name=event_ref(name), count=count, each=points(each)))
    top = item.own_max
    lo = item.min if item.min is not None else ZERO
    pts = clamp(total, lo, top)
    params: dict[str, Any] = {"start": points(item.start), "points": points(pts)}
    if parts:
        params["parts"] = parts
    return ItemScore(item.key, item.label, "per", pts, top,
                     "per.counted" if parts else "per.none", params)
