"""The tables of each page as data, for downloads (:mod:`cskpi.web.services.exports`).

Each function here takes the context a page's template renders (the same dicts, rows
and views: nothing is computed again) and returns the page's tables: the rows and
columns the template shows, with the values the core gave instead of their text
(0.8499, not "84.99%"), headers in the reader's language.  A table's ``id`` is the
``id`` of the ``<table>`` it mirrors on the page, and the page carries its download links
(``_export.html``); tests/web/test_exports.py checks each one against the page's HTML.

A figure shown with its sample size (``n=``) becomes two columns, the figure and its
``n``; a cell that shows two things (an agent's id and name) two columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...metrics.catalog import CATALOG
from ...period import Period
from ...reports.tables import Column, Table, Value
from ...scoring import texts
from ..i18n import Formatter
from .views import coded_value, explained_query, goal_label

Context = Mapping[str, Any]


@dataclass(frozen=True)
class PageExport:
    """A page's tables and the name its files take (``ascii_name``: the ASCII one)."""

    name: str
    ascii_name: str
    tables: list[Table]


PAGES: dict[str, Callable[[Context], PageExport]] = {}


def page(template: str) -> Callable[[Callable[[Context], PageExport]],
                                    Callable[[Context], PageExport]]:
    """Register the tables of the page rendered by ``template``."""
    def register(build: Callable[[Context], PageExport]) -> Callable[[Context], PageExport]:
        PAGES[template] = build
        return build

    return register


def table(table_id: str, title: str, columns: Sequence[Column],
          rows: Sequence[Sequence[Any]]) -> Table:
    return Table(table_id, title, tuple(columns), tuple(tuple(r) for r in rows))


def unit(key: str) -> str:
    """A metric's unit (a count when the catalog does not know it)."""
    return CATALOG[key].unit if key in CATALOG else "count"


def file_name(f: Formatter, title_key: str, period: str | Period | None, *parts: str) -> str:
    """``排行榜 2026年10月``: a page's title, what it is of, and its month (or week, or
    days)."""
    bits = [f.t(title_key), *[p for p in parts if p]]
    if period:
        bits.append(f.period(period))
    return " ".join(bits)


def ascii_name(name: str, period: str | Period | None, *parts: str) -> str:
    """``leaderboard-2026-W45``: a file's name for clients that read only ASCII."""
    key = period.key if isinstance(period, Period) else period
    return "-".join([name, *[p for p in parts if p], *([key] if key else [])])


# --- metric columns: a figure, and its sample size where the page shows one --------------

