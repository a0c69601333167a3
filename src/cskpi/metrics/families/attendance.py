"""Attendance rows and online hours (catalog families ``attendance`` and ``online``)."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from ..inputs import Inputs
from .common import (
    BUCKET_COL,
    GROUP_COL,
    Buckets,
    bucket,
    in_range,
    periods_table,
    seconds,
    with_group_key,
    with_team,
)


def attendance(inp: Inputs, agents: ir.Table, b: Buckets, by: str) -> ir.Table:
    """Attendance rows of each status per group and period."""
    t = inp.get("attendance")
    t = t.filter(in_range(t.date, b))
    t = with_group_key(with_team(t, agents), by).mutate(**{BUCKET_COL: bucket(t.date, b)})
    return t.group_by([GROUP_COL, BUCKET_COL]).agg(
        late=(t.status == "late").sum(), leave=(t.status == "leave").sum(),
        absent=(t.status == "absent").sum(), attendance_days=t.count())


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
    clipped = seconds(ibis.least(j.e, j._pe), ibis.greatest(j.s, j._ps))
    j = with_group_key(with_team(j.mutate(_sec=clipped), agents), by)
    return j.group_by([GROUP_COL, j._key.name(BUCKET_COL)]).agg(online_s=j._sec.sum())
