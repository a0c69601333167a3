"""The ``cskpi`` command line: parse options, call the core, print.

User mistakes (bad data, a missing folder, a wrong option) print a message and a hint
and exit with 1 (data) or 2 (usage); only a bug shows a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.table import Table as RichTable

from .. import __version__, core
from ..errors import CskpiError, Issue, ValidationFailed
from ..locale import Translator
from .output import format_value, to_csv, to_json

app = typer.Typer(
    name="cskpi",
    help="cskpi — customer-service performance appraisal for e-commerce shops "
    "(客服绩效考核系统).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def _err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Language of the output: en or zh (default: from CSKPI_LANG/LANG)."),
]
TzOpt = Annotated[
    str | None,
    typer.Option("--timezone", help="Time zone of timestamps without offset, and of day cuts "
                 "(default Asia/Shanghai, or the workspace's)."),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cskpi {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """cskpi — customer-service KPIs, scores and pay (客服绩效考核系统)."""


def print_issues(issues: list[Issue], t: Translator, console: Console) -> None:
    if not issues:
        return
    table = RichTable(show_lines=False, expand=False)
    for key in ("col.level", "col.where", "col.problem", "col.hint"):
        table.add_column(t(key), overflow="fold")
    for issue in issues:
        style = "red" if issue.is_error else "yellow"
        table.add_row(f"[{style}]{t('level.' + issue.level)}[/]", issue.where(), issue.message,
                      issue.hint or "")
    console.print(table)


def issues_json(issues: list[Issue]) -> dict[str, Any]:
    errors = sum(1 for i in issues if i.is_error)
    return {
        "ok": errors == 0,
        "errors": errors,
        "warnings": len(issues) - errors,
        "issues": [i.to_dict() for i in issues],
    }


def _fail(exc: CskpiError, t: Translator) -> None:
    err = _err_console()
    err.print(f"[red]{t('error.prefix')}:[/] {exc.message}")
    if exc.hint:
        err.print(f"{t('error.hint')}: {exc.hint}")
    raise typer.Exit(exc.exit_code)


@app.command()
def validate(
    folder: Annotated[Path, typer.Argument(help="Folder with agents.csv, messages.csv, …")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] =
    OutputFormat.table,
    timezone: TzOpt = None,
    lang: LangOpt = None,
) -> None:
    """Check a data folder against the data contract; print every problem at once.

    Exits 1 when there are errors (warnings alone exit 0).  Nothing is stored.
    """
    t = Translator(lang)
    console = _console()
    try:
        issues = core.validate_folder(folder, timezone=timezone or core.DEFAULT_TZ)
    except CskpiError as exc:
        _fail(exc, t)
        return
    errors = sum(1 for i in issues if i.is_error)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(issues_json(issues), ensure_ascii=False, indent=2))
    else:
        print_issues(issues, t, console)
        if errors:
            console.print(t("validate.summary", errors=errors, warnings=len(issues) - errors))
            console.print(t("validate.failed"))
        else:
            console.print(t("validate.ok", folder=folder))
            if issues:
                console.print(t("validate.summary", errors=0, warnings=len(issues)))
    raise typer.Exit(1 if errors else 0)


@app.command("import")
def import_(
    folder: Annotated[Path, typer.Argument(help="Folder with the exported tables.")],
    workspace: Annotated[Path, typer.Option("--workspace", "-w",
                                            help="Workspace file (created if missing).")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] =
    OutputFormat.table,
    timezone: TzOpt = None,
    replace: Annotated[list[str] | None, typer.Option(
        "--replace", help="Replace the stored rows of this table with the folder's file "
        "instead of merging (e.g. --replace agents for an updated roster; repeatable).")] = None,
    lang: LangOpt = None,
) -> None:
    """Validate a data folder and store it in a workspace, all or nothing.

    Importing the same file again changes nothing; overlapping exports are counted once.
    """
    t = Translator(lang)
    console = _console()
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=_err_console(),
                      transient=True, disable=fmt is OutputFormat.json) as bar:
            task = bar.add_task("", total=None)
            report = core.import_folder(
                folder, workspace, timezone=timezone, replace=replace or (),
                progress=lambda f: bar.update(task, description=t("import.reading", file=f)))
    except ValidationFailed as exc:
        if fmt is OutputFormat.json:
            typer.echo(json.dumps(issues_json(exc.issues), ensure_ascii=False, indent=2))
        else:
            print_issues(exc.issues, t, console)
            errors = sum(1 for i in exc.issues if i.is_error)
            console.print(f"[red]{t('import.failed', errors=errors)}[/]")
        raise typer.Exit(1) from None
    except CskpiError as exc:
        _fail(exc, t)
        return
    if fmt is OutputFormat.json:
        out = issues_json(report.issues) | {
            "workspace": str(report.workspace),
            "import_id": report.import_id,
            "tables": [vars(ti) for ti in report.tables],
            "derived_sessions": report.derived_sessions,
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print_issues(report.issues, t, console)
    table = RichTable()
    for key in ("col.table", "col.file", "col.rows", "col.added", "col.duplicates"):
        table.add_column(t(key), justify="right" if key in ("col.rows", "col.added",
                                                             "col.duplicates") else "left")
    for ti in report.tables:
        if ti.skipped:
            table.add_row(ti.table, ti.file, t("import.skipped"), "0", "")
        else:
            table.add_row(ti.table, ti.file, f"{ti.rows_in_file:,}", f"{ti.added:,}",
                          f"{ti.duplicates:,}")
    console.print(table)
    if report.derived_sessions:
        console.print(t("import.derived", n=f"{report.derived_sessions:,}"))
    if report.added:
        console.print(t("import.done", workspace=report.workspace, import_id=report.import_id,
                        added=f"{report.added:,}"))
    else:
        console.print(t("import.nothing", workspace=report.workspace))


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the CSV files into.")],
    agents: Annotated[int, typer.Option("--agents", min=1, max=5000, help="Number of agents.")] = 12,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Number of days.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 7,
    messages: Annotated[int | None, typer.Option("--messages", min=1,
                                                 help="Approximate number of messages "
                                                 "(default: a realistic density).")] = None,
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")] = "2026-10-01",
    lang: LangOpt = None,
) -> None:
    """Generate a realistic demo shop (deterministic for a seed) as CSV files."""
    from ..data import demo

    t = Translator(lang)
    try:
        first = date.fromisoformat(start)
    except ValueError:
        _err_console().print(f"[red]{t('error.prefix')}:[/] --start '{start}' is not YYYY-MM-DD")
        raise typer.Exit(2) from None
    stats = _generate(out, agents, days, seed, messages, first, t)
    summary = ", ".join(f"{name} {n:,}" for name, n in stats.rows.items())
    _console().print(t("demo.written", out=out, summary=summary))


def _generate(out: Path, agents: int, days: int, seed: int, messages: int | None, first: date,
              t: Translator) -> Any:
    from ..data import demo

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), console=_err_console(), transient=True) as bar:
        task = bar.add_task(t("demo.generating"), total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return demo.generate(out, agents=agents, days=days, seed=seed, messages=messages,
                             start=first, progress=progress)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo data.")] =
    Path("cskpi-demo/data"),
    workspace: Annotated[Path, typer.Option("--workspace", "-w", help="Workspace file.")] =
    Path("cskpi-demo/workspace.duckdb"),
    agents: Annotated[int, typer.Option("--agents", min=1, max=5000,
                                        help="Number of agents.")] = 12,
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Number of days.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    lang: LangOpt = None,
) -> None:
    """Generate a sample shop, import it and print the month's per-agent summary."""
    t = Translator(lang)
    console = _console()
    first = date(2026, 10, 1)
    try:
        if workspace.exists():
            workspace.unlink()
        _generate(out, agents, days, seed, None, first, t)
        core.import_folder(out, workspace)
        period = f"{first:%Y-%m}"
        summary = core.monthly_summary(workspace, period)
    except CskpiError as exc:
        _fail(exc, t)
        return
    print_summary(summary, period, t, console)
    console.print(t("demo.workspace", workspace=workspace))
    console.print(t("demo.next", out=out, workspace=workspace))


