"""The Excel report: Summary, Scores, Pay, Explanations, Lost inquiries, Metrics, Data
quality.

Every figure is a real number with a number format (percent, money ``#,##0.00``,
durations ``[m]:ss``), headers are frozen, columns sized to their content, figures
below their target or failed items coloured by conditional formatting, and the
Summary sheet has a chart.  Labels come from the Translator (en, zh_CN).  The same
:class:`~cskpi.reports.data.ReportData` always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..locale import Translator
from ..metrics.catalog import METRICS
from ..months import month_range
from ..scoring.score import ScoreCard
from ..scoring.texts import (
    has_pay_lines,
    note_text,
    pay_explained,
    pay_notes,
    rule_text,
    veto_text,
)
from .content import (
    adjustment_label,
    award_label,
    findings,
    item_name,
    level_text,
    team_kpis,
)
from .data import ReportData
from .excel_style import (
    BOLD_FONT,
    LABEL_FONT,
    NOTE_FONT,
    TITLE_FONT,
    Cell,
    fit_columns,
    fix_properties,
    highlight,
    print_setup,
    put,
    title,
    workbook_bytes,
    write_cell,
    write_table,
)
from .formats import (
    COUNT,
    MONEY,
    PERCENT,
    POINTS,
    excel_format,
    excel_value,
    metric_label,
    part_unit,
    period_text,
    unit_of,
)


def report_time(period: str) -> dt.datetime:
    """The fixed document time of a report: midnight after the period's last day."""
    return dt.datetime.combine(month_range(period)[1] + dt.timedelta(days=1), dt.time())


def verdict(card: ScoreCard, t: Translator) -> str:
    """passed / not passed / vetoed, in words."""
    if card.vetoed:
        return t("report.vetoed")
    return t("report.yes") if card.passed else t("report.no")


def _points(v: Decimal) -> float:
    return float(v)


def _ratio(card: ScoreCard) -> float:
    return float(card.to_dict()["ratio"])


def _role(role: Any, t: Translator) -> str | None:
    return t(f"role.{role}") if role else None


# --- Summary -----------------------------------------------------------------------------


def summary_sheet(ws: Worksheet, report: ReportData, t: Translator) -> None:
    """Headline figures, team KPIs against thresholds, scores by agent with a chart."""
    lang = t.lang
    scheme = report.scheme
    title(ws, 1, t("report.title", period=period_text(report.period, lang)), font=TITLE_FONT)
    title(ws, 2, t("report.subtitle", scheme=scheme.name, title=scheme.title))
    cards = report.cards
    total_pay = sum((c.pay.total for c in cards), Decimal(0))
    average = sum((c.score for c in cards), Decimal(0)) / len(cards) if cards else None
    facts: list[list[Any]] = [
        [t("report.period"), period_text(report.period, lang)],
        [t("report.agents_scored"), len(cards)],
        [t("report.passed_count"), sum(1 for c in cards if c.passed)],
        [t("report.vetoed_count"), sum(1 for c in cards if c.vetoed)],
        [t("report.average_score"), Cell(None if average is None else float(average), POINTS)],
        [t("report.pass_line"), Cell(None if scheme.pass_ratio is None
                                     else float(scheme.pass_ratio), PERCENT)],
        [t("report.total_pay"), Cell(float(total_pay), MONEY)],
    ]
    for i, (label, value) in enumerate(facts, start=4):
        put(ws, i, 1, label).font = LABEL_FONT
        put(ws, i, 2, value)
    row = 4 + len(facts) + 1
    title(ws, row, t("report.kpis"))
    kpi_top = row + 1
    kpis = team_kpis(report, t, t.lang)
    rows = []
    for k in kpis:
        fmt = excel_format(k.unit)
        status = {True: t("report.status.met"), False: t("report.status.below"),
                  None: None}[k.met]
        rows.append([metric_label(k.metric, lang), Cell(excel_value(k.value, k.unit), fmt),
                     Cell(excel_value(k.target, k.unit), fmt), k.basis or None, status])
    last = write_table(ws, kpi_top, [t("report.col.metric"), t("report.col.shop"),
                                     t("report.col.target"), t("report.col.basis"),
                                     t("report.col.status")], rows)
    for r, k in enumerate(kpis, start=kpi_top + 1):
        if k.target is not None:
            op = ">" if k.direction == "lower" else "<"
            highlight(ws, f"B{r}", f"AND(ISNUMBER(B{r}),ISNUMBER(C{r}),B{r}{op}C{r})", "bad")
    if kpis:
        below = t("report.status.below").replace('"', '""')
        highlight(ws, f"E{kpi_top + 1}:E{last}", f'E{kpi_top + 1}="{below}"', "bad")
    row = last + 2
    title(ws, row, t("report.scores_by_agent"))
    top = row + 1
    # the columns line up with the KPI table's: text under Basis, numbers under numbers
    last = write_table(ws, top, [t("report.col.agent"), t("report.col.name"),
                                 t("report.col.score"), t("report.col.passed"),
                                 t("report.col.ratio"), t("report.col.max"),
                                 t("report.col.total")],
                       [[c.agent_id, c.name, _points(c.score), verdict(c, t), _ratio(c),
                         _points(c.max_score), float(c.pay.total)] for c in cards],
                       [None, None, POINTS, None, PERCENT, POINTS, MONEY])
    _pass_highlight(ws, report, "E", "D", top + 1, last, t)
    if cards:
        _score_chart(ws, report, t, top, last)
    ws.freeze_panes = "A3"
    fit_columns(ws, header_rows=(kpi_top, top), skip_rows=(1, 2, kpi_top - 1, top - 1))
    print_setup(ws)


