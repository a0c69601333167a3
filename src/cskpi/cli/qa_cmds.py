"""Commands on chat quality inspection (质检): qa check | list | hits."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table as RichTable

from ..errors import CskpiError
from ..locale import Translator
from ..shop import Shop
from .common import (
    DataOpt,
    LangOpt,
    OutputFormat,
    PeriodOpt,
    RowFormat,
    RowFormatOpt,
    TableFormatOpt,
    WorkspaceOpt,
    _console,
    _fail,
    app,
    print_issues,
    resolve_range,
)
from .output import to_csv, to_json

qa_app = typer.Typer(help="cli.help.qa", no_args_is_help=True)
app.add_typer(qa_app, name="qa")


@qa_app.callback()
def _qa(lang: LangOpt = None) -> None:
    """``cskpi qa --lang zh --help`` (the language is read before parsing, see .i18n)."""

RulesArg = Annotated[str, typer.Argument(help="cli.opt.qa_rules")]
PUBLIC_HIT = ("session_id", "agent_id", "rule", "points", "fatal", "ts", "text")


@qa_app.command("check", help="cli.help.qa.check")
def qa_check(rules: RulesArg, fmt: TableFormatOpt = OutputFormat.table,
             lang: LangOpt = None) -> None:
    """Load QA rules and report every problem at once (file:line, hint). Exit 1 on errors."""
    from ..qa.loader import load_rules, resolve

    t = Translator(lang)
    try:
        source, text = resolve(rules)
    except CskpiError as exc:
        _fail(exc, t)
        return
    loaded, issues = load_rules(text, source)
    errors = sum(1 for i in issues if i.is_error)
    if fmt is OutputFormat.json:
        typer.echo(to_json({"ok": loaded is not None, "errors": errors,
                            "warnings": len(issues) - errors,
                            "issues": [i.to_dict() for i in issues]}))
    else:
        console = _console()
        if issues:
            print_issues(issues, t, console)
        if loaded is not None:
            console.print(t("qa.ok", name=loaded.name, rules=len(loaded.rules),
                            start=f"{loaded.start.normalize():f}",
                            phrases=sum(len(r.phrases) for r in loaded.rules),
                            fatal=sum(r.fatal for r in loaded.rules)))
        else:
            console.print(t("validate.summary", errors=errors, warnings=len(issues) - errors))
    raise typer.Exit(0 if loaded is not None else 1)


@qa_app.command("list", help="cli.help.qa.list")
def qa_list(fmt: TableFormatOpt = OutputFormat.table, lang: LangOpt = None) -> None:
    """The QA rules presets shipped with cskpi."""
    from ..qa import load, preset_names

    t = Translator(lang)
    presets = [load(name) for name in preset_names()]
    if fmt is OutputFormat.json:
        typer.echo(to_json([{"name": p.name, "title": p.title, "start": p.start,
                             "rules": [{"key": r.key, "label": r.label, "kind": r.kind,
                                        "points": r.points, "fatal": r.fatal}
                                       for r in p.rules]} for p in presets]))
        return
    table = RichTable(title=t("qa.presets"), title_justify="left")
    for key in ("qa.col.name", "qa.col.title", "qa.col.rules", "qa.col.fatal_rules"):
        table.add_column(t(key))
    for p in presets:
        table.add_row(p.name, p.title, ", ".join(r.label for r in p.rules),
                      ", ".join(r.label for r in p.rules if r.fatal))
    _console().print(table)


@qa_app.command("hits", help="cli.help.qa.hits")
def qa_hits(
    rules: Annotated[str, typer.Option("--rules", help="cli.opt.qa_rules")],
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    period: PeriodOpt = None,
    agent: Annotated[str | None, typer.Option("--agent", help="cli.opt.qa.hits.agent")] = None,
    fmt: RowFormatOpt = RowFormat.table,
    lang: LangOpt = None,
) -> None:
    """Every QA hit of a period: session, agent, rule, points, fatal, time and text."""
    t = Translator(lang)
    try:
        first, last = resolve_range(workspace, period, None, None)
        hits, _ = Shop(workspace, data=data).qa_check(rules, first, last, agent_id=agent,
                                                      sessions=False)
    except CskpiError as exc:
        _fail(exc, t)
        return
    public = [{k: h[k] for k in PUBLIC_HIT} for h in hits]
    if fmt is RowFormat.json:
        typer.echo(to_json(public))
        return
    if fmt is RowFormat.csv:
        typer.echo(to_csv(public), nl=False)
        return
    table = RichTable(title=t("qa.hits.title", start=first, end=last, n=len(public)),
                      title_justify="left")
    for c in PUBLIC_HIT:
        table.add_column(t(f"qa.col.{c}"), overflow="fold")
    for h in public:
        table.add_row(*("—" if h[c] is None else str(h[c]) for c in PUBLIC_HIT))
    _console().print(table)
