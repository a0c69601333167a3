"""Gathering what scoring needs from a workspace (the impure half of scoring).

``prev('KEY')`` and ``streak('LEVEL')`` need the last periods' results: they are scored
from the workspace with the same scheme, oldest first, going back at most
:data:`HISTORY_MONTHS` months and stopping at the first month without data (the oldest
month scored has no ``prev()`` of its own).  Only schemes that use them pay for it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import SchemeInvalid
from ..metrics import engine as E
from ..metrics.catalog import CATALOG, QA_CATALOG
from ..metrics.compute import MetricQuery, compute
from ..metrics.ibis_adapter import fetch
from ..metrics.inputs import Inputs
from ..metrics.profiles import resolve as resolve_profile
from ..months import month_range, previous_month
from ..scheme import Scheme
from . import presets
from .corrections import apply_corrections, is_correction, keyed_complaints, keyed_events
from .score import ScoreResult, ScoringInput, score_period


@dataclass
class Scored:
    scheme: Scheme
    period: str
    result: ScoreResult
    _cards: dict[str, dict[str, Any] | None] = field(default_factory=dict, init=False,
                                                     repr=False, compare=False)

    def card_of(self, agent_id: str) -> dict[str, Any] | None:
        """One agent's card as JSON values (:meth:`Card.to_dict` made
        :func:`~cskpi.jsonable.jsonable`), None when the scheme scored no card for the
        agent; made once per agent (a page reads it often: treat it as read-only)."""
        if agent_id not in self._cards:
            from ..jsonable import jsonable

            card = next((c for c in self.result.cards if c.agent_id == agent_id), None)
            self._cards[agent_id] = jsonable(card.to_dict()) if card is not None else None
        return self._cards[agent_id]


@dataclass(frozen=True)
class SchemeText:
    """A scheme given as its YAML text (a version saved in the web app, an editor's
    preview), with the name its messages give as the source: no file is written."""

    text: str
    source: str = "<scheme>"


SchemeRef = str | SchemeText | Scheme
"""What scoring takes as a scheme: a preset name or a file path, a text, or a loaded one."""


def load(ref: SchemeRef, roster: list[dict[str, Any]] | None = None) -> Scheme:
    """The scheme ``ref`` names or holds, checked (against ``roster``'s agents when given):
    :class:`SchemeInvalid` with every problem when it has errors."""
    from ..qa.schemes import load_scheme_checked

    if isinstance(ref, Scheme):
        return ref
    if isinstance(ref, SchemeText):
        source, text = ref.source, ref.text
    else:
        source, text = presets.resolve(ref)
    scheme, issues = load_scheme_checked(text, source, roster=roster)
    if scheme is None:
        raise SchemeInvalid(source, issues)
    return scheme


EVENT_COLUMNS = ("agent_id", "ts_local", "kind", "points", "note")
"""What an imported event is read with: its content, which is also its key."""

HISTORY_MONTHS = 12
"""How far back ``prev()`` and ``streak()`` look (they stop at a month without data)."""


def gather(backend: Any, inp: Inputs, scheme: Scheme, period: str,
           cache: Any = None, extra_grades: Any = (), extra_events: Any = (),
           qa_decisions: Any = None, history: bool = True) -> ScoringInput:
    """Everything a scheme scores on; ``cache``: the workspace's (``metrics.cache.cached``).

    ``extra_grades`` and ``extra_events``: entered elsewhere (the web app); a grade
    replaces the imported one of its agent and item, an event joins the imported ones, and
    one that names an imported event or complaint (``corrects``) corrects it instead
    (:mod:`cskpi.scoring.corrections`).  With ``history``, the last periods are scored too
    when the scheme uses ``prev()`` or ``streak()`` (see the module's docstring)."""
    first, last = month_range(period)
    from ..qa.schemes import load_scheme_rules

    cached = {} if cache is None else {"facts": cache.facts, "rollups": cache.rollups}
    profile = resolve_profile(scheme.profile or "generic")
    roster = fetch(backend, E.agents_table(inp))
    # a scheme naming QA rules scores on the QA figures too (reviewers' decisions applied)
    qa = {"qa": load_scheme_rules(scheme), "qa_decisions": qa_decisions} if scheme.qa else {}
    rows = compute(backend, inp, MetricQuery(first, last, by="agent", profile=profile, **qa),
                   **cached).rows
    metrics = {r["agent_id"]: r for r in rows}
    team_metrics: dict[Any, dict[str, Any]] = {}
    pools = scheme.pay.pools if scheme.pay is not None else ()
    if any(getattr(i, "min_sample", None) and i.min_sample.fallback == "team"
           for i in scheme.items) or scheme.lookup_keys("team") \
            or any(pool.per == "team" for pool in pools):
        team_rows = compute(backend, inp, MetricQuery(first, last, by="team", profile=profile,
                                                      **qa), **cached).rows
        team_metrics = {r["team"]: r for r in team_rows}
    shop_metrics: dict[str, Any] = {}
    if scheme.lookup_keys("shop"):
        shop_rows = compute(backend, inp, MetricQuery(first, last, by="shop", profile=profile),
                            **cached).rows
        shop_metrics = shop_rows[0] if shop_rows else {}
    grades = _imported_grades(backend, inp, period)
    grades = merge_grades(grades, [g for g in extra_grades if g["period"] == period])
    entered = [e for e in extra_events if in_month(e.get("date"), first, last)]
    # imported events and complaints as the corrections entered elsewhere leave them
    events, complaints = apply_corrections(
        keyed_events(_imported_events(backend, inp, period, EVENT_COLUMNS)),
        _keyed(_imported_complaints(backend, inp, period,
                                    ("complaint_id", "agent_id", "verified", "points"))),
        [e for e in entered if is_correction(e)])
    events = [*({k: e.get(k) for k in ("agent_id", "kind", "points", "note")} for e in events),
              *({"agent_id": e["agent_id"], "kind": e["kind"], "points": e.get("points"),
                 "note": e.get("note")} for e in entered if not is_correction(e))]
    targets = _targets(backend, inp, scheme, period, roster, profile)
    refunded: dict[str, Decimal] = {}
    if scheme.pay and scheme.pay.commission and scheme.pay.commission.net_of_refunds \
            and inp.has("refunds") and inp.has("orders"):
        refunded = _refunded(backend, inp, profile, first, last)
    attendance = None
    if inp.has("attendance") and any(getattr(i, "per_occurrence", None) for i in scheme.items):
        a = inp.get("attendance")
        attendance = fetch(backend, a.filter(E.in_range(a.date, E.Buckets(first, last, None)))
                           .select("agent_id", "date", "status"))
    data = ScoringInput(
        period=period, roster=roster, metrics=metrics, team_metrics=team_metrics,
        grades=grades, events=events, targets=targets, refunded=refunded,
        shop_metrics=shop_metrics, complaints=complaints, attendance=attendance,
        metric_units={k: m.unit for k, m in {**CATALOG, **QA_CATALOG}.items()},
        metric_directions={k: m.direction for k, m in {**CATALOG, **QA_CATALOG}.items()})
    if history and scheme.lookup_keys("prev", "streak"):
        data.previous, data.streaks = last_periods(backend, inp, scheme, period, cache)
    return data


def _imported_grades(backend: Any, inp: Inputs, period: str) -> list[dict[str, Any]]:
    """The workspace's grades of a month (what the ``grades`` table holds for it)."""
    if not inp.has("grades"):
        return []
    g = inp.get("grades")
    return fetch(backend, g.filter(g.period == period))


def _imported_events(backend: Any, inp: Inputs, period: str,
                     columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """The workspace's events of a month (by the shop's local time)."""
    if not inp.has("events"):
        return []
    first, last = month_range(period)
    ev = inp.get("events")
    ev = ev.filter(E.in_range(ev.ts_local, E.Buckets(first, last, None)))
    return fetch(backend, ev.select(*columns))


def _imported_complaints(backend: Any, inp: Inputs, period: str,
                         columns: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """The workspace's complaints of a month (None: the workspace has no such table)."""
    if not inp.has("complaints"):
        return None
    first, last = month_range(period)
    c = inp.get("complaints")
    c = c.filter(E.in_range(c.ts_local, E.Buckets(first, last, None)))
    return fetch(backend, c.select(*columns))


def _keyed(complaints: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if complaints is None else keyed_complaints(complaints)


def imported_entries(backend: Any, inp: Inputs, period: str) -> dict[str, list[dict[str, Any]]]:
    """The grades, events and complaints of a month that came with the data (not entered
    in the app), read as scoring reads them, with their dates, reviewers and notes, for
    listing beside the entered ones: ``{"grades", "events", "complaints"}``.  Events and
    complaints carry the ``key`` that names them (:mod:`cskpi.scoring.corrections`)."""
    events = keyed_events(_imported_events(backend, inp, period, EVENT_COLUMNS))
    complaints = _keyed(_imported_complaints(backend, inp, period,
                                             ("complaint_id", "agent_id", "ts_local",
                                              "verified", "points", "note"))) or []
    key = lambda r: (str(r["agent_id"]), str(r.get("ts_local")))  # noqa: E731
    return {"grades": sorted(_imported_grades(backend, inp, period),
                             key=lambda r: (str(r["agent_id"]), str(r["item"]))),
            "events": sorted(events, key=key), "complaints": sorted(complaints, key=key)}


def last_periods(backend: Any, inp: Inputs, scheme: Scheme, period: str, cache: Any = None,
                 ) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str | None, int]]]:
    """Each agent's values last period (metrics, score, level, level_factor) and its level
    streak up to then, from the months before ``period`` scored with ``scheme``.

    Months are taken back from the one before ``period`` until one has no data, at most
    :data:`HISTORY_MONTHS`; they are scored oldest first, each seeing the one before."""
    months: list[ScoringInput] = []
    month = period
    for _ in range(HISTORY_MONTHS):
        month = previous_month(month)
        data = gather(backend, inp, scheme, month, cache, qa_decisions=None, history=False)
        if not has_data(data):
            break
        months.append(data)
    previous: dict[str, dict[str, Any]] = {}
    streaks: dict[str, tuple[str | None, int]] = {}
    for data in reversed(months):
        data.previous, data.streaks = previous, streaks
        result = score_period(scheme, data)
        now: dict[str, dict[str, Any]] = {}
        runs: dict[str, tuple[str | None, int]] = {}
        for card in result.cards:
            before, count = streaks.get(card.agent_id, (None, 0))
            run = count + 1 if card.agent_id in previous and before == card.level else 1
            runs[card.agent_id] = (card.level, run)
            now[card.agent_id] = {**data.metrics.get(card.agent_id, {}), "score": card.score,
                                  "level": card.level, "level_factor": card.level_factor}
        previous, streaks = now, runs
    return previous, streaks


def has_data(data: ScoringInput) -> bool:
    """Whether a month has any figure or entry to score (a month before the data began
    has none)."""
    if data.grades or data.events or data.complaints:
        return True
    return any(v not in (None, 0) for row in data.metrics.values()
               for k, v in row.items() if k in CATALOG)


def merge_grades(imported: list[dict[str, Any]],
                 entered: Any) -> list[dict[str, Any]]:
    """Imported grades, with grades entered later replacing those of the same key."""
    key = lambda g: (g["agent_id"], g["period"], g["item"])  # noqa: E731
    merged = {key(g): dict(g) for g in imported}
    merged.update({key(g): dict(g) for g in entered})
    return list(merged.values())


def in_month(day: Any, first: dt.date, last: dt.date) -> bool:
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    if isinstance(day, dt.datetime):
        day = day.date()
    return day is not None and first <= day <= last


def _targets(backend: Any, inp: Inputs, scheme: Scheme, period: str,
             roster: list[dict[str, Any]], profile: Any) -> dict[tuple[str, str], Decimal]:
    """(agent, metric) -> target: the targets table (agent, then team, then shop), else the
    scheme's rule (history mean × (1 + uplift), a percentile of history, or a number)."""
    table: dict[tuple[str, str], Decimal] = {}
    if inp.has("targets"):
        t = inp.get("targets")
        for row in fetch(backend, t.filter(t.period == period)):
            table[(row["scope"], row["metric"])] = Decimal(str(row["value"]))
    metrics = {getattr(i, "metric", None) for i in scheme.items} | {
        a.metric for a in scheme.awards} | set(scheme.targets) | scheme.lookup_keys("target")
    if scheme.pay is not None and scheme.pay.commission is not None \
            and scheme.pay.commission.of_target:
        metrics.add(scheme.pay.commission.on)
    metrics.discard(None)
    metrics.discard("")
    out: dict[tuple[str, str], Decimal] = {}
    history = _history(backend, inp, scheme, period, profile)
    for agent in roster:
        for metric in metrics:
            for scope in (f"agent:{agent['agent_id']}", f"team:{agent.get('team')}", "shop"):
                if (scope, metric) in table:
                    out[(agent["agent_id"], metric)] = table[(scope, metric)]
                    break
            else:
                rule = scheme.targets.get(metric)
                value = _from_rule(rule, history.get((agent["agent_id"], metric), []))
                if value is not None:
                    out[(agent["agent_id"], metric)] = value
    return out


def _from_rule(rule: Any, past: list[Decimal]) -> Decimal | None:
    if rule is None:
        return None
    if rule.method == "fixed":
        return rule.value
    if not past:
        return None
    if rule.method == "history":
        return sum(past, Decimal(0)) / len(past) * (1 + rule.uplift)
    ordered = sorted(past)  # percentile, linear interpolation between ranks
    pos = (Decimal(len(ordered) - 1) * rule.percentile / 100)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _history(backend: Any, inp: Inputs, scheme: Scheme, period: str,
             profile: Any) -> dict[tuple[str, str], list[Decimal]]:
    rules = [r for r in scheme.targets.values() if r.method != "fixed" and r.periods]
    if not rules:
        return {}
    k = max(r.periods or 0 for r in rules)
    first, _ = month_range(period)
    start = first
    for _ in range(k):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    rows = compute(backend, inp, MetricQuery(start, first - dt.timedelta(days=1), by="agent",
                                             grain="month", profile=profile)).rows
    out: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for r in rows:
        for metric in scheme.targets:
            if r.get(metric) is not None:
                out[(r["agent_id"], metric)].append(Decimal(str(r[metric])))
    return out


def _refunded(backend: Any, inp: Inputs, profile: Any, first: dt.date,
              last: dt.date) -> dict[str, Decimal]:
    o = E.credited_orders(inp, profile).select(_oid="order_id", credited="credited")
    r = inp.get("refunds")
    r = r.filter(E.in_range(r.requested_ts_local, E.Buckets(first, last, None)))
    j = r.inner_join(o, r.order_id == o._oid)
    j = j.filter(j.credited.notnull())
    rows = fetch(backend, j.group_by("credited").agg(amount=j.amount.sum()))
    return {row["credited"]: Decimal(str(row["amount"] or 0)) for row in rows}


def score(backend: Any, inp: Inputs, scheme_ref: SchemeRef, period: str, cache: Any = None, *,
          extra_grades: Any = (), extra_events: Any = (), qa_decisions: Any = None) -> Scored:
    roster = fetch(backend, E.agents_table(inp)) if inp.has("agents") else None
    scheme = load(scheme_ref, roster)
    data = gather(backend, inp, scheme, period, cache, extra_grades, extra_events,
                  qa_decisions)
    return Scored(scheme, period, score_period(scheme, data))


__all__ = ["SchemeRef", "SchemeText", "Scored", "load", "month_range", "score"]
