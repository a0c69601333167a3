"""Scoring: (metric rows, scheme, grades, events, targets) -> scorecards with pay.

Pure functions over plain data: nothing here reads a database.  Every point carries
the rule that gave it and the data behind it, so the same explanation feeds JSON, the
web page and Excel.  Points and money are Decimal; money is rounded to cents only at
the end (each pay component for display, the total from the exact sum).

Nothing a scheme that passed its check computes escapes as an exception: a formula
whose value leaves the bounds for an agent's data (see :mod:`cskpi.scheme.limits`) is
a ``formula_range`` problem of that agent, a pay amount of 10^15 or more a
``pay_range`` problem, and rounding for display never fails, whatever the size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from ..scheme import (
    Formula,
    FormulaItem,
    FormulaRangeError,
    GradeItem,
    LinearItem,
    PerItem,
    RankAward,
    Scheme,
    TargetAward,
    TargetItem,
    TiersItem,
)
from ..scheme.limits import NUMBER_LIMIT, shorten, size_text
from ..units import format_money, format_percent, format_points
from . import texts
from .texts import event_ref, figure, metric_ref, number, points, rule

CENT = Decimal("0.01")
ZERO = Decimal(0)
GRADE_ALIASES = {"优": "A", "良": "B", "中": "C", "差": "D"}


def rounded(v: Decimal, places: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``v`` rounded (half up) to ``places`` (``CENT`` …), whatever its size.

    ``quantize`` fails in Python's default 28-digit context once the result needs more
    digits (10^27 to cents); it runs here in a context just wide enough.  Values past
    10^40 (never a valid score or amount) are left as they are.
    """
    if not v.is_finite() or v.adjusted() > 40:
        return v
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, v.adjusted() - places.adjusted() + 2)
        return v.quantize(places, rounding=rounding)


def cents(v: Decimal) -> Decimal:
    return rounded(v, CENT)


@dataclass
class ItemScore:
    """One item's points and the rule that gave them (``rule_code``/``rule_params``: see
    :mod:`cskpi.scoring.texts`; ``rule`` is its English text)."""

    key: str
    label: str
    kind: str
    points: Decimal
    max: Decimal
    rule_code: str
    rule_params: dict[str, Any] = field(default_factory=dict)
    metric: str | None = None
    value: Decimal | None = None
    num: Any = None
    den: Any = None
    note: str | None = None  # the grade's own note (data)
    note_code: str | None = None  # missing_metric, min_sample, missing_grade, …

    @property
    def rule(self) -> str:
        return texts.rule_text(self, texts._english())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "label": self.label, "kind": self.kind}
        if self.metric is not None:
            out["value"] = {"metric": self.metric, "value": self.value, "num": self.num,
                            "den": self.den}
        else:
            out["value"] = self.value
        out.update(rule=self.rule, rule_code=self.rule_code, rule_params=self.rule_params,
                   points=self.points, points_display=format_points(self.points),
                   max=self.max)
        note = texts.note_text(self, texts._english())
        if note:
            out["note"] = note
        if self.note_code:
            out["note_code"] = self.note_code
        return out


@dataclass
class AdjustmentScore:
    event: str
    count: int
    points: Decimal
    rule_code: str
    rule_params: dict[str, Any] = field(default_factory=dict)
    label: str | None = None

    @property
    def rule(self) -> str:
        return texts.rule_text(self, texts._english())

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "label": self.label, "count": self.count,
                "points": self.points, "points_display": format_points(self.points),
                "rule": self.rule, "rule_code": self.rule_code, "rule_params": self.rule_params}


@dataclass
class AwardScore:
    kind: str
    metric: str
    amount: Decimal
    rule_code: str
    rule_params: dict[str, Any] = field(default_factory=dict)
    label: str | None = None

    @property
    def rule(self) -> str:
        return texts.rule_text(self, texts._english())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "metric": self.metric, "label": self.label,
                "amount": cents(self.amount), "amount_display": format_money(self.amount),
                "rule": self.rule, "rule_code": self.rule_code, "rule_params": self.rule_params}


