"""Drill-down: the sessions, rounds, orders … behind one agent's figure for a period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from ..errors import UsageError
from . import engine as E
from .catalog import CATALOG
from .compute import MetricQuery, _fetch
from .inputs import Inputs

ROUND_METRICS = {"reply_3min_rate", "response_s"}
FIRST_ROUND_METRICS = {"first_response_s", "first_response_median_s", "first_response_p90_s",
                       "first_reply_2min_rate"}
SESSION_METRICS = {"sessions", "customers", "replied_customers", "reply_rate",
                   "unanswered_sessions", "inquiring_customers", "aftersale_customers"}
RATING_METRICS = {"rated_sessions", "satisfaction", "dissatisfaction"}
ORDER_METRICS = {"ordering_customers", "paying_customers", "order_rate", "conversion_rate",
                 "sales", "units", "aov", "target_completion", "refund_rate", "complaint_rate",
                 "silent_order_share", "dispute_refund_rate"}
REFUND_METRICS = {"refunds_handled", "refund_completion_h", "aftersale_cost",
                  "dispute_refunds"}
ATTENDANCE_METRICS = {"late", "leave", "absent", "attendance_days"}
# rates whose paid orders are the shop's for after-sale agents (profile aftersale_order_scope)
SHOP_SCOPE_METRICS = {"refund_rate", "complaint_rate", "dispute_refund_rate"}
TRAILING_DAYS = 30  # dispute_refund_rate looks at the 30 days ending with the period


@dataclass
class Explanation:
    metric: str
    agent_id: str
    source: str  # rounds | sessions | orders | refunds | …
    rows: list[dict[str, Any]]
    note: str


def _agent_sessions(inp: Inputs, q: MetricQuery, agent_id: str) -> ir.Table:
    base = E.sessions_base(inp)
    base = base.filter((base.agent_id == agent_id) & E.in_range(base.human_local,
                                                                 E.Buckets(q.start, q.end, None)))
    return base


def explain(backend: Any, inp: Inputs, q: MetricQuery, agent_id: str, metric: str) -> Explanation:
    if metric not in CATALOG:
        raise UsageError(f"unknown metric '{metric}'", hint="metrics: " + ", ".join(CATALOG))
    p = q.profile
    b = E.Buckets(q.start, q.end, None)
    if metric in ROUND_METRICS | FIRST_ROUND_METRICS:
        if not inp.has("messages"):
            raise UsageError(f"{metric} needs the messages table")
        base = _agent_sessions(inp, q, agent_id)
        r = E.rounds_table(inp, p, base, with_local=True)
        if metric in FIRST_ROUND_METRICS:
            r = r.filter(r.first)
            limit = p.first_reply_within_s
        else:
            limit = p.reply_within_s
        r = r.order_by([r.start_utc, r.session_id])
        rows = _fetch(backend, r.select(
            "session_id", round=r.k + 1, start=r.start_local, response_s=r.resp,
            answered=r.answered, in_service_window=r.in_w,
            within=r.answered & (r.resp <= limit)))
        note = (f"{len(rows)} rounds; 'within' means answered in ≤ {limit:g} s; rounds outside "
                "the service window are left out of the rate")
        return Explanation(metric, agent_id, "rounds", rows, note)
    if metric in SESSION_METRICS | RATING_METRICS:
        base = _agent_sessions(inp, q, agent_id)
        facts = E.session_facts(inp, p, base.select("session_id"))
        s = base.select("session_id", "customer_id", "kind", "human_local").inner_join(
            facts.select("session_id", "rounds", "answered_rounds", "agent_messages"), "session_id")
        if inp.has("ratings"):
            rt = inp.get("ratings").select(_sid="session_id", rating="score")
            s = s.left_join(rt, s.session_id == rt._sid).drop("_sid")
            if metric in RATING_METRICS:
                s = s.filter(s.rating.notnull())
        s = s.drop(*(c for c in s.columns if c.endswith("_right")))
        rows = _fetch(backend, s.order_by("human_local").rename(human_start="human_local"))
        return Explanation(metric, agent_id, "sessions", rows,
                           f"{len(rows)} sessions whose human start is in the period")
    if metric in ORDER_METRICS and _shop_scope(backend, inp, q, agent_id, metric):
        return _shop_paid_orders(backend, inp, q, agent_id, metric)
    if metric in ORDER_METRICS:
        if not inp.has("orders"):
            raise UsageError(f"{metric} needs the orders table")
        o = E.credited_orders(inp, p)
        o = o.filter((o.credited == agent_id) & (
            E.in_range(o.created_ts_local, b) | (o.paid_ts_local.notnull()
                                                  & E.in_range(o.paid_ts_local, b))))
        rows = _fetch(backend, o.order_by("created_ts_local").select(
            "order_id", "customer_id", created="created_ts_local", paid="paid_ts_local",
            status="status", amount="amount", units="units",
            credit=ibis.cases((o.agent_id.notnull(), "explicit"), else_="attributed")))
        return Explanation(metric, agent_id, "orders", rows,
                           f"{len(rows)} orders credited to the agent, created or paid in the "
                           f"period ({p.attribution}, window {p.attribution_window_h:g} h)")
    if metric in REFUND_METRICS:
        r = inp.get("refunds")
        r = r.filter((r.agent_id == agent_id) & E.in_range(r.requested_ts_local, b))
        rows = _fetch(backend, r.order_by("requested_ts_local").select(
            "refund_id", "order_id", requested="requested_ts_local",
            completed="completed_ts_local", amount="amount", dispute="dispute", cost="cost"))
        return Explanation(metric, agent_id, "refunds", rows, f"{len(rows)} refunds handled")
    if metric in ATTENDANCE_METRICS:
        t = inp.get("attendance")
        t = t.filter((t.agent_id == agent_id) & (t.date >= ibis.date(q.start.isoformat()))
                     & (t.date <= ibis.date(q.end.isoformat())))
        rows = _fetch(backend, t.order_by("date").select("date", "status"))
        return Explanation(metric, agent_id, "attendance", rows, f"{len(rows)} attendance rows")
    if metric in ("complaints", "neutral_reviews", "bad_reviews"):
        table = "complaints" if metric == "complaints" else "reviews"
        t = inp.get(table)
        t = t.filter((t.agent_id == agent_id) & E.in_range(t.ts_local, b))
        rows = _fetch(backend, t.order_by("ts_local").drop(
            *(c for c in t.columns if c.endswith("_utc"))))
        return Explanation(metric, agent_id, table, rows, f"{len(rows)} {table} rows")
    if metric == "online_hours":
        o = inp.get("online")
        o = o.filter((o.agent_id == agent_id) & E.in_range(o.start_ts_local, b))
        rows = _fetch(backend, o.order_by("start_ts_local").select(
            start="start_ts_local", end="end_ts_local"))
        return Explanation(metric, agent_id, "online", rows,
                           f"{len(rows)} intervals (overlaps are merged in the figure)")
    raise UsageError(f"no drill-down for {metric}")  # pragma: no cover


def _shop_scope(backend: Any, inp: Inputs, q: MetricQuery, agent_id: str, metric: str) -> bool:
    """True when the agent's figure rests on the shop's paid orders, not the agent's own."""
    if metric not in SHOP_SCOPE_METRICS or q.profile.aftersale_order_scope != "shop":
        return False
    a = E.agents_table(inp)
    roles = _fetch(backend, a.filter(a.agent_id == agent_id).select("role"))
    return bool(roles) and roles[0]["role"] == "aftersale"


def _shop_paid_orders(backend: Any, inp: Inputs, q: MetricQuery, agent_id: str,
                      metric: str) -> Explanation:
    """The shop's orders paid in the period (the 30 days ending with it for disputes)."""
    if not inp.has("orders"):
        raise UsageError(f"{metric} needs the orders table")
    start = q.start
    if metric == "dispute_refund_rate":
        start = q.end - dt.timedelta(days=TRAILING_DAYS - 1)
    o = E.credited_orders(inp, q.profile)
    o = o.filter(o.paid_ts_local.notnull()
                 & E.in_range(o.paid_ts_local, E.Buckets(start, q.end, None)))
    rows = _fetch(backend, o.order_by(["paid_ts_local", "order_id"]).select(
        "order_id", "customer_id", created="created_ts_local", paid="paid_ts_local",
        status="status", amount="amount", units="units", credited="credited"))
    return Explanation(metric, agent_id, "orders", rows,
                       f"{len(rows)} orders of the whole shop paid from {start} to {q.end}: "
                       "after-sale agents are measured against the shop's paid orders "
                       "(profile setting aftersale_order_scope = shop)")
