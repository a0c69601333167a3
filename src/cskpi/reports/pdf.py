"""The PDF report: a team summary, then one scorecard page per agent.

Every text is set in an embedded CJK TrueType font (see :mod:`.fonts`), so Chinese
names, item labels and the zh_CN catalog render without a font on the reader's
machine.  Each scorecard is shrunk to fit one page.  reportlab's ``invariant`` mode
makes the same report give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..locale import Translator
from ..scoring.score import ScoreCard, cents
from ..scoring.texts import card_warnings, note_text, pay_notes, rule_text, say, veto_text
from .content import (
    adjustment_label,
    award_label,
    findings,
    item_name,
    level_text,
    team_kpis,
)
from .data import ReportData
from .fonts import FontFile, cjk_font, register_font
from .formats import (
    metric_label,
    money_text,
    part_unit,
    period_text,
    points_text,
    text_value,
    unit_of,
)
from .pdf_charts import points_chart, scores_chart, trend_chart

MARGIN = 15 * mm
HEADER_BG = colors.HexColor("#DDEBF7")
BAD_BG = colors.HexColor("#FFC7CE")
BAD = colors.HexColor("#9C0006")
GOOD = colors.HexColor("#006100")
GRID = colors.HexColor("#BFBFBF")
MAX_FINDINGS = 12


class Styles:
    """Paragraph styles in the CJK font."""

    def __init__(self, font: str) -> None:
        self.font = font
        self.title = ParagraphStyle("title", fontName=font, fontSize=16, leading=20,
                                    spaceAfter=4)
        self.h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=14, spaceBefore=8,
                                 spaceAfter=4)
        self.body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11)
        self.small = ParagraphStyle("small", fontName=font, fontSize=7.5, leading=9.5,
                                    textColor=colors.HexColor("#595959"))
        self.big = ParagraphStyle("big", fontName=font, fontSize=13, leading=17,
                                  spaceBefore=2, spaceAfter=2)


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), style)


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], s: Styles, *,
           right: Sequence[int] = (), extra: Sequence[tuple[Any, ...]] = ()) -> Table:
    """A table with a shaded header row; strings become wrapping paragraphs."""
    cells = [[c if isinstance(c, Flowable) else _p(c, s.body) for c in row] for row in rows]
    table = Table(cells, colWidths=list(widths), repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, GRID),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for col in right:
        style.append(("ALIGN", (col, 0), (col, -1), "RIGHT"))
    table.setStyle(TableStyle(style + list(extra)))
    return table


def _right(text: str, s: Styles) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"),
                     ParagraphStyle("r", parent=s.body, alignment=2))


# --- the team summary --------------------------------------------------------------------


def summary_page(report: ReportData, t: Translator, s: Styles, width: float) -> list[Flowable]:
    """Headline figures, KPIs against thresholds, scores by agent, data findings."""
    lang = t.lang
    cards = report.cards
    scheme = report.scheme
    out: list[Flowable] = [
        _p(t("report.pdf.summary_title", period=period_text(report.period, lang)), s.title),
        _p(t("report.subtitle", scheme=scheme.name, title=scheme.title), s.body)]
    total = sum((c.pay.total for c in cards), Decimal(0))
    average = sum((c.score for c in cards), Decimal(0)) / len(cards) if cards else None
    facts = [(t("report.agents_scored"), str(len(cards))),
             (t("report.passed_count"), str(sum(1 for c in cards if c.passed))),
             (t("report.vetoed_count"), str(sum(1 for c in cards if c.vetoed))),
             (t("report.average_score"), "—" if average is None else points_text(average)),
             (t("report.pass_line"), "—" if scheme.pass_ratio is None
              else text_value(scheme.pass_ratio, "rate")),
             (t("report.total_pay"), money_text(total))]
    out.append(Spacer(1, 4))
    out.append(Table([[_p(k, s.small) for k, _ in facts], [_p(v, s.big) for _, v in facts]],
                     colWidths=[width / len(facts)] * len(facts)))
    out.append(_p(t("report.kpis"), s.h2))
    rows: list[list[Any]] = [[t("report.col.metric"), t("report.col.shop"),
                              t("report.col.target"), t("report.col.basis"),
                              t("report.col.status")]]
    extra: list[tuple[Any, ...]] = []
    for i, k in enumerate(team_kpis(report, t, t.lang), start=1):
        status = {True: t("report.status.met"), False: t("report.status.below"),
                  None: ""}[k.met]
        rows.append([metric_label(k.metric, lang), _right(text_value(k.value, k.unit, lang), s),
                     _right(text_value(k.target, k.unit, lang) if k.target is not None else "",
                            s), k.basis, status])
        if k.met is False:
            extra.append(("BACKGROUND", (1, i), (1, i), BAD_BG))
            extra.append(("BACKGROUND", (4, i), (4, i), BAD_BG))
    out.append(_table(rows, [w * width for w in (0.27, 0.15, 0.15, 0.31, 0.12)], s,
                      extra=extra))
    out.append(_p(t("report.scores_by_agent"), s.h2))
    rows = [[t("report.col.agent"), t("report.col.name"), t("report.col.score"),
             t("report.col.ratio"), t("report.col.passed"), t("report.col.total")]]
    extra = []
    for i, c in enumerate(cards, start=1):
        rows.append([c.agent_id, c.name, _right(points_text(c.score), s),
                     _right(text_value(c.ratio, "rate"), s), _verdict(c, t),
                     _right(money_text(c.pay.total), s)])
        if not c.passed or c.vetoed:
            extra.append(("BACKGROUND", (4, i), (4, i), BAD_BG))
    out.append(_table(rows, [w * width for w in (0.14, 0.22, 0.14, 0.14, 0.18, 0.18)], s,
                      extra=extra))
    if cards:
        pass_score = None if scheme.pass_ratio is None else float(
            scheme.pass_ratio * scheme.max_score)
        out.append(Spacer(1, 6))
        out.append(scores_chart([c.name or c.agent_id for c in cards],
                                [float(c.score) for c in cards], float(scheme.max_score),
                                pass_score, t("report.chart.scores"), s.font, width=width))
    out += _findings(report, t, s, width)
    return out


def _findings(report: ReportData, t: Translator, s: Styles, width: float) -> list[Flowable]:
    found = [f for f in findings(report, t, t.lang) if f.level != "note"]
    if not found:
        return []
    rows: list[list[Any]] = [[t("report.col.severity"), t("report.col.agent"),
                              t("report.col.message")]]
    rows += [[level_text(f.level, t), f.agent, f.message] for f in found[:MAX_FINDINGS]]
    out: list[Flowable] = [_p(t("report.sheet.quality"), s.h2),
                           _table(rows, [0.1 * width, 0.12 * width, 0.78 * width], s)]
    if len(found) > MAX_FINDINGS:
        out.append(_p(t("report.pdf.more_findings", n=len(found) - MAX_FINDINGS), s.small))
    return out


def _verdict(card: ScoreCard, t: Translator) -> str:
    if card.vetoed:
        return t("report.vetoed")
    return t("report.yes") if card.passed else t("report.no")


# --- one agent's scorecard ----------------------------------------------------------------


def agent_page(report: ReportData, card: ScoreCard, t: Translator, s: Styles,
               width: float) -> list[Flowable]:
    """Score, items with their rules, adjustments, pay slip, and two small charts."""
    lang = t.lang
    row = report.agents.get(card.agent_id, {})
    who = [card.agent_id, card.name or "", t(f"role.{row['role']}") if row.get("role") else "",
           row.get("team") or ""]
    out: list[Flowable] = [
        _p(t("report.pdf.scorecard", period=period_text(report.period, lang)), s.small),
        _p(" · ".join(w for w in who if w), s.title),
        _p(t("report.subtitle", scheme=report.scheme.name, title=report.scheme.title), s.body)]
    score = t("report.pdf.score_line", score=points_text(card.score),
              max=points_text(card.max_score), ratio=text_value(card.ratio, "rate"))
    if card.vetoed:
        state, color = t("report.pdf.vetoed",
                         reasons="; ".join(veto_text(v, t) for v in card.vetoes)), BAD
    elif card.passed:
        state, color = t("report.pdf.passed"), GOOD
    else:
        line = text_value(report.scheme.pass_ratio, "rate")
        state, color = t("report.pdf.failed", line=line), BAD
    out.append(Paragraph(f"{escape(score)} — <font color='#{color.hexval()[2:]}'>"
                         f"{escape(state)}</font>", s.big))
    out.append(_p(t("report.pdf.items"), s.h2))
    rows: list[list[Any]] = [[t("report.col.item"), t("report.col.value"),
                              t("report.col.rule"), t("report.col.points"),
                              t("report.col.max")]]
    extra: list[tuple[Any, ...]] = []
    for i, item in enumerate(card.items, start=1):
        value = text_value(item.value, unit_of(item.metric), lang) if item.metric else ""
        if item.metric and item.num is not None and item.den:
            value += (f"\n{text_value(item.num, part_unit(item.metric, 'num'), lang)}"
                      f" / {text_value(item.den, part_unit(item.metric, 'den'), lang)}")
        note = note_text(item, t)
        rule = rule_text(item, t) + (f"\n({note})" if note else "")
        rows.append([item_name(report, item.key, item.label, t.lang), _right(value, s), rule,
                     _right(points_text(item.points), s),
                     _right(points_text(item.max), s)])
        if item.points < item.max:
            extra.append(("BACKGROUND", (3, i), (3, i),
                          BAD_BG if item.points <= 0 else colors.HexColor("#FFEB9C")))
    out.append(_table(rows, [w * width for w in (0.2, 0.17, 0.45, 0.09, 0.09)], s, extra=extra))
    if card.adjustments:
        out.append(_p(t("report.pdf.adjustments"), s.h2))
        rows = [[t("report.col.item"), t("report.col.rule"), t("report.col.points")]]
        rows += [[adjustment_label(report, a.event, t), rule_text(a, t),
                  _right(points_text(a.points), s)]
                 for a in card.adjustments]
        out.append(_table(rows, [0.25 * width, 0.6 * width, 0.15 * width], s))
    warnings = card_warnings(card, t)
    if warnings:
        out.append(_p(t("report.pdf.warnings"), s.h2))
        out += [_p("• " + w, s.small) for w in warnings]
    out.append(_p(t("report.pdf.payslip"), s.h2))
    out.append(_payslip(report, card, t, s, width))
    out.append(Spacer(1, 8))
    out.append(_charts(report, card, t, s, width))
    return out


def _payslip(report: ReportData, card: ScoreCard, t: Translator, s: Styles,
             width: float) -> Table:
    pay = card.pay.to_dict()
    rows: list[list[Any]] = [[t("report.col.item"), t("report.col.note"),
                              _right(t("report.col.amount"), s)]]
    rows.append([t("report.col.base"), "", _right(money_text(pay["base"]), s)])
    bonus = [say(card.pay.explain["kpi_bonus"], t)] if "kpi_bonus" in card.pay.explain else []
    if card.level:
        bonus.insert(0, t("rule.level", level=card.level,
                          factor=points_text(card.level_factor or 0)))
    rows.append([t("report.col.kpi_bonus"), "; ".join([*bonus, *pay_notes(card, t)]),
                 _right(money_text(pay["kpi_bonus"]), s)])
    commission = say(card.pay.explain["commission"], t) \
        if "commission" in card.pay.explain else ""
    rows.append([t("report.col.commission"), commission,
                 _right(money_text(pay["commission"]), s)])
    for award in card.pay.awards:
        label = award_label(report, award.kind, award.metric) or award.label \
            or t("report.col.awards")
        rows.append([label, rule_text(award, t), _right(money_text(cents(award.amount)), s)])
    for line in card.pay.lines:
        rows.append([line.label, rule_text(line, t), _right(money_text(cents(line.amount)), s)])
    total = Paragraph(f"<b>{escape(money_text(pay['total']))}</b>",
                      ParagraphStyle("tot", parent=s.body, alignment=2))
    rows.append([_p(t("report.col.total"), s.body), "", total])
    return _table(rows, [0.25 * width, 0.55 * width, 0.2 * width], s,
                  extra=[("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)])


def _charts(report: ReportData, card: ScoreCard, t: Translator, s: Styles,
            width: float) -> Table:
    half = width / 2 - 6
    bars = points_chart([item_name(report, i.key, i.label, t.lang) for i in card.items],
                        [float(i.points) for i in card.items],
                        [float(i.max) for i in card.items], t("report.chart.points"), s.font,
                        width=half)
    days = report.daily.get(card.agent_id, [])
    trend = trend_chart([str(int(d["period_start"][8:10])) for d in days],
                        [float(d.get("sessions") or 0) for d in days],
                        t("report.chart.trend"), s.font, width=half)
    return Table([[bars, trend]], colWidths=[half + 6, half + 6])


# --- the document -------------------------------------------------------------------------


def pdf_bytes(report: ReportData, lang: str = "en", *, font: FontFile | None = None) -> bytes:
    """The PDF report's bytes: the summary, then one page per scored agent.

    ``font`` overrides the CJK font found on the system (:func:`.fonts.cjk_font`).
    """
    t = Translator(lang)
    s = Styles(register_font(font or cjk_font()))
    buf = io.BytesIO()
    period = period_text(report.period, t.lang)
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, invariant=1,
                            title=t("report.title", period=period), author="cskpi",
                            creator="cskpi", subject=report.scheme.name)
    width, height = doc.width, doc.height

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(s.font, 7)
        canvas.setFillColor(colors.HexColor("#7F7F7F"))
        canvas.drawRightString(A4[0] - MARGIN, MARGIN / 2, t(
            "report.pdf.footer", scheme=report.scheme.name, period=period, page=document.page))
        canvas.restoreState()

    story: list[Flowable] = summary_page(report, t, s, width)
    for card in report.cards:
        story.append(PageBreak())
        story.append(KeepInFrame(width, height - 2, agent_page(report, card, t, s, width),
                                 mode="shrink"))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def write_pdf(report: ReportData, out: Path | str, lang: str = "en", *,
              font: FontFile | None = None) -> Path:
    """Write the PDF report to ``out`` and return its path."""
    path = Path(out)
    path.write_bytes(pdf_bytes(report, lang, font=font))
    return path