@dataclass
class PaySlip:
    base: Decimal = ZERO
    kpi_bonus: Decimal = ZERO
    commission: Decimal = ZERO
    awards: list[AwardScore] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # coded: why a part is 0

    @property
    def total(self) -> Decimal:
        return cents(self.base + self.kpi_bonus + self.commission
                     + sum((a.amount for a in self.awards), ZERO))

    def note(self, code: str, **params: Any) -> None:
        self.notes.append(texts.rule(f"pay.{code}", **params))

    @property
    def note_texts(self) -> list[str]:
        """The notes in English."""
        return [texts.english(n) for n in self.notes]

    def to_dict(self) -> dict[str, Any]:
        out = {"base": cents(self.base), "kpi_bonus": cents(self.kpi_bonus),
               "commission": cents(self.commission),
               "awards": [a.to_dict() for a in self.awards], "total": self.total}
        out["display"] = {k: format_money(out[k]) for k in
                          ("base", "kpi_bonus", "commission", "total")}
        if self.notes:
            out["notes"] = [{**n, "text": texts.english(n)} for n in self.notes]
        return out


@dataclass
class VetoHit:
    """A veto that applied: its condition, the scheme's reason, what it cancels."""

    condition: str
    reason: str | None
    effect: str  # score | bonus
    line: int = 0

    @property
    def message(self) -> dict[str, Any]:
        if self.reason and self.reason != self.condition:
            return texts.rule("veto.reason", condition=self.condition, reason=self.reason)
        return texts.rule("veto.condition", condition=self.condition)

    @property
    def text(self) -> str:
        return texts.english(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"effect": self.effect, "reason": self.text, "message": self.message}


@dataclass
class ScoreCard:
    agent_id: str
    name: str | None
    scheme: str
    items: list[ItemScore]
    adjustments: list[AdjustmentScore]
    max_score: Decimal
    pass_ratio: Decimal | None
    vetoed: bool = False
    vetoes: list[VetoHit] = field(default_factory=list)
    veto_effect: str | None = None
    pay: PaySlip = field(default_factory=PaySlip)

    @property
    def veto_reasons(self) -> list[str]:
        """The vetoes that applied, in English (``condition: reason``)."""
        return [v.text for v in self.vetoes]

    @property
    def warnings(self) -> list[str]:
        """Scoring warnings (fallbacks, missing figures) in English: ``key: rule``."""
        return [f"{i.key}: {i.rule}" for i in self.items if i.note_code in texts.WARNED]

    @property
    def raw_score(self) -> Decimal:
        return sum((i.points for i in self.items), ZERO) + sum(
            (a.points for a in self.adjustments), ZERO)

    @property
    def score(self) -> Decimal:
        return ZERO if self.vetoed and self.veto_effect == "score" else self.raw_score

    @property
    def ratio(self) -> Decimal:
        return self.score / self.max_score if self.max_score else ZERO

    @property
    def passed(self) -> bool:
        if self.vetoed and self.veto_effect == "score":
            return False
        return self.pass_ratio is None or self.ratio >= self.pass_ratio

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id, "name": self.name, "scheme": self.scheme,
            "score": self.score, "score_display": format_points(self.score),
            "max_score": self.max_score,
            "ratio": rounded(self.ratio, Decimal("0.0001")),
            "ratio_display": format_percent(self.ratio),
            "passed": self.passed, "vetoed": self.vetoed,
            "veto": [v.to_dict() for v in self.vetoes],
            "items": [i.to_dict() for i in self.items],
            "adjustments": [a.to_dict() for a in self.adjustments],
            "pay": self.pay.to_dict(), "warnings": self.warnings,
        }


