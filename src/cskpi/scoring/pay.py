"""Pay: base, KPI bonus, commission, money per event, awards and shared pools.

Runs once every agent's score and level are known, so pay formulas may read them
(``level_factor``, ``team_avg('score')``, ``streak('金牌')`` …).  A veto that names a part
in ``cancels`` pays none of it: no KPI bonus, no commission, no award (the agent is not
ranked), no share of a pool.  Each part carries its rule (a code with parameters), so
the scorecard says which pool, which share, which level and which veto cancelled what.

Money stays exact until shown; a pool's shares are cut to the cent, the rounding
remainder going to the largest share, so they add up to the pool exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..scheme import (
    Commission,
    FormulaAward,
    FormulaRangeError,
    Pool,
    RankAward,
    Scheme,
    TargetAward,
)
from ..scheme.limits import NUMBER_LIMIT, shorten, size_text
from . import texts
from .cards import (
    AwardScore,
    PayLine,
    ScoreCard,
    ScoreProblem,
    ScoringInput,
    cents,
    metric_value,
    value_of,
)
from .items import range_problem
from .lookups import Resolver, events_of
from .texts import figure, metric_ref, number, rule

ZERO = Decimal(0)


def money(value: Decimal | None) -> dict[str, Any]:
    return figure(value, "money")


def pay_card(scheme: Scheme, card: ScoreCard, agent: Mapping[str, Any],
             ctx: Resolver) -> None:
    """Base, KPI bonus, commission, money per event and formula awards of one agent."""
    pay = scheme.pay
    slip = card.pay
    if pay is not None and pay.base is not None:
        if pay.base.amount is not None:
            slip.base = pay.base.amount
        elif pay.base.by_level is not None:
            level = agent.get("level")
            if level in pay.base.by_level:
                slip.base = pay.base.by_level[level]
            else:
                ctx.problems.append(ScoreProblem(agent["agent_id"], "missing_level", {
                    "agent": agent["agent_id"], "level": str(level),
                    "levels": ", ".join(pay.base.by_level)}))
    if pay is not None and pay.kpi_bonus is not None:
        _kpi_bonus(pay.kpi_bonus, card, ctx)
    if pay is not None and pay.commission is not None:
        _commission(pay.commission, card, ctx)
    _event_money(scheme, card, ctx.inp)
    for award in scheme.awards:
        if isinstance(award, FormulaAward) and "awards" not in card.cancelled:
            _formula_award(award, card, ctx)


def pay_names(card: ScoreCard, inp: ScoringInput) -> dict[str, Decimal | None]:
    """What a pay formula may name: the agent's score, its level and its sales."""
    row = inp.metrics.get(card.agent_id, {})
    return {"score": card.score, "max_score": card.max_score, "pass_ratio": card.pass_ratio,
            "level_factor": card.level_factor, "sales": metric_value(row, "sales")[0]}


def _kpi_bonus(kb: Any, card: ScoreCard, ctx: Resolver) -> None:
    slip = card.pay
    if kb.requires_pass and not card.passed:
        slip.note("no_bonus_pass")
        return
    if "kpi_bonus" in card.cancelled:
        slip.note("no_bonus_veto")
        return
    names = {"pool": kb.pool, **pay_names(card, ctx.inp)}
    try:
        v = kb.formula.evaluate(ctx.env(kb.formula, card.agent_id, names=names))
    except FormulaRangeError as err:
        ctx.problems.append(range_problem(card.agent_id, texts.rule("what.kpi_bonus"),
                                          kb.formula, err))
        slip.note("bonus_range")
        return
    amount = max(ZERO, v) if isinstance(v, Decimal) else ZERO
    text = shorten(kb.formula.text, 60)
    if kb.cap is not None and amount > kb.cap:
        slip.explain["kpi_bonus"] = rule("pay.bonus_capped", formula=text,
                                         amount=money(amount), cap=money(kb.cap))
        amount = kb.cap
    else:
        slip.explain["kpi_bonus"] = rule("pay.bonus", formula=text, amount=money(amount))
    slip.kpi_bonus = amount