def _pass_highlight(ws: Worksheet, report: ReportData, ratio_col: str, verdict_col: str,
                    first: int, last: int, t: Translator) -> None:
    if last < first:
        return
    if report.scheme.pass_ratio is not None:
        highlight(ws, f"{ratio_col}{first}:{ratio_col}{last}",
                  f"AND(ISNUMBER({ratio_col}{first}),"
                  f"{ratio_col}{first}<{float(report.scheme.pass_ratio)})", "bad")
    no, vetoed = t("report.no"), t("report.vetoed")
    highlight(ws, f"{verdict_col}{first}:{verdict_col}{last}",
              f'OR({verdict_col}{first}="{no}",{verdict_col}{first}="{vetoed}")', "bad")


def _score_chart(ws: Worksheet, report: ReportData, t: Translator, top: int,
                 last: int) -> None:
    chart = BarChart()
    chart.type = "col"
    chart.style = 10
    chart.title = t("report.chart.scores")
    chart.y_axis.title = t("report.col.score")
    chart.add_data(Reference(ws, min_col=3, min_row=top, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=top + 1, max_row=last))
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = float(report.scheme.max_score) or None
    chart.y_axis.majorGridlines = None
    chart.y_axis.number_format = "0"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    chart.width, chart.height = 16, 8
    ws.add_chart(chart, "G4")


# --- Scores, Pay, Explanations ----------------------------------------------------------


def scores_sheet(ws: Worksheet, report: ReportData, t: Translator) -> None:
    """One row per agent: points per item, adjustments, score, pass and veto."""
    items = report.scheme.items
    headers = [t("report.col.agent"), t("report.col.name"), t("report.col.role")]
    headers += [f"{item_name(report, i.key, i.label, t.lang)} ({i.max.normalize():f})"
                for i in items]
    headers += [t("report.col.adjustments"), t("report.col.score"), t("report.col.max"),
                t("report.col.ratio"), t("report.col.passed"), t("report.col.veto"),
                t("report.col.veto_reasons"),
                *([t("report.col.scheme_level")] if report.scheme.levels else [])]
    rows = []
    for c in report.cards:
        role = report.agents.get(c.agent_id, {}).get("role")
        adjust = sum((a.points for a in c.adjustments), Decimal(0))
        rows.append([c.agent_id, c.name, _role(role, t), *[_points(i.points) for i in c.items],
                     _points(adjust), _points(c.score), _points(c.max_score), _ratio(c),
                     verdict(c, t), t("report.yes") if c.vetoed else t("report.no"),
                     "; ".join(veto_text(v, t) for v in c.vetoes) or None,
                     *([c.level] if report.scheme.levels else [])])
    n = len(items)
    formats = [None, None, None] + [POINTS] * (n + 3) + [PERCENT, None, None, None] + (
        [None] if report.scheme.levels else [])
    last = write_table(ws, 1, headers, rows, formats)
    if last >= 2:
        for j, item in enumerate(items):
            col = get_column_letter(4 + j)
            highlight(ws, f"{col}2:{col}{last}", f"AND(ISNUMBER({col}2),{col}2<=0)", "bad")
            highlight(ws, f"{col}2:{col}{last}",
                      f"AND(ISNUMBER({col}2),{col}2<{float(item.max)})", "warn")
        ratio_col, verdict_col = get_column_letter(4 + n + 3), get_column_letter(4 + n + 4)
        _pass_highlight(ws, report, ratio_col, verdict_col, 2, last, t)
    ws.freeze_panes = "C2"
    fit_columns(ws)
    print_setup(ws, title_rows="1:1")