@dataclass
class ScoreProblem:
    """Something the manager must supply before the period can be scored.

    ``code`` and ``params`` render as ``problem.<code>`` (and ``.hint``) in the reader's
    language (:func:`cskpi.scoring.texts.problem_text`); ``message`` and ``hint`` hold the
    English text.
    """

    agent_id: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    hint: str | None = None

    def __post_init__(self) -> None:
        t = texts._english()
        if not self.message:
            self.message = texts.problem_text(self, t) or self.code
        if self.hint is None:
            self.hint = texts.problem_hint(self, t)

    def text(self, t: Any) -> str:
        return texts.problem_text(self, t)

    def hint_text(self, t: Any) -> str | None:
        return texts.problem_hint(self, t)


@dataclass
class ScoringInput:
    """Everything scoring needs, as plain data (built by the core from a workspace)."""

    period: str  # YYYY-MM
    roster: Sequence[Mapping[str, Any]]
    metrics: Mapping[str, Mapping[str, Any]]  # agent_id -> metric row of the period
    team_metrics: Mapping[Any, Mapping[str, Any]] = field(default_factory=dict)
    grades: Sequence[Mapping[str, Any]] = ()  # agent_id, period, item, grade
    events: Sequence[Mapping[str, Any]] = ()  # agent_id, kind, points, note (in period)
    targets: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)  # (agent, metric)
    refunded: Mapping[str, Decimal] = field(default_factory=dict)  # agent -> refunded sales
    metric_units: Mapping[str, str] = field(default_factory=dict)
    metric_directions: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ScoreResult:
    cards: list[ScoreCard]
    problems: list[ScoreProblem]
    unmatched: list[str]  # agents the scheme does not apply to


# --- values ------------------------------------------------------------------------------


def metric_value(row: Mapping[str, Any], key: str) -> tuple[Decimal | None, Any, Any]:
    """The exact value of a metric: num/den as a Decimal ratio when it is a rate."""
    num, den = row.get(f"{key}_num"), row.get(f"{key}_den")
    value = row.get(key)
    if value is None:
        return None, num, den
    if num is not None and den:
        exact = Decimal(str(num)) / Decimal(str(den))
    else:
        exact = Decimal(str(value))
    return (exact if exact.is_finite() else None), num, den  # NaN (a float's gap): none


def value_of(v: Decimal | None, unit: str) -> dict[str, Any]:
    """A metric value (or bound) as a rule shows it: a figure in the metric's unit."""
    return figure(v, unit)


