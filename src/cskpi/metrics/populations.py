"""The rows behind every family field: which rounds, sessions, customers, orders … it counts.

The drill-down (:mod:`cskpi.metrics.explain`) lists, for one agent and period, exactly
the rows a figure is formed from.  Every field a catalog metric names (``value``,
``num``/``den`` and their ``shop_field``) has an entry in :data:`FIELDS`
(:class:`FieldRows`): the :class:`Population` it is taken from, the rules (:class:`Rule`) a
row must pass to be counted, and how the counted rows give the field (their number, the
sum of a column, its distinct values, a quantile).  Two fields of one population whose
rules extend one another are a subset and a superset (``window_rounds_in_time`` of
``window_rounds``): a rate then lists the denominator's rows with a ``numerator`` flag.

The populations mirror the family queries (:mod:`cskpi.metrics.families`) for one agent,
and return user-facing columns: local times of the shop's zone (``start``, ``created``,
``paid`` …), no ``_utc`` or import columns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from . import engine as E
from .compute import MetricQuery, _target, _Targets, period_bounds_utc
from .families.common import seconds, session_kind
from .ibis_adapter import fetch
from .inputs import Inputs

Row = dict[str, Any]
TRAILING_DAYS = 30  # disputes and their paid orders: the 30 days ending with the period


@dataclass(frozen=True)
class Note:
    """A sentence of the drill-down's note as a message code and its parameters.

    ``code`` is a key of the ``explain.*.json`` catalogs (``explain.note.rate`` …);
    ``fields`` maps placeholders to family fields, whose words (``explain.members.FIELD``)
    are looked up in the reader's language.
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def text(self, t: Any, shown: Shown | None = None) -> str:
        """The sentence in the language of ``t``; ``shown(name, value)`` may give a
        parameter as a face shows it (the web: a metric by its label, not its key)."""
        words = {name: t(f"explain.members.{f}") for name, f in self.fields.items()}
        params = self.params if shown is None else {
            name: shown(name, value) for name, value in self.params.items()}
        return str(t(self.code, **params, **words))


Shown = Callable[[str, Any], Any]


def note_text(notes: Iterable[Note], t: Any, shown: Shown | None = None) -> str:
    """Sentences of a note in the language of ``t`` (Chinese ones end in 。, unspaced)."""
    return ("" if getattr(t, "lang", "en") == "zh_CN" else " ").join(
        n.text(t, shown) for n in notes)


@dataclass
class Scope:
    """One drill-down: the agent, the period, the inputs; populations built once."""

    backend: Any
    inp: Inputs
    q: MetricQuery
    agent_id: str
    role: str
    built: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def period(self) -> E.Buckets:
        return E.Buckets(self.q.start, self.q.end, None)

    @property
    def trailing(self) -> E.Buckets:
        """The 30 days ending with the period's last day (disputes)."""
        return E.Buckets(self.q.end - dt.timedelta(days=TRAILING_DAYS - 1), self.q.end, None)

    def fetch(self, expr: ir.Table) -> list[Row]:
        return fetch(self.backend, expr, self.inp.sql_store)


@dataclass(frozen=True)
class Population:
    """A kind of row and how to list an agent's (or the shop's) rows of the period."""

    name: str
    source: str  # what the rows are, in words of the locale: rounds, sessions, orders …
    kind: str  # one row, in a list of two kinds of rows: paid_order, complaint …
    key: tuple[str, ...]  # the columns that tell rows apart
    build: Callable[[Scope], list[Row]]
    remarks: Callable[[Scope], list[Note]] = lambda scope: []

    def collect(self, scope: Scope) -> list[Row]:
        if self.name not in scope.built:
            scope.built[self.name] = self.build(scope)
        return scope.built[self.name]


@dataclass(frozen=True)
class Rule:
    """What a row must be to be counted (answered in time, rated 4-5 …)."""

    name: str
    passes: Callable[[Row], bool]


How = Literal["count", "sum", "distinct", "quantile", "value"]


