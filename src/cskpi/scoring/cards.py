"""What scoring produces, as plain data: scorecards, their items, pay and problems.

Every text a scorecard shows is a code with parameters (see :mod:`cskpi.scoring.texts`):
``rule`` is its English text, for JSON and logs; the faces render it for their reader.
Points and money are Decimal; JSON keeps them exact and adds rounded ``*_display``
fields where a person reads them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from ..units import format_money, format_percent, format_points
from . import texts
from .texts import figure

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
    weight: Decimal | None = None  # a weighted item: points = its own points × weight

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
        if self.weight is not None:
            out["weight"] = self.weight
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
    note_code: str | None = None  # own_points: events carried points the scheme sets aside

    @property
    def rule(self) -> str:
        return texts.rule_text(self, texts._english())

    def to_dict(self) -> dict[str, Any]:
        out = {"event": self.event, "label": self.label, "count": self.count,
               "points": self.points, "points_display": format_points(self.points),
               "rule": self.rule, "rule_code": self.rule_code, "rule_params": self.rule_params}
        if self.note_code:
            out["note_code"] = self.note_code
        return out


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
class PayLine:
    """Money beside base, bonus, commission and awards: a share of a pool (``pool``), money
    per event (``event``), or a deduction (``deduction``, 扣款: a negative amount)."""

    kind: str
    label: str
    amount: Decimal
    rule_code: str
    rule_params: dict[str, Any] = field(default_factory=dict)

    @property
    def rule(self) -> str:
        return texts.rule_text(self, texts._english())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "amount": cents(self.amount),
                "amount_display": format_money(self.amount), "rule": self.rule,
                "rule_code": self.rule_code, "rule_params": self.rule_params}


@dataclass
class PaySlip:
    base: Decimal = ZERO
    kpi_bonus: Decimal = ZERO
    commission: Decimal = ZERO
    awards: list[AwardScore] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # coded: why a part is 0
    lines: list[PayLine] = field(default_factory=list)
    explain: dict[str, dict[str, Any]] = field(default_factory=dict)  # part -> coded rule

    @property
    def total(self) -> Decimal:
        return cents(self.base + self.kpi_bonus + self.commission
                     + sum((a.amount for a in self.awards), ZERO)
                     + sum((line.amount for line in self.lines), ZERO))

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
        if self.lines:
            out["lines"] = [line.to_dict() for line in self.lines]
        for part, msg in self.explain.items():
            out[f"{part}_rule"] = {**msg, "text": texts.english(msg)}
        if self.notes:
            out["notes"] = [{**n, "text": texts.english(n)} for n in self.notes]
        return out


@dataclass
class VetoHit:
    """A veto that applied: its condition, the scheme's reason, what it cancels."""

    condition: str
    reason: str | None
    effect: str  # score | bonus (the older spelling: score cancels the score)
    line: int = 0
    cancels: tuple[str, ...] = ()

    @property
    def message(self) -> dict[str, Any]:
        cancels = [texts.rule(f"part.{c}") for c in self.cancels]
        if self.reason and self.reason != self.condition:
            return texts.rule("veto.reason", condition=self.condition, reason=self.reason,
                              cancels=cancels)
        return texts.rule("veto.condition", condition=self.condition, cancels=cancels)

    @property
    def text(self) -> str:
        return texts.english(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"effect": self.effect, "reason": self.text, "cancels": list(self.cancels),
                "message": self.message}


@dataclass
class ScoreCard:
    agent_id: str
    name: str | None
    scheme: str
    items: list[ItemScore]
    adjustments: list[AdjustmentScore]
    max_score: Decimal
    pass_ratio: Decimal | None
    vetoes: list[VetoHit] = field(default_factory=list)
    pay: PaySlip = field(default_factory=PaySlip)
    team: Any = None
    level: str | None = None  # the band of score / max_score (金牌 …), when the scheme has levels
    level_factor: Decimal | None = None

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)

    @property
    def cancelled(self) -> frozenset[str]:
        """What the vetoes that applied cancel (score, kpi_bonus, commission, awards, pools)."""
        return frozenset(c for v in self.vetoes for c in v.cancels)

    @property
    def veto_effect(self) -> str | None:
        if not self.vetoes:
            return None
        return "score" if "score" in self.cancelled else "bonus"

    @property
    def veto_reasons(self) -> list[str]:
        """The vetoes that applied, in English (``condition: reason``)."""
        return [v.text for v in self.vetoes]

    @property
    def warnings(self) -> list[str]:
        """Scoring warnings (fallbacks, missing figures, events' points set aside) in
        English: ``key: rule``."""
        return [f"{i.key}: {i.rule}" for i in self.items if i.note_code in texts.WARNED] + [
            f"{a.event}: {a.rule}" for a in self.adjustments if a.note_code in texts.WARNED]

    @property
    def raw_score(self) -> Decimal:
        return sum((i.points for i in self.items), ZERO) + sum(
            (a.points for a in self.adjustments), ZERO)

    @property
    def score(self) -> Decimal:
        return ZERO if "score" in self.cancelled else self.raw_score

    @property
    def ratio(self) -> Decimal:
        return self.score / self.max_score if self.max_score else ZERO

    @property
    def passed(self) -> bool:
        if "score" in self.cancelled:
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
            **({"level": self.level, "level_factor": self.level_factor}
               if self.level_factor is not None else {}),
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
    shop_metrics: Mapping[str, Any] = field(default_factory=dict)  # the shop's row
    # the complaints table's rows of the period (complaint_id, agent_id, verified, points);
    # None: the workspace has no complaints table (complaints come from events only)
    complaints: Sequence[Mapping[str, Any]] | None = None
    attendance: Sequence[Mapping[str, Any]] | None = None  # agent_id, date, status
    # last period, for prev() and streak(): agent -> its values (metrics, score, level,
    # level_factor), and agent -> (its level, how many periods in a row up to then)
    previous: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    streaks: Mapping[str, tuple[str | None, int]] = field(default_factory=dict)


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