def print_summary(summary: list[dict[str, Any]], period: str, t: Translator,
                  console: Console) -> None:
    table = RichTable(title=t("demo.title", period=period))
    cols = [k for k in core.SUMMARY_COLUMNS]
    for key in cols:
        table.add_column(t(f"summary.{key}"), justify="left" if key in ("agent", "name", "role")
                         else "right")
    for row in summary:
        cells = []
        for key in cols:
            v = row.get(key)
            if v is None:
                cells.append("—")
            elif key == "role":
                cells.append(t(f"role.{v}"))
            elif key.endswith("_rate") or key == "satisfaction":
                cells.append(f"{v:.1%}")
            elif key == "sales":
                cells.append(f"{v:,.2f}")
            elif isinstance(v, float):
                cells.append(f"{v:.1f}")
            else:
                cells.append(str(v))
        table.add_row(*cells)
    console.print(table)


class By(str, Enum):
    agent = "agent"
    team = "team"
    shop = "shop"


class Grain(str, Enum):
    day = "day"
    week = "week"
    month = "month"


class RowFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _period_range(period: str | None, start: str | None, end: str | None,
                  default: tuple[date, date] | None) -> tuple[date, date]:
    from ..errors import UsageError

    if period and (start or end):
        raise UsageError("give either --period or --from/--to, not both")
    if period:
        try:
            first = date.fromisoformat(period + "-01")
        except ValueError:
            raise UsageError(f"--period '{period}' is not YYYY-MM", hint="e.g. 2026-10") from None
        nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first, nxt - timedelta(days=1)
    if start or end:
        try:
            a = date.fromisoformat(start) if start else None
            b = date.fromisoformat(end) if end else None
        except ValueError:
            raise UsageError("--from/--to must be dates YYYY-MM-DD") from None
        if a is None or b is None:
            raise UsageError("give both --from and --to")
        if b < a:
            raise UsageError("--to is before --from")
        return a, b
    if default is None:
        raise UsageError("give --period YYYY-MM or --from/--to", hint="e.g. --period 2026-10")
    return default


WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", help="Workspace file.")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="A data folder to compute on "
                                              "directly (validated and imported to a "
                                              "temporary workspace).")]
PeriodOpt = Annotated[str | None, typer.Option("--period", help="A month, YYYY-MM "
                                               "(default: the latest month with data).")]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")]
ProfileOpt = Annotated[str, typer.Option("--profile", help="generic, taobao, douyin, jd or pdd.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a profile setting, "
                                                  "key=value (repeatable).")]


@app.command()
def metrics(
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    by: Annotated[By, typer.Option("--by", help="agent, team or shop")] = By.agent,
    grain: Annotated[Grain | None, typer.Option("--grain", help="day, week or month "
                                                "(default: the whole range)")] = None,
    profile: ProfileOpt = "generic",
    sets: SetOpt = None,
    fmt: Annotated[RowFormat, typer.Option("--format", help="table, json or csv")] =
    RowFormat.table,
    lang: LangOpt = None,
) -> None:
    """Compute the metric catalog per agent, team or shop and period."""
    from ..metrics.compute import MetricQuery
    from ..metrics.profiles import parse_sets, resolve

    t = Translator(lang)
    try:
        prof = resolve(profile, parse_sets(sets))
        default = core.latest_month(workspace) if workspace and not (period or start or end) \
            else None
        first, last = _period_range(period, start, end, default)
        query = MetricQuery(first, last, by=by.value, grain=grain.value if grain else None,
                            profile=prof)
        result = core.compute_metrics(query, workspace=workspace, data=data)
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


