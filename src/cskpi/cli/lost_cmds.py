"""Commands on lost inquiries: lost (who asked and did not buy, and why) and curve
(conversion by how the chat went)."""

from __future__ import annotations

import csv
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table as RichTable

from ..errors import CskpiError, UsageError, os_reason
from ..locale import Translator
from ..shop import Shop
from .common import (
    By,
    DataOpt,
    FromOpt,
    LangOpt,
    PeriodOpt,
    ProfileOpt,
    RowFormat,
    RowFormatOpt,
    SetOpt,
    ToOpt,
    WorkspaceOpt,
    _console,
    _err_console,
    _fail,
    app,
    resolve_range,
)
from .output import to_csv, to_json


class CurveBy(str, Enum):
    duration = "duration"
    rounds = "rounds"
    first_response = "first_response"


AgentOpt = Annotated[str | None, typer.Option("--agent", help="cli.opt.agent_inquiries")]


def _query(workspace: Path | None, period: str | None, start: str | None, end: str | None,
           agent: str | None, profile: str, sets: list[str] | None) -> Any:
    from ..lost import LostQuery
    from ..metrics.profiles import parse_sets, resolve

    first, last = resolve_range(workspace, period, start, end)
    return LostQuery(first, last, resolve(profile, parse_sets(sets)), agent)


def _fail_taxonomy(exc: CskpiError, t: Translator) -> None:
    """A taxonomy's issues, each with its line and hint, then the error."""
    issues = getattr(exc, "issues", None)
    if issues:
        table = RichTable()
        for key in ("col.level", "col.where", "col.problem", "col.hint"):
            table.add_column(t(key), overflow="fold")
        for i in issues:
            style = "red" if i.is_error else "yellow"
            table.add_row(f"[{style}]{t('level.' + i.level)}[/]", i.where(), i.text(t),
                          i.hint_text(t) or "")
        _err_console().print(table)
    _fail(exc, t)


def read_relabels(path: Path) -> dict[str, str]:
    """A CSV of ``session_id,reason`` (a manager's relabels kept outside the web app)."""
    out: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise UsageError(code="lost_relabels_encoding", params={"file": str(path)}) from None
    except OSError as err:
        raise UsageError(code="lost_relabels_unreadable", params={
            "file": str(path), "reason": os_reason(err)}) from None
    for n, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or (n == 1 and cells[:2] == ["session_id", "reason"]):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise UsageError(code="lost_bad_relabels", params={
                "file": str(path), "line": n, "problem": ",".join(row)})
        out[cells[0]] = cells[1]
    return out


