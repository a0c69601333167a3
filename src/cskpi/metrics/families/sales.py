"""Sales figures from the orders: attribution (credit), credited sales, the shop's paid
orders, refunded orders and conversion (catalog families ``sales``, ``shop_orders``,
``orders_refunded`` and, with the chat log, ``customers``)."""

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
    agents_table,
    bucket,
    in_range,
    on_days,
    periods_table,
    session_kind,
    with_group_key,
    with_team,
)
from .service import FUNNEL_COUNTS, sessions_base


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
    base = with_team(base.filter(base.agent_id.notnull()), agents)
    base = base.mutate(kind=session_kind(base.kind, base.role))
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


def sales_aggregates(inp: Inputs, c: ir.Table | None, agents: ir.Table, p: Profile, b: Buckets,
           by: str, chat: bool) -> dict[str, ir.Table]:
    """Sales; with the chat side (``chat``), conversion of the inquiring customers ``c``
    (day rows of the range; None: counted from month rows) and refunded orders."""
    keys = [GROUP_COL, BUCKET_COL]
    o = credited_orders(inp, p)
    o = with_team(o, agents, "credited")
    paid = o.filter((o.status == "paid") & o.paid_ts_local.notnull())
    paid = paid.filter(in_range(paid.paid_ts_local, b))
    paid = paid.mutate(**{BUCKET_COL: bucket(paid.paid_ts_local, b)})
    out: dict[str, ir.Table] = {}
    credited_paid = paid.filter(paid.credited.notnull())
    g = with_group_key(credited_paid, by, "credited")
    out["sales"] = g.group_by(keys).agg(
        sales=g.amount.sum(), units=g.units.sum(), buyers=g.customer_id.nunique(),
        paid_orders=g.count())
    shop_paid = with_group_key(paid.mutate(team=ibis.null("string")), "shop")
    silent = shop_paid.credited.isnull()
    out["shop_orders"] = shop_paid.group_by(BUCKET_COL).agg(
        shop_paid_orders=shop_paid.count(), silent_paid_orders=silent.sum(),
        shop_sales=shop_paid.amount.sum(), silent_sales=shop_paid.amount.sum(where=silent))
    # orders with a refund requested in the period, against the paid orders above: the
    # shop's (after-sale agents) and the credited agent's; with or without the chat log
    if inp.has("refunds"):
        rf = inp.get("refunds")
        rf = rf.filter(rf.order_id.notnull() & in_range(rf.requested_ts_local, b)).select(
            _oid=rf.order_id, _rb=bucket(rf.requested_ts_local, b))
        ro = o.select("order_id", "credited", "team").inner_join(
            rf, o.order_id == rf._oid).rename({BUCKET_COL: "_rb"})
        ro = ro.drop("_oid")
        shop_ro = with_group_key(ro, "shop")
        out["shop_refund_orders"] = shop_ro.group_by(BUCKET_COL).agg(
            shop_refund_orders=shop_ro.order_id.nunique())
        gro = with_group_key(ro.filter(ro.credited.notnull()), by, "credited")
        out["refund_orders"] = gro.group_by(keys).agg(refund_orders=gro.order_id.nunique())
    if chat and c is not None:
        out["service_conversion"] = conversion(c, o, paid, b, keys)
    return out


def conversion(c: ir.Table, o: ir.Table, paid: ir.Table, b: Buckets,
                keys: list[str]) -> ir.Table:
    """Inquiring customers of the group and period (day rows ``c``) with an order credited
    to the agent they asked, created (ordering) or paid (paying) in the same period."""
    created = o.filter(o.credited.notnull() & in_range(o.created_ts_local, b)).select(
        _c=o.customer_id, _agent=o.credited, _b=bucket(o.created_ts_local, b),
        _ordered=ibis.literal(True), _paid=ibis.literal(False))
    paid_keys = paid.filter(paid.credited.notnull()).select(
        _c=paid.customer_id, _agent=paid.credited, _b=paid[BUCKET_COL],
        _ordered=ibis.literal(False), _paid=ibis.literal(True))
    bought = created.union(paid_keys)
    bought = bought.group_by(["_c", "_agent", "_b"]).agg(_ordered=bought._ordered.any(),
                                                          _paid=bought._paid.any())
    inquiring = c.filter(c.presale)
    # every inquiring customer is kept: the lost ones are those that ordered nothing
    j = inquiring.left_join(bought, [inquiring.customer_id == bought._c,
                                     inquiring.agent_id == bought._agent,
                                     inquiring[BUCKET_COL] == bought._b])
    # one row per customer of the group and period (several days, several agents of a team)
    per = j.group_by([*keys, "customer_id"]).agg(
        _ordered=j._ordered.fill_null(False).any(), _paid=j._paid.fill_null(False).any())
    per = per.mutate(presale=ibis.literal(True))
    return per.group_by(keys).agg(
        ordering_customers=per._ordered.sum(), paying_customers=per._paid.sum(),
        **{name: condition(per).sum() for name, condition in FUNNEL_COUNTS.items()})


def trailing_30_days(ends: list[tuple[dt.date, dt.date]]) -> ir.Table:
    """Each period's key with the 30 days ending on its last day."""
    return periods_table({
        "_key": [k for k, _ in ends],
        "_from": [e - dt.timedelta(days=29) for _, e in ends],
        "_to": [e for _, e in ends],
    })


def in_trailing(col: ir.TimestampValue, ends: list[tuple[dt.date, dt.date]]
                 ) -> ir.BooleanValue:
    """Whether a local timestamp falls in the span of all the trailing 30 days' windows
    (the rows outside it join no window: left out before the join, whatever the history)."""
    last = max(e for _, e in ends)
    return on_days(col, min(e for _, e in ends) - dt.timedelta(days=29), last)


def trailing_paid_orders(inp: Inputs, agents: ir.Table, p: Profile, by: str,
                         ends: list[tuple[dt.date, dt.date]]) -> tuple[ir.Table, ir.Table]:
    windows = trailing_30_days(ends)
    o = credited_orders(inp, p)
    o = o.filter((o.status == "paid") & o.paid_ts_local.notnull()
                 & in_trailing(o.paid_ts_local, ends))
    o = with_team(o, agents, "credited")
    o = o.mutate(_d=o.paid_ts_local.date())
    oj = o.inner_join(windows, [(o._d >= windows._from) & (o._d <= windows._to)])
    shop = oj.group_by(oj._key.name(BUCKET_COL)).agg(shop_paid_30d=oj.count())
    g = with_group_key(oj.filter(oj.credited.notnull()), by, "credited")
    grp = g.group_by([GROUP_COL, g._key.name(BUCKET_COL)]).agg(paid_30d=g.count())
    return grp, shop
