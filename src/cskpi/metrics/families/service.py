"""Service figures from the chat log: sessions, rounds, session facts and their daily
rollups (catalog families ``service``, ``customers`` and ``first_responses``).

:func:`session_facts` is the expensive part: one row per session with its rounds already
counted.  It depends only on the session, its messages and the profile's settings, so
the workspace keeps it per session (:mod:`cskpi.metrics.cache`).  :func:`rollups` rolls
the facts up by agent and local day; :func:`service_aggregates` groups those by group
and period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from ..inputs import SESSION_NUMBER, Inputs
from ..profiles import Profile
from .common import (
    BUCKET_COL,
    GROUP_COL,
    Buckets,
    agents_table,
    bucket,
    in_range,
    seconds,
    session_kind,
    time_of_day_s,
    with_group_key,
    with_team,
)

# --- sessions ----------------------------------------------------------------------------


def sessions_base(inp: Inputs) -> ir.Table:
    """Sessions with their human start: transfer, else first customer message, else start.

    Uses the session facts when a computation has them (``inp.memo['facts']``), so the
    chat log is not read again; otherwise derives the human start from the messages.
    """
    facts = inp.memo.get("facts")
    if facts is not None:
        return base_of_facts(facts)
    return inp.shared("sessions_base_raw", lambda: _base_from_messages(inp))


# the session columns later steps use (the others would only cost conversions)
BASE_COLUMNS = ("session_id", "customer_id", "agent_id", "kind", "start_ts_utc",
                "transfer_ts_utc")
# a session's rounds counted (those "in_window" start inside the profile's service window;
# "in_time": answered within reply_within_s, or first_reply_within_s for the first round)
ROUND_COUNTS = ("rounds", "rounds_in_window", "answered_rounds", "answered_in_window",
                "in_time_in_window", "first_round_in_window", "first_in_time_in_window")
# the session columns every facts row carries beside its round counts; the span of its
# messages and its first agent message (at one instant, the first in text order) serve
# chat QA (:mod:`cskpi.qa.engine`), which then reads neither from the chat log again
FACT_SESSION_COLUMNS = ("session_id", "customer_id", "agent_id", "kind", "human_utc",
                        "human_local", "agent_messages", "messages_from_utc",
                        "messages_to_utc", "first_agent_utc", "first_agent_text")


def base_of_facts(facts: ir.Table) -> ir.Table:
    """The sessions base out of session facts, which carry its columns (no join needed)."""
    return facts.select(*FACT_SESSION_COLUMNS)


def _base_from_messages(inp: Inputs) -> ir.Table:
    # the sessions' numbers, when they have some, key the facts' rounds (session_facts)
    s = inp.get("sessions")
    s = s.select(*BASE_COLUMNS, *([SESSION_NUMBER] if inp.number_sessions else []))
    m = inp.get("messages")
    if m is not None:
        agent = m.sender == "agent"
        firsts = m.group_by("session_id").agg(
            first_cust_utc=m.ts_utc.min(where=m.sender == "customer"),
            agent_messages=agent.sum(),
            messages_from_utc=m.ts_utc.min(),
            messages_to_utc=m.ts_utc.max(),
            first_agent_utc=m.ts_utc.min(where=agent),
            # at one instant, the first in text order: the same text on every engine;
            # none when the messages' text is kept as a digest only (a computation on a
            # folder that reads no text: ordering by it was a third of this query)
            first_agent_text=m.text.argmin(ibis.struct({"ts": m.ts_utc, "text": m.text}),
                                           where=agent)
            if m.text.type().is_string() else ibis.null(m.text.type()),
        )
        s = s.left_join(firsts, "session_id").drop("session_id_right")
    else:
        s = s.mutate(first_cust_utc=ibis.null("timestamp"), agent_messages=ibis.null("int64"),
                     messages_from_utc=ibis.null("timestamp"),
                     messages_to_utc=ibis.null("timestamp"),
                     first_agent_utc=ibis.null("timestamp"),
                     first_agent_text=ibis.null("string"))
    s = s.mutate(human_utc=ibis.coalesce(s.transfer_ts_utc, s.first_cust_utc, s.start_ts_utc))
    # local time once per session, not once per message
    return s.mutate(human_local=inp.to_local(s.human_utc)).drop("first_cust_utc")


def rounds_table(inp: Inputs, p: Profile, base: ir.Table, with_local: bool = False,
                 with_first: bool = True, key: str = "session_id") -> ir.Table:
    """One row per round of the human stage of each session in ``base``.

    A round starts at the first customer message after the human start that is not
    yet answered and ends at the next reply (an agent message; a bot message too when
    ``bot_replies_count``).  A transfer opens a round at the transfer time.  At equal
    timestamps the customer's message comes first.  Agent messages with no open round
    (proactive greetings) answer nothing.  Sessions without a human agent have no rounds.
    ``key``: the column of ``base`` telling its sessions apart, which the rounds carry
    (``session_id``, or the sessions' number, see :func:`session_facts`).
    Columns: ``key``, k (0-based), start_utc (and start_local with ``with_local`` or a
    service window), reply_utc, resp (s), answered, in_w (start inside the service
    window), first (the session's first round; not with ``with_first=False``: it takes a
    window over every round).
    """
    m = inp.get("messages")
    # local wall-clock time is needed only to test rounds against a service window
    local = with_local or p.service_window is not None
    human = base.filter(base.agent_id.notnull()).select(
        *dict.fromkeys(("session_id", key)), "human_utc", "human_local",
        has_transfer=base.transfer_ts_utc.notnull())
    reply_senders = ["agent", "bot"] if p.bot_replies_count else ["agent"]
    msgs = m.filter(m.sender.isin(["customer", *reply_senders])).select(
        "session_id", "ts_utc", is_reply=m.sender.isin(reply_senders))
    j = msgs.inner_join(human, "session_id")
    j = j.filter(j.ts_utc >= j.human_utc).select(key, "ts_utc", "is_reply")
    # a transfer opens a round at the human start, even before the customer writes again
    opening = human.filter(human.has_transfer).select(
        key, ts_utc=human.human_utc, is_reply=ibis.literal(False))
    events = j.union(opening)
    # at equal timestamps the customer's message (is_reply false) sorts first
    w = ibis.window(group_by=key, order_by=[events.ts_utc, events.is_reply],
                    rows=(None, 0))
    r = events.is_reply.cast("int64")
    events = events.mutate(k=r.sum().over(w) - r)
    rounds = events.group_by([key, "k"]).agg(
        start_utc=events.ts_utc.min(where=~events.is_reply),
        reply_utc=events.ts_utc.min(where=events.is_reply),
    )
    rounds = rounds.filter(rounds.start_utc.notnull())
    if local:
        rounds = rounds.mutate(start_local=inp.to_local(rounds.start_utc))
    if p.service_window is not None:
        tod = time_of_day_s(rounds.start_local)
        in_w = (tod >= p.service_window.start_s) & (tod < p.service_window.end_s)
    else:
        in_w = ibis.literal(True)
    rounds = rounds.mutate(resp=seconds(rounds.reply_utc, rounds.start_utc), in_w=in_w,
                           answered=rounds.reply_utc.notnull())
    if not with_first:
        return rounds
    return rounds.mutate(first=rounds.k == rounds.k.min().over(group_by=key))


def session_facts(inp: Inputs, p: Profile, session_ids: ir.Table | None = None,
                  messages: ir.Table | None = None,
                  sessions: ir.Table | None = None) -> ir.Table:
    """One row per session: its rounds counted under the profile's rules.

    ``session_ids`` (a table with a ``session_id`` column) restricts the work to those
    sessions: they and their messages are picked (from ``sessions`` and ``messages``
    when given, parts of those tables that hold all of them) before anything is
    aggregated.
    """
    if session_ids is not None:
        inp = inp.restricted(session_ids, messages, sessions)
    # used three times below: materialise it once
    base = inp.shared("sessions_base_raw", lambda: _base_from_messages(inp))
    cols = list(FACT_SESSION_COLUMNS)
    if not inp.has("messages"):
        zero = ibis.literal(0, "int64")
        return base.select(*cols).mutate(
            **{c: zero for c in ROUND_COUNTS}, response_s_in_window=ibis.literal(0.0, "float64"),
            first_response_s=ibis.null("float64"))
    # the rounds of the sessions keyed by their numbers when they have some: DuckDB
    # sorts nine million chat events (and groups the rounds) by an integer a sixth
    # faster than by the session id
    key = SESSION_NUMBER if inp.number_sessions else "session_id"
    rounds = rounds_table(inp, p, base, with_first=False, key=key)
    capped = rounds.resp if p.response_cap_s is None else ibis.least(rounds.resp,
                                                                     p.response_cap_s)
    within = rounds.answered & (rounds.resp <= p.reply_within_s)
    first_in_time = rounds.answered & (rounds.resp <= p.first_reply_within_s)
    # the session's first round (its smallest k), taken by the aggregation itself rather
    # than flagged on every round by a window (a struct: a null response is taken too)
    first = ibis.struct({"in_w": rounds.in_w, "in_time": rounds.in_w & first_in_time,
                         "resp": ibis.ifelse(rounds.in_w & rounds.answered, rounds.resp,
                                             ibis.null("float64"))}).argmin(rounds.k)
    agg = rounds.group_by(key).agg(
        rounds=rounds.count(),
        rounds_in_window=rounds.in_w.sum(),
        answered_rounds=rounds.answered.sum(),
        answered_in_window=(rounds.answered & rounds.in_w).sum(),
        in_time_in_window=(within & rounds.in_w).sum(),
        response_s_in_window=capped.sum(where=rounds.answered & rounds.in_w),
        first_round_in_window=first["in_w"].cast("int64"),
        first_in_time_in_window=first["in_time"].cast("int64"),
        first_response_s=first["resp"],
    )
    extra = [key] if key != "session_id" else []
    facts = base.select(*cols, *extra).left_join(agg, key).drop(f"{key}_right", *extra)
    return facts.mutate(**{c: facts[c].fill_null(0) for c in ROUND_COUNTS},
                        response_s_in_window=facts.response_s_in_window.fill_null(0.0))


@dataclass
class Rollups:
    """The chat side of the catalog, rolled up by agent and local day.

    ``days``: additive numerators and denominators per (agent_id, day); ``customers``:
    one row per (agent_id, day, customer_id) with what that customer did that day (the
    distinct counts of a longer period are counted over these rows); ``firsts``: each
    session's first response in the service window (exact medians need every value).
    A month is aggregated from these, never from the chat log again.
    """

    days: ir.Table
    customers: ir.Table
    firsts: ir.Table
    # one row per (agent_id, month, customer_id) (:func:`month_customers`): a period of
    # whole calendar months counts its customers and conversion without deduplicating
    # day rows again; None: periods are counted from the day rows
    months: ir.Table | None = None


def service_sessions(inp: Inputs, facts: ir.Table) -> ir.Table:
    """Session facts with their local day, kind (the agent's role when blank) and rating."""
    a = agents_table(inp)
    a = a.select(_a_id=a.agent_id, _role=a.role)
    s = facts.left_join(a, facts.agent_id == a._a_id).drop("_a_id")
    s = s.mutate(kind=session_kind(s.kind, s._role), day=s.human_local.date()).drop("_role")
    ratings = inp.get("ratings")
    if ratings is not None:
        r = ratings.select(_r_sid=ratings.session_id, score=ratings.score.cast("int32"))
        s = s.left_join(r, s.session_id == r._r_sid).drop("_r_sid")
    else:
        s = s.mutate(score=ibis.null("int32"))
    return s


def rollups(ss: ir.Table) -> Rollups:
    """Daily rollups of :func:`service_sessions` rows."""
    days = ss.group_by(["agent_id", "day"]).agg(
        sessions=ss.count(),
        unanswered_sessions=(ss.agent_messages.fill_null(0) == 0).sum(),
        first_response_s_sum=ss.first_response_s.sum(),
        first_responses=ss.first_response_s.notnull().sum(),
        window_response_s_sum=ss.response_s_in_window.sum(),
        window_answered_rounds=ss.answered_in_window.sum(),
        window_first_rounds_in_time=ss.first_in_time_in_window.sum(),
        window_first_rounds=ss.first_round_in_window.sum(),
        window_rounds_in_time=ss.in_time_in_window.sum(),
        window_rounds=ss.rounds_in_window.sum(),
        rated_sessions=ss.score.notnull().sum(),
        rated_good=ss.score.isin([4, 5]).sum(),
        rated_bad=ss.score.isin([1, 2]).sum(),
    )
    customers = ss.group_by(["agent_id", "day", "customer_id"]).agg(
        replied=(ss.answered_rounds > 0).any(),
        presale=(ss.kind == "presale").any(),
        aftersale=(ss.kind == "aftersale").any(),
    )
    return Rollups(days, customers, firsts(ss))


def month_customers(customers: ir.Table, credited: ir.Table | None) -> ir.Table:
    """One row per agent, calendar month and customer, out of the day rows ``customers``.

    ``replied``/``presale``/``aftersale``: on any day of the month with that agent;
    ``ordered``/``paid``: the customer has an order credited to that agent created
    (``ordered``) or paid (``paid``) in that month (``credited``: orders with their
    ``credited`` agent; None when there are no orders).  The conversion of a month is
    counted over the rows with ``presale``.
    """
    c = customers.mutate(month=customers.day.truncate("M"))
    m = c.group_by(["agent_id", "month", "customer_id"]).agg(
        replied=c.replied.any(), presale=c.presale.any(), aftersale=c.aftersale.any())
    if credited is None:
        return m.mutate(ordered=ibis.literal(False), paid=ibis.literal(False))
    o = credited.filter(credited.credited.notnull())
    created = o.select(_c=o.customer_id, _a=o.credited,
                       _m=o.created_ts_local.date().truncate("M"),
                       _o=ibis.literal(True), _p=ibis.literal(False))
    paid = o.filter((o.status == "paid") & o.paid_ts_local.notnull())
    paid = paid.select(_c=paid.customer_id, _a=paid.credited,
                       _m=paid.paid_ts_local.date().truncate("M"),
                       _o=ibis.literal(False), _p=ibis.literal(True))
    bought = created.union(paid)
    bought = bought.group_by(["_c", "_a", "_m"]).agg(_o=bought._o.any(), _p=bought._p.any())
    j = m.left_join(bought, [m.customer_id == bought._c, m.agent_id == bought._a,
                             m.month == bought._m])
    return j.select("agent_id", "month", "customer_id", "replied", "presale", "aftersale",
                    ordered=j._o.fill_null(False), paid=j._p.fill_null(False))


def firsts(facts: ir.Table) -> ir.Table:
    """Each session's answered first response in the service window, by agent and human
    start (a timestamp: the stored facts' min/max skip the row groups of other months)."""
    f = facts.filter(facts.first_response_s.notnull())
    return f.select("agent_id", "first_response_s", "human_local")


DAY_SUMS = ("sessions", "unanswered_sessions", "first_response_s_sum", "first_responses",
            "window_response_s_sum", "window_answered_rounds", "window_first_rounds_in_time",
            "window_first_rounds", "window_rounds_in_time", "window_rounds", "rated_sessions",
            "rated_good", "rated_bad")


def days_of(t: ir.Table, agents: ir.Table, b: Buckets, by: str, on: str = "day") -> ir.Table:
    """Rollup rows of the range with their group and bucket (agent-less rows: shop only);
    ``on``: the rows' date column (``day``; ``month`` for month rows; ``human_local`` for
    the first responses)."""
    t = t.filter(in_range(t[on], b))
    if by != "shop":
        t = t.filter(t.agent_id.notnull())
    if by == "team":
        t = with_team(t, agents)
    return with_group_key(t, by).mutate(**{BUCKET_COL: bucket(t[on], b)})


def month_customer_counts(months: ir.Table, agents: ir.Table, b: Buckets,
                           by: str) -> ir.Table:
    """Customer counts and conversion of whole-month periods, from the month rows."""
    m = days_of(months, agents, b, by, on="month")
    m = m.mutate(_ordered=m.presale & m.ordered, _paid=m.presale & m.paid)
    flags = {**CUSTOMER_FLAGS, "_ordered": "ordering_customers", "_paid": "paying_customers"}
    # an agent's month has one row per customer; a team's may have several
    return count_customers(m, flags, distinct=by != "agent", derived=FUNNEL_COUNTS)


# the funnel's losses, from a customer's flags (after a team's rows are merged: a customer
# who ordered from one agent of the team and not from another is not lost to the team)
FUNNEL_COUNTS = {
    # inquired, and ordered nothing credited to the group in the period
    "lost_customers": lambda t: t.presale & ~t._ordered,
    # ordered, and paid nothing credited to the group in the period
    "unpaid_customers": lambda t: t._ordered & ~t._paid,
}


# a customer row's flags -> the count of the customers with it
CUSTOMER_FLAGS = {"replied": "replied_customers", "presale": "inquiring_customers",
                  "aftersale": "aftersale_customers"}


def count_customers(t: ir.Table, flags: dict[str, str], distinct: bool,
                    derived: dict[str, Any] | None = None) -> ir.Table:
    """Customers per group and period, and those with each flag, from customer rows.

    ``distinct``: the rows may hold a customer several times (several days, or several
    agents of a team); such a customer counts once, and once for each flag any row has.
    ``derived``: more counts, of the customers whose merged flags pass a condition.
    """
    keys = [GROUP_COL, BUCKET_COL]
    if distinct:
        t = t.group_by([*keys, "customer_id"]).agg(**{f: t[f].any() for f in flags})
    more = {name: condition(t).sum() for name, condition in (derived or {}).items()}
    return t.group_by(keys).agg(customers=t.count(),
                                **{name: t[f].sum() for f, name in flags.items()}, **more)


def service_aggregates(r: Rollups, agents: ir.Table, b: Buckets, by: str
                       ) -> tuple[dict[str, ir.Table], ir.Table | None]:
    """The service, customers and first-response fields per group and period, and the
    customers' day rows of the range when conversion must be counted from them (None
    when whole months are counted from the month rows)."""
    keys = [GROUP_COL, BUCKET_COL]
    out: dict[str, ir.Table] = {}
    d = days_of(r.days, agents, b, by)
    out["service"] = d.group_by(keys).agg(**{k: d[k].sum() for k in DAY_SUMS})
    day_customers = None
    if r.months is not None and b.whole_months():
        out["service_customers"] = month_customer_counts(r.months, agents, b, by)
    else:
        day_customers = days_of(r.customers, agents, b, by)
        out["service_customers"] = count_customers(day_customers, CUSTOMER_FLAGS, distinct=True)
    f = days_of(r.firsts, agents, b, by, on="human_local")
    out["service_firsts"] = f.group_by(keys).agg(
        first_response_median_s=f.first_response_s.median(),
        first_response_p90_s=f.first_response_s.quantile(0.9),
    )
    return out, day_customers