def pay_sheet(ws: Worksheet, report: ReportData, t: Translator) -> None:
    """One row per agent: base, KPI bonus, commission, awards (pools and money per event
    when the scheme has them), total, and a total row; the notes say how each part came
    about (the bonus and commission rules, awards, pool shares, vetoes)."""
    lines = has_pay_lines(report.scheme)
    headers = [t("report.col.agent"), t("report.col.name"), t("report.col.grade_level"),
               t("report.col.base"), t("report.col.kpi_bonus"), t("report.col.commission"),
               t("report.col.awards"), *([t("report.col.lines")] if lines else []),
               t("report.col.total"), t("report.col.notes")]
    rows: list[list[Any]] = []
    width = 6 if lines else 5
    sums = [Decimal(0)] * width
    for c in report.cards:
        pay = c.pay.to_dict()
        awards = sum((a["amount"] for a in pay["awards"]), Decimal(0))
        extra = [sum((x["amount"] for x in pay.get("lines", ())), Decimal(0))] if lines else []
        money = [pay["base"], pay["kpi_bonus"], pay["commission"], awards, *extra,
                 pay["total"]]
        sums = [s + m for s, m in zip(sums, money, strict=True)]
        notes = [*pay_notes(c, t), *pay_explained(c, t),
                 *(f"{award_label(report, a.kind, a.metric) or a.label or a.kind}: "
                   f"{rule_text(a, t)}" for a in c.pay.awards),
                 *(rule_text(x, t) for x in c.pay.lines),
                 *(veto_text(v, t) for v in c.vetoes)]
        level = report.agents.get(c.agent_id, {}).get("level")
        rows.append([c.agent_id, c.name, level, *(float(m) for m in money),
                     "; ".join(notes) or None])
    rows.append([t("report.total_row"), None, None, *(float(s) for s in sums), None])
    last = write_table(ws, 1, headers, rows, [None, None, None] + [MONEY] * width + [None])
    for cell in ws[last]:
        cell.font = BOLD_FONT
    ws.freeze_panes = "C2"
    fit_columns(ws)
    print_setup(ws, title_rows="1:1")