@dataclass(frozen=True)
class FieldRows:
    """A family field as rows of a population: those passing ``rules``, and ``how`` they
    give the field (``column``: the one summed, counted distinct, or taken)."""

    population: Population
    rules: tuple[Rule, ...] = ()
    how: How = "count"
    column: str | None = None
    quantile: float | None = None
    scale: float = 1.0  # the field is the rows' figure times this (hours -> seconds)

    def members(self, scope: Scope) -> list[Row]:
        return [r for r in self.population.collect(scope) if self.counts(r)]

    def counts(self, row: Row) -> bool:
        return all(rule.passes(row) for rule in self.rules)

    def within(self, other: FieldRows) -> bool:
        """Whether every row this field counts is one ``other`` counts."""
        return self.population is other.population and \
            self.rules[:len(other.rules)] == other.rules

    def value(self, rows: list[Row]) -> Any:
        """The field over ``rows`` (rows it counts)."""
        if self.how == "count":
            return len(rows)
        assert self.column is not None
        values = [r[self.column] for r in rows if r[self.column] is not None]
        if self.how == "distinct":
            return len(set(values))
        if self.how == "value":
            return values[0] if values else None
        if self.how == "quantile":
            assert self.quantile is not None
            return linear_quantile(sorted(float(v) for v in values), self.quantile)
        total = sum(values, Decimal(0) if values and isinstance(values[0], Decimal) else 0)
        return total * self.scale if self.scale != 1 else total