@app.command()
def explain(
    agent: Annotated[str, typer.Option("--agent", help="The agent id.")],
    metric: Annotated[str, typer.Option("--metric", help="A metric key, e.g. reply_3min_rate.")],
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    profile: ProfileOpt = "generic",
    sets: SetOpt = None,
    fmt: Annotated[RowFormat, typer.Option("--format", help="table, json or csv")] =
    RowFormat.table,
    lang: LangOpt = None,
) -> None:
    """List the sessions, rounds, orders … behind one agent's figure."""
    from ..metrics.compute import MetricQuery
    from ..metrics.profiles import parse_sets, resolve

    t = Translator(lang)
    try:
        prof = resolve(profile, parse_sets(sets))
        default = core.latest_month(workspace) if workspace and not (period or start or end) \
            else None
        first, last = _period_range(period, start, end, default)
        result = core.explain_metric(MetricQuery(first, last, profile=prof), agent, metric,
                                     workspace=workspace, data=data)
    except CskpiError as exc:
        _fail(exc, t)
        return
    if fmt is RowFormat.json:
        typer.echo(to_json({"metric": result.metric, "agent_id": result.agent_id,
                            "source": result.source, "note": result.note, "rows": result.rows}))
        return
    if fmt is RowFormat.csv:
        typer.echo(to_csv(result.rows), nl=False)
        return
    console = _console()
    table = RichTable(title=f"{metric} · {agent} · {first} – {last}", title_justify="left")
    columns = list(result.rows[0]) if result.rows else []
    for c in columns:
        table.add_column(c)
    for row in result.rows:
        table.add_row(*("—" if row[c] is None else str(row[c]) for c in columns))
    console.print(table)
    console.print(result.note)


@app.command()
def whatif(
    change: Annotated[list[str] | None, typer.Option("--change", help="A change: "
                                                     "conversion=+20%, aov=+20%, agents=12, "
                                                     "inquiries=-10% (repeatable).")] = None,
    workspace: WorkspaceOpt = None,
    period: PeriodOpt = None,
    agents: Annotated[str | None, typer.Option("--agents", help="Number of agents.")] = None,
    inquiries: Annotated[str | None, typer.Option("--inquiries", help="Inquiring customers "
                                                  "per agent per day.")] = None,
    conversion: Annotated[str | None, typer.Option("--conversion", help="Conversion rate, "
                                                   "0.40 or 40%.")] = None,
    aov: Annotated[str | None, typer.Option("--aov", help="Average order value.")] = None,
    days: Annotated[str | None, typer.Option("--days", help="Days in the period "
                                             "(default 30, or the period's).")] = None,
    scheme: Annotated[str | None, typer.Option("--scheme", help="Scheme what-if: the "
                                               "current scheme (file or preset) …")] = None,
    edited: Annotated[str | None, typer.Option("--edited", help="… and the edited scheme to "
                                               "score the same period with.")] = None,
    data: DataOpt = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] =
    OutputFormat.table,
    lang: LangOpt = None,
) -> None:
    """What if conversion, AOV, inquiries or headcount change? sales = inquiries × conversion × AOV.

    The baseline is given (--agents --inquiries --conversion --aov) or read from a period
    of a workspace (--workspace --period); any given value overrides the workspace's.
    With --scheme and --edited, the period is scored under both schemes instead, and
    every agent's change in points and pay is listed.
    """
    from decimal import Decimal

    from ..scoring.whatif import Drivers, parse_number
    from ..scoring.whatif import whatif as run_whatif

    t = Translator(lang)
    if scheme or edited:
        _scheme_whatif(scheme, edited, period, workspace, data, fmt, t)
        return
    try:
        given = {k: v for k, v in (("agents", agents), ("inquiries", inquiries),
                                    ("conversion", conversion), ("aov", aov), ("days", days))
                 if v is not None}
        values = {k: parse_number(v, k) for k, v in given.items()}
        if workspace is not None:
            first, last = _period_range(period, None, None, core.latest_month(workspace))
            base = core.whatif_baseline(workspace, first, last)
            base = Drivers(**{**vars(base), **values})
        else:
            missing = [k for k in ("agents", "inquiries", "conversion", "aov") if k not in values]
            if missing:
                from ..errors import UsageError

                raise UsageError("missing " + ", ".join("--" + m for m in missing),
                                 hint="or read them from data: --workspace PATH --period YYYY-MM")
            base = Drivers(**{"days": Decimal(30), **values})
        result = run_whatif(base, change or [])
    except CskpiError as exc:
        _fail(exc, t)
        return
    if fmt is OutputFormat.json:
        typer.echo(to_json(result.to_dict()))
        return
    table = RichTable(title=t("whatif.title"), title_justify="left")
    for key in ("whatif.driver", "whatif.base", "whatif.new"):
        table.add_column(t(key), justify="left" if key == "whatif.driver" else "right")
    b, n = result.base, result.new
    rows = [("whatif.agents", f"{b.agents:,.0f}", f"{n.agents:,.0f}"),
            ("whatif.inquiries", f"{b.inquiries:,.2f}", f"{n.inquiries:,.2f}"),
            ("whatif.conversion", f"{b.conversion:.2%}", f"{n.conversion:.2%}"),
            ("whatif.aov", f"{b.aov:,.2f}", f"{n.aov:,.2f}"),
            ("whatif.sales_per_day", f"{b.sales_per_day:,.2f}", f"{n.sales_per_day:,.2f}"),
            ("whatif.sales", f"{b.sales:,.2f}", f"{n.sales:,.2f}")]
    for key, x, y in rows:
        table.add_row(t(key, days=f"{b.days:,.0f}"), x, y)
    console = _console()
    console.print(table)
    ratio = result.delta_ratio
    console.print(t("whatif.delta", delta=f"{result.delta:+,.2f}",
                    ratio="—" if ratio is None else f"{ratio:+.1%}"))