@app.command(help="cli.help.lost")
def lost(
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    agent: AgentOpt = None,
    taxonomy: Annotated[Path | None, typer.Option("--taxonomy",
                                                  help="cli.opt.lost.taxonomy")] = None,
    relabels: Annotated[Path | None, typer.Option("--relabels",
                                                  help="cli.opt.lost.relabels")] = None,
    summary: Annotated[bool, typer.Option("--summary", help="cli.opt.lost.summary")] = False,
    by: Annotated[By, typer.Option("--by", help="cli.opt.lost.by")] = By.agent,
    default_taxonomy: Annotated[bool, typer.Option(
        "--default-taxonomy", help="cli.opt.lost.default-taxonomy")] = False,
    profile: ProfileOpt = "generic",
    sets: SetOpt = None,
    fmt: RowFormatOpt = RowFormat.table,
    lang: LangOpt = None,
) -> None:
    """List the inquiring customers who ordered nothing, and why (询单流失)."""
    from ..lost.taxonomy import DEFAULT_FILE

    t = Translator(lang)
    if default_taxonomy:
        from importlib import resources

        typer.echo(resources.files("cskpi.lost").joinpath(DEFAULT_FILE).read_text("utf-8"),
                   nl=False)
        return
    try:
        q = _query(workspace, period, start, end, agent, profile, sets)
        labels = read_relabels(relabels) if relabels is not None else None
        if summary:
            rows = Shop(workspace, data=data).lost_summary(
                q, taxonomy=taxonomy, relabels=labels, by=by.value, lang=t.lang)
        else:
            items, tax = Shop(workspace, data=data).lost_inquiries(
                q, taxonomy=taxonomy, relabels=labels)
    except CskpiError as exc:
        _fail_taxonomy(exc, t)
        return
    if summary:
        columns = [{"agent": "agent_id", "team": "team", "shop": "shop"}[by.value],
                   "reason", "lost_customers", "share"]
        title = t("lost.summary_title", start=q.start, end=q.end)
    else:
        rows = [i.to_dict(t, tax, t.lang) for i in items]
        columns = ["customer_id", "agent_id", "session_id", "inquiry_start", "reason",
                   "evidence", "first_response_s", "rounds", "duration_s"]
        title = t("lost.title", start=q.start, end=q.end)
    if fmt is RowFormat.json:
        typer.echo(to_json(rows))
        return
    if fmt is RowFormat.csv:
        typer.echo(to_csv(rows), nl=False)
        return
    if not rows:
        _console().print(t("lost.none", start=q.start, end=q.end))
        return
    table = RichTable(title=title, title_justify="left")
    for c in columns:
        right = c in ("first_response_s", "rounds", "duration_s", "lost_customers", "share")
        table.add_column(t(f"lost.col.{c}"), justify="right" if right else "left",
                         overflow="fold")
    for r in rows:
        table.add_row(*(_cell(r, c, t) for c in columns))
    _console().print(table)


def _cell(row: dict[str, Any], column: str, t: Translator) -> str:
    value = row.get(column)
    if column == "reason":
        text = str(row["reason_label"])
        return text + (f" ({t('lost.relabelled')})" if row.get("relabelled") else "")
    if value is None:
        return "—"
    if column == "share":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)


@app.command(help="cli.help.curve")
def curve(
    by: Annotated[CurveBy, typer.Option("--by", help="cli.opt.curve.by")],
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    agent: AgentOpt = None,
    buckets: Annotated[str | None, typer.Option("--buckets", help="cli.opt.curve.buckets")
                       ] = None,
    profile: ProfileOpt = "generic",
    sets: SetOpt = None,
    fmt: RowFormatOpt = RowFormat.table,
    lang: LangOpt = None,
) -> None:
    """Conversion of inquiries by how their chat went, with Wilson 95 % intervals."""
    from ..lost import parse_edges

    t = Translator(lang)
    try:
        edges = parse_edges(buckets, by.value)
        q = _query(workspace, period, start, end, agent, profile, sets)
        rows = Shop(workspace, data=data).conversion_curve(q, by.value, edges)
    except CskpiError as exc:
        _fail(exc, t)
        return
    if fmt is RowFormat.json:
        typer.echo(to_json(rows))
        return
    if fmt is RowFormat.csv:
        typer.echo(to_csv(rows), nl=False)
        return
    table = RichTable(title=t("curve.title", by=t(f"curve.by.{by.value}"), start=q.start,
                              end=q.end), title_justify="left")
    table.add_column(t("curve.col.bucket"))
    for c in ("inquiring_customers", "paying_customers", "conversion_rate"):
        table.add_column(t(f"curve.col.{c}"), justify="right")
    table.add_column(t("curve.col.interval"), justify="right")
    for r in rows:
        rate, low, high = (r["conversion_rate"], r["conversion_rate_ci_low"],
                           r["conversion_rate_ci_high"])
        table.add_row(t("curve.none") if r["bucket"] == "none" else r["bucket"],
                      str(r["inquiring_customers"]), str(r["paying_customers"]),
                      "—" if rate is None else f"{rate:.1%}",
                      "—" if low is None else f"{low:.1%} – {high:.1%}")
    _console().print(table)