def _commission(c: Commission, card: ScoreCard, ctx: Resolver) -> None:
    slip = card.pay
    inp = ctx.inp
    row = inp.metrics.get(card.agent_id, {})
    amount = Decimal(str(row.get(c.on) or 0))
    if c.net_of_refunds:
        amount = max(ZERO, amount - inp.refunded.get(card.agent_id, ZERO))
    if c.requires_pass and not card.passed:
        slip.note("no_commission_pass")
        return
    if "commission" in card.cancelled:
        slip.note("no_commission_veto")
        return
    if c.of_target:
        target = ctx.target(card.agent_id, c.on)
        if target is None:
            slip.note("no_commission_target", metric=metric_ref(c.on))
            return
        slip.commission, slip.explain["commission"] = of_target(c, amount, target)
        return
    slip.commission = commission(c, amount)
    if c.rate is not None:
        slip.explain["commission"] = rule("commission.rate", rate=figure(c.rate, "rate"),
                                          amount=money(amount), value=money(slip.commission))
    else:
        slip.explain["commission"] = rule("commission.tiers", amount=money(amount),
                                          value=money(slip.commission))


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


def of_target(c: Commission, amount: Decimal,
              target: Decimal) -> tuple[Decimal, dict[str, Any]]:
    """阶梯提成: the rate of the bracket of target attainment reached (``amount / target``)
    on all of ``amount``, none below the first bracket; ``marginal``: each slice of the
    amount between two brackets (in money: ``from × target``) at its bracket's rate."""
    attainment = amount / target
    reached = [b for b in c.of_target if attainment >= b.start]
    shown = {"attainment": figure(attainment, "rate"), "amount": money(amount),
             "target": money(target)}
    if not reached:
        return ZERO, rule("commission.below", **shown,
                          first=figure(c.of_target[0].start, "rate"))
    if not c.marginal:
        bracket = reached[-1]
        value = amount * bracket.rate
        return value, rule("commission.of_target", **shown, rate=figure(bracket.rate, "rate"),
                           value=money(value))
    total = ZERO
    slices = []
    for i, bracket in enumerate(reached):
        low = bracket.start * target
        high = c.of_target[i + 1].start * target if i + 1 < len(c.of_target) else amount
        part = min(amount, high) - low
        if part <= 0:
            continue
        total += part * bracket.rate
        slices.append(rule("commission.slice", amount=money(part),
                           rate=figure(bracket.rate, "rate"), value=money(part * bracket.rate)))
    return total, rule("commission.of_target_marginal", **shown, slices=slices,
                       value=money(total))


def _event_money(scheme: Scheme, card: ScoreCard, inp: ScoringInput) -> None:
    """Money per event of the kinds the scheme declares with ``money``: a pay line each
    kind, a deduction (扣款) when negative."""
    for event in scheme.events:
        if event.money is None:
            continue
        count = len(events_of(inp, card.agent_id, event.kind))
        if not count:
            continue
        amount = event.money * count
        card.pay.lines.append(PayLine(
            "deduction" if amount < 0 else "event", event.label or event.kind, amount,
            "event.money", {"event": texts.event_ref(event.kind, event.label),
                            "count": count, "each": money(event.money),
                            "value": money(amount)}))


def _formula_award(award: FormulaAward, card: ScoreCard, ctx: Resolver) -> None:
    try:
        v = award.amount.evaluate(ctx.env(award.amount, card.agent_id,
                                          names=pay_names(card, ctx.inp)))
    except FormulaRangeError as err:
        ctx.problems.append(range_problem(card.agent_id, texts.rule(
            "what.award", label=award.label or award.amount.text), award.amount, err))
        return
    if not isinstance(v, Decimal) or v == 0:
        return
    card.pay.awards.append(AwardScore("formula", "", v, "award.formula", {
        "formula": shorten(award.amount.text, 60), "value": money(v)}, award.label))


def awards(scheme: Scheme, cards: list[ScoreCard], inp: ScoringInput) -> None:
    """Rank (排名奖) and target (达标奖) awards; an agent whose veto cancels awards is
    neither ranked nor paid."""
    eligible = [c for c in cards if "awards" not in c.cancelled]
    by_agent = {c.agent_id: c for c in cards}
    for award in scheme.awards:
        if isinstance(award, RankAward):
            _rank(award, eligible, by_agent, inp)
        elif isinstance(award, TargetAward):
            unit = inp.metric_units.get(award.metric, "count")
            direction = inp.metric_directions.get(award.metric, "higher")
            for c in eligible:
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


