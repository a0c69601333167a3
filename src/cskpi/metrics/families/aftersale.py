"""After-sale figures: refunds handled, disputes of the trailing 30 days, verified
complaints and reviews (catalog families ``refunds``, ``disputes``, ``complaints``,
``reviews``)."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from ..inputs import Inputs
from ..profiles import Profile
from .common import (
    BUCKET_COL,
    GROUP_COL,
    Buckets,
    bucket,
    in_range,
    seconds,
    with_group_key,
    with_team,
)
from .sales import credited_orders, in_trailing, trailing_30_days


def refunds_handled(inp: Inputs, agents: ir.Table, b: Buckets, by: str) -> ir.Table:
    keys = [GROUP_COL, BUCKET_COL]
    r = inp.get("refunds")
    r = r.filter(in_range(r.requested_ts_local, b))
    r = with_group_key(with_team(r, agents), by).mutate(
        **{BUCKET_COL: bucket(r.requested_ts_local, b)})
    if by != "shop":
        r = r.filter(r[GROUP_COL].notnull())
    hours = seconds(r.completed_ts_utc, r.requested_ts_utc) / 3600
    return r.group_by(keys).agg(
        refunds_handled=r.count(),
        completion_h_sum=hours.sum(where=r.completed_ts_utc.notnull()),
        completion_n=r.completed_ts_utc.notnull().sum(),
        aftersale_cost=r.cost.sum(),
    )


def trailing_disputes(inp: Inputs, agents: ir.Table, by: str,
                      ends: list[tuple[dt.date, dt.date]]) -> ir.Table:
    """Dispute refunds and paid orders in the 30 days ending with each period's last day."""
    windows = trailing_30_days(ends)
    r = inp.get("refunds")
    r = r.filter(r.dispute & in_trailing(r.requested_ts_local, ends))
    r = with_group_key(with_team(r, agents), by)
    rd = r.mutate(_d=r.requested_ts_local.date())
    rj = rd.inner_join(windows, [(rd._d >= windows._from) & (rd._d <= windows._to)])
    if by != "shop":
        rj = rj.filter(rj[GROUP_COL].notnull())
    return rj.group_by([GROUP_COL, rj._key.name(BUCKET_COL)]).agg(dispute_refunds=rj.count())


def attributed_reviews(inp: Inputs, p: Profile, b: Buckets) -> ir.Table:
    """The reviews of the range with the agent held responsible (``_agent``: their
    ``agent_id``, else the order's credited agent; None: nobody) and the moment they count
    on (``_when``: their own time, else the order's payment, else its creation)."""
    rv = inp.get("reviews")
    # a review with a time counts on it: those of other periods are left out first
    rv = rv.filter(rv.ts_local.isnull() | in_range(rv.ts_local, b))
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
    return rv.filter(rv._when.notnull() & in_range(rv._when, b))


def reviews(inp: Inputs, agents: ir.Table, p: Profile, b: Buckets, by: str) -> ir.Table:
    """Reviews attributed to their ``agent_id``, else to the order's credited agent."""
    rv = attributed_reviews(inp, p, b)
    rv = with_group_key(with_team(rv, agents, "_agent"), by, "_agent")
    rv = rv.mutate(**{BUCKET_COL: bucket(rv._when, b)})
    if by != "shop":
        rv = rv.filter(rv[GROUP_COL].notnull())
    return rv.group_by([GROUP_COL, BUCKET_COL]).agg(
        neutral_reviews=(rv.rating == "neutral").sum(), bad_reviews=(rv.rating == "bad").sum())


def complaints(inp: Inputs, agents: ir.Table, b: Buckets, by: str) -> ir.Table:
    """Verified complaints against each group's agents, by the complaint's time."""
    t = inp.get("complaints")
    t = t.filter(t.verified & in_range(t.ts_local, b))
    t = with_group_key(with_team(t, agents), by).mutate(**{BUCKET_COL: bucket(t.ts_local, b)})
    return t.group_by([GROUP_COL, BUCKET_COL]).agg(complaints=t.count())