def linear_quantile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile of sorted ``values`` by linear interpolation (as the engine's)."""
    if not values:
        return None
    at = (len(values) - 1) * q
    low = math.floor(at)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (at - low)


# --- the populations -----------------------------------------------------------------------


def _agent_sessions(scope: Scope) -> ir.Table:
    """The agent's sessions whose human start is in the period (the engine's base).

    With the session facts a workspace keeps (``inp.memo['facts']``), the agent's rows of
    them, with their sessions' transfer times (what rounds are cut by): the chat log is
    not read for the whole shop's human starts again (a second at ten million
    messages)."""
    inp = scope.inp
    facts = inp.memo.get("facts")
    if facts is None:
        base = E.sessions_base(inp)
        return base.filter((base.agent_id == scope.agent_id)
                           & E.in_range(base.human_local, scope.period))
    mine = E.base_of_facts(facts)
    mine = mine.filter((mine.agent_id == scope.agent_id)
                       & E.in_range(mine.human_local, scope.period))
    s = inp.get("sessions")
    s = s.filter(s.agent_id == scope.agent_id).select("session_id", "transfer_ts_utc")
    return mine.inner_join(s, "session_id")


def _sessions(scope: Scope) -> list[Row]:
    inp = scope.inp
    base = _agent_sessions(scope)
    s = base.select("session_id", "customer_id",
                    kind=session_kind(base.kind, ibis.literal(scope.role)),
                    human_start=base.human_local, agent_messages=base.agent_messages)
    columns = ["session_id", "customer_id", "kind", "human_start"]
    if inp.has("messages"):
        # counted as the session facts count them (rounds_table), for these sessions only
        r = E.rounds_table(inp, scope.q.profile, base)
        r = r.group_by(_sid=r.session_id).agg(rounds=r.count(),
                                               answered_rounds=r.answered.sum())
        s = s.left_join(r, s.session_id == r._sid)
        s = s.mutate(rounds=s.rounds.fill_null(0), answered_rounds=s.answered_rounds.fill_null(0),
                     agent_messages=s.agent_messages.fill_null(0))
        columns += ["rounds", "answered_rounds", "agent_messages"]
    if inp.has("ratings"):
        r = inp.get("ratings")
        r = r.select(_rsid=r.session_id, rating=r.score.cast("int32"))
        s = s.left_join(r, s.session_id == r._rsid)
        columns.append("rating")
    return scope.fetch(s.select(*columns).order_by(["human_start", "session_id"]))


def _rounds(scope: Scope, first: bool) -> list[Row]:
    """Rounds of the agent's sessions starting in the service window (``first``: each
    session's first round only, in time by ``first_reply_within_s``).  ``response_s`` is
    capped at the profile's ``response_cap_s`` as ``response_s`` counts it (``uncapped_s``
    beside it); "in time" is decided on the uncapped time."""
    p = scope.q.profile
    r = E.rounds_table(scope.inp, p, _agent_sessions(scope), with_local=True)
    r = r.filter(r.in_w & r.first) if first else r.filter(r.in_w)
    limit = p.first_reply_within_s if first else p.reply_within_s
    columns: dict[str, Any] = {"session_id": r.session_id}
    if not first:
        columns["round"] = r.k + 1
    cap = None if first else p.response_cap_s  # first responses are never capped
    columns.update(start=r.start_local,
                   response_s=r.resp if cap is None else ibis.least(r.resp, cap),
                   answered=r.answered, in_time=r.answered & (r.resp <= limit))
    if cap is not None:
        columns["uncapped_s"] = r.resp
    rows = scope.fetch(r.select(**columns).order_by(["start", "session_id"]))
    for row in rows:
        row["in_time"] = bool(row["in_time"])
    return rows


def _window_remarks(scope: Scope) -> list[Note]:
    p = scope.q.profile
    out = []
    if p.service_window is not None:
        out.append(Note("explain.remark.window", {"window": str(p.service_window)}))
    return out


def _round_remarks(scope: Scope) -> list[Note]:
    out = _window_remarks(scope)
    cap = scope.q.profile.response_cap_s
    if cap is not None:
        out.append(Note("explain.remark.cap", {"cap": f"{cap:g}"}))
    return out


def _customers(scope: Scope, kind: str | None, first: str) -> list[Row]:
    """One row per customer of the agent's sessions (of ``kind``), from the sessions."""
    out: dict[Any, Row] = {}
    for s in SESSIONS.collect(scope):
        if kind is not None and s["kind"] != kind:
            continue
        c = out.setdefault(s["customer_id"], {"customer_id": s["customer_id"], "sessions": 0,
                                              first: s["human_start"]})
        c["sessions"] += 1
        c[first] = min(c[first], s["human_start"])
        if kind is None and "answered_rounds" in s:
            c["replied"] = c.get("replied", False) or s["answered_rounds"] > 0
    return sorted(out.values(), key=lambda c: (c[first], c["customer_id"]))


def _inquiring(scope: Scope) -> list[Row]:
    """Customers of the agent's pre-sale sessions, with whether they have an order
    credited to the agent created (``ordered``) or paid (``paid``) in the period."""
    rows = _customers(scope, "presale", "first_inquiry")
    if scope.inp.has("orders"):
        orders = _credited(scope)
        ordered = {o["customer_id"] for o in orders if o["_created_in"]}
        paid = {o["customer_id"] for o in orders if o["_paid_in"]}
        for c in rows:
            c.update(ordered=c["customer_id"] in ordered, paid=c["customer_id"] in paid)
    return rows


def _order_columns(o: ir.Table, shop: bool) -> dict[str, Any]:
    columns = {"order_id": o.order_id, "customer_id": o.customer_id,
               "created": o.created_ts_local, "paid": o.paid_ts_local, "status": o.status,
               "amount": o.amount, "units": o.units}
    if shop:
        columns["credited_to"] = o.credited  # None: a silent order
    else:
        columns["credit"] = ibis.cases((o.agent_id.notnull(), "explicit"), else_="attributed")
    return columns


def _paid_in(o: ir.Table, b: E.Buckets) -> ir.BooleanValue:
    """Paid (status and time) on a day of ``b`` (the engine's paid orders)."""
    return (o.status == "paid") & o.paid_ts_local.notnull() & E.in_range(o.paid_ts_local, b)


def _credited(scope: Scope) -> list[Row]:
    """The agent's credited orders created or paid in the period, with both flags."""
    if "credited" not in scope.built:
        o = E.credited_orders(scope.inp, scope.q.profile)
        o = o.filter(o.credited == scope.agent_id)
        created_in = E.in_range(o.created_ts_local, scope.period)
        paid_in = _paid_in(o, scope.period)
        o = o.filter(created_in | paid_in)
        scope.built["credited"] = scope.fetch(o.select(
            **_order_columns(o, shop=False), _created_in=created_in, _paid_in=paid_in
        ).order_by(["paid", "order_id"]))
    return scope.built["credited"]


def _paid_orders(scope: Scope) -> list[Row]:
    return [{k: v for k, v in o.items() if not k.startswith("_")}
            for o in _credited(scope) if o["_paid_in"]]


def _shop_paid_orders(scope: Scope, b: E.Buckets, agent: bool = False) -> list[Row]:
    o = E.credited_orders(scope.inp, scope.q.profile)
    o = o.filter(_paid_in(o, b))
    if agent:
        o = o.filter(o.credited == scope.agent_id)
    return scope.fetch(o.select(**_order_columns(o, shop=not agent)).order_by(
        ["paid", "order_id"]))


def _refunded_orders(scope: Scope, shop: bool) -> list[Row]:
    """Orders (the agent's credited ones, or the shop's) with a refund requested in the
    period, with the first such request."""
    rf = scope.inp.get("refunds")
    rf = rf.filter(rf.order_id.notnull() & E.in_range(rf.requested_ts_local, scope.period))
    first = rf.group_by(_oid=rf.order_id).agg(refund_requested=rf.requested_ts_local.min())
    o = E.credited_orders(scope.inp, scope.q.profile)
    if not shop:
        o = o.filter(o.credited == scope.agent_id)
    j = o.inner_join(first, o.order_id == first._oid)
    return scope.fetch(j.select(**_order_columns(j, shop),
                                refund_requested=j.refund_requested).order_by(
        ["refund_requested", "order_id"]))


def _reminded(scope: Scope) -> list[Row]:
    """The orders the agent reminded in the period (催付), with the reminder's time."""
    r = E.reminded_orders(scope.inp, scope.q.profile, scope.period)
    r = r.filter(r.agent_id == scope.agent_id)
    return scope.fetch(r.select(
        "order_id", "customer_id", created=r.created_local, reminded=r.reminded_local,
        paid=r.paid_local, status=r.status, amount=r.amount, paid_after=r.paid_after
    ).order_by(["reminded", "order_id"]))


def _remind_remarks(scope: Scope) -> list[Note]:
    return [Note("explain.remark.remind",
                 {"window_h": f"{scope.q.profile.remind_window_h:g}"})]


def _credit_remarks(scope: Scope) -> list[Note]:
    p = scope.q.profile
    return [Note("explain.remark.credit", {"attribution": p.attribution,
                                           "window_h": f"{p.attribution_window_h:g}"})]


def _shop_remarks(scope: Scope) -> list[Note]:
    return [Note("explain.remark.shop_scope")]


def _trailing_remarks(scope: Scope) -> list[Note]:
    b = scope.trailing
    return [Note("explain.remark.trailing", {"first": b.start.isoformat(),
                                             "last": b.end.isoformat()})]


def _refunds(scope: Scope, disputes: bool) -> list[Row]:
    """Refunds the agent handled, requested in the period (``disputes``: those with a
    dispute, in the 30 days ending with the period)."""
    r = scope.inp.get("refunds")
    if disputes:
        r = r.filter((r.agent_id == scope.agent_id) & r.dispute
                     & E.in_range(r.requested_ts_local, scope.trailing))
        return scope.fetch(r.select("refund_id", "order_id", requested=r.requested_ts_local,
                                    amount=r.amount).order_by(["requested", "refund_id"]))
    r = r.filter((r.agent_id == scope.agent_id) & E.in_range(r.requested_ts_local, scope.period))
    return scope.fetch(r.select(
        "refund_id", "order_id", requested=r.requested_ts_local, completed=r.completed_ts_local,
        hours=seconds(r.completed_ts_utc, r.requested_ts_utc) / 3600, amount=r.amount,
        cost=r.cost, dispute=r.dispute).order_by(["requested", "refund_id"]))


def _complaints(scope: Scope) -> list[Row]:
    t = scope.inp.get("complaints")
    t = t.filter((t.agent_id == scope.agent_id) & t.verified
                 & E.in_range(t.ts_local, scope.period))
    return scope.fetch(t.select("complaint_id", time=t.ts_local, order_id=t.order_id,
                                points=t.points, note=t.note).order_by(["time", "complaint_id"]))


def _reviews(scope: Scope) -> list[Row]:
    """Reviews blamed on the agent (their agent column, else the order's credit), counted
    on their own time, else the order's payment, else its creation."""
    rv = scope.inp.get("reviews")
    if scope.inp.has("orders"):
        o = E.credited_orders(scope.inp, scope.q.profile)
        o = o.select(_oid=o.order_id, _credited=o.credited, _paid=o.paid_ts_local,
                     _created=o.created_ts_local)
        rv = rv.left_join(o, rv.order_id == o._oid)
        agent = ibis.coalesce(rv.agent_id, rv._credited)
        when = ibis.coalesce(rv.ts_local, rv._paid, rv._created)
    else:
        agent, when = rv.agent_id, rv.ts_local
    rv = rv.filter((agent == scope.agent_id) & when.notnull() & E.in_range(when, scope.period))
    return scope.fetch(rv.select(
        "order_id", "rating", time=when, text=rv.text,
        credit=ibis.cases((rv.agent_id.notnull(), "explicit"), else_="order")
    ).order_by(["time", "order_id"]))


def _attendance(scope: Scope) -> list[Row]:
    t = scope.inp.get("attendance")
    t = t.filter((t.agent_id == scope.agent_id) & E.in_range(t.date, scope.period))
    return scope.fetch(t.select("date", "status").order_by("date"))


def _online(scope: Scope) -> list[Row]:
    """The agent's online intervals merged where they overlap, clipped to the period."""
    q = scope.q
    (_, first, last), = period_bounds_utc([(q.start, q.start, q.end)], scope.inp.tz)
    o = scope.inp.get("online")
    o = o.filter((o.agent_id == scope.agent_id) & (o.start_ts_utc < last)
                 & (o.end_ts_utc > first))
    raw = scope.fetch(o.select(s=o.start_ts_utc, e=o.end_ts_utc, start=o.start_ts_local,
                               end=o.end_ts_local).order_by(["s", "e"]))
    period_start = dt.datetime.combine(q.start, dt.time())
    period_end = dt.datetime.combine(q.end + dt.timedelta(days=1), dt.time())
    merged: list[Row] = []
    for r in raw:
        if merged and r["s"] <= merged[-1]["e"]:
            m = merged[-1]
            m["intervals"] += 1
            if r["e"] > m["e"]:
                m.update(e=r["e"], end=r["end"])
        else:
            merged.append({**r, "intervals": 1})
    out = []
    for m in merged:
        s, e = max(m["s"], first), min(m["e"], last)
        out.append({"start": m["start"] if s == m["s"] else period_start,
                    "end": m["end"] if e == m["e"] else period_end,
                    "intervals": m["intervals"], "hours": (e - s).total_seconds() / 3600})
    return out


def _online_remarks(scope: Scope) -> list[Note]:
    return [Note("explain.remark.online")]


def _targets(scope: Scope) -> list[Row]:
    """The agent's sales target of the month (targets are monthly; none for other ranges)."""
    q = dataclasses.replace(scope.q, by="agent")
    targets = _Targets(scope.fetch(scope.inp.get("targets")))
    value = _target(targets, q, {"agent_id": scope.agent_id}, q.start, q.end)
    return [] if value is None else [{"period": q.start.isoformat()[:7], "target": value}]


SESSIONS = Population("sessions", "sessions", "session", ("session_id",), _sessions)
ROUNDS = Population("rounds", "rounds", "round", ("session_id", "round"),
                    lambda s: _rounds(s, first=False), _round_remarks)
FIRST_ROUNDS = Population("first_rounds", "first_rounds", "first_round", ("session_id",),
                          lambda s: _rounds(s, first=True), _window_remarks)
CUSTOMERS = Population("customers", "customers", "customer", ("customer_id",),
                       lambda s: _customers(s, None, "first_session"))
INQUIRING = Population("inquiring", "customers", "customer", ("customer_id",), _inquiring,
                       lambda s: _credit_remarks(s) if s.inp.has("orders") else [])
AFTERSALE_CUSTOMERS = Population("aftersale_customers", "customers", "customer",
                                 ("customer_id",),
                                 lambda s: _customers(s, "aftersale", "first_session"))
PAID_ORDERS = Population("paid_orders", "orders", "paid_order", ("order_id",), _paid_orders,
                         _credit_remarks)
SHOP_PAID_ORDERS = Population("shop_paid_orders", "orders", "paid_order", ("order_id",),
                              lambda s: _shop_paid_orders(s, s.period), _shop_remarks)
REFUNDED_ORDERS = Population("refunded_orders", "orders", "refunded_order", ("order_id",),
                             lambda s: _refunded_orders(s, shop=False), _credit_remarks)
SHOP_REFUNDED_ORDERS = Population("shop_refunded_orders", "orders", "refunded_order",
                                  ("order_id",), lambda s: _refunded_orders(s, shop=True),
                                  _shop_remarks)
PAID_30D = Population("paid_30d", "orders", "paid_order", ("order_id",),
                      lambda s: _shop_paid_orders(s, s.trailing, agent=True),
                      lambda s: [*_credit_remarks(s), *_trailing_remarks(s)])
SHOP_PAID_30D = Population("shop_paid_30d", "orders", "paid_order", ("order_id",),
                           lambda s: _shop_paid_orders(s, s.trailing),
                           lambda s: [*_shop_remarks(s), *_trailing_remarks(s)])
REFUNDS = Population("refunds", "refunds", "refund", ("refund_id",),
                     lambda s: _refunds(s, disputes=False))
DISPUTES = Population("disputes", "refunds", "dispute_refund", ("refund_id",),
                      lambda s: _refunds(s, disputes=True), _trailing_remarks)
COMPLAINTS = Population("complaints", "complaints", "complaint", ("complaint_id",),
                        _complaints)
REVIEWS = Population("reviews", "reviews", "review", ("order_id", "time"), _reviews)
ATTENDANCE = Population("attendance", "attendance", "attendance_day", ("date",), _attendance)
ONLINE = Population("online", "online", "online_interval", ("start",), _online,
                    _online_remarks)
TARGETS = Population("targets", "targets", "target", ("period",), _targets)
REMINDED = Population("reminded", "orders", "reminded_order", ("order_id",), _reminded,
                      _remind_remarks)


def _flag(column: str) -> Rule:
    return Rule(column, lambda r: bool(r.get(column)))


def _equals(column: str, *values: Any) -> Rule:
    return Rule(f"{column} in {values}", lambda r: r.get(column) in values)


ANSWERED, IN_TIME = _flag("answered"), _flag("in_time")
UNANSWERED = Rule("no agent message", lambda r: not r.get("agent_messages"))
RATED = Rule("rated", lambda r: r.get("rating") is not None)
REPLIED, ORDERED, PAID = _flag("replied"), _flag("ordered"), _flag("paid")
NOT_ORDERED = Rule("not ordered", lambda r: not r.get("ordered"))
NOT_PAID = Rule("not paid", lambda r: not r.get("paid"))
PAID_AFTER = _flag("paid_after")
SILENT = Rule("silent", lambda r: r["credited_to"] is None)
COMPLETED = Rule("completed", lambda r: r["completed"] is not None)


def _rows(population: Population, *rules: Rule, how: How = "count", column: str | None = None,
          quantile: float | None = None, scale: float = 1.0) -> FieldRows:
    return FieldRows(population, rules, how, column, quantile, scale)


# every field a catalog metric names (a test checks the catalog against this)
FIELDS: dict[str, FieldRows] = {
    # service: rounds and sessions
    "sessions": _rows(SESSIONS),
    "unanswered_sessions": _rows(SESSIONS, UNANSWERED),
    "rated_sessions": _rows(SESSIONS, RATED),
    "rated_good": _rows(SESSIONS, RATED, _equals("rating", 4, 5)),
    "rated_bad": _rows(SESSIONS, RATED, _equals("rating", 1, 2)),
    "window_rounds": _rows(ROUNDS),
    "window_rounds_in_time": _rows(ROUNDS, IN_TIME),
    "window_answered_rounds": _rows(ROUNDS, ANSWERED),
    "window_response_s_sum": _rows(ROUNDS, ANSWERED, how="sum", column="response_s"),
    "window_first_rounds": _rows(FIRST_ROUNDS),
    "window_first_rounds_in_time": _rows(FIRST_ROUNDS, IN_TIME),
    "first_responses": _rows(FIRST_ROUNDS, ANSWERED),
    "first_response_s_sum": _rows(FIRST_ROUNDS, ANSWERED, how="sum", column="response_s"),
    "first_response_median_s": _rows(FIRST_ROUNDS, ANSWERED, how="quantile",
                                     column="response_s", quantile=0.5),
    "first_response_p90_s": _rows(FIRST_ROUNDS, ANSWERED, how="quantile",
                                  column="response_s", quantile=0.9),
    # customers
    "customers": _rows(CUSTOMERS),
    "replied_customers": _rows(CUSTOMERS, REPLIED),
    "inquiring_customers": _rows(INQUIRING),
    "ordering_customers": _rows(INQUIRING, ORDERED),
    "paying_customers": _rows(INQUIRING, PAID),
    "aftersale_customers": _rows(AFTERSALE_CUSTOMERS),
    # lost inquiries and payment reminders
    "lost_customers": _rows(INQUIRING, NOT_ORDERED),
    "unpaid_customers": _rows(INQUIRING, ORDERED, NOT_PAID),
    "reminded_orders": _rows(REMINDED),
    "reminded_paid_orders": _rows(REMINDED, PAID_AFTER),
    # sales
    "paid_orders": _rows(PAID_ORDERS),
    "sales": _rows(PAID_ORDERS, how="sum", column="amount"),
    "units": _rows(PAID_ORDERS, how="sum", column="units"),
    "buyers": _rows(PAID_ORDERS, how="distinct", column="customer_id"),
    "target": _rows(TARGETS, how="value", column="target"),
    "shop_paid_orders": _rows(SHOP_PAID_ORDERS),
    "shop_sales": _rows(SHOP_PAID_ORDERS, how="sum", column="amount"),
    "silent_paid_orders": _rows(SHOP_PAID_ORDERS, SILENT),
    "silent_sales": _rows(SHOP_PAID_ORDERS, SILENT, how="sum", column="amount"),
    "refund_orders": _rows(REFUNDED_ORDERS),
    "shop_refund_orders": _rows(SHOP_REFUNDED_ORDERS),
    # after-sale
    "refunds_handled": _rows(REFUNDS),
    "completion_n": _rows(REFUNDS, COMPLETED),
    "completion_h_sum": _rows(REFUNDS, COMPLETED, how="sum", column="hours"),
    "aftersale_cost": _rows(REFUNDS, how="sum", column="cost"),
    "dispute_refunds": _rows(DISPUTES),
    "paid_30d": _rows(PAID_30D),
    "shop_paid_30d": _rows(SHOP_PAID_30D),
    "complaints": _rows(COMPLAINTS),
    "neutral_reviews": _rows(REVIEWS, _equals("rating", "neutral")),
    "bad_reviews": _rows(REVIEWS, _equals("rating", "bad")),
    # attendance and online
    "attendance_days": _rows(ATTENDANCE),
    "late": _rows(ATTENDANCE, _equals("status", "late")),
    "leave": _rows(ATTENDANCE, _equals("status", "leave")),
    "absent": _rows(ATTENDANCE, _equals("status", "absent")),
    "online_s": _rows(ONLINE, how="sum", column="hours", scale=3600.0),
}