def _clamp(v: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
    return max(lo, min(hi, v))


# --- items --------------------------------------------------------------------------------


def score_item(item: Any, agent: Mapping[str, Any], inp: ScoringInput,
               problems: list[ScoreProblem]) -> ItemScore:
    row = inp.metrics.get(agent["agent_id"], {})
    if isinstance(item, GradeItem):
        return _grade(item, agent, inp, problems)
    if isinstance(item, PerItem):
        return _per(item, agent, row, inp)
    if isinstance(item, FormulaItem):
        return _formula_item(item, agent, row, problems)
    return _metric_item(item, agent, row, inp, problems)


def _formula_item(item: FormulaItem, agent: Mapping[str, Any], row: Mapping[str, Any],
                  problems: list[ScoreProblem]) -> ItemScore:
    env = {k: metric_value(row, k)[0] for k in item.formula.names}
    text = shorten(item.formula.text, 60)
    try:
        v = item.formula.evaluate(env)
    except FormulaRangeError as err:
        problems.append(range_problem(agent["agent_id"], texts.rule("what.item", key=item.key),
                                      item.formula, err))
        return ItemScore(item.key, item.label, "formula", ZERO, item.max, "formula.range",
                         {"formula": text}, note_code="out_of_range")
    if v is None or isinstance(v, bool):
        return ItemScore(item.key, item.label, "formula", ZERO, item.max, "formula.none",
                         {"formula": text}, note_code="missing_input")
    pts = _clamp(Decimal(v), ZERO, item.max)
    return ItemScore(item.key, item.label, "formula", pts, item.max, "formula.value",
                     {"formula": text, "value": points(Decimal(v)), "points": points(pts)})


def _metric_item(item: Any, agent: Mapping[str, Any], row: Mapping[str, Any],
                 inp: ScoringInput, problems: list[ScoreProblem]) -> ItemScore:
    metric = item.metric
    unit = inp.metric_units.get(metric, "count")
    value, num, den = metric_value(row, metric)
    base = ItemScore(item.key, item.label, item.kind, ZERO, item.max, "", metric=metric,
                     value=value, num=num, den=den)
    ms = item.min_sample
    if ms is not None:
        basis_key = ms.metric or f"{metric}_den"
        basis = row.get(basis_key) if ms.metric is None else row.get(ms.metric)
        if basis is None or Decimal(str(basis)) < ms.n:
            return _fallback(item, base, agent, inp, problems, ms, basis, unit)
    if value is None:
        reason = (row.get("reasons") or {}).get(metric, "no data")
        base.rule_code, base.rule_params = "missing", {"reason": reason}
        base.note_code = "missing_metric"
        return base
    pts, code, params = _points_for(item, value, unit, agent, inp, problems)
    base.points, base.rule_code, base.rule_params = pts, code, params
    return base


def _points_for(item: Any, value: Decimal, unit: str, agent: Mapping[str, Any],
                inp: ScoringInput, problems: list[ScoreProblem]
                ) -> tuple[Decimal, str, dict[str, Any]]:
    """Points of a metric item for ``value``, with the rule's code and parameters."""
    shown = value_of(value, unit)
    if isinstance(item, TiersItem):
        for tier in item.tiers:
            if tier.max is not None and value <= tier.max:
                return tier.points, "tier.max", {"value": shown, "bound": value_of(
                    tier.max, unit), "points": points(tier.points)}
            if tier.min is not None and value >= tier.min:
                return tier.points, "tier.min", {"value": shown, "bound": value_of(
                    tier.min, unit), "points": points(tier.points)}
            if tier.max is None and tier.min is None:
                return tier.points, "tier.otherwise", {"value": shown,
                                                       "points": points(tier.points)}
        return ZERO, "tier.none", {"value": shown}
    if isinstance(item, LinearItem):
        span = item.best - item.worst
        share = _clamp((value - item.worst) / span, ZERO, Decimal(1)) if span else Decimal(1)
        pts = item.max * share
        return pts, "linear", {"value": shown, "worst": value_of(item.worst, unit),
                               "best": value_of(item.best, unit), "max": points(item.max),
                               "points": points(pts)}
    if isinstance(item, TargetItem):
        target = item.target if item.target is not None else inp.targets.get(
            (agent["agent_id"], item.metric))
        if target is None or target <= 0:
            problems.append(ScoreProblem(agent["agent_id"], "missing_target", {
                "metric": metric_ref(item.metric), "agent": agent["agent_id"],
                "period": inp.period, "item": item.key}))
            return ZERO, "target.missing", {}
        share = min(Decimal(1), value / target)
        pts = item.max * share
        return pts, "target", {"value": shown, "target": value_of(target, unit),
                               "share": figure(share, "rate"), "points": points(pts)}
    raise TypeError(type(item).__name__)  # pragma: no cover


def _fallback(item: Any, base: ItemScore, agent: Mapping[str, Any], inp: ScoringInput,
              problems: list[ScoreProblem], ms: Any, basis: Any, unit: str) -> ItemScore:
    said = {"basis": number(basis if basis is not None else 0), "n": number(ms.n)}
    if ms.fallback == "full":
        base.points, base.rule_code, base.rule_params = item.max, "sample.full", said
    elif ms.fallback == "neutral":
        pts = ms.neutral if ms.neutral is not None else item.max / 2
        base.points, base.rule_code = pts, "sample.neutral"
        base.rule_params = {**said, "points": points(pts)}
    else:
        team_row = inp.team_metrics.get(agent.get("team"), {})
        team_value = metric_value(team_row, item.metric)[0]
        if team_value is None:
            base.points, base.rule_code, base.rule_params = ZERO, "sample.team_none", said
        else:
            pts, code, params = _points_for(item, team_value, unit, agent, inp, problems)
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
        return ItemScore(item.key, item.label, "grade", ZERO, item.max, "grade.missing",
                         note_code="missing_grade")
    grade = GRADE_ALIASES.get(found[0]["grade"], found[0]["grade"])
    pts = item.grades[grade]
    params: dict[str, Any] = {"grade": grade, "points": points(pts)}
    code = "grade"
    if found[0].get("reviewer"):
        code, params["reviewer"] = "grade.by", str(found[0]["reviewer"])
    return ItemScore(item.key, item.label, "grade", pts, item.max, code, params, value=None,
                     note=found[0].get("note"))


def _per(item: PerItem, agent: Mapping[str, Any], row: Mapping[str, Any],
         inp: ScoringInput) -> ItemScore:
    total = item.start
    parts = []
    for name, each in item.per.items():
        if name in ("late", "leave", "absent"):
            count = int(row.get(name) or 0)
        else:
            count = sum(1 for e in inp.events if e["agent_id"] == agent["agent_id"]
                        and e["kind"] == name)
        if count:
            total += each * count
            parts.append(rule("per.part", name=event_ref(name), count=count,
                              each=points(each)))
    lo = item.min if item.min is not None else ZERO
    pts = _clamp(total, lo, item.max)
    params: dict[str, Any] = {"start": points(item.start), "points": points(pts)}
    if parts:
        params["parts"] = parts
    return ItemScore(item.key, item.label, "per", pts, item.max,
                     "per.counted" if parts else "per.none", params)


# --- adjustments, veto, pay ------------------------------------------------------------


def _adjustments(scheme: Scheme, agent: Mapping[str, Any], inp: ScoringInput,
                 problems: list[ScoreProblem]) -> list[AdjustmentScore]:
    out = []
    for adj in scheme.adjustments:
        events = [e for e in inp.events if e["agent_id"] == agent["agent_id"]
                  and e["kind"] == adj.event]
        if not events:
            continue
        if adj.points is not None:
            total = adj.points * len(events)
            out.append(AdjustmentScore(adj.event, len(events), total, "adjust.fixed",
                                       {"count": len(events), "points": points(adj.points)},
                                       adj.label))
            continue
        total = ZERO
        chosen = []
        for e in events:
            p = e.get("points")
            lo, hi = adj.min_points, adj.max_points
            if p is None or (lo is not None and Decimal(str(p)) < lo) or (
                    hi is not None and Decimal(str(p)) > hi):
                problems.append(ScoreProblem(agent["agent_id"], "adjustment_points", {
                    "event": event_ref(adj.event, adj.label), "agent": agent["agent_id"],
                    "min": points(lo), "max": points(hi),
                    "got": points(p) if p is not None else "—"}))
                continue
            total += Decimal(str(p))
            chosen.append(points(Decimal(str(p))))
        out.append(AdjustmentScore(adj.event, len(events), total, "adjust.chosen", {
            "count": len(events), "chosen": chosen, "min": points(adj.min_points),
            "max": points(adj.max_points)}, adj.label))
    return out


def range_problem(agent_id: str, what: dict[str, Any], formula: Formula,
                  err: FormulaRangeError) -> ScoreProblem:
    """The ``formula_range`` problem of one agent whose data takes a formula out of bounds."""
    return ScoreProblem(agent_id, "formula_range", {
        "what": what, "agent": agent_id, "problem": err.problem, "column": err.column,
        "formula": shorten(formula.text, 60)})


def _veto(scheme: Scheme, card: ScoreCard, row: Mapping[str, Any], inp: ScoringInput,
          problems: list[ScoreProblem]) -> None:
    """Veto conditions see metric values (attendance counts included) and event counts.

    A condition out of bounds for the agent's data does not apply; it is a problem."""
    for v in scheme.veto:
        env: dict[str, Decimal | None] = {}
        for k in v.condition.names:
            if k in row:
                env[k] = metric_value(row, k)[0]
            else:  # an event kind: how many the agent had in the period
                env[k] = Decimal(sum(1 for e in inp.events if e["agent_id"] == card.agent_id
                                     and e["kind"] == k))
        try:
            holds = v.condition.evaluate(env) is True
        except FormulaRangeError as err:
            problems.append(range_problem(card.agent_id, texts.rule("what.veto", line=v.line),
                                          v.condition, err))
            continue
        if holds:
            card.vetoed = True
            card.veto_effect = "score" if v.effect == "score" or card.veto_effect == "score" \
                else "bonus"
            card.vetoes.append(VetoHit(v.condition.text, v.reason, v.effect, v.line))


def _pay(scheme: Scheme, card: ScoreCard, agent: Mapping[str, Any], inp: ScoringInput,
         problems: list[ScoreProblem]) -> None:
    pay = scheme.pay
    if pay is None:
        return
    slip = card.pay
    if pay.base is not None:
        if pay.base.amount is not None:
            slip.base = pay.base.amount
        elif pay.base.by_level is not None:
            level = agent.get("level")
            if level in pay.base.by_level:
                slip.base = pay.base.by_level[level]
            else:
                problems.append(ScoreProblem(agent["agent_id"], "missing_level", {
                    "agent": agent["agent_id"], "level": str(level),
                    "levels": ", ".join(pay.base.by_level)}))
    if pay.kpi_bonus is not None:
        kb = pay.kpi_bonus
        if kb.requires_pass and not card.passed:
            slip.note("no_bonus_pass")
        elif card.vetoed:
            slip.note("no_bonus_veto")
        else:
            env = {"pool": kb.pool, "score": card.score, "max_score": card.max_score,
                   "pass_ratio": card.pass_ratio}
            try:
                v = kb.formula.evaluate(env)
            except FormulaRangeError as err:
                problems.append(range_problem(card.agent_id, texts.rule("what.kpi_bonus"),
                                              kb.formula, err))
                v = None
                slip.note("bonus_range")
            slip.kpi_bonus = max(ZERO, Decimal(v)) if isinstance(v, Decimal) else ZERO
    if pay.commission is not None:
        c = pay.commission
        row = inp.metrics.get(agent["agent_id"], {})
        base_amount = Decimal(str(row.get(c.on) or 0))
        if c.net_of_refunds:
            base_amount -= inp.refunded.get(agent["agent_id"], ZERO)
            base_amount = max(ZERO, base_amount)
        slip.commission = commission(c, base_amount)


def commission(c: Any, amount: Decimal) -> Decimal:
    """A flat rate, or tiers of rates (``marginal``: each slice at its own rate)."""
    if c.rate is not None:
        return amount * c.rate
    if c.marginal:
        total, lower = ZERO, ZERO
        for tier in c.tiers:
            upper = tier.upto if tier.upto is not None else amount
            if amount > lower:
                total += (min(amount, upper) - lower) * tier.rate
            lower = upper
            if tier.upto is None:
                break
        return total
    for tier in c.tiers:
        if tier.upto is None or amount <= tier.upto:
            return amount * tier.rate
    return ZERO


def _awards(scheme: Scheme, cards: list[ScoreCard], inp: ScoringInput) -> None:
    by_agent = {c.agent_id: c for c in cards}
    for award in scheme.awards:
        unit = inp.metric_units.get(award.metric, "count")
        if isinstance(award, RankAward):
            direction = award.direction or inp.metric_directions.get(award.metric, "higher")
            ranked = []
            for c in cards:
                row = inp.metrics.get(c.agent_id, {})
                value = metric_value(row, award.metric)[0]
                if value is None:
                    continue
                if award.min_sample is not None:
                    basis = row.get(award.min_sample.metric)
                    if basis is None or Decimal(str(basis)) < award.min_sample.n:
                        continue
                ranked.append((value, c.agent_id))
            ranked.sort(key=lambda t: t[0], reverse=direction != "lower")
            rank = 0
            i = 0
            while i < len(ranked):
                tied = [a for v, a in ranked if v == ranked[i][0]]
                rank = i + 1
                if rank > award.top:
                    break
                share = award.amount / len(tied) if award.ties == "split" else award.amount
                for agent_id in tied:
                    params: dict[str, Any] = {"rank": rank, "n": len(ranked),
                                              "metric": metric_ref(award.metric),
                                              "value": value_of(ranked[i][0], unit)}
                    code = "award.rank"
                    if len(tied) > 1:
                        code = "award.rank_tied"
                        params.update(tied=len(tied), ties=rule(f"ties.{award.ties}"))
                    by_agent[agent_id].pay.awards.append(AwardScore(
                        "rank", award.metric, share, code, params, award.label))
                i += len(tied)
        elif isinstance(award, TargetAward):
            direction = inp.metric_directions.get(award.metric, "higher")
            for c in cards:
                value = metric_value(inp.metrics.get(c.agent_id, {}), award.metric)[0]
                goal = award.reach if award.reach is not None else inp.targets.get(
                    (c.agent_id, award.metric))
                if value is None or goal is None:
                    continue
                reached = value <= goal if direction == "lower" else value >= goal
                if reached:
                    c.pay.awards.append(AwardScore(
                        "target", award.metric, award.amount, "award.target",
                        {"metric": metric_ref(award.metric), "value": value_of(value, unit),
                         "goal": value_of(goal, unit)}, award.label))


# --- the whole period --------------------------------------------------------------------


def score_period(scheme: Scheme, inp: ScoringInput) -> ScoreResult:
    problems: list[ScoreProblem] = []
    cards: list[ScoreCard] = []
    unmatched: list[str] = []
    for agent in sorted(inp.roster, key=lambda a: a["agent_id"]):
        if not scheme.applies_to.matches(agent):
            unmatched.append(agent["agent_id"])
            continue
        if agent.get("active") is False and agent["agent_id"] not in inp.metrics:
            continue
        items = [score_item(item, agent, inp, problems) for item in scheme.items]
        card = ScoreCard(agent["agent_id"], agent.get("name"), scheme.name, items,
                         _adjustments(scheme, agent, inp, problems), scheme.max_score,
                         scheme.pass_ratio)
        _veto(scheme, card, inp.metrics.get(agent["agent_id"], {}), inp, problems)
        _pay(scheme, card, agent, inp, problems)
        cards.append(card)
    _awards(scheme, cards, inp)
    for card in cards:
        _check_pay_range(card, problems)
    return ScoreResult(cards, problems, unmatched)


def _check_pay_range(card: ScoreCard, problems: list[ScoreProblem]) -> None:
    """Every pay amount of 10^15 or more is a ``pay_range`` problem and counts as 0."""
    slip = card.pay
    amounts = [("base", slip.base), ("kpi_bonus", slip.kpi_bonus),
               ("commission", slip.commission),
               ("awards", sum((a.amount for a in slip.awards), ZERO))]
    for name, amount in amounts:
        if amount.copy_abs() < NUMBER_LIMIT:
            continue
        part = texts.rule(f"part.{name}")
        problems.append(ScoreProblem(card.agent_id, "pay_range", {
            "part": part, "agent": card.agent_id, "size": size_text(amount)}))
        slip.note("out_of_range", part=part)
        if name == "awards":
            slip.awards = []
        else:
            setattr(slip, name, ZERO)
