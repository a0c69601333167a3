"""Commands on metrics: metrics, explain, compliance."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from ..errors import CskpiError, UsageError
from ..locale import Translator
from ..shop import Shop
from .common import (
    By,
    DataOpt,
    FromOpt,
    Grain,
    LangOpt,
    OutputFormat,
    PeriodOpt,
    ProfileOpt,
    RowFormat,
    RowFormatOpt,
    SetOpt,
    TableFormatOpt,
    ToOpt,
    WorkspaceOpt,
    _console,
    _err_console,
    _fail,
    app,
    resolve_range,
)
from .output import format_value, to_csv, to_json


class Engine(str, Enum):
    duckdb = "duckdb"
    spark = "spark"


@app.command(help="cli.help.metrics")
def metrics(
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    by: Annotated[By, typer.Option("--by", help="cli.opt.metrics.by")] = By.agent,
    grain: Annotated[Grain | None, typer.Option("--grain", help="cli.opt.metrics.grain")] = None,
    profile: ProfileOpt = "generic",
    sets: SetOpt = None,
    fmt: RowFormatOpt = RowFormat.table,
    lang: LangOpt = None,
    engine: Annotated[Engine, typer.Option("--engine", help="cli.opt.metrics.engine")
                      ] = Engine.duckdb,
    parquet: Annotated[Path | None, typer.Option("--parquet",
                                                 help="cli.opt.metrics.parquet")] = None,
    spark_master: Annotated[str | None, typer.Option(
        "--spark-master", help="cli.opt.metrics.spark-master")] = None,
    qa: Annotated[str | None, typer.Option("--qa", help="cli.opt.metrics.qa")] = None,
) -> None:
    """Compute the metric catalog per agent, team or shop and period."""
    from ..metrics.compute import MetricQuery
    from ..metrics.profiles import parse_sets, resolve

    t = Translator(lang)
    try:
        prof = resolve(profile, parse_sets(sets))
        first, last = resolve_range(workspace, period, start, end)
        rules = None
        if qa is not None:
            from ..qa import load as load_qa

            rules = load_qa(qa)
        query = MetricQuery(first, last, by=by.value, grain=grain.value if grain else None,
                            profile=prof, qa=rules)
        if engine is Engine.spark and rules is not None:
            raise UsageError(code="qa_duckdb_only")
        if engine is Engine.spark:
            result = _on_spark(query, workspace, data, parquet, spark_master)
        elif parquet is not None or spark_master is not None:
            raise UsageError(code="engine_needs_source")
        else:
            result = Shop(workspace, data=data).metrics(query)
    except CskpiError as exc:
        _fail(exc, t)
        return
    if fmt is RowFormat.json:
        typer.echo(to_json(result.rows))
    elif fmt is RowFormat.csv:
        typer.echo(to_csv(result.rows), nl=False)
    else:
        print_metrics(result, t, _console())
    for diff in result.differences[:20]:
        _err_console().print(t("metrics.difference", **{k: diff[k] for k in (
            "metric", "computed", "imported", "period_start")}, group=diff.get(
                "agent_id", diff.get("team", diff.get("shop")))))


def _on_spark(query: Any, workspace: Path | None, data: Path | None,
              parquet: Path | None, master: str | None) -> Any:
    """The catalog on PySpark: from a Parquet export, else from the shop's data exported
    to Parquet first (exactly one of the three sources)."""
    from ..metrics.spark import compute_on_parquet

    if sum(x is not None for x in (workspace, data, parquet)) != 1:
        raise UsageError(code="spark_one_source")
    if parquet is not None:
        return compute_on_parquet(query, parquet, master)
    return Shop(workspace, data=data).metrics_on_spark(query, master)


@app.command(help="cli.help.export")
def export(
    parquet: Annotated[Path, typer.Option("--parquet", help="cli.opt.export.parquet")],
    workspace: Annotated[Path, typer.Option("--workspace", "-w", help="cli.opt.workspace")],
    lang: LangOpt = None,
) -> None:
    """Write a workspace's tables as Parquet, for a data lake or a Spark cluster."""
    t = Translator(lang)
    try:
        tables = Shop(workspace).export_parquet(parquet)
    except CskpiError as exc:
        _fail(exc, t)
        return
    typer.echo(t("export.done", n=len(tables), folder=str(parquet), tables=", ".join(tables)))