def _rank(award: RankAward, cards: list[ScoreCard], by_agent: dict[str, ScoreCard],
          inp: ScoringInput) -> None:
    unit = inp.metric_units.get(award.metric, "count")
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


# --- pools -------------------------------------------------------------------------------


def split_cents(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` (to the cent) shared in proportion to ``weights``: each share rounded to
    the cent, the rounding remainder to the largest share (the first of equals), so the
    shares add up to the amount exactly.  All weights 0: nobody gets anything."""
    total = sum(weights, ZERO)
    if total <= 0:
        return [ZERO for _ in weights]
    amount = cents(amount)
    shares = [cents(amount * w / total) if w > 0 else ZERO for w in weights]
    remainder = amount - sum(shares, ZERO)
    if remainder:
        largest = max(range(len(shares)), key=lambda i: (shares[i], -i))
        shares[largest] += remainder
    return shares


def pools(scheme: Scheme, cards: list[ScoreCard], ctx: Resolver) -> None:
    """Every pool of the scheme: its amount per team (or for the shop), shared among the
    agents the scheme covers there."""
    if scheme.pay is None:
        return
    for pool in scheme.pay.pools:
        groups: dict[Any, list[ScoreCard]] = defaultdict(list)
        for card in cards:
            groups[card.team if pool.per == "team" else None].append(card)
        for team, members in groups.items():
            _share_pool(pool, team, members, ctx)


def _weight(pool: Pool, card: ScoreCard, inp: ScoringInput) -> Decimal:
    if "pools" in card.cancelled or (pool.requires_pass and not card.passed):
        return ZERO
    if pool.split == "equal":
        return Decimal(1)
    if pool.split == "sales":
        value = metric_value(inp.metrics.get(card.agent_id, {}), "sales")[0]
        return max(ZERO, value) if value is not None else ZERO
    return max(ZERO, card.score)


def _share_pool(pool: Pool, team: Any, members: list[ScoreCard], ctx: Resolver) -> None:
    group = ("—" if team is None else str(team)) if pool.per == "team" else None
    where = rule("pool.team", team=group) if group is not None else rule("pool.shop")
    try:
        value = pool.amount.evaluate(ctx.env(pool.amount, None, team=team))
    except FormulaRangeError as err:
        for card in members:
            ctx.problems.append(range_problem(card.agent_id, texts.rule(
                "what.pool", label=pool.label), pool.amount, err))
        value = None
    if not isinstance(value, Decimal):
        for card in members:
            card.pay.lines.append(PayLine("pool", pool.label, ZERO, "pool.none", {
                "label": pool.label, "where": where}))
        return
    amount = cents(max(ZERO, value))
    weights = [_weight(pool, card, ctx.inp) for card in members]
    shares = split_cents(amount, weights)
    total = sum(weights, ZERO)
    for card, weight, share in zip(members, weights, shares, strict=True):
        if weight <= 0:
            code = "pool.excluded_veto" if "pools" in card.cancelled else (
                "pool.excluded_pass" if pool.requires_pass and not card.passed
                else "pool.excluded")
            params: dict[str, Any] = {"label": pool.label, "where": where,
                                      "amount": money(amount)}
        else:
            code = "pool.share"
            params = {"label": pool.label, "where": where, "amount": money(amount),
                      "weight": number(weight), "total": number(total),
                      "split": rule(f"split.{pool.split}"), "share": money(share)}
        card.pay.lines.append(PayLine("pool", pool.label, share, code, params))


def check_pay_range(card: ScoreCard, problems: list[ScoreProblem]) -> None:
    """Every pay amount of 10^15 or more is a ``pay_range`` problem and counts as 0."""
    slip = card.pay
    amounts = [("base", slip.base), ("kpi_bonus", slip.kpi_bonus),
               ("commission", slip.commission),
               ("awards", sum((a.amount for a in slip.awards), ZERO)),
               ("lines", sum((line.amount for line in slip.lines), ZERO))]
    for name, amount in amounts:
        if amount.copy_abs() < NUMBER_LIMIT:
            continue
        part = texts.rule(f"part.{name}")
        problems.append(ScoreProblem(card.agent_id, "pay_range", {
            "part": part, "agent": card.agent_id, "size": size_text(amount)}))
        slip.note("out_of_range", part=part)
        if name == "awards":
            slip.awards = []
        elif name == "lines":
            slip.lines = []
        else:
            setattr(slip, name, ZERO)
