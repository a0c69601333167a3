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
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from ..months import is_whole_month
from . import engine as E
from . import platform
from .catalog import metrics_for, needed_columns
from .compiled import SqlStore
from .ibis_adapter import fetch
from .inputs import Inputs
from .profiles import Profile
from .rows import GROUP_FIELD, Availability, RowInputs, assemble, columns_with_values, merged_fields


@dataclass(frozen=True)
class MetricQuery:
    start: dt.date
    end: dt.date
    by: str = "agent"  # agent | team | shop
    grain: str | None = None  # day | week | month | None (the whole range)
    profile: Profile = field(default_factory=Profile)
    # QA rules (cskpi.qa.QaRules): the rows carry the QA figures too (catalog.QA_METRICS);
    # ``qa_decisions`` (cskpi.qa.engine.Decisions): reviewers' dismissed hits, rubric points
    qa: Any = None
    qa_decisions: Any = None


@dataclass
class MetricResult:
    rows: list[dict[str, Any]]
    differences: list[dict[str, Any]]  # computed vs imported platform figures
    query: MetricQuery
    cache: Any = None  # CacheReport when the workspace's facts cache was used


def _index(rows: list[dict[str, Any]], with_group: bool = True) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for r in rows:
        key = (r[E.GROUP_COL], _as_date(r[E.BUCKET_COL])) if with_group else _as_date(
            r[E.BUCKET_COL])
        out[key] = r
    return out


def _as_date(v: Any) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


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

        raise CskpiError(code="no_agents_table")
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
        rows = fetch(backend, expr, sql_store)
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
        fetched["disputes"] = _index(fetch(backend, disputes, sql_store))
    if inp.has("orders"):
        grp, shop = E.trailing_paid_orders(inp, agents, p, q.by, ends)
        fetched["paid_30d"] = _index(fetch(backend, grp, sql_store))
        shop_level["shop_paid_30d"] = _index(fetch(backend, shop, sql_store), with_group=False)
    if inp.has("online"):
        bounds = period_bounds_utc(periods, inp.tz)
        online = E.online_hours(inp, q.by, bounds, agents)
        fetched["online"] = _index(fetch(backend, online, sql_store))
    roster = fetch(backend, agents, sql_store)
    targets = _Targets(fetch(backend, inp.get("targets"), sql_store)
                       if inp.has("targets") else [])
    imported = _imported(backend, inp, buckets, q.by, roster) \
        if inp.has("agent_metrics") else {}
    metrics = metrics_for(q.qa is not None)
    available = availability(backend, inp, sql_store, metrics)
    if q.qa is not None and available.has_all(metrics[-1].needs):
        fetched["qa"] = _index(fetch(backend, _qa_fields(backend, inp, q, agents, buckets),
                                     sql_store))
    rows_out: list[dict[str, Any]] = []
    differences: list[dict[str, Any]] = []
    for group, info in _groups(roster, q.by):
        for key, start, end in periods:
            head: dict[str, Any] = {GROUP_FIELD[q.by]: group}
            if q.by == "agent":
                head.update(name=info["name"], role=info["role"], team=info["team"],
                            level=info["level"])
            head.update(period_start=start.isoformat(), period_end=end.isoformat())
            fields = merged_fields(fetched, (group, key))
            target = _target(targets, q, head, start, end)
            if target is not None:
                fields["target"] = target
            src = RowInputs(fields, merged_fields(shop_level, key), q.by,
                            bool(info.get("aftersale")), p.aftersale_order_scope, available)
            row = assemble(head, src, metrics)
            platform.merge(row, imported.get((group, key)), q.by, differences)
            rows_out.append(row)
    return MetricResult(rows_out, differences, q)


def _qa_fields(backend: Any, inp: Inputs, q: MetricQuery, agents: Any,
               buckets: E.Buckets) -> Any:
    """The QA family's fields per group and period (the sessions checked against q.qa)."""
    from ..qa.engine import check
    from .families.qa import qa_aggregates

    result = check(backend, inp, q.qa, q.start, q.end, decisions=q.qa_decisions)
    return qa_aggregates(result.sessions, agents, buckets, q.by)


def availability(backend: Any, inp: Inputs, sql_store: SqlStore | None = None,
                 metrics: Any = None) -> Availability:
    """The tables with rows and the optional columns some metric needs that have values."""
    tables = frozenset(name for name in inp.tables if inp.has(name))

    def count(table: str, columns: tuple[str, ...]) -> dict[str, int]:
        t = inp.get(table)
        present = [c for c in columns if c in t.columns or f"{c}_utc" in t.columns]
        if not present:
            return {}
        expr = t.aggregate(**{c: t[c if c in t.columns else f"{c}_utc"].count()
                              for c in present})
        return fetch(backend, expr, sql_store)[0]

    need = needed_columns() if metrics is None else needed_columns(metrics)
    return Availability(tables, columns_with_values(need, count, tables))


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


def _target(targets: _Targets, q: MetricQuery, head: dict[str, Any], start: dt.date,
            end: dt.date) -> Decimal | None:
    """The sales target of the group for a whole calendar month (targets are monthly)."""
    if not is_whole_month(start, end):
        return None
    value = targets.sales.get((_scope_text(q, head), start.isoformat()[:7]))
    return None if value is None else Decimal(str(value))


def _imported(backend: Any, inp: Inputs, b: E.Buckets, by: str,
              roster: list[dict[str, Any]]) -> dict[Any, dict[str, platform.Imported]]:
    team_of = {a["agent_id"]: a["team"] for a in roster}
    return platform.combine(fetch(backend, inp.get("agent_metrics")), b.periods(), by,
                            team_of)
