"""Commands on schemes and pay: scheme check|list|show, score, whatif."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
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
    _err_console,
    _fail,
    _period_range,
    app,
    print_issues,
    print_problems,
    resolve_range,
)
from .output import to_csv, to_json

scheme_app = typer.Typer(help="cli.help.scheme", no_args_is_help=True)

app.add_typer(scheme_app, name="scheme")


@scheme_app.callback()
def _scheme(lang: LangOpt = None) -> None:
    """``cskpi scheme --lang zh --help`` (the language is read before parsing, see .i18n)."""


@scheme_app.command("check", help="cli.help.scheme.check")
def scheme_check(
    scheme: Annotated[str, typer.Argument(help="cli.opt.scheme")],
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="cli.opt.scheme.check.workspace")] = None,
    fmt: TableFormatOpt = OutputFormat.table,
    lang: LangOpt = None,
) -> None:
    """Load a scheme and report every problem at once (file:line, hint). Exit 1 on errors."""
    from ..qa.schemes import load_scheme_checked
    from ..scoring import presets

    t = Translator(lang)
    try:
        source, text = presets.resolve(scheme)
        roster = Shop(workspace).roster() if workspace else None
    except CskpiError as exc:
        _fail(exc, t)
        return
    loaded, issues = load_scheme_checked(text, source, roster=roster)
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
            console.print(t("scheme.ok", name=loaded.name, items=len(loaded.items),
                            max=f"{loaded.max_score.normalize():f}"))
        else:
            console.print(t("validate.summary", errors=errors, warnings=len(issues) - errors))
    raise typer.Exit(0 if loaded is not None else 1)


@scheme_app.command("list", help="cli.help.scheme.list")
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


@scheme_app.command("show", help="cli.help.scheme.show")
def scheme_show(name: Annotated[str, typer.Argument(help="cli.opt.scheme.show.name")],
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


@app.command(help="cli.help.score")
def score(
    scheme: Annotated[str, typer.Option("--scheme", help="cli.opt.score.scheme")],
    period: Annotated[str, typer.Option("--period", help="cli.opt.month")],
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    fmt: RowFormatOpt = RowFormat.table,
    lang: LangOpt = None,
) -> None:
    """Score every agent a scheme applies to for a month: points, reasons and pay."""
    t = Translator(lang)
    try:
        _period_range(period, None, None, None)
        scored = Shop(workspace, data=data).score(scheme, period)
    except CskpiError as exc:
        _fail(exc, t)
        return
    result = scored.result
    if result.problems:
        print_problems(result.problems, t)
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
    if "level" in card:
        row["level"] = card["level"]
    if card["pay"].get("lines"):
        row["pay_lines"] = sum(line["amount"] for line in card["pay"]["lines"])
    return row


def print_scores(scored: Any, t: Translator, console: Console) -> None:
    from decimal import Decimal

    from ..units import format_money, format_percent, format_points

    lang = t.lang
    scheme = scored.scheme
    table = RichTable(title=t("score.title", scheme=f"{scheme.name} · {scheme.title}",
                              period=scored.period), title_justify="left")
    table.add_column(t("summary.agent"))
    table.add_column(t("summary.name"))
    for item in scheme.items:
        table.add_column(f"{item.label}\n/{format_points(item.max, lang)}", justify="right")
    levels = bool(scheme.levels)
    lines = any(c.pay.lines for c in scored.result.cards)
    keys = ["score.adjust", "score.score", *(["score.level"] if levels else []),
            "score.passed", "score.base", "score.bonus", "score.commission", "score.awards",
            *(["score.lines"] if lines else []), "score.total"]
    for key in keys:
        table.add_column(t(key), justify="right")
    for c in scored.result.cards:
        pay = c.pay.to_dict()
        awards = sum((a.amount for a in c.pay.awards), Decimal(0))
        cells = [c.agent_id, c.name or ""]
        cells += [format_points(i.points, lang) for i in c.items]
        adj = sum((a.points for a in c.adjustments), Decimal(0))
        verdict = t("score.vetoed") if c.vetoed else (t("score.yes") if c.passed
                                                       else t("score.no"))
        cells += [("+" if adj > 0 else "") + format_points(adj, lang) if adj else "",
                  f"{format_points(c.score, lang)} ({format_percent(c.ratio, lang, 1)})"]
        cells += [c.level or "—"] if levels else []
        cells += [verdict, *(format_money(pay[k], lang) for k in ("base", "kpi_bonus",
                                                                  "commission")),
                  format_money(awards, lang)]
        cells += [format_money(sum((x.amount for x in c.pay.lines), Decimal(0)), lang)] \
            if lines else []
        cells += [format_money(pay["total"], lang)]
        table.add_row(*cells)
    console.print(table)


@app.command(help="cli.help.whatif")
def whatif(
    change: Annotated[list[str] | None, typer.Option("--change",
                                                     help="cli.opt.whatif.change")] = None,
    workspace: WorkspaceOpt = None,
    period: PeriodOpt = None,
    agents: Annotated[str | None, typer.Option("--agents", help="cli.opt.agents")] = None,
    inquiries: Annotated[str | None, typer.Option("--inquiries",
                                                  help="cli.opt.whatif.inquiries")] = None,
    conversion: Annotated[str | None, typer.Option("--conversion",
                                                   help="cli.opt.whatif.conversion")] = None,
    aov: Annotated[str | None, typer.Option("--aov", help="cli.opt.whatif.aov")] = None,
    days: Annotated[str | None, typer.Option("--days", help="cli.opt.whatif.days")] = None,
    scheme: Annotated[str | None, typer.Option("--scheme", help="cli.opt.whatif.scheme")
                      ] = None,
    edited: Annotated[str | None, typer.Option("--edited", help="cli.opt.whatif.edited")
                      ] = None,
    profile: Annotated[str, typer.Option("--profile", help="cli.opt.whatif.profile")
                       ] = "generic",
    data: DataOpt = None,
    fmt: TableFormatOpt = OutputFormat.table,
    lang: LangOpt = None,
) -> None:
    """Sales = (inquiring customers × conversion + other buyers) × AOV, now and after
    changes; or, with --scheme and --edited, every agent's points and pay under both
    schemes."""
    from decimal import Decimal

    from ..metrics.profiles import resolve
    from ..scoring.whatif import Drivers, override, parse_number
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
        month = None
        if workspace is not None:
            shop = Shop(workspace)
            first, last = _period_range(period, None, None, shop.latest_month())
            month = f"{first:%Y-%m}"
            base = override(shop.whatif_baseline(first, last, resolve(profile)), values)
        else:
            missing = [k for k in ("agents", "inquiries", "conversion", "aov") if k not in values]
            if missing:
                from ..errors import UsageError

                raise UsageError(code="whatif_missing",
                                 params={"options": ["--" + m for m in missing]})
            base = Drivers.per_agent_day(**{"days": Decimal(30), **values})
        result = run_whatif(base, change or [])
    except CskpiError as exc:
        _fail(exc, t)
        return
    if fmt is OutputFormat.json:
        typer.echo(to_json({"period": month, **result.to_dict()}))
        return
    _print_whatif(result, t)


def _print_whatif(result: Any, t: Translator) -> None:
    """The drivers before and after, the change in sales, and the model in words."""
    from ..errors import render
    from ..scoring.whatif import ROWS, shown

    table = RichTable(title=t("whatif.title"), title_justify="left")
    for key in ("whatif.driver", "whatif.base", "whatif.new"):
        table.add_column(t(key), justify="left" if key == "whatif.driver" else "right")
    b, n = result.base, result.new
    for key, attr, spec, _money in ROWS:
        table.add_row(t(f"whatif.{key}", days=f"{b.days:,.0f}"), shown(getattr(b, attr), spec),
                      shown(getattr(n, attr), spec))
    console = _console()
    console.print(table)
    ratio = result.delta_ratio
    console.print(t("whatif.delta", delta=f"{result.delta:+,.2f}",
                    ratio="—" if ratio is None else f"{ratio:+.1%}"))
    for line in result.explained():
        console.print(render(t, line["code"], line["params"]), highlight=False)


def _scheme_whatif(scheme: str | None, edited: str | None, period: str | None,
                   workspace: Path | None, data: Path | None, fmt: OutputFormat,
                   t: Translator) -> None:
    from ..errors import UsageError

    try:
        if not (scheme and edited):
            raise UsageError(code="scheme_whatif_needs_both")
        first, _ = resolve_range(workspace, period, None, None)
        month = f"{first:%Y-%m}"
        old, new, changes = Shop(workspace, data=data).scheme_whatif(scheme, edited, month)
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



@app.command(help="cli.help.report")
def report(
    scheme: Annotated[str, typer.Option("--scheme", help="cli.opt.scheme")],
    period: Annotated[str, typer.Option("--period", help="cli.opt.month")],
    out: Annotated[Path, typer.Option("--out", help="cli.opt.report.out")],
    workspace: WorkspaceOpt = None,
    data: DataOpt = None,
    allow_incomplete: Annotated[bool, typer.Option(
        "--allow-incomplete", help="cli.opt.report.allow-incomplete")] = False,
    lang: LangOpt = None,
) -> None:
    """Write the month's report as Excel or PDF."""
    from ..errors import ScoringIncomplete
    from ..reports import build_report

    t = Translator(lang)
    try:
        path = build_report(workspace, scheme, period, out, "zh_CN" if t.lang == "zh_CN"
                            else "en", data=data, allow_incomplete=allow_incomplete)
    except ScoringIncomplete as exc:
        print_problems(exc.problems, t)
    except CskpiError as exc:
        _fail(exc, t)
        return
    _console().print(t("report.written", path=path))
