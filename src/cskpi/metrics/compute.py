"""Run the engine on a backend and turn numerators/denominators into the catalog's figures.

Every metric of the catalog is present in every output row.  A figure without basis
is ``None`` and its reason is in ``reasons``; a rate always carries ``KEY_num`` and
``KEY_den``.  Money stays :class:`~decimal.Decimal` until it is printed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import ibis.expr.types as ir

from ..data.schema import AGENT_METRIC_COLUMNS
from ..months import is_whole_month
from . import engine as E
from .catalog import CATALOG, METRIC_KEYS
from .compiled import SqlStore, compile_sql
from .inputs import Inputs
from .profiles import Profile

CENT = Decimal("0.01")
GROUP_FIELD = {"agent": "agent_id", "team": "team", "shop": "shop"}


@dataclass(frozen=True)
class MetricQuery:
    start: dt.date
    end: dt.date
    by: str = "agent"  # agent | team | shop
    grain: str | None = None  # day | week | month | None (the whole range)
    profile: Profile = field(default_factory=Profile)


@dataclass
class MetricResult:
    rows: list[dict[str, Any]]
    differences: list[dict[str, Any]]  # computed vs imported platform figures
    query: MetricQuery
    cache: Any = None  # CacheReport when the workspace's facts cache was used


def _fetch(backend: Any, expr: ir.Table, store: SqlStore | None = None
           ) -> list[dict[str, Any]]:
    """The rows of ``expr`` (``store``: where the workspace keeps compiled queries)."""
    if backend.name != "duckdb":
        return backend.to_pyarrow(expr).to_pylist()
    # what DuckDB's to_pyarrow does, with the SQL compiled once per process
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    backend._run_pre_execute_hooks(expr)  # in-memory tables registered
    table = backend.con.sql(compile_sql(backend, expr.as_table(), store)).to_arrow_table()
    return expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData).to_pylist()


def _index(rows: list[dict[str, Any]], with_group: bool = True) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for r in rows:
        key = (r[E.GROUP_COL], _as_date(r[E.BUCKET_COL])) if with_group else _as_date(
            r[E.BUCKET_COL])
        out[key] = r
    return out


def _as_date(v: Any) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


def _money(v: Any) -> Decimal | None:
    if v is None:
        return None
    return Decimal(v).quantize(CENT, rounding=ROUND_HALF_UP) if not isinstance(v, Decimal) \
        else v


def period_bounds_utc(periods: list[tuple[dt.date, dt.date, dt.date]],
                      tz: str) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    """Each period's [local 00:00 of its first day, local 00:00 after its last day) in UTC."""
    zone = zoneinfo.ZoneInfo(tz)

    def utc(d: dt.date) -> dt.datetime:
        local = dt.datetime.combine(d, dt.time(), tzinfo=zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    return [(k, utc(a), utc(b + dt.timedelta(days=1))) for k, a, b in periods]


def compute(backend: Any, inp: Inputs, q: MetricQuery, facts: ir.Table | None = None,
            rollups: E.Rollups | None = None, sql_store: SqlStore | None = None
            ) -> MetricResult:
    """The whole catalog for every group and period of ``q``.

    ``facts`` and ``rollups`` come from the workspace's cache when it has them; without
    them they are computed here from the chat log.  ``sql_store``: where the workspace
    keeps the compiled queries for the next computation (by default the inputs').
    """
    if sql_store is None:
        sql_store = inp.sql_store
    if not inp.has("agents"):
        from ..errors import CskpiError

        raise CskpiError("the data has no agents table", hint="import agents.csv first")
    buckets = E.Buckets(q.start, q.end, q.grain)
    periods = buckets.periods()
    p = q.profile
    has_sessions = inp.has("sessions")
    fetched: dict[str, dict[Any, dict[str, Any]]] = {}
    shop_level: dict[str, dict[Any, dict[str, Any]]] = {}
    agents = E.agents_table(inp)
    settings = p.cache_key()
    if has_sessions and facts is None:
        facts = inp.shared(f"facts:{settings}", lambda: E.session_facts(inp, p))
    if facts is not None:
        inp.memo["facts"] = facts
    if has_sessions and rollups is None:
        built = E.rollups(inp.shared(f"service_sessions:{settings}",
                                     lambda: E.service_sessions(inp, facts)))
        # the customers' rows serve the distinct counts and conversion: build them once
        customers = inp.shared(f"day_customers:{settings}", lambda: built.customers)
        months = None
        if buckets.whole_months():
            credited = E.credited_orders(inp, p) if inp.has("orders") else None
            months = E.month_customers(customers, credited)
        rollups = E.Rollups(built.days, customers, built.firsts, months)
    for name, expr in E.aggregates(inp, rollups, p, buckets, q.by).items():
        rows = _fetch(backend, expr, sql_store)
        if name.startswith("shop_"):
            shop_level[name] = _index(rows, with_group=False)
        elif name.startswith("service_"):  # more columns of the service figures
            service = fetched.setdefault("service", {})
            for k, row in _index(rows).items():
                service.setdefault(k, {}).update(row)
        else:
            fetched[name] = _index(rows)
    ends = [(k, b) for k, _, b in periods]
    if inp.has("refunds"):
        disputes = E.trailing_disputes(inp, agents, q.by, ends)
        fetched["disputes"] = _index(_fetch(backend, disputes, sql_store))
    if inp.has("orders"):
        grp, shop = E.trailing_paid_orders(inp, agents, p, q.by, ends)
        fetched["paid_30d"] = _index(_fetch(backend, grp, sql_store))
        shop_level["shop_paid_30d"] = _index(_fetch(backend, shop, sql_store), with_group=False)
    if inp.has("online"):
        bounds = period_bounds_utc(periods, inp.tz)
        online = E.online_hours(inp, q.by, bounds, agents)
        fetched["online"] = _index(_fetch(backend, online, sql_store))
    roster = _fetch(backend, agents, sql_store)
    targets = _Targets(_fetch(backend, inp.get("targets"), sql_store)
                       if inp.has("targets") else [])
    imported = _imported(backend, inp, buckets, q.by) if inp.has("agent_metrics") else {}
    groups = _groups(roster, q.by)
    rows_out: list[dict[str, Any]] = []
    differences: list[dict[str, Any]] = []
    for group, info in groups:
        for key, start, end in periods:
            row = _row(group, info, key, start, end, q, inp, fetched, shop_level, targets)
            if imported:
                _merge_imported(row, imported.get((group, key)), differences, q.by)
            rows_out.append(row)
    return MetricResult(rows_out, differences, q)


def _groups(roster: list[dict[str, Any]], by: str) -> list[tuple[Any, dict[str, Any]]]:
    if by == "shop":
        return [("shop", {"aftersale": False})]
    if by == "agent":
        return [(a["agent_id"], {"name": a["name"], "role": a["role"], "team": a["team"],
                                 "level": a["level"], "aftersale": a["role"] == "aftersale"})
                for a in sorted(roster, key=lambda a: a["agent_id"])]
    teams: dict[Any, list[str]] = defaultdict(list)
    for a in roster:
        teams[a["team"]].append(a["role"])
    return [(t, {"aftersale": all(r == "aftersale" for r in roles)})
            for t, roles in sorted(teams.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]


class _Row:
    """Collects figures, numerators, denominators and reasons for one output row."""

    def __init__(self, head: dict[str, Any]) -> None:
        self.data: dict[str, Any] = dict(head)
        self.reasons: dict[str, str] = {}

    def value(self, key: str, v: Any, reason: str | None = None) -> None:
        self.data[key] = v
        if v is None:
            self.reasons[key] = reason or "no data"

    def ratio(self, key: str, num: Any, den: Any, reason: str, *, money: bool = False,
              scale: float = 1.0) -> None:
        self.data[f"{key}_num"] = num
        self.data[f"{key}_den"] = den
        if num is None or den is None:
            self.value(key, None, reason)
        elif not den:
            self.value(key, None, f"no basis: {CATALOG[key].den or 'denominator'} is 0")
        elif money:
            self.value(key, (Decimal(num) / Decimal(den)).quantize(CENT, rounding=ROUND_HALF_UP))
        else:
            self.value(key, float(num) / float(den) / scale)

    def missing(self, keys: list[str], reason: str) -> None:
        for k in keys:
            if CATALOG[k].is_rate:
                self.data[f"{k}_num"] = None
                self.data[f"{k}_den"] = None
            self.value(k, None, reason)


def _get(fetched: dict[str, dict[Any, dict[str, Any]]], name: str, key: Any, field: str,
         default: Any = 0) -> Any:
    table = fetched.get(name)
    if table is None:
        return None
    row = table.get(key)
    if row is None:
        return default
    v = row.get(field)
    return default if v is None else v


SERVICE = ["sessions", "customers", "replied_customers", "reply_rate", "first_response_s",
           "first_response_median_s", "first_response_p90_s", "response_s",
           "first_reply_2min_rate", "reply_3min_rate", "unanswered_sessions",
           "inquiring_customers", "aftersale_customers"]
RATING = ["rated_sessions", "satisfaction", "dissatisfaction"]
SALES = ["ordering_customers", "paying_customers", "order_rate", "conversion_rate", "sales",
         "units", "aov", "silent_order_share", "target_completion"]
REFUNDS = ["refunds_handled", "refund_completion_h", "aftersale_cost", "dispute_refunds"]
ATTENDANCE = ["late", "leave", "absent", "attendance_days"]


def _row(group: Any, info: dict[str, Any], key: dt.date, start: dt.date, end: dt.date,
         q: MetricQuery, inp: Inputs, f: dict[str, dict[Any, dict[str, Any]]],
         shop: dict[str, dict[Any, dict[str, Any]]], targets: _Targets
         ) -> dict[str, Any]:
    head: dict[str, Any] = {GROUP_FIELD[q.by]: group}
    if q.by == "agent":
        head.update(name=info["name"], role=info["role"], team=info["team"],
                    level=info["level"])
    head.update(period_start=start.isoformat(), period_end=end.isoformat())
    r = _Row(head)
    k = (group, key)
    # --- service ---
    if "service" in f:
        g = lambda field: _get(f, "service", k, field)  # noqa: E731
        r.value("sessions", g("sessions"))
        r.value("customers", g("customers"))
        if inp.has("messages"):
            r.value("replied_customers", g("replied_customers"))
            r.ratio("reply_rate", g("replied_customers"), g("customers"), "")
            n_first = g("first_resp_n")
            r.ratio("first_response_s", g("first_resp_sum") if n_first else 0.0, n_first, "")
            median = _get(f, "service", k, "first_resp_median", None)
            p90 = _get(f, "service", k, "first_resp_p90", None)
            why = "no basis: no answered first round in the service window"
            r.value("first_response_median_s", median, why)
            r.value("first_response_p90_s", p90, why)
            n_resp = g("resp_n")
            r.ratio("response_s", g("resp_sum") if n_resp else 0.0, n_resp, "")
            r.ratio("first_reply_2min_rate", g("first_within"), g("first_n"), "")
            r.ratio("reply_3min_rate", g("rounds_within"), g("rounds_n"), "")
            r.value("unanswered_sessions", g("unanswered_sessions"))
        else:
            r.missing(["replied_customers", "reply_rate", "first_response_s",
                       "first_response_median_s", "first_response_p90_s", "response_s",
                       "first_reply_2min_rate", "reply_3min_rate", "unanswered_sessions"],
                      "no messages table (response metrics need the chat log)")
        r.value("inquiring_customers", g("inquiring_customers"))
        r.value("aftersale_customers", g("aftersale_customers"))
        if inp.has("ratings"):
            r.value("rated_sessions", g("rated"))
            r.ratio("satisfaction", g("rated_good"), g("rated"), "")
            r.ratio("dissatisfaction", g("rated_bad"), g("rated"), "")
        else:
            r.missing(RATING, "no ratings table")
    else:
        r.missing(SERVICE + RATING, "no sessions or messages table")
    # --- online ---
    if "online" in f:
        r.value("online_hours", _get(f, "online", k, "online_s") / 3600)
    else:
        r.missing(["online_hours"], "no online table")
    # --- sales ---
    _sales(r, k, key, q, inp, f, shop, targets, info)
    # --- after-sale ---
    _aftersale(r, k, key, q, inp, f, shop, info)
    # --- attendance ---
    if "attendance" in f:
        for m in ATTENDANCE:
            r.value(m, _get(f, "attendance", k, m))
    else:
        r.missing(ATTENDANCE, "no attendance table")
    out = {key_: r.data.get(key_) for key_ in head}
    for m in METRIC_KEYS:
        out[m] = r.data.get(m)
        if CATALOG[m].is_rate:
            out[f"{m}_num"] = r.data.get(f"{m}_num")
            out[f"{m}_den"] = r.data.get(f"{m}_den")
    out["reasons"] = {m: why for m, why in r.reasons.items() if out.get(m) is None}
    return out


def _sales(r: _Row, k: Any, key: dt.date, q: MetricQuery, inp: Inputs,
           f: dict[str, dict[Any, dict[str, Any]]], shop: dict[str, dict[Any, dict[str, Any]]],
           targets: _Targets, info: dict[str, Any]) -> None:
    if not inp.has("orders"):
        r.missing(SALES, "no orders table")
        return
    inquiring = r.data.get("inquiring_customers")
    if "service" in f:
        ordering = _get(f, "service", k, "ordering_customers")
        paying = _get(f, "service", k, "paying_customers")
        r.value("ordering_customers", ordering)
        r.value("paying_customers", paying)
        r.ratio("order_rate", ordering, inquiring, "")
        r.ratio("conversion_rate", paying, inquiring, "")
    else:
        r.missing(["ordering_customers", "paying_customers", "order_rate", "conversion_rate"],
                  "no sessions table (conversion needs the inquiries)")
    sales = _money(_get(f, "sales", k, "sales", Decimal("0.00")))
    r.value("sales", sales)
    r.value("units", _get(f, "sales", k, "units"))
    r.ratio("aov", sales, _get(f, "sales", k, "buyers"), "", money=True)
    if q.by == "shop":
        r.ratio("silent_order_share", _get(shop, "shop_orders", key, "silent_paid_orders"),
                _get(shop, "shop_orders", key, "shop_paid_orders"), "")
    else:
        r.missing(["silent_order_share"], "a shop-level metric (use --by shop)")
    target = _target(targets, q, r.data, key)
    if target is None:
        r.missing(["target_completion"], _target_reason(targets, q))
    else:
        r.ratio("target_completion", sales, target, "")


def _scope_text(q: MetricQuery, group_data: dict[str, Any]) -> str | None:
    if q.by == "shop":
        return "shop"
    if q.by == "team":
        return None if group_data.get("team") is None else f"team:{group_data['team']}"
    return f"agent:{group_data['agent_id']}"


class _Targets:
    """The targets table's rows, with the sales targets by (scope, month) (the first row
    of each, as the table lists them)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.sales: dict[tuple[str, str], Any] = {}
        for t in rows:
            if t["metric"] == "sales":
                self.sales.setdefault((t["scope"], t["period"]), t["value"])


def _target(targets: _Targets, q: MetricQuery, data: dict[str, Any],
            key: dt.date) -> Decimal | None:
    if not is_whole_month(dt.date.fromisoformat(data["period_start"]),
                          dt.date.fromisoformat(data["period_end"])):
        return None
    value = targets.sales.get((_scope_text(q, data), data["period_start"][:7]))
    return None if value is None else Decimal(str(value))


def _target_reason(targets: _Targets, q: MetricQuery) -> str:
    if not targets.rows:
        return "no targets table"
    return "no sales target for this group and month (targets are monthly)"


def _aftersale(r: _Row, k: Any, key: dt.date, q: MetricQuery, inp: Inputs,
               f: dict[str, dict[Any, dict[str, Any]]], shop: dict[str, dict[Any, dict[str, Any]]],
               info: dict[str, Any]) -> None:
    use_shop = q.by == "shop" or (info.get("aftersale") and
                                  q.profile.aftersale_order_scope == "shop")
    if inp.has("refunds"):
        r.value("refunds_handled", _get(f, "refunds", k, "refunds_handled"))
        n = _get(f, "refunds", k, "completion_n")
        r.ratio("refund_completion_h", _get(f, "refunds", k, "completion_h_sum") if n else 0.0,
                n, "")
        r.value("aftersale_cost", _money(_get(f, "refunds", k, "aftersale_cost",
                                              Decimal("0.00"))))
        r.value("dispute_refunds", _get(f, "disputes", k, "dispute_refunds"))
    else:
        r.missing(REFUNDS, "no refunds table")
    if inp.has("orders"):
        if use_shop:
            paid = _get(shop, "shop_orders", key, "shop_paid_orders")
            paid30 = _get(shop, "shop_paid_30d", key, "shop_paid_30d")
        else:
            paid = _get(f, "sales", k, "paid_orders")
            paid30 = _get(f, "paid_30d", k, "paid_30d")
    if inp.has("orders") and inp.has("refunds"):
        refunded = _get(shop, "shop_refund_orders", key, "shop_refund_orders") if use_shop \
            else _get(f, "refund_orders", k, "refund_orders")
        r.ratio("refund_rate", refunded, paid, "")
        r.ratio("dispute_refund_rate", r.data.get("dispute_refunds"), paid30, "")
    else:
        r.missing(["refund_rate", "dispute_refund_rate"], "needs the orders and refunds tables")
    if inp.has("complaints"):
        complaints = _get(f, "complaints", k, "complaints")
        r.value("complaints", complaints)
        if inp.has("orders"):
            r.ratio("complaint_rate", complaints, paid, "")
        else:
            r.missing(["complaint_rate"], "no orders table")
    else:
        r.missing(["complaints", "complaint_rate"], "no complaints table")
    if inp.has("reviews"):
        r.value("neutral_reviews", _get(f, "reviews", k, "neutral_reviews"))
        r.value("bad_reviews", _get(f, "reviews", k, "bad_reviews"))
    else:
        r.missing(["neutral_reviews", "bad_reviews"], "no reviews table")


# --- imported platform figures (agent_metrics) -------------------------------------------

# rates and means are combined over days weighted by their natural basis, when imported
WEIGHTS = {
    "reply_rate": "customers", "satisfaction": "rated_sessions",
    "dissatisfaction": "rated_sessions", "conversion_rate": "inquiring_customers",
    "order_rate": "inquiring_customers", "first_response_s": "customers",
    "response_s": "customers", "first_reply_2min_rate": "sessions",
    "reply_3min_rate": "customers", "aov": "paying_customers",
}


def _imported(backend: Any, inp: Inputs, b: E.Buckets, by: str) -> dict[Any, dict[str, Any]]:
    t = inp.get("agent_metrics")
    rows = _fetch(backend, t)
    roster = _fetch(backend, E.agents_table(inp))
    team_of = {a["agent_id"]: a["team"] for a in roster}
    periods = b.periods()
    acc: dict[Any, dict[str, list[tuple[float, float | None]]]] = defaultdict(
        lambda: defaultdict(list))
    for row in rows:
        d = row["date"]
        if d < b.start or d > b.end:
            continue
        key = next(k for k, s, e in periods if s <= d <= e)
        group = {"agent": row["agent_id"], "team": team_of.get(row["agent_id"]),
                 "shop": "shop"}[by]
        for metric in AGENT_METRIC_COLUMNS:
            v = row.get(metric)
            if v is not None:
                w = row.get(WEIGHTS.get(metric, ""), None)
                acc[(group, key)][metric].append((float(v), None if w is None else float(w)))
    out: dict[Any, dict[str, Any]] = {}
    for gk, metrics in acc.items():
        combined: dict[str, Any] = {}
        for metric, values in metrics.items():
            unit = AGENT_METRIC_COLUMNS[metric][1]
            if unit in ("count", "money", "h"):
                combined[metric] = sum(v for v, _ in values)
            elif all(w is not None for _, w in values) and sum(w or 0 for _, w in values):
                total = sum(w or 0 for _, w in values)
                combined[metric] = sum(v * (w or 0) for v, w in values) / total
            else:
                combined[metric] = sum(v for v, _ in values) / len(values)
        out[gk] = combined
    return out


def _merge_imported(row: dict[str, Any], imported: dict[str, Any] | None,
                    differences: list[dict[str, Any]], by: str) -> None:
    """Fill figures the data could not compute; report where both exist and disagree."""
    if not imported:
        return
    sources = row.setdefault("sources", {})
    for metric, value in imported.items():
        computed = row.get(metric)
        if computed is None:
            row[metric] = _money(value) if CATALOG[metric].unit == "money" else value
            row["reasons"].pop(metric, None)
            sources[metric] = "imported"
        else:
            same = abs(float(computed) - float(value)) <= max(1e-6, 1e-4 * abs(float(value)))
            if not same:
                differences.append({GROUP_FIELD[by]: row[GROUP_FIELD[by]],
                                    "period_start": row["period_start"],
                                    "period_end": row["period_end"], "metric": metric,
                                    "computed": computed, "imported": value})
