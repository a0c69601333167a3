"""Presentation helpers: which metrics a page shows, alerts, goals, trends, charts.

Nothing here computes a metric: rows come from :class:`cskpi.shop.Shop` through the gateway
(``data.metrics`` or ``data.cached`` around a core call).  What is decided here is how
those figures are put side by side: against the targets the schemes set and the
thresholds the platform sets, over the last months, and as chart specifications that
``static/charts.js`` draws with ECharts (labels in the user's language come from here,
so the browser only draws).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ... import months
from ...metrics.catalog import CATALOG
from ...metrics.compute import MetricQuery
from ...metrics.populations import Note, note_text
from ...metrics.profiles import resolve as resolve_profile
from ...months import month_range
from ...period import Period
from ...scheme import Scheme
from ...scoring.goals import Goal, platform_goals, scheme_goals
from ...scoring.run import load as load_scheme
from ..i18n import Formatter
from .gateway import DataGateway, valid_period
from .records import TREND_MONTHS, ScorecardView, latest_locks

OVERVIEW_KEYS = ("sessions", "customers", "first_response_s", "response_s", "reply_3min_rate",
                 "satisfaction", "conversion_rate", "sales", "aov", "refund_rate",
                 "complaint_rate")
LEADERBOARD_KEYS = ("sessions", "first_response_s", "response_s", "reply_3min_rate",
                    "satisfaction", "conversion_rate", "sales", "aov", "refund_rate",
                    "complaint_rate", "late")
TREND_KEYS = ("sessions", "reply_3min_rate", "satisfaction", "conversion_rate", "sales",
              "refund_rate")
AGENT_TREND_KEYS = ("sessions", "reply_3min_rate", "satisfaction")  # a scheme without metrics
# a month "has data" when one of these counts is above zero (rates are None without basis,
# but counts and sums are 0, which a chart must show as a gap, not as a real zero)
DATA_SIGNS = ("sessions", "units", "refunds_handled", "complaints", "attendance_days",
              "online_hours")


def scheme_in_force(data: DataGateway, name: str) -> Scheme:
    """The version of a scheme that scores now: the newest saved in the app, else the
    shipped one (cached by the version's file, so a newly saved version is read anew)."""
    ref = data.in_force(name).ref
    return data.cached(("overview", "scheme", ref), lambda: load_scheme(ref))


def goal_label(goal: Goal, fmt: Formatter) -> str:
    """``Target 40.0% (presale-standard)`` / ``Platform ≥ 80.0% (douyin)``, translated."""
    source = fmt.t("web.goal.targets_table") if goal.source == "targets" else goal.source
    key = "web.goal.target" if goal.kind == "target" else "web.goal.threshold"
    return fmt.t(key, value=fmt.metric(goal.metric, goal.value), source=source)


def general_goals(data: DataGateway) -> list[Goal]:
    """Targets of the schemes in use and the thresholds of the gateway's profile."""
    goals: list[Goal] = []
    for name in dict.fromkeys(data.schemes_by_role.values()):
        goals += scheme_goals(scheme_in_force(data, name))
    return goals + platform_goals(data.profile)


@dataclass(frozen=True)
class Kpi:
    """One figure of the overview with its sample size and the goals it is held to."""

    key: str
    value: Any
    n: Any
    goals: list[tuple[Goal, bool | None]]


def kpis(row: Mapping[str, Any], keys: Sequence[str],
         goals: Mapping[str, list[Goal]]) -> list[Kpi]:
    """``keys`` first, then any other metric that has a goal (e.g. a platform's rate)."""
    shown = list(keys) + [k for k in goals if k not in keys]
    return [Kpi(k, row.get(k), row.get(f"{k}_den"), [(g, g.met(row)) for g in goals.get(k, [])])
            for k in shown]


# --- trends --------------------------------------------------------------------------------

def trailing_months(period: str, n: int = TREND_MONTHS) -> list[str]:
    """The ``n`` months ending with ``period``, oldest first."""
    return months.trailing_months(valid_period(period), n)


def monthly_rows(data: DataGateway, period: str, by: str,
                 profile: str | None = None) -> list[dict[str, Any]]:
    """Every metric by month for the last months, in one core call (cached): one query
    with monthly buckets gives the same rows as one query per month, several times faster.
    ``profile`` defaults to the gateway's (the one of the overview's figures)."""
    profile = profile or data.profile
    months = trailing_months(period)
    first, _ = month_range(months[0])
    _, last = month_range(months[-1])
    query = MetricQuery(first, last, by=by, grain="month", profile=resolve_profile(profile))
    return data.cached(("overview", "trend", by, period, profile),
                       lambda: data.shop.metrics(query).rows)


def has_data(row: Mapping[str, Any] | None) -> bool:
    return row is not None and any(row.get(k) for k in DATA_SIGNS)


def by_month(rows: Iterable[dict[str, Any]], field: str | None = None,
             group: Any = None) -> dict[str, dict[str, Any]]:
    """Rows of one group (all rows when ``field`` is None) keyed by month ``YYYY-MM``."""
    return {str(r["period_start"])[:7]: r for r in rows if field is None or r.get(field) == group}


def series(rows: Mapping[str, dict[str, Any]], months: Sequence[str],
           key: str) -> list[float | None]:
    """A metric over ``months``: None where the month has no data or no basis."""
    out: list[float | None] = []
    for month in months:
        row = rows.get(month)
        value = row.get(key) if row is not None and has_data(row) else None
        out.append(None if value is None else float(value))
    return out


# --- chart specifications (drawn by static/charts.js) ------------------------------------

def unit_text(fmt: Formatter, unit: str) -> str:
    """How a value of ``unit`` reads in the user's language, ``{n}`` for the number."""
    return {"s": fmt.t("web.unit.seconds", n="{n}"), "h": fmt.t("web.unit.hours", n="{n}"),
            "money": "¥{n}", "rate": "{n}%"}.get(unit, "{n}")


def _spec(fmt: Formatter, kind: str, title: str, unit: str, categories: list[str],
          series_: list[dict[str, Any]], goals: Sequence[Goal], **extra: Any) -> dict[str, Any]:
    marks = [{"label": goal_label(g, fmt), "value": float(g.value), "kind": g.kind}
             for g in goals]
    return {"type": kind, "title": title, "unit": unit, "unit_text": unit_text(fmt, unit),
            "categories": categories, "series": series_, "marks": marks, **extra}


def trend_chart(fmt: Formatter, key: str, months: list[str], rows: Mapping[str, dict[str, Any]],
                goals: Sequence[Goal]) -> dict[str, Any]:
    """A line over the months with the goals as mark lines; sales also draws its target."""
    unit = CATALOG[key].unit if key in CATALOG else "count"
    lines: list[dict[str, Any]] = [{"name": fmt.metric_label(key),
                                    "data": series(rows, months, key)}]
    if key == "sales":
        targets = [None if r is None or r.get("target_completion_den") is None
                   else float(r["target_completion_den"]) for r in map(rows.get, months)]
        if any(t is not None for t in targets):
            lines.append({"name": fmt.t("web.goal.sales_target"), "data": targets,
                          "dashed": True})
    constant = [g for g in goals if g.metric == key and g.source != "targets"]
    return _spec(fmt, "line", fmt.metric_label(key), unit, months, lines, constant,
                 titles=[fmt.period(m) for m in months])


def score_chart(fmt: Formatter, months: list[str], scores: list[float | None],
                pass_score: float | None) -> dict[str, Any]:
    """The agent's score over the months, with the pass line."""
    spec = _spec(fmt, "line", fmt.t("web.scorecard.score"), "count", months,
                 [{"name": fmt.t("web.scorecard.score"), "data": scores}], [],
                 titles=[fmt.period(m) for m in months], decimals=2)
    if pass_score is not None:
        spec["marks"] = [{"label": fmt.t("web.trend.pass_line", score=fmt.points(pass_score)),
                          "value": pass_score, "kind": "target"}]
    return spec


def bar_chart(fmt: Formatter, key: str, rows: Sequence[dict[str, Any]], alert_below: float | None,
              goals: Sequence[Goal]) -> dict[str, Any]:
    """Agents' figures as horizontal bars; bars below the alert threshold are marked."""
    shown = [r for r in rows if r.get(key) is not None]
    spec = _spec(fmt, "bar", fmt.metric_label(key), CATALOG[key].unit,
                 [f"{r['agent_id']} {r.get('name') or ''}".strip() for r in shown],
                 [{"name": fmt.metric_label(key), "data": [float(r[key]) for r in shown]}],
                 [g for g in goals if g.metric == key], horizontal=True, alert_below=alert_below)
    if alert_below is not None and all(m["value"] != alert_below for m in spec["marks"]):
        spec["marks"].append({"label": fmt.t("web.trend.alert_line",
                                             value=fmt.metric(key, alert_below)),
                              "value": alert_below, "kind": "alert"})
    return spec


# --- the scorecard's trend -----------------------------------------------------------------

def scheme_profile(data: DataGateway, scheme: str) -> str:
    """The profile a scheme is scored under (its own, else generic, as scoring does)."""
    return scheme_in_force(data, scheme).profile or "generic"


def pass_score(scheme: Scheme) -> float | None:
    """The score a card needs to pass (pass ratio × max score; None: every score passes)."""
    return None if scheme.pass_ratio is None else float(scheme.pass_ratio * scheme.max_score)


def card_metrics(card: Mapping[str, Any] | None) -> list[str]:
    """The metrics a scorecard's items are scored on, in item order."""
    items = (card or {}).get("items") or []
    keys = [i["value"]["metric"] for i in items if isinstance(i.get("value"), Mapping)]
    return [k for k in dict.fromkeys(keys) if k in CATALOG]


@dataclass(frozen=True)
class Trend:
    """An agent's last months: charts (id, spec) and the same figures as table lines
    (label, metric key or None for points, values)."""

    months: list[str]
    charts: list[tuple[str, dict[str, Any]]]
    lines: list[tuple[str, str | None, list[float | None]]]


def _locked_cards(db: Session, months: Sequence[str], scheme: str,
                  agent_id: str) -> dict[str, Mapping[str, Any] | None]:
    out: dict[str, Mapping[str, Any] | None] = {}
    for month, lock in latest_locks(db, months, scheme).items():
        if lock is not None:
            out[month] = next((c for c in lock.snapshot["cards"] if c["agent_id"] == agent_id),
                              None)
    return out


def scorecard_trend(db: Session, data: DataGateway, view: ScorecardView,
                    fmt: Formatter) -> Trend | None:
    """The agent's score and the metrics their scheme scores, month by month.

    A locked month shows its locked score, others the live one; other months without
    the agent's data are gaps (nothing is scored for them).  Figures are computed under the
    scheme's profile, as the scorecard's are.
    """
    if view.scheme is None or view.card is None:
        return None
    agent_id = str(view.agent["agent_id"])
    scheme = scheme_in_force(data, view.scheme)
    profile = scheme.profile or "generic"
    months = trailing_months(view.period)
    rows = by_month(monthly_rows(data, view.period, "agent", profile), "agent_id", agent_id)
    locked = _locked_cards(db, months, view.scheme, agent_id)
    scores: list[float | None] = []
    for month in months:
        card = locked.get(month)
        if month not in locked and has_data(rows.get(month)):
            live = data.agent_card(view.agent, month, view.scheme)
            card = live.card if live is not None else None
        scores.append(None if card is None else float(Decimal(str(card["score"]))))
    goals = scheme_goals(scheme) + platform_goals(profile)
    charts = [("trend-score", score_chart(fmt, months, scores, pass_score(scheme)))]
    lines: list[tuple[str, str | None, list[float | None]]] = [
        (fmt.t("web.scorecard.score"), None, scores)]
    for key in card_metrics(view.card) or list(AGENT_TREND_KEYS):
        spec = trend_chart(fmt, key, months, rows, goals)
        charts.append((f"trend-{key}", spec))
        lines.append((spec["title"], key, spec["series"][0]["data"]))
    return Trend(months, charts, lines)


# --- drill-down ----------------------------------------------------------------------------

PAGE_ROWS = 200


@dataclass(frozen=True)
class Listed:
    """What the rows of a drill-down give, all pages together (the core's count or sum of
    exactly those rows): the numerator's and denominator's family fields and figures (a
    count, sum or quantile: ``num`` alone), and the flag columns that mark the rows."""

    num_field: str | None
    den_field: str | None
    num: Any
    den: Any

    def agrees(self, row: Mapping[str, Any], key: str) -> bool | None:
        """Whether the rows give the figure's own numerator and denominator (its value for
        a count, sum or quantile); None when the figure has none to compare."""
        if self.den_field is None:
            return _same(self.num, row.get(key))
        return _same(self.num, row.get(f"{key}_num")) and _same(self.den, row.get(f"{key}_den"))


def _same(listed: Any, figure: Any) -> bool | None:
    if figure is None:
        return None if listed is None else False
    if listed is None:
        return False
    return abs(float(listed) - float(figure)) <= 1e-6 * max(1.0, abs(float(figure)))


@dataclass(frozen=True)
class Drilldown:
    """One agent's figure of a period and a page of the rows behind it."""

    agent: Mapping[str, Any]
    period: Period
    metric: str
    profile: str
    row: Mapping[str, Any]  # the agent's metric row: the figure, its numerator, denominator
    source: str  # rounds | sessions | customers | orders | orders_and_complaints | …
    notes: tuple[Note, ...]  # what the rows are and how they form the figure, as codes
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    listed: Listed

    @property
    def first_row(self) -> int:
        return (self.page - 1) * PAGE_ROWS + 1 if self.rows else 0

    def note(self, fmt: Formatter) -> str:
        """The note in the page's language, metrics by their labels and coded values
        (attribution) in words; a face's own wording of a code (``web.CODE``) first."""
        t = fmt.t
        notes = [replace(n, code=f"web.{n.code}") if t.has(f"web.{n.code}") else n
                 for n in self.notes]

        def shown(name: str, value: Any) -> Any:
            if name == "metric":
                return fmt.metric_label(str(value))
            if name == "attribution" and t.has(f"web.drill.attribution.{value}"):
                return t(f"web.drill.attribution.{value}")
            if name == "column" and t.has(f"web.drill.col.{value}"):  # a column by its header
                header = t(f"web.drill.col.{value}")
                return header if fmt.lang == "zh_CN" else header[:1].lower() + header[1:]
            return value

        return note_text(notes, t, shown)


def agent_rows(data: DataGateway, period: str | Period,
               profile: str) -> list[dict[str, Any]]:
    """Every agent's metrics of a month ``YYYY-MM`` (or a week, or days) under
    ``profile`` (the gateway's own by default)."""
    if profile == data.profile:
        return data.metrics(period, "agent")
    days = period if isinstance(period, Period) else Period.month(valid_period(period))
    query = MetricQuery(days.first, days.last, by="agent", profile=resolve_profile(profile))
    return data.cached(("drilldown", "metrics", days.key, profile),
                       lambda: data.shop.metrics(query).rows)


def explained_query(period: Period, profile: str) -> MetricQuery:
    """What a drill-down asks the core to explain: the agents' figures of the period under
    ``profile``."""
    return MetricQuery(period.first, period.last, by="agent", profile=resolve_profile(profile))


def drilldown(data: DataGateway, agent: Mapping[str, Any], metric: str, period: Period,
              profile: str, page: int) -> Drilldown:
    """The figure and the ``page``-th :data:`PAGE_ROWS` rows of what the core explains."""
    agent_id = str(agent["agent_id"])
    query = explained_query(period, profile)

    def explain_page_at(page: int) -> tuple[int, int, list[dict[str, Any]], list[str], str,
                                            tuple[Note, ...], Listed]:
        # only the page is kept in the cache: a busy agent's month has thousands of rows
        explained = data.shop.explain(query, agent_id, metric)
        at = min(max(page, 1), _pages(len(explained.rows)))
        shown = explained.rows[(at - 1) * PAGE_ROWS:at * PAGE_ROWS]
        listed = Listed(explained.num_field, explained.den_field, explained.numerator,
                        explained.denominator)
        return (len(explained.rows), at, shown, explained.columns, explained.source,
                tuple(explained.notes), listed)

    key = ("drilldown", "explain", agent_id, metric, period.key, profile)
    if page > 1:  # a page past the end is the last one: kept once, under its own number
        page = min(page, _pages(data.cached((*key, 1), lambda: explain_page_at(1))[0]))
    total, at, shown, columns, source, notes, listed = data.cached(
        (*key, page), lambda: explain_page_at(page))
    row = next((r for r in agent_rows(data, period, profile) if r["agent_id"] == agent_id), {})
    return Drilldown(agent, period, metric, profile, row, source, notes, columns, shown, total,
                     at, _pages(total), listed)


def _pages(rows: int) -> int:
    """How many pages of :data:`PAGE_ROWS` hold ``rows`` rows (one when there are none)."""
    return max(1, -(-rows // PAGE_ROWS))


def coded_value(t: Any, column: str, value: Any) -> Any:
    """A drill-down cell's coded value in words (a row's kind, an order's credit or status,
    a review's rating …: ``web.drill.kind.*``, ``web.drill.value.COLUMN.*``); else as is."""
    if not isinstance(value, str):
        return value
    code = f"web.drill.kind.{value}" if column == "kind" else f"web.drill.value.{column}.{value}"
    return t(code) if t.has(code) else value


def cell_text(value: Any) -> str:
    """A drill-down figure: local times to the second, flags as ✓/✗, None as —, numbers
    grouped (floats to at most two decimals, decimals as stored)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}".rstrip("0")
    if isinstance(value, int | Decimal):
        return f"{value:,}"
    return str(value)