scheme_app = typer.Typer(help="Assessment schemes (考核方案): check, list and show presets.",
                         no_args_is_help=True)
app.add_typer(scheme_app, name="scheme")


def print_scheme_issues(issues: list[Any], t: Translator, console: Console) -> None:
    table = RichTable()
    for key in ("col.level", "col.where", "col.problem", "col.hint"):
        table.add_column(t(key), overflow="fold")
    for i in issues:
        where = i.where() + (f", column {i.column}" if getattr(i, "column", None) else "")
        style = "red" if i.is_error else "yellow"
        table.add_row(f"[{style}]{t('level.' + i.level)}[/]", where, i.message, i.hint or "")
    console.print(table)


@scheme_app.command("check")
def scheme_check(
    scheme: Annotated[str, typer.Argument(help="A scheme YAML file or a preset name.")],
    workspace: Annotated[Path | None, typer.Option("--workspace", "-w", help="Check "
                                                   "applies_to against this roster.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] =
    OutputFormat.table,
    lang: LangOpt = None,
) -> None:
    """Load a scheme and report every problem at once (file:line, hint). Exit 1 on errors."""
    from ..metrics.catalog import CATALOG
    from ..scheme import load_scheme
    from ..scoring import presets

    t = Translator(lang)
    try:
        source, text = presets.resolve(scheme)
        roster = core.roster(workspace) if workspace else None
    except CskpiError as exc:
        _fail(exc, t)
        return
    loaded, issues = load_scheme(text, source, metrics=CATALOG, roster=roster)
    errors = sum(1 for i in issues if i.is_error)
    if fmt is OutputFormat.json:
        typer.echo(to_json({"ok": loaded is not None, "errors": errors,
                            "warnings": len(issues) - errors,
                            "issues": [i.to_dict() for i in issues]}))
    else:
        console = _console()
        if issues:
            print_scheme_issues(issues, t, console)
        if loaded is not None:
            console.print(t("scheme.ok", name=loaded.name, items=len(loaded.items),
                            max=f"{loaded.max_score.normalize():f}"))
        else:
            console.print(t("validate.summary", errors=errors, warnings=len(issues) - errors))
    raise typer.Exit(0 if loaded is not None else 1)


@scheme_app.command("list")
def scheme_list(lang: LangOpt = None) -> None:
    """List the preset schemes shipped with cskpi."""
    from ..scoring import presets
    from ..scoring.run import load

    t = Translator(lang)
    table = RichTable()
    for key in ("scheme.name", "scheme.title", "scheme.applies_to", "scheme.max"):
        table.add_column(t(key))
    for name in presets.preset_names():
        s = load(name)
        who = ", ".join(f"{k}={'/'.join(v)}" for k, v in (
            ("role", s.applies_to.role), ("team", s.applies_to.team),
            ("level", s.applies_to.level), ("agents", s.applies_to.agents)) if v) or "*"
        table.add_row(name, s.title, who, f"{s.max_score.normalize():f}")
    _console().print(table)


@scheme_app.command("show")
def scheme_show(name: Annotated[str, typer.Argument(help="A preset name.")],
                lang: LangOpt = None) -> None:
    """Print a preset scheme's YAML (copy it to a file to edit it)."""
    from ..scoring import presets

    t = Translator(lang)
    try:
        _, text = presets.resolve(name)
    except CskpiError as exc:
        _fail(exc, t)
        return
    typer.echo(text, nl=False)


@app.command()
def score(
    scheme: Annotated[str, typer.Option("--scheme", help="A scheme YAML file or a preset "
                                        "name (cskpi scheme list).")],
    period: Annotated[str, typer.Option("--period", help="The month, YYYY-MM.")],
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    fmt: Annotated[RowFormat, typer.Option("--format", help="table, json or csv")] =
    RowFormat.table,
    lang: LangOpt = None,
) -> None:
    """Score every agent a scheme applies to for a month: points, reasons and pay."""
    from ..errors import SchemeInvalid

    t = Translator(lang)
    try:
        _period_range(period, None, None, None)
        scored = core.score_period(scheme, period, workspace=workspace, data=data)
    except SchemeInvalid as exc:
        print_scheme_issues(exc.issues, t, _err_console())
        _fail(exc, t)
        return
    except CskpiError as exc:
        _fail(exc, t)
        return
    result = scored.result
    if result.problems:
        err = _err_console()
        for p in result.problems:
            err.print(f"[red]{t('error.prefix')}:[/] {p.message}" + (
                f"\n  {t('error.hint')}: {p.hint}" if p.hint else ""))
        err.print(t("score.incomplete", n=len(result.problems)))
        raise typer.Exit(1)
    cards = [c.to_dict() for c in result.cards]
    if fmt is RowFormat.json:
        typer.echo(to_json(cards))
    elif fmt is RowFormat.csv:
        typer.echo(to_csv([_flat_card(c) for c in cards]), nl=False)
    else:
        print_scores(scored, t, _console())
    if result.unmatched:
        _err_console().print(t("score.unmatched", scheme=scored.scheme.name,
                               agents=", ".join(result.unmatched)))


def _flat_card(card: dict[str, Any]) -> dict[str, Any]:
    row = {k: card[k] for k in ("agent_id", "name", "scheme", "score", "max_score", "ratio",
                                 "passed", "vetoed")}
    for item in card["items"]:
        row[f"item_{item['key']}"] = item["points"]
    row["adjustments"] = sum(a["points"] for a in card["adjustments"])
    for k in ("base", "kpi_bonus", "commission", "total"):
        row[f"pay_{k}"] = card["pay"][k]
    row["pay_awards"] = sum(a["amount"] for a in card["pay"]["awards"])
    return row


def print_scores(scored: Any, t: Translator, console: Console) -> None:
    from decimal import Decimal

    scheme = scored.scheme
    table = RichTable(title=t("score.title", scheme=f"{scheme.name} · {scheme.title}",
                              period=scored.period), title_justify="left")
    table.add_column(t("summary.agent"))
    table.add_column(t("summary.name"))
    for item in scheme.items:
        table.add_column(f"{item.label}\n/{item.max.normalize():f}", justify="right")
    for key in ("score.adjust", "score.score", "score.passed", "score.base", "score.bonus",
                "score.commission", "score.awards", "score.total"):
        table.add_column(t(key), justify="right")
    for c in scored.result.cards:
        pay = c.pay.to_dict()
        awards = sum((a.amount for a in c.pay.awards), Decimal(0))
        cells = [c.agent_id, c.name or ""]
        cells += [f"{i.points.normalize():f}" if i.points == i.points.to_integral()
                  else f"{i.points:.2f}" for i in c.items]
        adj = sum((a.points for a in c.adjustments), Decimal(0))
        verdict = t("score.vetoed") if c.vetoed else (t("score.yes") if c.passed
                                                       else t("score.no"))
        cells += [f"{adj.normalize():+f}" if adj else "", f"{c.score:.2f}".rstrip("0").rstrip(".") +
                  f" ({c.ratio:.1%})", verdict, f"{pay['base']:,.2f}",
                  f"{pay['kpi_bonus']:,.2f}", f"{pay['commission']:,.2f}", f"{awards:,.2f}",
                  f"{pay['total']:,.2f}"]
        table.add_row(*cells)
    console.print(table)


@app.command()
def compliance(
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    profile: Annotated[str, typer.Option("--profile", help="A profile with compliance "
                                         "thresholds (douyin).")] = "douyin",
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json")] =
    OutputFormat.table,
    lang: LangOpt = None,
) -> None:
    """Check a platform's service thresholds for the shop and every agent (pass/fail)."""
    from ..metrics.compute import MetricQuery
    from ..metrics.profiles import resolve
    from ..scoring.compliance import check_row, verdict

    t = Translator(lang)
    try:
        prof = resolve(profile)
        if not prof.compliance:
            from ..errors import UsageError

            raise UsageError(f"profile '{profile}' has no compliance thresholds",
                             hint="use --profile douyin")
        default = core.latest_month(workspace) if workspace and not period else None
        first, last = _period_range(period, None, None, default)
        shop = core.compute_metrics(MetricQuery(first, last, by="shop", profile=prof),
                                    workspace=workspace, data=data).rows[0]
        agents = core.compute_metrics(MetricQuery(first, last, by="agent", profile=prof),
                                      workspace=workspace, data=data).rows
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
        table.add_column(f"{metric}\n≥ {threshold:.0%}", justify="right")
    table.add_column(t("compliance.verdict"))
    for who, cs in checked:
        v = verdict(cs)
        cells = [("—" if c.value is None else f"{c.value:.1%}") + (
            "" if c.passed is None else (" ✓" if c.passed else " ✗")) for c in cs]
        label = t("compliance.pass") if v else t("compliance.fail") if v is False \
            else t("compliance.unknown")
        table.add_row(t("compliance.shop") if who == "shop" else who, *cells, label)
    _console().print(table)


def _scheme_whatif(scheme: str | None, edited: str | None, period: str | None,
                   workspace: Path | None, data: Path | None, fmt: OutputFormat,
                   t: Translator) -> None:
    from ..errors import SchemeInvalid, UsageError

    try:
        if not (scheme and edited):
            raise UsageError("a scheme what-if needs both --scheme and --edited")
        default = core.latest_month(workspace) if workspace and not period else None
        first, _ = _period_range(period, None, None, default)
        month = f"{first:%Y-%m}"
        old, new, changes = core.scheme_whatif(scheme, edited, month, workspace=workspace,
                                               data=data)
    except SchemeInvalid as exc:
        print_scheme_issues(exc.issues, t, _err_console())
        _fail(exc, t)
        return
    except CskpiError as exc:
        _fail(exc, t)
        return
    if fmt is OutputFormat.json:
        typer.echo(to_json({"period": month, "scheme": old.scheme.name,
                            "edited": new.scheme.name,
                            "changes": [c.to_dict() for c in changes]}))
        return
    table = RichTable(title=t("whatif.scheme_title", period=month, old=old.scheme.name,
                              new=new.scheme.name), title_justify="left")
    for key in ("summary.agent", "summary.name", "whatif.old_score", "whatif.new_score",
                "whatif.score_delta", "whatif.old_pay", "whatif.new_pay", "whatif.pay_delta"):
        table.add_column(t(key), justify="left" if key.startswith("summary") else "right")

    def num(v: Any) -> str:
        return "—" if v is None else f"{v:,.2f}"

    for c in changes:
        table.add_row(c.agent_id, c.name or "", num(c.old_score), num(c.new_score),
                      f"{c.score_delta:+,.2f}", num(c.old_pay), num(c.new_pay),
                      f"{c.pay_delta:+,.2f}")
    _console().print(table)


def print_metrics(result: Any, t: Translator, console: Console) -> None:
    """One table per period: metrics down, groups across."""
    from ..metrics.catalog import METRICS

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
        for m in METRICS:
            cells = [format_value(row.get(m.key), m.unit) for row in rows]
            table.add_row(f"{m.zh if zh else m.en}", *cells)
        console.print(table)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        _err_console().print("interrupted")
        sys.exit(130)