@dataclass(frozen=True)
class MetricColumns:
    """The columns of ``keys`` over ``rows``: each figure, and its ``n`` where a row has
    one (the page shows ``n=`` under every ratio and mean)."""

    keys: tuple[str, ...]
    with_n: frozenset[str]

    @classmethod
    def of(cls, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> MetricColumns:
        return cls(tuple(keys), frozenset(k for k in keys
                                          if any(r.get(f"{k}_den") is not None for r in rows)))

    def columns(self, f: Formatter) -> list[Column]:
        out = []
        for key in self.keys:
            out.append(Column(f.metric_label(key), unit(key)))
            if key in self.with_n:
                out.append(Column(f.t("web.export.sample", metric=f.metric_label(key)), "count"))
        return out

    def cells(self, row: Mapping[str, Any]) -> list[Any]:
        out = []
        for key in self.keys:
            out.append(row.get(key))
            if key in self.with_n:
                out.append(row.get(f"{key}_den"))
        return out


def trend_table(f: Formatter, table_id: str, months: Sequence[str],
                lines: Sequence[tuple[str, str | None, Sequence[Any]]]) -> Table:
    """The months of a trend (``_metric.html``'s ``trend_table``): a row per line, each in
    its metric's unit (points for the score)."""
    columns = [Column(f.t("web.export.col.measure")), *(Column(f.period(m)) for m in months)]
    rows = [[label, *(Value(v, unit(key) if key else "points") for v in values)]
            for label, key, values in lines]
    return table(table_id, f.t("web.trend.table"), columns, rows)


def goal_text(f: Formatter, goals: Sequence[tuple[Any, bool | None]]) -> str:
    """The goals beside a KPI as the page words them (``✓ met`` / ``✗ missed``)."""
    parts = []
    for goal, ok in goals:
        verdict = (f.t("web.goal.unknown") if ok is None
                   else f"✓ {f.t('web.goal.met')}" if ok else f"✗ {f.t('web.goal.missed')}")
        parts.append(f"{goal_label(goal, f)} · {verdict}")
    return "; ".join(parts)


# --- pages ---------------------------------------------------------------------------------

@page("overview.html")
def overview(ctx: Context) -> PageExport:
    f: Formatter = ctx["f"]
    period = ctx["period"]
    kpis = table("kpis", f.t("web.export.table.kpis"), [
        Column(f.t("web.export.col.measure")), Column(f.t("web.export.col.value")),
        Column(f.t("web.export.col.n"), "count"), Column(f.t("web.export.col.goals"))],
        [[f.metric_label(k.key), Value(k.value, unit(k.key)), k.n, goal_text(f, k.goals)]
         for k in ctx["kpis"]])
    lines = [(ctx["trends"][key]["title"], key, ctx["trends"][key]["series"][0]["data"])
             for key in ctx["trend_keys"]]
    team_rows = [row for row, _ in ctx["teams"]]
    teams = MetricColumns.of(ctx["keys"], team_rows)
    agents = MetricColumns.of(ctx["keys"], ctx["agents"])
    return PageExport(file_name(f, "web.overview.title", period),
                      ascii_name("overview", period), [
        kpis,
        trend_table(f, "trend-table", ctx["months"], lines),
        table("teams", f.t("web.overview.teams"),
              [Column(f.t("web.common.team")), *teams.columns(f)],
              [[row.get("team"), *teams.cells(row)] for row in team_rows]),
        table("agents", f.t("web.overview.agents"),
              [Column(f.t("web.common.agent")), Column(f.t("web.common.name")),
               *agents.columns(f)],
              [[row.get("agent_id"), row.get("name"), *agents.cells(row)]
               for row in ctx["agents"]]),
    ])


def role_label(f: Formatter, role: str | None) -> str:
    return f.t("web.agent_role." + (role if role in ("presale", "aftersale", "lead")
                                    else "none"))


@page("leaderboard.html")
def leaderboard(ctx: Context) -> PageExport:
    f: Formatter = ctx["f"]
    period, team = ctx["period"], ctx.get("team") or ""
    tables = []
    for board in ctx["boards"]:  # a search's rows, each at its place among all
        cols = MetricColumns.of(board.keys, board.rows)
        tables.append(table(
            f"leaderboard-{board.role or 'none'}", role_label(f, board.role),
            [Column("#", "count"), Column(f.t("web.common.agent")),
             Column(f.t("web.common.name")), *cols.columns(f)],
            [[board.places.get(str(row.get("agent_id"))), row.get("agent_id"), row.get("name"),
              *cols.cells(row)] for row in board.rows]))
    return PageExport(file_name(f, "web.leaderboard.title", period, team),
                      ascii_name("leaderboard", period), tables)


@page("scorecard.html")
def scorecard(ctx: Context) -> PageExport:
    f: Formatter = ctx["f"]
    v = ctx["v"]
    agent_id = str(v.agent["agent_id"])
    tables = []
    card = v.card if v.scheme is not None and v.has_data else None
    if card is not None:  # the page shows these tables only beside a card
        tables.append(_card_items(f, card, ctx.get("scheme_items") or {}))
        peers = ctx.get("peers")
        if peers is not None and peers.team is not None:
            tables.append(peer_table(f, peers))
        tables.append(_card_pay(f, card))
        trend = ctx.get("trend")
        if trend is not None:
            tables.append(trend_table(f, "trend-table", trend.months, trend.lines))
    return PageExport(file_name(f, "web.scorecard.title", v.period, agent_id),
                      ascii_name("scorecard", v.period, agent_id), tables)


def _card_items(f: Formatter, card: Mapping[str, Any], scheme_items: Mapping[str, Any]) -> Table:
    """The scorecard's items, named as the page names them (in English their ``label_en``):
    the data cell's metric, figure, numerator and denominator as four columns."""
    t = f.t
    rows = []
    for item in card["items"]:
        value = item.get("value")
        if isinstance(value, Mapping):
            key = value["metric"]
            data = [f.metric_label(key), Value(value.get("value"), unit(key)),
                    value.get("num"), value.get("den")]
        else:
            data = ["", Value(value, "auto"), None, None]
        known = scheme_items.get(item.get("key"))
        metric = value.get("metric") if isinstance(value, Mapping) else None
        name = f.item(item["label"], item.get("key", ""),
                      getattr(known, "label_en", None), metric)
        rows.append([name, *data, texts.rule_text(item, t), item.get("points"),
                     item.get("max")])
    for adj in card.get("adjustments") or ():
        label = texts.event_label(adj["event"], t, adj.get("label"))
        rows.append([f"{t('web.scorecard.adjustment')}: {label}", "",
                     Value(adj.get("count"), "count"), None, None, texts.rule_text(adj, t),
                     adj.get("points"), None])
    return table("card-items", t("web.scorecard.items"), [
        Column(t("web.scorecard.item")), Column(t("web.scorecard.data")),
        Column(t("web.export.col.value"), "auto"), Column(t("web.drill.numerator"), "number"),
        Column(t("web.drill.denominator"), "number"), Column(t("web.scorecard.rule")),
        Column(t("web.scorecard.points"), "points"), Column(t("web.scorecard.max"), "points"),
    ], rows)


def _card_pay(f: Formatter, card: Mapping[str, Any]) -> Table:
    t = f.t
    pay = card["pay"]
    bonus_rule = " ".join([texts.say(pay.get("kpi_bonus_rule"), t),
                           *texts.pay_notes(card, t)]).strip()
    rows = [[t("web.pay.base"), "", pay.get("base")],
            [t("web.pay.kpi_bonus"), bonus_rule, pay.get("kpi_bonus")],
            [t("web.pay.commission"), texts.say(pay.get("commission_rule"), t),
             pay.get("commission")]]
    for award in pay.get("awards") or ():
        label = f"{t('web.pay.award')} {award.get('label') or ''}".strip()
        rows.append([label, texts.rule_text(award, t), award.get("amount")])
    for line in pay.get("lines") or ():
        rows.append([line.get("label"), texts.rule_text(line, t), line.get("amount")])
    rows.append([t("web.pay.total"), "", pay.get("total")])
    return table("card-pay", t("web.pay.title"), [
        Column(t("web.export.col.part")), Column(t("web.scorecard.rule")),
        Column(t("web.export.col.amount"), "money")], rows)


def peer_table(f: Formatter, peers: Any) -> Table:
    """The agent's figures beside their team's median (no colleague named)."""
    t = f.t
    return table("peers", t("web.peers.title"), [
        Column(t("web.export.col.measure")), Column(t("web.peers.mine"), "auto"),
        Column(t("web.peers.median"), "auto"), Column(t("web.peers.agents"), "count")],
        [[f.metric_label(p.metric), Value(p.mine, unit(p.metric)),
          Value(p.median, unit(p.metric)), p.agents] for p in peers.figures])


@page("drilldown.html")
def drilldown(ctx: Context) -> PageExport:
    """Every row behind the figure (all its pages), in the page's columns."""
    f: Formatter = ctx["f"]
    t = f.t
    d = ctx["d"]
    rows = d.rows if d.pages == 1 else every_row(ctx["request"].app.state.cskpi.data, d)

    def header(c: str) -> str:
        label = t(f"web.drill.col.{c}")
        return c if label.startswith("web.drill.col.") else label

    agent_id = str(d.agent["agent_id"])
    return PageExport(
        file_name(f, "web.drill.rows_title", d.period, agent_id, f.metric_label(d.metric)),
        ascii_name("drilldown", d.period, agent_id, d.metric),
        [table("rows", f.metric_label(d.metric), [Column(header(c), "auto") for c in d.columns],
               [[coded_value(t, c, r.get(c)) for c in d.columns] for r in rows])])


def every_row(data: Any, d: Any) -> list[dict[str, Any]]:
    """All the rows behind a drill-down's figure (the page shows them PAGE_ROWS at a time):
    the core's explanation of the same agent, metric, period and profile."""

    agent_id = str(d.agent["agent_id"])
    query = explained_query(d.period, d.profile)
    return data.cached(  # type: ignore[no-any-return]
        ("export", "drilldown", agent_id, d.metric, d.period.key, d.profile),
        lambda: data.shop.explain(query, agent_id, d.metric).rows)


@page("funnel.html")
def funnel(ctx: Context) -> PageExport:
    f: Formatter = ctx["f"]
    t = f.t
    v = ctx["v"]
    lang = ctx["lang"]
    tables = []
    fields = {"shop": "shop", "team": "team", "agent": "agent_id"}
    for by, field in fields.items():
        keys = list(ctx["funnel_keys"])
        rows = v.rows[by]
        cols = MetricColumns(tuple(keys), frozenset())
        group = [Column(t(f"web.funnel.by.{by}"))] + (
            [Column(t("web.common.name"))] if by == "agent" else [])
        extra = [Column(t("web.funnel.conversion_before", previous=f.period(v.previous)),
                        "rate")]
        if by == "shop":
            extra.append(Column(f.metric_label("silent_order_share"), "rate"))
        lines = []
        for row in rows:
            before = v.before[by].get(row.get(field)) or {}
            if by == "shop":
                line = [t("web.funnel.shop")]
            elif by == "team":
                line = [row.get("team") or t("web.funnel.no_team")]
            else:
                line = [row.get("agent_id"), row.get("name")]
            line += [*cols.cells(row), before.get("conversion_rate")]
            if by == "shop":
                line.append(row.get("silent_order_share"))
            lines.append(line)
        tables.append(table(f"funnel-{by}", t(f"web.funnel.by.{by}"),
                            [*group, *cols.columns(f), *extra], lines))
    tables.append(table("reasons", t("web.funnel.reasons"), [
        Column(t("web.funnel.reason")), Column(f.metric_label("lost_customers"), "count"),
        Column(t("web.funnel.share"), "rate"), Column(t("web.funnel.examples"))],
        [[v.taxonomy.label(r.key, lang), r.lost, r.share,
          " ".join(e.session_id for e in r.examples)] for r in v.reasons]))
    for by, buckets in v.curves.items():
        tables.append(table(f"curve-{by}", t(f"web.funnel.curve.{by}"), [
            Column(t(f"web.funnel.curve.{by}")),
            Column(f.metric_label("inquiring_customers"), "count"),
            Column(f.metric_label("paying_customers"), "count"),
            Column(f.metric_label("conversion_rate"), "rate"),
            Column(t("web.export.col.interval_low"), "rate"),
            Column(t("web.export.col.interval_high"), "rate")],
            [[t("web.funnel.no_value") if b["bucket"] == "none" else b["bucket"],
              b["inquiring_customers"], b["paying_customers"], b["conversion_rate"],
              b.get("conversion_rate_ci_low"), b.get("conversion_rate_ci_high")]
             for b in buckets]))
    remind = MetricColumns(tuple(ctx["remind_keys"]), frozenset())
    tables.append(table("reminders", t("web.funnel.reminders"),
                        [Column(t("web.funnel.by.agent")), *remind.columns(f)],
                        [[row.get("agent_id") or t("web.funnel.shop"), *remind.cells(row)]
                         for row in v.rows["shop"] + v.rows["agent"]]))
    return PageExport(file_name(f, "web.funnel.title", v.period),
                      ascii_name("funnel", v.period), tables)


@page("lost_agent.html")
def lost_agent(ctx: Context) -> PageExport:
    f: Formatter = ctx["f"]
    t = f.t
    agent_id = str(ctx["agent"]["agent_id"])
    period = ctx["period"]
    rows = []
    for i in ctx["items"]:
        reason = ctx["tax"].label(i.reason, ctx["lang"])
        if i.relabelled:
            reason += f" ({t('web.lost.relabelled')})"
        rows.append([i.customer_id, i.session_id, i.inquiry_start, reason,
                     i.evidence_text(t) or "", i.first_response_s, i.rounds, i.duration_s])
    return PageExport(file_name(f, "web.export.lost", period, agent_id),
                      ascii_name("lost", period, agent_id), [table("lost", t("web.export.lost"), [
        Column(t("web.lost.col.customer")), Column(t("web.export.col.session")),
        Column(t("web.lost.col.asked"), "datetime"), Column(t("web.lost.col.reason")),
        Column(t("web.lost.col.evidence")), Column(t("web.lost.col.first_response"), "s"),
        Column(t("web.lost.col.rounds"), "count"), Column(t("web.lost.col.duration"), "s")],
        rows)])


@page("heatmap.html")
def heatmap(ctx: Context) -> PageExport:
    """The two grids as the page shows them: a row per weekday, a column per hour."""
    f: Formatter = ctx["f"]
    h, period, who = ctx["h"], ctx["period"], ctx["who"]
    columns = [Column(f.t("web.heatmap.weekday")), *(Column(hour) for hour in ctx["hours"])]
    tables = []
    for table_id, field, key in (("heatmap-sessions", "sessions", "sessions"),
                                 ("heatmap-reply", "reply_3min_rate", "reply_3min_rate")):
        tables.append(table(table_id, f.metric_label(key), columns,
                            [[day, *(Value(v, unit(key)) for v in values)]
                             for day, values in zip(ctx["weekdays"], h.grid(field),
                                                    strict=True)]))
    return PageExport(file_name(f, "web.heatmap.title", period, who.agent or who.team or ""),
                      ascii_name("heatmap", period, who.agent or who.team or ""), tables)


@page("reviews.html")
def reviews(ctx: Context) -> PageExport:
    f: Formatter = ctx["f"]
    t = f.t
    fb, period, who, names = ctx["fb"], ctx["period"], ctx["who"], ctx["names"]
    tables = []
    if fb.reviews:
        tables.append(table("reviews", t("web.reviews.product_table"), [
            Column(t("web.reviews.col.time"), "datetime"), Column(t("web.reviews.col.order")),
            Column(t("web.reviews.col.rating")), Column(t("web.reviews.col.text")),
            Column(t("web.common.agent")), Column(t("web.common.name")),
            Column(t("web.reviews.col.credit"))],
            [[r["time"], r["order_id"], t(f"web.reviews.rating.{r['rating']}"), r["text"],
              r["agent_id"], names.get(r["agent_id"]), t(f"web.reviews.credit.{r['credit']}")]
             for r in fb.reviews]))
    if fb.ratings:
        tables.append(table("ratings", t("web.reviews.ratings_table"), [
            Column(t("web.reviews.col.started"), "datetime"),
            Column(t("web.reviews.col.rated"), "datetime"),
            Column(t("web.reviews.col.session")), Column(t("web.reviews.col.customer")),
            Column(t("web.reviews.col.score"), "count"), Column(t("web.common.agent")),
            Column(t("web.common.name"))],
            [[r["started"], r["rated"], r["session_id"], r["customer_id"],
              r["score"], r["agent_id"], names.get(r["agent_id"])]
             for r in fb.ratings]))
    return PageExport(file_name(f, "web.reviews.title", period, who.agent or who.team or ""),
                      ascii_name("reviews", period, who.agent or who.team or ""), tables)
