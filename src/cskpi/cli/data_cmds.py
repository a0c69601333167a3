"""Commands on data: validate, import, demo-data, demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.table import Table as RichTable

from ..data.schema import TABLES
from ..data.sessions import SessionRules
from ..errors import CskpiError, UsageError, ValidationFailed
from ..locale import Translator
from ..shop import DEFAULT_TZ, SUMMARY_COLUMNS, Shop
from ..units import format_count
from .common import (
    LangOpt,
    OutputFormat,
    ProfileOpt,
    SetOpt,
    TableFormatOpt,
    TzOpt,
    _console,
    _err_console,
    _fail,
    app,
    issues_json,
    print_issues,
)
from .output import to_json

EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="cli.opt.encoding")]
ForceOpt = Annotated[bool, typer.Option("--force", help="cli.opt.force")]
AgentsOpt = Annotated[int, typer.Option("--agents", min=1, max=5000, help="cli.opt.agents")]
DaysOpt = Annotated[int, typer.Option("--days", min=1, max=366, help="cli.opt.days")]


def session_rules(profile: str, overrides: list[str] | None) -> SessionRules:
    """How an import cuts sessions, from a platform profile and --set overrides."""
    from ..metrics.profiles import parse_sets, resolve

    return SessionRules.of_profile(resolve(profile, parse_sets(overrides)))


def checked_encoding(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    from ..data.encodings import codec_of

    try:
        codec_of(encoding)
    except LookupError:
        raise UsageError(code="unknown_encoding_option", params={"name": encoding}) from None
    return encoding


@app.command(help="cli.help.validate")
def validate(
    folder: Annotated[Path, typer.Argument(help="cli.opt.validate.folder")],
    fmt: TableFormatOpt = OutputFormat.table,
    timezone: TzOpt = None,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="cli.opt.validate.workspace")] = None,
    encoding: EncodingOpt = None,
    profile: ProfileOpt = "generic",
    settings: SetOpt = None,
    lang: LangOpt = None,
) -> None:
    """Check a data folder; every problem at once, exit 1 on errors, nothing stored."""
    t = Translator(lang)
    console = _console()
    try:
        rules = session_rules(profile, settings)
        encoding = checked_encoding(encoding)
        if workspace is not None:
            issues = Shop(workspace, encoding=encoding, sessions=rules).check_import(folder).issues
        else:
            issues = Shop(data=folder, timezone=timezone or DEFAULT_TZ, encoding=encoding,
                          sessions=rules).validate()
    except CskpiError as exc:
        _fail(exc, t)
        return
    errors = sum(1 for i in issues if i.is_error)
    if fmt is OutputFormat.json:
        typer.echo(to_json(issues_json(issues)))
    else:
        print_issues(issues, t, console)
        if errors:
            console.print(t("validate.summary", errors=errors, warnings=len(issues) - errors))
            console.print(t("validate.failed"))
        else:
            console.print(t("validate.ok", folder=folder))
            if workspace is not None:
                console.print(t("validate.checked_against", workspace=workspace))
            if issues:
                console.print(t("validate.summary", errors=0, warnings=len(issues)))
    raise typer.Exit(1 if errors else 0)


@app.command("import", help="cli.help.import")
def import_(
    folder: Annotated[Path, typer.Argument(help="cli.opt.import.folder")],
    workspace: Annotated[Path, typer.Option("--workspace", "-w",
                                            help="cli.opt.import.workspace")],
    fmt: TableFormatOpt = OutputFormat.table,
    timezone: TzOpt = None,
    replace: Annotated[list[str] | None, typer.Option(
        "--replace", help="cli.opt.import.replace")] = None,
    encoding: EncodingOpt = None,
    profile: ProfileOpt = "generic",
    settings: SetOpt = None,
    lang: LangOpt = None,
) -> None:
    """Validate a data folder and store it in a workspace, all or nothing."""
    t = Translator(lang)
    console = _console()
    try:
        rules = session_rules(profile, settings)
        encoding = checked_encoding(encoding)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=_err_console(),
                      transient=True, disable=fmt is OutputFormat.json) as bar:
            task = bar.add_task("", total=None)
            shop = Shop(workspace, timezone=timezone, encoding=encoding, sessions=rules)
            report = shop.import_folder(
                folder, replace=replace or (),
                progress=lambda f: bar.update(task, description=t("import.reading", file=f)))
    except ValidationFailed as exc:
        if fmt is OutputFormat.json:
            typer.echo(to_json(issues_json(exc.issues)))
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
        typer.echo(to_json(out))
        return
    print_issues(report.issues, t, console)
    table = RichTable()
    for key in ("col.table", "col.file", "col.rows", "col.added", "col.duplicates"):
        table.add_column(t(key), justify="right" if key in ("col.rows", "col.added",
                                                             "col.duplicates") else "left")
    zh = t.lang == "zh_CN"
    for ti in report.tables:
        name = TABLES[ti.table].zh if zh else ti.table
        if ti.skipped:
            table.add_row(name, ti.file, t("import.skipped"), "0", "")
        else:
            table.add_row(name, ti.file, format_count(ti.rows_in_file, t.lang),
                          format_count(ti.added, t.lang), format_count(ti.duplicates, t.lang))
    console.print(table)
    if report.derived_sessions:
        console.print(t("import.derived", n=format_count(report.derived_sessions, t.lang)))
    if report.added:
        console.print(t("import.done", workspace=report.workspace, import_id=report.import_id,
                        added=format_count(report.added, t.lang)))
    else:
        console.print(t("import.nothing", workspace=report.workspace))


@app.command("demo-data", help="cli.help.demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="cli.opt.demo-data.out")],
    agents: AgentsOpt = 12,
    days: DaysOpt = 30,
    seed: Annotated[int, typer.Option("--seed", help="cli.opt.demo-data.seed")] = 7,
    messages: Annotated[int | None, typer.Option("--messages", min=1,
                                                 help="cli.opt.demo-data.messages")] = None,
    start: Annotated[str, typer.Option("--start", help="cli.opt.from")] = "2026-10-01",
    force: ForceOpt = False,
    lang: LangOpt = None,
) -> None:
    """Write a deterministic demo shop as CSV files (a non-empty folder only with --force)."""

    t = Translator(lang)
    try:
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise UsageError(code="bad_start", params={"value": start}) from None
        _refuse_non_empty(out, force)
    except CskpiError as exc:
        _fail(exc, t)
        return
    stats = _generate(out, agents, days, seed, messages, first, t)
    zh = t.lang == "zh_CN"
    summary = ", ".join(f"{TABLES[name].zh if zh else name} {format_count(n, t.lang)}"
                        for name, n in stats.rows.items())
    _console().print(t("demo.written", out=out, summary=summary))


def _refuse_non_empty(out: Path, force: bool) -> None:
    """A demo never overwrites a folder holding files (a real export) without --force."""
    if force or not out.exists():
        return
    if not out.is_dir() or any(out.iterdir()):
        raise UsageError(code="folder_not_empty", params={"folder": str(out)})


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


@app.command(help="cli.help.demo")
def demo(
    out: Annotated[Path, typer.Option("--out", help="cli.opt.demo.out")] =
    Path("cskpi-demo/data"),
    workspace: Annotated[Path, typer.Option("--workspace", "-w", help="cli.opt.workspace")] =
    Path("cskpi-demo/workspace.duckdb"),
    agents: AgentsOpt = 12,
    days: DaysOpt = 30,
    seed: Annotated[int, typer.Option("--seed", help="cli.opt.demo.seed")] = 7,
    force: ForceOpt = False,
    lang: LangOpt = None,
) -> None:
    """Generate a sample shop, import it and print the month's per-agent summary."""
    t = Translator(lang)
    console = _console()
    first = date(2026, 10, 1)
    try:
        _refuse_non_empty(out, force)
        if workspace.exists():
            if not force:
                raise UsageError(code="workspace_exists", params={"workspace": str(workspace)})
            workspace.unlink()
        _generate(out, agents, days, seed, None, first, t)
        shop = Shop(workspace)
        shop.import_folder(out)
        period = f"{first:%Y-%m}"
        summary = shop.monthly_summary(period)
    except CskpiError as exc:
        _fail(exc, t)
        return
    print_summary(summary, period, t, console)
    console.print(t("demo.workspace", workspace=workspace))
    console.print(t("demo.next", out=out, workspace=workspace))


