"""The metric computation, written once in Ibis, run on DuckDB or PySpark.

Three layers:

1. :func:`~cskpi.metrics.families.service.session_facts` — the expensive part: from the
   chat log, one row per session with its rounds already counted.  It can be kept per
   session and recomputed for the sessions a new import touched.
2. :func:`~cskpi.metrics.families.service.rollups` — the facts rolled up by agent and
   local day (a workspace keeps them, :mod:`cskpi.metrics.cache`).
3. :func:`aggregates` — cheap: each family's query (:mod:`cskpi.metrics.families`) groups
   rollups, orders, refunds … by group and period into the fields the catalog's
   metrics declare; :mod:`cskpi.metrics.rows` turns those into figures.

This module is the families' front door: what the cache, the drill-down and scoring use.
"""

from __future__ import annotations

import ibis.expr.types as ir

from .families.aftersale import complaints, refunds_handled, reviews, trailing_disputes
from .families.attendance import attendance, online_hours
from .families.common import (
    BUCKET_COL,
    GROUP_COL,
    Buckets,
    agents_table,
    in_range,
    on_days,
    periods_table,
)
from .families.reminders import reminded_orders, reminder_aggregates
from .families.sales import (
    credit_memo_key,
    credit_orders,
    credited_orders,
    sales_aggregates,
    trailing_paid_orders,
)
from .families.service import (
    DAY_SUMS,
    FACT_SESSION_COLUMNS,
    ROUND_COUNTS,
    Rollups,
    base_of_facts,
    firsts,
    month_customers,
    rollups,
    rounds_table,
    service_aggregates,
    service_sessions,
    session_facts,
    sessions_base,
)
from .inputs import Inputs
from .profiles import Profile

__all__ = ["BUCKET_COL", "DAY_SUMS", "FACT_SESSION_COLUMNS", "GROUP_COL", "ROUND_COUNTS",
           "Buckets", "Rollups", "agents_table", "aggregates", "base_of_facts",
           "credit_memo_key", "credit_orders", "credited_orders", "firsts", "in_range",
           "month_customers", "on_days", "online_hours", "periods_table", "reminded_orders",
           "rollups",
           "rounds_table", "service_sessions", "session_facts", "sessions_base",
           "trailing_disputes", "trailing_paid_orders"]


def aggregates(inp: Inputs, r: Rollups | None, p: Profile, b: Buckets,
               by: str) -> dict[str, ir.Table]:
    """Per (group, bucket) fields, one table per family query (names starting with
    ``shop_``: per bucket, the whole shop)."""
    out: dict[str, ir.Table] = {}
    agents = agents_table(inp)
    day_customers = None  # the customers' day rows, when conversion is counted from them
    if r is not None:
        service, day_customers = service_aggregates(r, agents, b, by)
        out.update(service)
    if inp.has("orders"):
        out.update(sales_aggregates(inp, day_customers, agents, p, b, by, chat=r is not None))
    if inp.has("orders") and inp.has("messages") and inp.has("sessions"):
        out["reminders"] = reminder_aggregates(inp, agents, p, b, by)
    if inp.has("refunds"):
        out["refunds"] = refunds_handled(inp, agents, b, by)
    if inp.has("complaints"):
        out["complaints"] = complaints(inp, agents, b, by)
    if inp.has("reviews"):
        out["reviews"] = reviews(inp, agents, p, b, by)
    if inp.has("attendance"):
        out["attendance"] = attendance(inp, agents, b, by)
    return out
