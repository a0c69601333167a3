"""What both formats say: thresholds from the scheme and platform, data findings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from cskpi.locale import Translator
from cskpi.reports import ReportData, gather_report
from cskpi.reports.content import findings, scheme_metrics, team_kpis
from tests.helpers.reports import PERIOD

T = Translator("en")


def test_thresholds_of_the_presale_scheme(presale: ReportData) -> None:
    kpis = [(k.metric, k.target, k.direction, k.basis) for k in team_kpis(presale, T)
            if k.target is not None]
    shop_target = Decimal(str(presale.shop["target_completion_den"]))
    # an English report names the shop's items as the English pages do: the label glossed
    # by its metric's English label (presale-standard gives no label_en)
    assert kpis == [
        ("conversion_rate", Decimal("0.45"), "higher",
         "full points of 询单转化率 (Inquiry conversion rate)"),
        ("response_s", Decimal(20), "lower", "full points of 平均响应时长 (Average response time)"),
        ("satisfaction", Decimal("0.95"), "higher", "full points of 满意率 (Satisfaction)"),
        ("sales", shop_target, "higher", "shop target of 业绩目标完成度 (Sales)"),
        ("conversion_rate", Decimal("0.40"), "higher", "award 转化达标奖"),
    ]
    zh = [k.basis for k in team_kpis(presale, Translator("zh")) if k.target is not None]
    assert zh[0] == "询单转化率 满分线"  # Chinese readers get the shop's label alone
    assert scheme_metrics(presale) == ["conversion_rate", "response_s", "satisfaction",
                                       "sales"]


def test_platform_thresholds_are_not_repeated(demo_workspace: Path) -> None:
    report = gather_report(demo_workspace, "douyin-compliance", PERIOD, trend=False)
    kpis = [k for k in team_kpis(report, T) if k.target is not None]
    assert [k.metric for k in kpis] == ["first_reply_2min_rate", "reply_3min_rate",
                                        "satisfaction"]
    for k in kpis:
        value = Decimal(str(report.shop[k.metric]))
        assert k.met is (value >= k.target)


def test_findings_errors_first_then_warnings_then_notes(presale: ReportData) -> None:
    levels = [f.level for f in findings(presale, T)]
    assert levels == sorted(levels, key=["error", "warning", "note"].index)
    assert {f.agent for f in findings(presale, T) if f.topic == "not covered"} == set(
        presale.unmatched)
