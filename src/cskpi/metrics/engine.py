"""The metric computation, written once in Ibis, run on DuckDB or PySpark.

Three layers:

1. :func:`session_facts` — the expensive part: from the chat log, one row per session
   with its rounds already counted (answered, within N seconds, capped response sum,
   first round).  It depends only on the session, its messages and the profile's
   settings, so it can be kept per session and recomputed for the sessions a new
   import touched.
2. :func:`rollups` — the facts rolled up by agent and local day: additive numerators
   and denominators, and one row per agent, day and customer for distinct counts
   (and, for whole calendar months, :func:`month_customers`: one row per agent, month
   and customer, with the month's conversion).  A workspace keeps them
   (:mod:`cskpi.metrics.cache`); elsewhere they are computed on the fly.
3. :func:`aggregates` — cheap: group rollups, orders, refunds … by group and period into
   numerators and denominators.  :mod:`cskpi.metrics.compute` turns those into the
   catalog's figures (rates, means, nulls with reasons) in plain Python.

Definitions follow the metric catalog; where it is silent, the choice is documented
in docs/metrics.md and in the docstrings below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from ..months import is_whole_month, month_end
from .inputs import Inputs
from .profiles import Profile

GROUP_COL = "group_key"
BUCKET_COL = "bucket"


@dataclass(frozen=True)
class Buckets:
    """The periods asked for: ``grain`` day/week/month, or one range."""

    start: dt.date
    end: dt.date  # inclusive
    grain: str | None  # None: the whole range is one period

    def periods(self) -> list[tuple[dt.date, dt.date, dt.date]]:
        """(bucket key, period_start, period_end) for every period, clipped to the range."""
        out = []
        key = self._truncate(self.start)
        while key <= self.end:
            nxt = self._next(key)
            out.append((key, max(key, self.start), min(nxt - dt.timedelta(days=1), self.end)))
            key = nxt
        return out

    def _truncate(self, d: dt.date) -> dt.date:
        if self.grain == "week":
            return d - dt.timedelta(days=d.weekday())
        if self.grain == "month":
            return d.replace(day=1)
        return d if self.grain == "day" else self.start

    def _next(self, d: dt.date) -> dt.date:
        if self.grain == "day":
            return d + dt.timedelta(days=1)
        if self.grain == "week":
            return d + dt.timedelta(days=7)
        if self.grain == "month":
            return month_end(d) + dt.timedelta(days=1)
        return self.end + dt.timedelta(days=1)

    def whole_months(self) -> bool:
        """Whether every period is one whole calendar month."""
        return all(is_whole_month(s, e) for _, s, e in self.periods())


def on_days(col: ir.TimestampValue | ir.DateValue, first: dt.date,
            last: dt.date) -> ir.BooleanValue:
    """Whether a local timestamp or a date falls on a day from ``first`` to ``last``."""
    if isinstance(col, ir.TimestampValue):
        # compared as timestamps, not as dates: a stored column's min/max then skip rows
        after = last + dt.timedelta(days=1)
        return (col >= ibis.timestamp(first.isoformat())) & (
            col < ibis.timestamp(after.isoformat()))
    return (col >= ibis.date(first.isoformat())) & (col <= ibis.date(last.isoformat()))


def _in_range(col: ir.TimestampValue | ir.DateValue, b: Buckets) -> ir.BooleanValue:
    """Whether a local timestamp or date falls on a day of the range."""
    return on_days(col, b.start, b.end)


def _bucket(col: ir.TimestampValue | ir.DateValue, b: Buckets) -> ir.DateValue:
    """The key of the period a local timestamp or date falls in (its first day)."""
    d = col.date() if isinstance(col, ir.TimestampValue) else col
    if b.grain == "day":
        return d
    if b.grain == "week":
        return d.truncate("W")
    if b.grain == "month":
        return d.truncate("M")
    return ibis.date(b.start.isoformat())


def _seconds(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    """Exact seconds between two naive UTC timestamps (microsecond resolution)."""
    return later.delta(earlier, unit="microsecond").cast("float64") / 1_000_000


def _time_of_day_s(local: ir.TimestampValue) -> ir.IntegerValue:
    return local.hour() * 3600 + local.minute() * 60 + local.second()


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
# the session columns every facts row carries beside its round counts
FACT_SESSION_COLUMNS = ("session_id", "customer_id", "agent_id", "kind", "human_utc",
                        "human_local", "n_agent_msgs")


def base_of_facts(facts: ir.Table) -> ir.Table:
    """The sessions base out of session facts, which carry its columns (no join needed)."""
    return facts.select(*FACT_SESSION_COLUMNS)


def _base_from_messages(inp: Inputs) -> ir.Table:
    s = inp.get("sessions").select(*BASE_COLUMNS)
    m = inp.get("messages")
    if m is not None:
        firsts = m.group_by("session_id").agg(
            first_cust_utc=m.ts_utc.min(where=m.sender == "customer"),
            n_agent_msgs=(m.sender == "agent").sum(),
        )
        s = s.left_join(firsts, "session_id").drop("session_id_right")
    else:
        s = s.mutate(first_cust_utc=ibis.null("timestamp"), n_agent_msgs=ibis.null("int64"))
    s = s.mutate(human_utc=ibis.coalesce(s.transfer_ts_utc, s.first_cust_utc, s.start_ts_utc))
    # local time once per session, not once per message
    return s.mutate(human_local=inp.to_local(s.human_utc)).drop("first_cust_utc")


def rounds_table(inp: Inputs, p: Profile, base: ir.Table, with_local: bool = False) -> ir.Table:
    """One row per round of the human stage of each session in ``base``.

    A round starts at the first customer message after the human start that is not
    yet answered and ends at the next reply (an agent message; a bot message too when
    ``bot_replies_count``).  A transfer opens a round at the transfer time.  At equal
    timestamps the customer's message comes first.  Agent messages with no open round
    (proactive greetings) answer nothing.  Sessions without a human agent have no rounds.
    Columns: session_id, k (0-based), start_utc (and start_local with ``with_local`` or a
    service window), reply_utc, resp (s), answered, in_w (start inside the service
    window), first (the session's first round).
    """
    m = inp.get("messages")
    # local wall-clock time is needed only to test rounds against a service window
    local = with_local or p.service_window is not None
    human = base.filter(base.agent_id.notnull()).select(
        "session_id", "human_utc", "human_local", has_transfer=base.transfer_ts_utc.notnull())
    reply_senders = ["agent", "bot"] if p.bot_replies_count else ["agent"]
    msgs = m.filter(m.sender.isin(["customer", *reply_senders])).select(
        "session_id", "ts_utc", is_reply=m.sender.isin(reply_senders))
    j = msgs.inner_join(human, "session_id")
    j = j.filter(j.ts_utc >= j.human_utc).select("session_id", "ts_utc", "is_reply")
    # a transfer opens a round at the human start, even before the customer writes again
    opening = human.filter(human.has_transfer).select(
        "session_id", ts_utc=human.human_utc, is_reply=ibis.literal(False))
    events = j.union(opening)
    # at equal timestamps the customer's message (is_reply false) sorts first
    w = ibis.window(group_by="session_id", order_by=[events.ts_utc, events.is_reply],
                    rows=(None, 0))
    r = events.is_reply.cast("int64")
    events = events.mutate(k=r.sum().over(w) - r)
    rounds = events.group_by(["session_id", "k"]).agg(
        start_utc=events.ts_utc.min(where=~events.is_reply),
        reply_utc=events.ts_utc.min(where=events.is_reply),
    )
    rounds = rounds.filter(rounds.start_utc.notnull())
    if local:
        rounds = rounds.mutate(start_local=inp.to_local(rounds.start_utc))
    if p.service_window is not None:
        tod = _time_of_day_s(rounds.start_local)
        in_w = (tod >= p.service_window.start_s) & (tod < p.service_window.end_s)
    else:
        in_w = ibis.literal(True)
    rounds = rounds.mutate(resp=_seconds(rounds.reply_utc, rounds.start_utc), in_w=in_w,
                           answered=rounds.reply_utc.notnull())
    return rounds.mutate(first=rounds.k == rounds.k.min().over(group_by="session_id"))


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
        return base.select(*cols).mutate(
            n_rounds=ibis.literal(0, "int64"), n_rounds_w=ibis.literal(0, "int64"),
            n_answered=ibis.literal(0, "int64"), n_answered_w=ibis.literal(0, "int64"),
            n_within_w=ibis.literal(0, "int64"), sum_resp_w=ibis.literal(0.0, "float64"),
            first_w=ibis.literal(0, "int64"), first_within_w=ibis.literal(0, "int64"),
            first_resp_w=ibis.null("float64"))
    rounds = rounds_table(inp, p, base)
    capped = rounds.resp if p.response_cap_s is None else ibis.least(rounds.resp,
                                                                     p.response_cap_s)
    within = rounds.answered & (rounds.resp <= p.reply_within_s)
    first_within = rounds.answered & (rounds.resp <= p.first_reply_within_s)
    agg = rounds.group_by("session_id").agg(
        n_rounds=rounds.count(),
        n_rounds_w=rounds.in_w.sum(),
        n_answered=rounds.answered.sum(),
        n_answered_w=(rounds.answered & rounds.in_w).sum(),
        n_within_w=(within & rounds.in_w).sum(),
        sum_resp_w=capped.sum(where=rounds.answered & rounds.in_w),
        first_w=(rounds.first & rounds.in_w).sum(),
        first_within_w=(rounds.first & rounds.in_w & first_within).sum(),
        first_resp_w=rounds.resp.max(where=rounds.first & rounds.in_w & rounds.answered),
    )
    facts = base.select(*cols).left_join(agg, "session_id").drop("session_id_right")
    return facts.mutate(
        n_rounds=facts.n_rounds.fill_null(0), n_rounds_w=facts.n_rounds_w.fill_null(0),
        n_answered=facts.n_answered.fill_null(0), n_answered_w=facts.n_answered_w.fill_null(0),
        n_within_w=facts.n_within_w.fill_null(0),
        sum_resp_w=facts.sum_resp_w.fill_null(0.0),
        first_w=facts.first_w.fill_null(0), first_within_w=facts.first_within_w.fill_null(0),
    )


# --- grouping ------------------------------------------------------------------------------


def agents_table(inp: Inputs) -> ir.Table:
    a = inp.get("agents")
    return a.select("agent_id", "name", "role", "team", "level", "active")


def _group(t: ir.Table, by: str, agent_col: str = "agent_id") -> ir.Table:
    """Add the group key: the agent, the agent's team, or the whole shop."""
    if by == "shop":
        return t.mutate(**{GROUP_COL: ibis.literal("shop")})
    if by == "agent":
        return t.mutate(**{GROUP_COL: t[agent_col]})
    return t.mutate(**{GROUP_COL: t["team"]})


def _with_team(t: ir.Table, agents: ir.Table, agent_col: str = "agent_id") -> ir.Table:
    a = agents.select(_a_id=agents.agent_id, team=agents.team, role=agents.role)
    return t.left_join(a, t[agent_col] == a._a_id).drop("_a_id")


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


def _kind(kind: ir.StringValue, role: ir.StringValue) -> ir.StringValue:
    """A session's kind; when blank, the agent's role decides (after-sale, else pre-sale)."""
    return ibis.coalesce(kind, ibis.cases((role == "aftersale", "aftersale"),
                                          else_="presale"))


def service_sessions(inp: Inputs, facts: ir.Table) -> ir.Table:
    """Session facts with their local day, kind (the agent's role when blank) and rating."""
    a = agents_table(inp)
    a = a.select(_a_id=a.agent_id, _role=a.role)
    s = facts.left_join(a, facts.agent_id == a._a_id).drop("_a_id")
    s = s.mutate(kind=_kind(s.kind, s._role), day=s.human_local.date()).drop("_role")
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
        unanswered_sessions=(ss.n_agent_msgs.fill_null(0) == 0).sum(),
        first_resp_sum=ss.first_resp_w.sum(),
        first_resp_n=ss.first_resp_w.notnull().sum(),
        resp_sum=ss.sum_resp_w.sum(),
        resp_n=ss.n_answered_w.sum(),
        first_within=ss.first_within_w.sum(),
        first_n=ss.first_w.sum(),
        rounds_within=ss.n_within_w.sum(),
        rounds_n=ss.n_rounds_w.sum(),
        rated=ss.score.notnull().sum(),
        rated_good=ss.score.isin([4, 5]).sum(),
        rated_bad=ss.score.isin([1, 2]).sum(),
    )
    customers = ss.group_by(["agent_id", "day", "customer_id"]).agg(
        replied=(ss.n_answered > 0).any(),
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
    f = facts.filter(facts.first_resp_w.notnull())
    return f.select("agent_id", "first_resp_w", "human_local")


DAY_SUMS = ("sessions", "unanswered_sessions", "first_resp_sum", "first_resp_n", "resp_sum",
            "resp_n", "first_within", "first_n", "rounds_within", "rounds_n", "rated",
            "rated_good", "rated_bad")


def _days_of(t: ir.Table, agents: ir.Table, b: Buckets, by: str, on: str = "day") -> ir.Table:
    """Rollup rows of the range with their group and bucket (agent-less rows: shop only);
    ``on``: the rows' date column (``day``; ``month`` for month rows; ``human_local`` for
    the first responses)."""
    t = t.filter(_in_range(t[on], b))
    if by != "shop":
        t = t.filter(t.agent_id.notnull())
    if by == "team":
        t = _with_team(t, agents)
    return _group(t, by).mutate(**{BUCKET_COL: _bucket(t[on], b)})


def aggregates(inp: Inputs, r: Rollups | None, p: Profile, b: Buckets,
               by: str) -> dict[str, ir.Table]:
    """Per (group, bucket) numerators and denominators, one table per input family."""
    out: dict[str, ir.Table] = {}
    agents = agents_table(inp)
    keys = [GROUP_COL, BUCKET_COL]
    c = None  # the day rows of customers, when conversion is counted from them
    if r is not None:
        d = _days_of(r.days, agents, b, by)
        out["service"] = d.group_by(keys).agg(**{k: d[k].sum() for k in DAY_SUMS})
        if r.months is not None and b.whole_months():
            out["service_customers"] = _month_customer_counts(r.months, agents, b, by)
        else:
            c = _days_of(r.customers, agents, b, by)
            out["service_customers"] = _count_customers(c, CUSTOMER_FLAGS, distinct=True)
        f = _days_of(r.firsts, agents, b, by, on="human_local")
        out["service_firsts"] = f.group_by(keys).agg(
            first_resp_median=f.first_resp_w.median(),
            first_resp_p90=f.first_resp_w.quantile(0.9),
        )
    if inp.has("orders"):
        out.update(_sales(inp, c, agents, p, b, by, chat=r is not None))
    if inp.has("refunds"):
        out["refunds"] = _refunds(inp, agents, b, by)
    if inp.has("complaints"):
        t = inp.get("complaints")
        t = t.filter(t.verified & _in_range(t.ts_local, b))
        t = _group(_with_team(t, agents), by).mutate(**{BUCKET_COL: _bucket(t.ts_local, b)})
        out["complaints"] = t.group_by(keys).agg(complaints=t.count())
    if inp.has("reviews"):
        out["reviews"] = _reviews(inp, agents, p, b, by)
    if inp.has("attendance"):
        t = inp.get("attendance")
        t = t.filter(_in_range(t.date, b))
        t = _group(_with_team(t, agents), by).mutate(**{BUCKET_COL: _bucket(t.date, b)})
        out["attendance"] = t.group_by(keys).agg(
            late=(t.status == "late").sum(), leave=(t.status == "leave").sum(),
            absent=(t.status == "absent").sum(), attendance_days=t.count())
    return out


def _month_customer_counts(months: ir.Table, agents: ir.Table, b: Buckets,
                           by: str) -> ir.Table:
    """Customer counts and conversion of whole-month periods, from the month rows."""
    m = _days_of(months, agents, b, by, on="month")
    m = m.mutate(_ordered=m.presale & m.ordered, _paid=m.presale & m.paid)
    flags = {**CUSTOMER_FLAGS, "_ordered": "ordering_customers", "_paid": "paying_customers"}
    # an agent's month has one row per customer; a team's may have several
    return _count_customers(m, flags, distinct=by != "agent")


# a customer row's flags -> the count of the customers with it
CUSTOMER_FLAGS = {"replied": "replied_customers", "presale": "inquiring_customers",
                  "aftersale": "aftersale_customers"}


def _count_customers(t: ir.Table, flags: dict[str, str], distinct: bool) -> ir.Table:
    """Customers per group and period, and those with each flag, from customer rows.

    ``distinct``: the rows may hold a customer several times (several days, or several
    agents of a team); such a customer counts once, and once for each flag any row has.
    """
    keys = [GROUP_COL, BUCKET_COL]
    if distinct:
        t = t.group_by([*keys, "customer_id"]).agg(**{f: t[f].any() for f in flags})
    return t.group_by(keys).agg(customers=t.count(),
                                **{name: t[f].sum() for f, name in flags.items()})


def credit_memo_key(p: Profile) -> str:
    """Where a computation keeps its credited orders (``Inputs.memo``)."""
    return f"credited:{p.attribution}:{p.attribution_window_h}"


def credited_orders(inp: Inputs, p: Profile) -> ir.Table:
    """Orders with their credited agent (see :func:`credit_orders`), built once."""
    return inp.shared(credit_memo_key(p), lambda: _credit_orders(inp, p))


def _credit_orders(inp: Inputs, p: Profile) -> ir.Table:
    o = inp.get("orders")
    if not inp.has("sessions"):  # no inquiries to attribute: explicit credit only
        return o.mutate(credited=o.agent_id)
    return credit_orders(o, sessions_base(inp), agents_table(inp), p)


def credit_orders(o: ir.Table, base: ir.Table, agents: ir.Table, p: Profile) -> ir.Table:
    """Orders ``o`` with the agent they are credited to (None = silent order).

    Explicit ``agent_id`` wins; otherwise the customer's most recent (``first_touch``:
    earliest) pre-sale session of ``base`` whose human start is before ``created_ts``
    and not more than ``attribution_window_h`` earlier.
    """
    base = _with_team(base.filter(base.agent_id.notnull()), agents)
    base = base.mutate(kind=_kind(base.kind, base.role))
    pre = base.filter(base.kind == "presale").select(
        _cust=base.customer_id, _agent=base.agent_id, _start=base.human_utc,
        _sid=base.session_id)
    window_us = int(round(p.attribution_window_h * 3600 * 1_000_000))
    cand = o.select("order_id", "customer_id", "created_ts_utc").inner_join(
        pre, [o.customer_id == pre._cust])
    cand = cand.filter((cand._start < cand.created_ts_utc)
                       & (cand.created_ts_utc.delta(cand._start, unit="microsecond")
                          <= window_us))
    order_by = [ibis.desc(cand._start), ibis.desc(cand._sid)] if p.attribution == "last_touch" \
        else [cand._start, cand._sid]
    cand = cand.mutate(_rn=ibis.row_number().over(group_by="order_id", order_by=order_by))
    best = cand.filter(cand._rn == 0).select(_oid=cand.order_id, _attributed=cand._agent)
    o = o.left_join(best, o.order_id == best._oid).drop("_oid")
    return o.mutate(credited=ibis.coalesce(o.agent_id, o._attributed)).drop("_attributed")


def _sales(inp: Inputs, c: ir.Table | None, agents: ir.Table, p: Profile, b: Buckets,
           by: str, chat: bool) -> dict[str, ir.Table]:
    """Sales; with the chat side (``chat``), conversion of the inquiring customers ``c``
    (day rows of the range; None: counted from month rows) and refunded orders."""
    keys = [GROUP_COL, BUCKET_COL]
    o = credited_orders(inp, p)
    o = _with_team(o, agents, "credited")
    paid = o.filter((o.status == "paid") & o.paid_ts_local.notnull())
    paid = paid.filter(_in_range(paid.paid_ts_local, b))
    paid = paid.mutate(**{BUCKET_COL: _bucket(paid.paid_ts_local, b)})
    out: dict[str, ir.Table] = {}
    credited_paid = paid.filter(paid.credited.notnull())
    g = _group(credited_paid, by, "credited")
    out["sales"] = g.group_by(keys).agg(
        sales=g.amount.sum(), units=g.units.sum(), buyers=g.customer_id.nunique(),
        paid_orders=g.count())
    shop_paid = _group(paid.mutate(team=ibis.null("string")), "shop")
    out["shop_orders"] = shop_paid.group_by(BUCKET_COL).agg(
        shop_paid_orders=shop_paid.count(),
        silent_paid_orders=shop_paid.credited.isnull().sum())
    if not chat:
        return out
    if c is not None:
        out["service_conversion"] = _conversion(c, o, paid, b, keys)
    # refunds against credited paid orders (for pre-sale groups)
    if inp.has("refunds"):
        rf = inp.get("refunds")
        rf = rf.filter(_in_range(rf.requested_ts_local, b)).select(
            _oid=rf.order_id, _rb=_bucket(rf.requested_ts_local, b))
        ro = o.select("order_id", "credited", "team").inner_join(
            rf, o.order_id == rf._oid).rename({BUCKET_COL: "_rb"})
        ro = ro.drop("_oid")
        shop_ro = _group(ro, "shop")
        out["shop_refund_orders"] = shop_ro.group_by(BUCKET_COL).agg(
            shop_refund_orders=shop_ro.order_id.nunique())
        gro = _group(ro.filter(ro.credited.notnull()), by, "credited")
        out["refund_orders"] = gro.group_by(keys).agg(refund_orders=gro.order_id.nunique())
    return out


def _conversion(c: ir.Table, o: ir.Table, paid: ir.Table, b: Buckets,
                keys: list[str]) -> ir.Table:
    """Inquiring customers of the group and period (day rows ``c``) with an order credited
    to the agent they asked, created (ordering) or paid (paying) in the same period."""
    created = o.filter(o.credited.notnull() & _in_range(o.created_ts_local, b)).select(
        _c=o.customer_id, _agent=o.credited, _b=_bucket(o.created_ts_local, b),
        _ordered=ibis.literal(True), _paid=ibis.literal(False))
    paid_keys = paid.filter(paid.credited.notnull()).select(
        _c=paid.customer_id, _agent=paid.credited, _b=paid[BUCKET_COL],
        _ordered=ibis.literal(False), _paid=ibis.literal(True))
    bought = created.union(paid_keys)
    bought = bought.group_by(["_c", "_agent", "_b"]).agg(_ordered=bought._ordered.any(),
                                                          _paid=bought._paid.any())
    inquiring = c.filter(c.presale)
    j = inquiring.inner_join(bought, [inquiring.customer_id == bought._c,
                                      inquiring.agent_id == bought._agent,
                                      inquiring[BUCKET_COL] == bought._b])
    return j.group_by(keys).agg(
        ordering_customers=j.customer_id.nunique(where=j._ordered),
        paying_customers=j.customer_id.nunique(where=j._paid))


def _refunds(inp: Inputs, agents: ir.Table, b: Buckets, by: str) -> ir.Table:
    keys = [GROUP_COL, BUCKET_COL]
    r = inp.get("refunds")
    r = r.filter(_in_range(r.requested_ts_local, b))
    r = _group(_with_team(r, agents), by).mutate(**{BUCKET_COL: _bucket(r.requested_ts_local, b)})
    if by != "shop":
        r = r.filter(r[GROUP_COL].notnull())
    hours = _seconds(r.completed_ts_utc, r.requested_ts_utc) / 3600
    return r.group_by(keys).agg(
        refunds_handled=r.count(),
        completion_h_sum=hours.sum(where=r.completed_ts_utc.notnull()),
        completion_n=r.completed_ts_utc.notnull().sum(),
        aftersale_cost=r.cost.sum(),
    )


def periods_table(columns: dict[str, list[Any]]) -> ir.Table:
    """A small in-memory table of periods, named after its contents.

    The same periods give the same name in every process, so a query on them is the same
    query to the compiled-SQL store (:mod:`cskpi.metrics.compiled`), which keeps tables
    named ``cskpi_rows_*`` by name; a random name would make it new every time.
    """
    text = repr(sorted(columns.items()))
    name = "cskpi_rows_" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
    return ibis.memtable(columns).op().copy(name=name).to_expr()


def _trailing_30_days(ends: list[tuple[dt.date, dt.date]]) -> ir.Table:
    """Each period's key with the 30 days ending on its last day."""
    return periods_table({
        "_key": [k for k, _ in ends],
        "_from": [e - dt.timedelta(days=29) for _, e in ends],
        "_to": [e for _, e in ends],
    })


def _in_trailing(col: ir.TimestampValue, ends: list[tuple[dt.date, dt.date]]
                 ) -> ir.BooleanValue:
    """Whether a local timestamp falls in the span of all the trailing 30 days' windows
    (the rows outside it join no window: left out before the join, whatever the history)."""
    last = max(e for _, e in ends)
    return on_days(col, min(e for _, e in ends) - dt.timedelta(days=29), last)


def trailing_disputes(inp: Inputs, agents: ir.Table, by: str,
                      ends: list[tuple[dt.date, dt.date]]) -> ir.Table:
    """Dispute refunds and paid orders in the 30 days ending with each period's last day."""
    windows = _trailing_30_days(ends)
    r = inp.get("refunds")
    r = r.filter(r.dispute & _in_trailing(r.requested_ts_local, ends))
    r = _group(_with_team(r, agents), by)
    rd = r.mutate(_d=r.requested_ts_local.date())
    rj = rd.inner_join(windows, [(rd._d >= windows._from) & (rd._d <= windows._to)])
    if by != "shop":
        rj = rj.filter(rj[GROUP_COL].notnull())
    return rj.group_by([GROUP_COL, rj._key.name(BUCKET_COL)]).agg(dispute_refunds=rj.count())


def trailing_paid_orders(inp: Inputs, agents: ir.Table, p: Profile, by: str,
                         ends: list[tuple[dt.date, dt.date]]) -> tuple[ir.Table, ir.Table]:
    windows = _trailing_30_days(ends)
    o = credited_orders(inp, p)
    o = o.filter((o.status == "paid") & o.paid_ts_local.notnull()
                 & _in_trailing(o.paid_ts_local, ends))
    o = _with_team(o, agents, "credited")
    o = o.mutate(_d=o.paid_ts_local.date())
    oj = o.inner_join(windows, [(o._d >= windows._from) & (o._d <= windows._to)])
    shop = oj.group_by(oj._key.name(BUCKET_COL)).agg(shop_paid_30d=oj.count())
    g = _group(oj.filter(oj.credited.notnull()), by, "credited")
    grp = g.group_by([GROUP_COL, g._key.name(BUCKET_COL)]).agg(paid_30d=g.count())
    return grp, shop


def _reviews(inp: Inputs, agents: ir.Table, p: Profile, b: Buckets, by: str) -> ir.Table:
    """Reviews attributed to their ``agent_id``, else to the order's credited agent."""
    rv = inp.get("reviews")
    # a review with a time counts on it: those of other periods are left out first
    rv = rv.filter(rv.ts_local.isnull() | _in_range(rv.ts_local, b))
    if inp.has("orders"):
        o = credited_orders(inp, p)
        o = o.filter(o.order_id.isin(rv.order_id)).select(
            _oid="order_id", _credited="credited", _paid_local="paid_ts_local",
            _created_local="created_ts_local")
        rv = rv.left_join(o, rv.order_id == o._oid).drop("_oid")
        rv = rv.mutate(_agent=ibis.coalesce(rv.agent_id, rv._credited),
                       _when=ibis.coalesce(rv.ts_local, rv._paid_local, rv._created_local))
    else:
        rv = rv.mutate(_agent=rv.agent_id, _when=rv.ts_local)
    rv = rv.filter(rv._when.notnull() & _in_range(rv._when, b))
    rv = _group(_with_team(rv, agents, "_agent"), by, "_agent")
    rv = rv.mutate(**{BUCKET_COL: _bucket(rv._when, b)})
    if by != "shop":
        rv = rv.filter(rv[GROUP_COL].notnull())
    return rv.group_by([GROUP_COL, BUCKET_COL]).agg(
        neutral_reviews=(rv.rating == "neutral").sum(), bad_reviews=(rv.rating == "bad").sum())


def online_hours(inp: Inputs, by: str, bounds: list[tuple[dt.date, dt.datetime, dt.datetime]],
                 agents: ir.Table) -> ir.Table:
    """Online hours: each agent's intervals merged where they overlap, clipped to periods.

    ``bounds`` gives each period's key and its start and end as naive UTC instants.
    """
    o = inp.get("online")
    # an interval outside every period adds nothing to any period's clipped union
    first = ibis.timestamp(min(a for _, a, _ in bounds).isoformat())
    last = ibis.timestamp(max(z for _, _, z in bounds).isoformat())
    o = o.filter((o.start_ts_utc < last) & (o.end_ts_utc > first))
    o = o.select("agent_id", s=o.start_ts_utc, e=o.end_ts_utc)
    w = ibis.window(group_by="agent_id", order_by=[o.s, o.e], rows=(None, 0))
    o = o.mutate(_run_end=o.e.max().over(w))
    o = o.mutate(_prev_end=o._run_end.lag().over(
        ibis.window(group_by="agent_id", order_by=[o.s, o.e])))
    o = o.mutate(_new=(o._prev_end.isnull() | (o.s > o._prev_end)).cast("int64"))
    o = o.mutate(_island=o._new.sum().over(
        ibis.window(group_by="agent_id", order_by=[o.s, o.e], rows=(None, 0))))
    merged = o.group_by(["agent_id", "_island"]).agg(s=o.s.min(), e=o.e.max())
    periods = periods_table({"_key": [k for k, _, _ in bounds],
                             "_ps": [a for _, a, _ in bounds],
                             "_pe": [z for _, _, z in bounds]})
    periods = periods.mutate(_ps=periods._ps.cast("timestamp"), _pe=periods._pe.cast("timestamp"))
    j = merged.inner_join(periods, [(merged.s < periods._pe) & (merged.e > periods._ps)])
    seconds = _seconds(ibis.least(j.e, j._pe), ibis.greatest(j.s, j._ps))
    j = _group(_with_team(j.mutate(_sec=seconds), agents), by)
    return j.group_by([GROUP_COL, j._key.name(BUCKET_COL)]).agg(online_s=j._sec.sum())