@app.command(help="cli.help.explain")
def explain(
    agent: Annotated[str, typer.Option("--agent", help="cli.opt.explain.agent")],
    metric: Annotated[str, typer.Option("--metric", help="cli.opt.explain.metric")],
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    profile: ProfileOpt = "generic",
    sets: SetOpt = None,
    fmt: RowFormatOpt = RowFormat.table,
    lang: LangOpt = None,
) -> None:
    """List the sessions, rounds, orders … behind one agent's figure."""
    from ..metrics.compute import MetricQuery
    from ..metrics.profiles import parse_sets, resolve

    t = Translator(lang)
    try:
        prof = resolve(profile, parse_sets(sets))
        first, last = resolve_range(workspace, period, start, end)
        result = Shop(workspace, data=data).explain(MetricQuery(first, last, profile=prof),
                                                    agent, metric)
    except CskpiError as exc:
        _fail(exc, t)
        return
    note = result.note_text(t)
    if fmt is RowFormat.json:
        typer.echo(to_json({"metric": result.metric, "agent_id": result.agent_id,
                            "source": result.source, "note": note,
                            "numerator": result.numerator, "denominator": result.denominator,
                            "rows": result.rows}))
        return
    if fmt is RowFormat.csv:
        typer.echo(to_csv(result.rows), nl=False)
        return
    console = _console()
    table = RichTable(title=f"{metric} · {agent} · {first} – {last}", title_justify="left")
    for c in result.columns:
        table.add_column(c)
    for row in result.rows:
        table.add_row(*("—" if row[c] is None else str(row[c]) for c in result.columns))
    console.print(table)
    console.print(note)


@app.command(help="cli.help.compliance")
def compliance(
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    profile: Annotated[str, typer.Option("--profile",
                                         help="cli.opt.compliance.profile")] = "douyin",
    fmt: TableFormatOpt = OutputFormat.table,
    lang: LangOpt = None,
) -> None:
    """Check a platform's service thresholds for the shop and every agent (pass/fail)."""
    from ..metrics.compute import MetricQuery
    from ..metrics.profiles import resolve
    from ..scoring.compliance import cell_text, check_row, column_text, verdict, verdict_text

    t = Translator(lang)
    try:
        prof = resolve(profile)
        if not prof.compliance:
            from ..errors import UsageError

            raise UsageError(code="compliance_none", params={"profile": profile})
        first, last = resolve_range(workspace, period, None, None)
        with Shop(workspace, data=data) as source:  # a folder is read once for both
            shop = source.metrics(MetricQuery(first, last, by="shop", profile=prof)).rows[0]
            agents = source.metrics(MetricQuery(first, last, by="agent", profile=prof)).rows
    except CskpiError as exc:
        _fail(exc, t)
        return
    subjects = [("shop", shop)] + [(a["agent_id"], a) for a in agents]
    checked = [(who, check_row(row, prof.compliance)) for who, row in subjects]
    if fmt is OutputFormat.json:
        typer.echo(to_json({"profile": profile, "period_start": first.isoformat(),
                            "period_end": last.isoformat(),
                            "results": [{"subject": who, "compliant": verdict(cs),
                                         "checks": [c.to_dict() for c in cs]}
                                        for who, cs in checked]}))
        return
    table = RichTable(title=t("compliance.title", profile=profile, start=first, end=last),
                      title_justify="left")
    table.add_column(t("compliance.subject"))
    for metric, threshold in prof.compliance.items():
        table.add_column(column_text(metric, threshold, t), justify="right")
    table.add_column(t("compliance.verdict"))
    for who, cs in checked:
        table.add_row(t("compliance.shop") if who == "shop" else who,
                      *(cell_text(c, t) for c in cs), verdict_text(verdict(cs), t))
    _console().print(table)


def print_metrics(result: Any, t: Translator, console: Console) -> None:
    """One table per period: metrics down, groups across."""
    from ..metrics.catalog import metrics_for

    field = {"agent": "agent_id", "team": "team", "shop": "shop"}[result.query.by]
    periods: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in result.rows:
        periods.setdefault((row["period_start"], row["period_end"]), []).append(row)
    zh = t.lang == "zh_CN"
    for (a, b), rows in periods.items():
        table = RichTable(title=t("metrics.title", start=a, end=b), title_justify="left")
        table.add_column(t("metrics.metric"))
        for row in rows:
            label = row[field] if row[field] is not None else t("metrics.no_team")
            if field == "agent_id" and row.get("name"):
                label = f"{row['name']}\n{row[field]}"
            table.add_column(str(label), justify="right")
        for m in metrics_for(result.query.qa is not None):
            cells = [format_value(row.get(m.key), m.unit) for row in rows]
            table.add_row(f"{m.zh if zh else m.en}", *cells)
        console.print(table)