def explanations_sheet(ws: Worksheet, report: ReportData, t: Translator) -> None:
    """One row per agent and item (then adjustment): the data and rule behind the points."""
    lang = t.lang
    headers = [t("report.col.agent"), t("report.col.name"), t("report.col.item"),
               t("report.col.kind"), t("report.col.metric"), t("report.col.value"),
               t("report.col.num"), t("report.col.den"), t("report.col.rule"),
               t("report.col.points"), t("report.col.max"), t("report.col.note")]
    rows: list[list[Any]] = []
    for c in report.cards:
        for i in c.items:
            metric = i.metric
            unit = unit_of(metric) if metric else "count"
            rows.append([
                c.agent_id, c.name, item_name(report, i.key, i.label, lang),
                t(f"report.kind.{i.kind}"),
                metric_label(metric, lang) if metric else None,
                Cell(excel_value(i.value, unit), excel_format(unit)),
                Cell(excel_value(i.num, part_unit(metric, "num")) if metric else None,
                     excel_format(part_unit(metric, "num")) if metric else None),
                Cell(excel_value(i.den, part_unit(metric, "den")) if metric else None,
                     excel_format(part_unit(metric, "den")) if metric else None),
                rule_text(i, t), _points(i.points), _points(i.max), note_text(i, t) or None])
        for a in c.adjustments:
            rows.append([c.agent_id, c.name, adjustment_label(report, a.event, t),
                         t("report.kind.adjustment"), None,
                         Cell(a.count, COUNT), None, None, rule_text(a, t), _points(a.points),
                         None,
                         None])
    last = write_table(ws, 1, headers, rows, [None] * 9 + [POINTS, POINTS, None])
    if last >= 2:
        highlight(ws, f"J2:J{last}", "AND(ISNUMBER(J2),ISNUMBER(K2),K2>0,J2<=0)", "bad")
        highlight(ws, f"J2:J{last}", "AND(ISNUMBER(J2),ISNUMBER(K2),J2<K2)", "warn")
    ws.freeze_panes = "C2"
    fit_columns(ws)
    print_setup(ws, title_rows="1:1")


# --- Metrics, Data quality -------------------------------------------------------------


def metrics_sheet(ws: Worksheet, report: ReportData, t: Translator) -> None:
    """The whole metric catalog per agent (and the shop), rates with num and den."""
    lang = t.lang
    head = [t("report.col.agent"), t("report.col.name"), t("report.col.role"),
            t("report.col.team"), t("report.col.grade_level")]
    keys = ["agent_id", "name", "role", "team", "level"]
    columns: list[tuple[str, str]] = []  # (row key, unit)
    for m in METRICS:
        label = metric_label(m.key, lang)
        head.append(label)
        keys.append(m.key)
        columns.append((m.key, m.unit))
        if m.is_rate:
            head += [t("report.metric.num", metric=label), t("report.metric.den", metric=label)]
            keys += [f"{m.key}_num", f"{m.key}_den"]
            columns += [(f"{m.key}_num", part_unit(m.key, "num")),
                        (f"{m.key}_den", part_unit(m.key, "den"))]
    rows = []
    for r in [*report.roster, dict(report.shop, agent_id=t("report.col.shop"))]:
        rows.append([r.get("agent_id"), r.get("name"), _role(r.get("role"), t), r.get("team"),
                     r.get("level"), *(excel_value(r.get(k), u) for k, u in columns)])
    write_table(ws, 1, head, [keys, *rows], [None] * 5 + [excel_format(u) for _, u in columns])
    for cell in ws[2]:
        cell.font = NOTE_FONT
    ws.freeze_panes = "C3"
    fit_columns(ws, header_rows=(1, 2))
    print_setup(ws, title_rows="1:2", title_cols="A:B", fit_width=False)


def quality_sheet(ws: Worksheet, report: ReportData, t: Translator) -> None:
    """Findings (errors, warnings, notes) in columns A-E, the files imported from G on."""
    title(ws, 1, t("report.dq.findings"))
    found = findings(report, t, t.lang)
    rows = [[level_text(f.level, t), f.topic, f.agent or None, f.subject or None, f.message]
            for f in found] or [[None, None, None, None, t("report.dq.none")]]
    last = write_table(ws, 2, [t("report.col.severity"), t("report.col.topic"),
                               t("report.col.agent"), t("report.col.subject"),
                               t("report.col.message")], rows)
    if found:
        for level, kind in (("error", "bad"), ("warning", "warn")):
            highlight(ws, f"A3:A{last}", f'A3="{level_text(level, t)}"', kind)
    title(ws, 1, t("report.dq.imports"), column=IMPORTS_AT)
    write_table(ws, 2, [t("report.col.import_id"), t("report.col.table"), t("report.col.file"),
                        t("report.col.rows"), t("report.col.added"),
                        t("report.col.duplicates"), t("report.col.sha256")],
                [[i.get("import_id"), i.get("table_name"), i.get("file"), i.get("rows_in_file"),
                  i.get("rows_added"), i.get("duplicates"), i.get("sha256")]
                 for i in report.imports],
                [COUNT, None, None, COUNT, COUNT, COUNT, None], left=IMPORTS_AT)
    ws.freeze_panes = "A3"
    fit_columns(ws, header_rows=(2,), skip_rows=(1,), max_width=70)
    print_setup(ws, title_rows="1:2")


