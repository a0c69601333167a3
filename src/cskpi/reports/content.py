"""What both report formats say, decided once: team KPIs vs thresholds, data findings.

:func:`team_kpis` lists the shop's figure of every metric the scheme scores, pays or
awards on, next to the threshold the scheme (or the platform profile) sets for it,
then a few headline metrics.  :func:`findings` lists what a reader should know about
the data: problems that block scoring, agents the scheme does not cover, scoring
warnings, missing figures with their reasons, figures that differ from the platform's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import Issue
from ..metrics.catalog import CATALOG
from ..metrics.rows import reason_text
from ..scheme import LinearItem, TargetItem, TiersItem
from ..scoring.texts import (
    WARNED,
    event_label,
    item_label,
    problem_hint,
    problem_text,
    rule_text,
)
from .data import ReportData
from .formats import metric_label, text_value, unit_of

Translate = Callable[..., str]
HEADLINE = ("sessions", "customers", "first_response_s", "response_s", "reply_3min_rate",
            "satisfaction", "conversion_rate", "sales", "refund_rate")
LEVEL_ORDER = {"error": 0, "warning": 1, "note": 2}


@dataclass(frozen=True)
class Kpi:
    """A shop figure and the threshold it is held to (``target`` None: none set)."""

    metric: str
    value: Any
    target: Decimal | None
    direction: str  # higher: value >= target is met; lower: value <= target is met
    basis: str

    @property
    def unit(self) -> str:
        return unit_of(self.metric)

    @property
    def met(self) -> bool | None:
        """Whether the value reaches the target (None when either is missing)."""
        if self.value is None or self.target is None:
            return None
        value = Decimal(str(self.value))
        return value <= self.target if self.direction == "lower" else value >= self.target


@dataclass(frozen=True)
class Finding:
    """One data-quality line: level (error, warning, note), topic, agent, subject, text."""

    level: str
    topic: str
    agent: str
    subject: str
    message: str


def scheme_metrics(report: ReportData) -> list[str]:
    """Catalog metrics the scheme scores, vetoes, pays or awards on, in scheme order."""
    return [n for n in report.scheme.metric_names() if n in CATALOG]


def item_name(report: ReportData, key: str, label: str, lang: str) -> str:
    """A scheme item's name in a report of ``lang``, as the app's pages name it
    (:func:`cskpi.scoring.texts.item_label`): the shop's label; in English the item's
    ``label_en``, else the label glossed by what it measures."""
    item = next((i for i in report.scheme.items if i.key == key), None)
    return item_label(label, key, lang, getattr(item, "label_en", None),
                      getattr(item, "metric", None))


def _item_thresholds(report: ReportData, t: Translate, lang: str) -> list[Kpi]:
    out: list[Kpi] = []
    shop = report.shop
    for item in report.scheme.items:
        name = item_name(report, item.key, item.label, lang)
        if isinstance(item, TiersItem):
            full = next((tier for tier in item.tiers  # a formula bound: per agent, none
                         if tier.points == item.own_max and not tier.is_catch_all), None)
            if full is not None and full.fixed_bound is not None:
                out.append(Kpi(item.metric, shop.get(item.metric), full.fixed_bound,
                               "lower" if full.max is not None else "higher",
                               t("report.basis.full_points", item=name)))
        elif isinstance(item, LinearItem):
            out.append(Kpi(item.metric, shop.get(item.metric), item.best,
                           "higher" if item.best >= item.worst else "lower",
                           t("report.basis.full_points", item=name)))
        elif isinstance(item, TargetItem):
            if item.target is not None:
                out.append(Kpi(item.metric, shop.get(item.metric), item.target,
                               _direction(item.metric),
                               t("report.basis.target", item=name)))
            elif item.metric == "sales" and shop.get("target_completion_den"):
                target = Decimal(str(shop["target_completion_den"]))
                out.append(Kpi("sales", shop.get("sales"), target, "higher",
                               t("report.basis.shop_target", item=name)))
    return out


def _direction(metric: str) -> str:
    return "lower" if CATALOG[metric].direction == "lower" else "higher"


def team_kpis(report: ReportData, t: Translate, lang: str | None = None) -> list[Kpi]:
    """The shop's figures against the scheme's and the platform's thresholds (items named
    in ``lang``, by default the translator's)."""
    from ..metrics.profiles import resolve

    shop = report.shop
    kpis = _item_thresholds(report, t, lang or getattr(t, "lang", "en"))
    for award in report.scheme.awards:
        reach = getattr(award, "reach", None)
        rule = report.scheme.targets.get(award.metric)
        if reach is None and rule is not None and rule.method == "fixed":
            reach = rule.value
        if reach is not None:
            kpis.append(Kpi(award.metric, shop.get(award.metric), reach,
                            _direction(award.metric),
                            t("report.basis.award", award=award.label or award.metric)))
    for metric, rule in report.scheme.targets.items():
        if rule.method == "fixed" and rule.value is not None and metric in CATALOG and \
                not any(k.metric == metric for k in kpis):
            kpis.append(Kpi(metric, shop.get(metric), rule.value, _direction(metric),
                            t("report.basis.scheme_target")))
    profile = resolve(report.scheme.profile or "generic")
    for metric, threshold in sorted(profile.compliance.items()):
        target = Decimal(str(threshold))
        if metric in CATALOG and not any(k.metric == metric and k.target == target
                                         for k in kpis):
            kpis.append(Kpi(metric, shop.get(metric), target, _direction(metric),
                            t("report.basis.platform", profile=profile.name)))
    shown = {k.metric for k in kpis}
    for metric in scheme_metrics(report) + list(HEADLINE):
        if metric not in shown:
            shown.add(metric)
            kpis.append(Kpi(metric, shop.get(metric), None, _direction(metric), ""))
    return kpis


