"""Shared pieces of the command line: the Typer app, options, output helpers.

User mistakes (bad data, a missing folder, a wrong option) print a message and a hint
and exit with 1 (data) or 2 (usage); only a bug shows a traceback.
"""

from __future__ import annotations

import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table as RichTable

from .. import __version__
from ..errors import CskpiError, Issue, SchemeInvalid
from ..locale import Translator
from ..months import month_range
from .i18n import CskpiGroup, argv_lang

# every help text is a catalog key (cli.en.json / cli.zh_CN.json), put in the reader's
# language on the command tree before parsing (see .i18n)
app = typer.Typer(
    name="cskpi",
    cls=CskpiGroup,
    help="cli.help",
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
    typer.Option("--lang", help="cli.opt.lang"),
]


TzOpt = Annotated[
    str | None,
    typer.Option("--timezone", help="cli.opt.timezone"),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cskpi {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="cli.opt.version")] = False,
    lang: LangOpt = None,
) -> None:
    """The root of every command: ``--version``, and ``--lang`` before the command (the
    language is read from the command line before parsing, see .i18n).  A command that
    finds its workspace in use waits for it, saying so on stderr."""
    from ..store.files import LockWait, set_wait

    def tell(path: Path, waited: float, limit: float) -> None:
        ctx = click.get_current_context(silent=True)  # the command's --lang, else the root's
        said = [c.params.get("lang") for c in (ctx, ctx.find_root()) if c] if ctx else []
        t = Translator(next((lang for lang in said if lang), None) or argv_lang(sys.argv[1:]))
        _err_console().print(t("workspace.waiting", path=path.name, waited=round(waited),
                               limit=round(limit)))

    set_wait(LockWait(progress=tell))


def print_issues(issues: list[Issue], t: Translator, console: Console) -> None:
    """Every issue (of a data folder or a scheme) as a table: level, where, problem, hint."""
    if not issues:
        return
    table = RichTable(show_lines=False, expand=False)
    for key in ("col.level", "col.where", "col.problem", "col.hint"):
        table.add_column(t(key), overflow="fold")
    for issue in issues:
        style = "red" if issue.is_error else "yellow"
        table.add_row(f"[{style}]{t('level.' + issue.level)}[/]", issue.where(t),
                      issue.text(t), issue.hint_text(t) or "")
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
    """Print a user error (with a scheme's issues, when it has them) and exit."""
    err = _err_console()
    if isinstance(exc, SchemeInvalid):
        print_issues(exc.issues, t, err)
    err.print(f"[red]{t('error.prefix')}:[/] {exc.text(t)}")
    hint = exc.hint_text(t)
    if hint:
        err.print(f"{t('error.hint')}: {hint}")
    raise typer.Exit(exc.exit_code)


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
        raise UsageError(code="period_and_range")
    if period:
        try:
            return month_range(period)
        except ValueError:
            raise UsageError(code="bad_period", params={"value": period}) from None
    if start or end:
        try:
            a = date.fromisoformat(start) if start else None
            b = date.fromisoformat(end) if end else None
        except ValueError:
            raise UsageError(code="bad_range_dates") from None
        if a is None or b is None:
            raise UsageError(code="range_needs_both")
        if b < a:
            raise UsageError(code="range_reversed")
        return a, b
    if default is None:
        raise UsageError(code="no_period")
    return default


WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", help="cli.opt.workspace")]


DataOpt = Annotated[Path | None, typer.Option("--data", help="cli.opt.data")]


PeriodOpt = Annotated[str | None, typer.Option("--period", help="cli.opt.period")]


FromOpt = Annotated[str | None, typer.Option("--from", help="cli.opt.from")]


ToOpt = Annotated[str | None, typer.Option("--to", help="cli.opt.to")]


ProfileOpt = Annotated[str, typer.Option("--profile", help="cli.opt.profile")]


SetOpt = Annotated[list[str] | None, typer.Option("--set", help="cli.opt.set")]



def resolve_range(workspace: Path | None, period: str | None, start: str | None,
                  end: str | None) -> tuple[date, date]:
    """The dates asked for; with none, the latest month with data in the workspace."""
    from ..shop import Shop

    default = Shop(workspace).latest_month() if workspace and not (period or start or end) \
        else None
    return _period_range(period, start, end, default)


RowFormatOpt = Annotated[RowFormat, typer.Option("--format", help="cli.opt.format.rows")]
TableFormatOpt = Annotated[OutputFormat, typer.Option("--format", help="cli.opt.format.table")]


def print_problems(problems: list[Any], t: Translator) -> None:
    """What the manager must supply before a period can be scored, then exit 1."""
    err = _err_console()
    for p in problems:
        hint = p.hint_text(t) if hasattr(p, "hint_text") else getattr(p, "hint", None)
        text = p.text(t) if hasattr(p, "text") else p.message
        err.print(f"[red]{t('error.prefix')}:[/] {text}" + (
            f"\n  {t('error.hint')}: {hint}" if hint else ""))
    err.print(t("score.incomplete", n=len(problems)))
    raise typer.Exit(1)
