"""催付, payment reminders: unpaid orders whose customer an agent messaged soon after they
were placed (catalog family ``reminders``).

An order is **reminded** when an agent writes to its customer (a message with sender
``agent`` in any session of that customer) after the order was created, within the
profile's ``remind_window_h`` of its creation, while it is still unpaid (before its
``paid_ts``, or it was never paid).  The first such message is the reminder: the order is
credited to the agent who wrote it, in the period of the reminder's local time, whoever
the order's sale is credited to.  A reminded order that was paid (status ``paid``) was
**paid after the reminder**.

The figures are computed from the chat log and the orders of the range (and the window
before it), not from the workspace's cache: they are the same on a workspace, a data
folder and PySpark.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import ibis
import ibis.expr.types as ir

from ..inputs import Inputs
from ..profiles import Profile
from .common import BUCKET_COL, GROUP_COL, Buckets, bucket, in_range, with_group_key, with_team


def _utc(day: dt.date, tz: str) -> dt.datetime:
    """Local 00:00 of ``day`` as a naive UTC instant."""
    local = dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(tz))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def reminded_orders(inp: Inputs, p: Profile, b: Buckets) -> ir.Table:
    """One row per order reminded in the range ``b``.

    Columns: order_id, customer_id, agent_id (who reminded), reminded_utc, created_local,
    paid_local, status, amount, paid_after (paid after the reminder), reminded_local.
    """
    window = dt.timedelta(hours=p.remind_window_h)
    window_us = int(round(p.remind_window_h * 3600 * 1_000_000))
    first, after = _utc(b.start, inp.tz), _utc(b.end + dt.timedelta(days=1), inp.tz)
    # a reminder in the range answers an order created at most the window before it, and
    # is one only if no message of the window before it was (so those are read too)
    span_from = ibis.timestamp((first - window).isoformat(sep=" "))
    span_to = ibis.timestamp(after.isoformat(sep=" "))
    o = inp.get("orders")
    o = o.filter((o.created_ts_utc >= span_from) & (o.created_ts_utc < span_to))
    o = o.select(_oid=o.order_id, _cust=o.customer_id, _created=o.created_ts_utc,
                 _paid=o.paid_ts_utc, _status=o.status, _created_local=o.created_ts_local,
                 _paid_local=o.paid_ts_local, _amount=o.amount)
    m = inp.get("messages")
    m = m.filter((m.sender == "agent") & (m.ts_utc > span_from) & (m.ts_utc < span_to))
    s = inp.get("sessions")
    s = s.select(_sid=s.session_id, _s_cust=s.customer_id, _s_agent=s.agent_id)
    written = m.inner_join(s, m.session_id == s._sid).select(
        _m_cust=s._s_cust, _m_agent=ibis.coalesce(m.agent_id, s._s_agent), _ts=m.ts_utc)
    cand = o.inner_join(written, o._cust == written._m_cust)
    cand = cand.filter((cand._ts > cand._created)
                       & (cand._ts.delta(cand._created, unit="microsecond") <= window_us)
                       & (cand._paid.isnull() | (cand._ts < cand._paid)))
    cand = cand.mutate(_rn=ibis.row_number().over(
        group_by="_oid", order_by=[cand._ts, cand._m_agent]))
    r = cand.filter(cand._rn == 0)
    r = r.select(order_id=r._oid, customer_id=r._cust, agent_id=r._m_agent,
                 reminded_utc=r._ts, created_local=r._created_local, paid_local=r._paid_local,
                 status=r._status, amount=r._amount,
                 paid_after=(r._status == "paid") & r._paid.notnull())
    r = r.mutate(reminded_local=inp.to_local(r.reminded_utc))
    return r.filter(in_range(r.reminded_local, b))


def reminder_aggregates(inp: Inputs, agents: ir.Table, p: Profile, b: Buckets,
                        by: str) -> ir.Table:
    """Reminded orders and those paid after the reminder, per group and period."""
    r = reminded_orders(inp, p, b)
    r = with_group_key(with_team(r, agents), by)
    r = r.mutate(**{BUCKET_COL: bucket(r.reminded_local, b)})
    return r.group_by([GROUP_COL, BUCKET_COL]).agg(
        reminded_orders=r.count(), reminded_paid_orders=r.paid_after.sum())