def print_summary(summary: list[dict[str, Any]], period: str, t: Translator,
                  console: Console) -> None:
    table = RichTable(title=t("demo.title", period=period))
    cols = [k for k in SUMMARY_COLUMNS]
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



@app.command(help="cli.help.serve")
def serve(
    workspace: Annotated[Path, typer.Option("--workspace", "-w", envvar="CSKPI_WORKSPACE",
                                            help="cli.opt.workspace")] =
    Path("cskpi-demo/workspace.duckdb"),
    host: Annotated[str, typer.Option("--host", help="cli.opt.serve.host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="cli.opt.serve.port")] = 8000,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="CSKPI_DATABASE_URL",
        help="cli.opt.serve.database-url")] = None,
    admin_password: Annotated[str | None, typer.Option(
        "--admin-password", envvar="CSKPI_ADMIN_PASSWORD",
        help="cli.opt.serve.admin-password")] = None,
    profile: Annotated[str, typer.Option(
        "--profile", envvar="CSKPI_PROFILE", help="cli.opt.serve.profile")] = "generic",
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        "--forwarded-allow-ips", envvar="CSKPI_FORWARDED_ALLOW_IPS",
        help="cli.opt.serve.forwarded-allow-ips")] = None,
    lang: LangOpt = None,
) -> None:
    """Start the web app."""
    t = Translator(lang)
    try:
        from ..web.app import serve as run_server
    except ImportError as exc:
        from ..errors import UsageError

        _fail(UsageError(code="web_not_installed", params={"module": exc.name}), t)
        return
    try:
        run_server(host, port, str(workspace), database_url=database_url,
                   admin_password=admin_password, profile=profile,
                   forwarded_allow_ips=forwarded_allow_ips)
    except CskpiError as exc:
        _fail(exc, t)