def findings(report: ReportData, t: Translate, lang: str = "en") -> list[Finding]:
    """Every data-quality line of a report, errors first."""
    out: list[Finding] = []
    for p in report.problems:
        message, hint = problem_text(p, t), problem_hint(p, t)
        text = t("report.dq.hint", message=message, hint=hint) if hint else message
        out.append(Finding("error", t("report.topic.problem"), p.agent_id, p.code, text))
    for agent_id in report.unmatched:
        row = report.agents.get(agent_id, {})
        role = row.get("role")
        out.append(Finding("note", t("report.topic.unmatched"), agent_id, "",
                           t("report.dq.unmatched", agent=agent_id, name=row.get("name") or "",
                             role=t(f"role.{role}") if role else "",
                             scheme=report.scheme.name)))
    used = scheme_metrics(report)
    for card in report.cards:
        for item in card.items:
            if item.note_code in WARNED:
                out.append(Finding("warning", t("report.topic.warning"), card.agent_id,
                                   item_name(report, item.key, item.label, lang),
                                   rule_text(item, t)))
        row = report.agents.get(card.agent_id, {})
        warned = {i.metric for i in card.items if i.note_code == "missing_metric"}
        for metric in used:
            if row.get(metric) is None and metric not in warned:
                reason = reason_text(row, metric, t)
                out.append(Finding("warning", t("report.topic.missing"), card.agent_id,
                                   metric_label(metric, lang),
                                   t("report.dq.scheme_metric",
                                     metric=metric_label(metric, lang), reason=reason)))
    out.extend(_missing_notes(report, t, lang))
    for i in report.import_issues:
        where = ", ".join(x for x in (str(i.get("file") or ""),
                                      f"{t('report.dq.row')} {i['row']}" if i.get("row") else "",
                                      str(i.get("column") or "")) if x)
        out.append(Finding("warning", t("report.topic.import"), "", where,
                           Issue.stored(i).text(t)))
    for d in report.differences:
        metric = d["metric"]
        unit = unit_of(metric)
        out.append(Finding("warning", t("report.topic.difference"), str(d.get("agent_id", "")),
                           metric_label(metric, lang),
                           t("report.dq.difference", metric=metric_label(metric, lang),
                             computed=text_value(d["computed"], unit, lang),
                             imported=text_value(d["imported"], unit, lang))))
    return sorted(out, key=lambda f: LEVEL_ORDER[f.level])


def _missing_notes(report: ReportData, t: Translate, lang: str) -> list[Finding]:
    """Catalog figures without a value, one line per (metric, reason) over all rows."""
    rows = [*report.roster, report.shop]
    missing: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        for metric in sorted(row.get("reasons") or {}):
            if metric in CATALOG and row.get(metric) is None:
                missing[(metric, reason_text(row, metric, t))] += 1
    order = {k: i for i, k in enumerate(CATALOG)}
    out = []
    for (metric, reason), count in sorted(missing.items(), key=lambda kv: (order[kv[0][0]],
                                                                          kv[0][1])):
        label = metric_label(metric, lang)
        out.append(Finding("note", t("report.topic.missing"), "", label,
                           t("report.dq.metric", metric=label, count=count, total=len(rows),
                             reason=reason)))
    return out


def adjustment_label(report: ReportData, event: str, t: Translate) -> str:
    """An adjustment's event as named in the report's language: the scheme's label, else
    the catalog's name of a known kind, else the kind as written."""
    label = next((adj.label for adj in report.scheme.adjustments
                  if adj.event == event and adj.label), None)
    return event_label(event, t, label)


def award_label(report: ReportData, kind: str, metric: str) -> str | None:
    """The scheme's label of an award (None when it has none)."""
    for award in report.scheme.awards:
        if award.kind == kind and award.metric == metric:
            return award.label
    return None


def level_text(level: str, t: Translate) -> str:
    """``error``/``warning``/``note`` in the report's language."""
    return t("report.level.note") if level == "note" else t(f"level.{level}")