IMPORTS_AT = 7  # column G


# --- Lost inquiries ------------------------------------------------------------------------


def lost_sheet(ws: Worksheet, report: ReportData, t: Translator) -> None:
    """The shop's lost customers by reason (counts and shares), then every agent's lost
    inquiries with the reason, its evidence and the chat's figures."""
    lang, tax, items = t.lang, report.lost_taxonomy, report.lost
    title(ws, 1, t("report.lost.title", period=period_text(report.period, lang)))
    if tax is None:
        write_cell(ws, 2, 1, t("report.lost.no_data")).font = NOTE_FONT
        return
    counts: dict[str, int] = {}
    for i in items:
        counts[i.reason] = counts.get(i.reason, 0) + 1
    total = sum(counts.values())
    last = write_table(ws, 2, [t("report.lost.col.reason"), t("report.lost.col.lost"),
                               t("report.lost.col.share")],
                       [[tax.label(k, lang), counts[k], counts[k] / total]
                        for k in tax.keys if counts.get(k)] or [[t("report.lost.none")]],
                       [None, COUNT, PERCENT])
    top = last + 2
    names = {a: r.get("name") for a, r in report.agents.items()}
    seconds = excel_format("s")
    rows = [[i.agent_id, names.get(i.agent_id), i.customer_id, i.session_id,
             i.inquiry_start, tax.label(i.reason, lang), i.evidence_text(t), i.keyword,
             Cell(excel_value(i.first_response_s, "s"), seconds), i.rounds,
             Cell(excel_value(i.duration_s, "s"), seconds),
             t("report.yes") if i.relabelled else None]
            for i in sorted(items, key=lambda i: (i.agent_id, i.inquiry_start, i.customer_id))]
    write_table(ws, top, [t("report.col.agent"), t("report.col.name"),
                          t("report.lost.col.customer"), t("report.lost.col.session"),
                          t("report.lost.col.asked"), t("report.lost.col.reason"),
                          t("report.lost.col.evidence"), t("report.lost.col.keyword"),
                          t("report.lost.col.first_response"), t("report.lost.col.rounds"),
                          t("report.lost.col.duration"), t("report.lost.col.relabelled")],
                rows, [None, None, None, None, "yyyy-mm-dd hh:mm", None, None, None, None,
                       COUNT, None, None])
    ws.freeze_panes = f"C{top + 1}"
    fit_columns(ws, header_rows=(2, top), skip_rows=(1,), max_width=50)
    print_setup(ws, title_rows=f"{top}:{top}")


# --- the workbook -------------------------------------------------------------------------

SHEETS = (("report.sheet.summary", summary_sheet), ("report.sheet.scores", scores_sheet),
          ("report.sheet.pay", pay_sheet), ("report.sheet.explanations", explanations_sheet),
          ("report.sheet.lost", lost_sheet), ("report.sheet.metrics", metrics_sheet),
          ("report.sheet.quality", quality_sheet))


def build_workbook(report: ReportData, lang: str = "en") -> Workbook:
    """The report as an openpyxl workbook (not saved)."""
    t = Translator(lang)
    wb = Workbook()
    wb.remove(wb.active)
    for key, fill in SHEETS:
        fill(wb.create_sheet(t(key)), report, t)
    fix_properties(wb, report_time(report.period),
                   t("report.title", period=period_text(report.period, t.lang)))
    return wb


def excel_bytes(report: ReportData, lang: str = "en") -> bytes:
    """The xlsx file's bytes (the web app sends these as a download)."""
    return workbook_bytes(build_workbook(report, lang))


def write_excel(report: ReportData, out: Path | str, lang: str = "en") -> Path:
    """Write the Excel report to ``out`` and return its path."""
    path = Path(out)
    path.write_bytes(excel_bytes(report, lang))
    return path
