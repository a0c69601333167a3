"""Scoring: (metric rows, scheme, grades, events, targets) -> scorecards with pay.

Pure functions over plain data: nothing here reads a database.  Every point carries
the rule that gave it and the data behind it, so the same explanation feeds JSON, the
web page and Excel.  Points and money are Decimal; money is rounded to cents only at
the end (each pay component for display, the total from the exact sum).

A period is scored in the order its values depend on each other: every agent's items,
adjustments and vetoes; then the scores, hence the levels (金牌 …); then pay, which may
read them (a bonus by level factor, a pool split by score).  The loader refuses a
formula that reads what is computed after it (``formula_cycle``).

Nothing a scheme that passed its check computes escapes as an exception: a formula
whose value leaves the bounds for an agent's data (see :mod:`cskpi.scheme.limits`) is
a ``formula_range`` problem of that agent, a pay amount of 10^15 or more a
``pay_range`` problem, and rounding for display never fails, whatever the size.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..scheme import CANCELLABLE, FormulaRangeError, Scheme
from . import texts
from .cards import (
    CENT,
    AdjustmentScore,
    AwardScore,
    ItemScore,
    PayLine,
    PaySlip,
    ScoreCard,
    ScoreProblem,
    ScoreResult,
    ScoringInput,
    VetoHit,
    cents,
    metric_value,
    rounded,
    value_of,
)
from .entries import is_deduction, own_points
from .items import GRADE_ALIASES, range_problem, score_item
from .lookups import Resolver, events_of
from .pay import awards, check_pay_range, commission, of_target, pay_card, pools, split_cents
from .texts import event_ref, points

ZERO = Decimal(0)

__all__ = [
    "CENT", "GRADE_ALIASES", "AdjustmentScore", "AwardScore", "ItemScore", "PayLine",
    "PaySlip", "ScoreCard", "ScoreProblem", "ScoreResult", "ScoringInput", "VetoHit",
    "cents", "commission", "metric_value", "of_target", "range_problem", "rounded",
    "score_period", "split_cents", "value_of",
]


def _adjustments(scheme: Scheme, agent: Mapping[str, Any], inp: ScoringInput,
                 problems: list[ScoreProblem]) -> list[AdjustmentScore]:
    """Points per event outside the items.  A fixed adjustment gives its points for each
    event (an event carrying other points is shown and warned about); a ranged one takes
    the points the manager chose for each event.  Complaints are those of :func:`events_of`: the
    verified ones of the complaints table, each once; their 扣分 (written 13 or -13)
    counts against a deduction."""
    out = []
    for adj in scheme.adjustments:
        events = events_of(inp, agent["agent_id"], adj.event)
        if not events:
            continue
        deduction = is_deduction(adj.points, adj.max_points)
        if adj.points is not None:
            out.append(_fixed(adj, events, deduction))
            continue
        total = ZERO
        chosen = []
        for e in events:
            p = _own_points(e, deduction)
            lo, hi = adj.min_points, adj.max_points
            if p is None or (lo is not None and p < lo) or (hi is not None and p > hi):
                problems.append(ScoreProblem(agent["agent_id"], "adjustment_points", {
                    "event": event_ref(adj.event, adj.label), "agent": agent["agent_id"],
                    "min": points(lo), "max": points(hi),
                    "got": points(p) if p is not None else "—"}))
                continue
            total += p
            chosen.append(points(p))
        out.append(AdjustmentScore(adj.event, len(events), total, "adjust.chosen", {
            "count": len(events), "chosen": chosen, "min": points(adj.min_points),
            "max": points(adj.max_points)}, adj.label))
    return out


def _own_points(event: Mapping[str, Any], deduction: bool) -> Decimal | None:
    """The points an event row carries (a deduction's written positive counts negative)."""
    return own_points(event.get("points"), deduction)


def _fixed(adj: Any, events: list[dict[str, Any]], deduction: bool) -> AdjustmentScore:
    """A fixed adjustment: the scheme's points for each event.  Events carrying other
    points do not change them (the scheme fixes the points), but the rule shows those
    points and the card warns, so a disagreement between data and scheme is seen."""
    own = [p for e in events if (p := _own_points(e, deduction)) is not None
           and p != adj.points]
    total = adj.points * len(events)
    if not own:
        return AdjustmentScore(adj.event, len(events), total, "adjust.fixed",
                               {"count": len(events), "points": points(adj.points)},
                               adj.label)
    return AdjustmentScore(adj.event, len(events), total, "adjust.set_aside",
                           {"count": len(events), "points": points(adj.points),
                            "own": [points(p) for p in own]}, adj.label,
                           note_code="own_points")


def _veto(scheme: Scheme, card: ScoreCard, row: Mapping[str, Any], ctx: Resolver) -> None:
    """Veto conditions see metric values (attendance counts included), event counts and
    lookups.  A condition out of bounds for the agent's data does not apply; it is a
    problem."""
    for v in scheme.veto:
        counts: dict[str, Decimal | None] = {
            k: Decimal(len(events_of(ctx.inp, card.agent_id, k)))
            for k in v.condition.names if k not in row}
        try:
            holds = v.condition.evaluate(ctx.env(v.condition, card.agent_id,
                                                 names=counts)) is True
        except FormulaRangeError as err:
            ctx.problems.append(range_problem(card.agent_id, texts.rule("what.veto",
                                                                        line=v.line),
                                              v.condition, err))
            continue
        if holds:
            cancels = tuple(c for c in CANCELLABLE if c in v.cancels)
            card.vetoes.append(VetoHit(v.condition.text, v.reason, v.effect, v.line, cancels))


def score_period(scheme: Scheme, inp: ScoringInput) -> ScoreResult:
    problems: list[ScoreProblem] = []
    cards: list[ScoreCard] = []
    unmatched: list[str] = []
    covered = []
    for agent in sorted(inp.roster, key=lambda a: a["agent_id"]):
        if not scheme.applies_to.matches(agent):
            unmatched.append(agent["agent_id"])
            continue
        if agent.get("active") is False and agent["agent_id"] not in inp.metrics:
            continue
        covered.append(agent)
    ctx = Resolver(inp, covered, problems)
    for agent in covered:  # 1. items, adjustments, vetoes
        items = [score_item(item, agent, ctx) for item in scheme.items]
        card = ScoreCard(agent["agent_id"], agent.get("name"), scheme.name, items,
                         _adjustments(scheme, agent, inp, problems), scheme.max_score,
                         scheme.pass_ratio, team=agent.get("team"))
        _veto(scheme, card, inp.metrics.get(agent["agent_id"], {}), ctx)
        cards.append(card)
    ctx.scores = {c.agent_id: c.score for c in cards}  # 2. scores, then levels
    if scheme.levels:
        for card in cards:
            level = scheme.level_of(card.ratio)
            card.level = level.name if level is not None else None
            card.level_factor = level.factor if level is not None else ZERO
    ctx.levels = {c.agent_id: c.level for c in cards}
    for agent, card in zip(covered, cards, strict=True):  # 3. pay
        pay_card(scheme, card, agent, ctx)
    awards(scheme, cards, inp)
    pools(scheme, cards, ctx)
    for card in cards:
        check_pay_range(card, problems)
    return ScoreResult(cards, problems, unmatched)
