"""The Excel report: sheets, figures equal to `cskpi score` JSON, formats, reproducibility."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from cskpi.locale import Translator
from cskpi.reports import ReportData, excel_bytes, write_excel
from cskpi.reports.excel import SHEETS
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace

EN_SHEETS = ["Summary", "Scores", "Pay", "Explanations", "Lost inquiries", "Metrics",
             "Data quality"]
ZH_SHEETS = ["汇总", "得分", "薪酬", "得分说明", "询单流失", "指标", "数据质量"]
# the schemes' items in English reports, as the English pages name them: the shop's label
# glossed by its metric's English label (the catalog's), else by its key
PRESALE_EN = {"conversion": "询单转化率 (Inquiry conversion rate)",
              "response": "平均响应时长 (Average response time)",
              "satisfaction": "满意率 (Satisfaction)", "sales_target": "业绩目标完成度 (Sales)"}
RESPONSE_EN = PRESALE_EN["response"]
AFTERSALE_EN = {"quality": "售后客服素质 (quality)", "refund_rate": "退款率 (Refund rate)",
                "disputes": "投诉维权纠纷处理 (disputes)", "cooperation": "配合度 (cooperation)",
                "execution": "执行力 (execution)", "attendance": "出勤率 (attendance)"}


def load(report: ReportData, lang: str = "en") -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(excel_bytes(report, lang)))


def table(ws: Worksheet, header_row: int = 1) -> list[dict[str, Any]]:
    """Rows under a header row as dicts keyed by header (until the first empty row)."""
    headers = [c.value for c in ws[header_row]]
    out = []
    for row in ws.iter_rows(min_row=header_row + 1):
        if all(c.value is None for c in row):
            break
        out.append({h: c for h, c in zip(headers, row, strict=False) if h is not None})
    return out


@pytest.fixture(scope="module")
def wb(presale: ReportData) -> openpyxl.Workbook:
    return load(presale)


def test_sheet_names_in_both_languages(presale: ReportData) -> None:
    assert load(presale).sheetnames == EN_SHEETS
    assert load(presale, "zh").sheetnames == ZH_SHEETS
    assert len(SHEETS) == len(EN_SHEETS)


def test_scores_equal_the_score_json(wb: openpyxl.Workbook, presale: ReportData,
                                     score_json: Any) -> None:
    cards = score_json("presale-standard")
    rows = table(wb["Scores"])
    assert [r["Agent"].value for r in rows] == [c["agent_id"] for c in cards] != []
    t = Translator("en")
    for row, card in zip(rows, cards, strict=True):
        assert row["Name"].value == card["name"]
        assert row["Score"].value == pytest.approx(card["score"], rel=1e-14)
        assert row["Max"].value == card["max_score"]
        assert row["Score %"].value == card["ratio"]
        assert row["Score %"].number_format == "0.00%"
        assert row["Passed"].value == (t("report.yes") if card["passed"] else t("report.no"))
        assert row["Veto"].value == ("yes" if card["vetoed"] else "no")
        for item in card["items"]:
            cell = row[f"{PRESALE_EN[item['key']]} ({item['max']:g})"]
            # Excel keeps 15 significant digits
            assert cell.value == pytest.approx(item["points"], rel=1e-14)
            assert cell.number_format == "0.00"
        assert row["Adjustments"].value == pytest.approx(sum(a["points"]
                                                             for a in card["adjustments"]))


def test_pay_equals_the_score_json(wb: openpyxl.Workbook, score_json: Any) -> None:
    cards = score_json("presale-standard")
    rows = table(wb["Pay"])
    total_row = rows.pop()
    assert total_row["Agent"].value == "Total"
    for row, card in zip(rows, cards, strict=True):
        pay = card["pay"]
        assert row["Agent"].value == card["agent_id"]
        assert [row[k].value for k in ("Base pay", "KPI bonus", "Commission", "Total")] == \
            [pay["base"], pay["kpi_bonus"], pay["commission"], pay["total"]]
        assert row["Awards"].value == pytest.approx(sum(a["amount"] for a in pay["awards"]))
        assert all(row[k].number_format == "#,##0.00"
                   for k in ("Base pay", "KPI bonus", "Commission", "Awards", "Total"))
    assert total_row["Total"].value == pytest.approx(sum(c["pay"]["total"] for c in cards))
    assert any(row["Awards"].value for row in rows), "the demo pays a conversion award"
    assert "转化达标奖" in " ".join(str(r["Notes"].value) for r in rows)


def test_explanations_one_row_per_agent_item_and_adjustment(aftersale: ReportData,
                                                            score_json: Any) -> None:
    cards = score_json("aftersale-4crown")
    rows = table(load(aftersale)["Explanations"])
    expected = [(c["agent_id"], AFTERSALE_EN[i["key"]], i["rule"], i["points"], i["max"])
                for c in cards for i in c["items"]]
    got = [(r["Agent"].value, r["Item"].value, r["Rule"].value, r["Points"].value,
            r["Max"].value) for r in rows if r["Kind"].value != "adjustment"]
    assert got == expected  # integral points and short rules here: exactly the JSON
    adjustments = [r for r in rows if r["Kind"].value == "adjustment"]
    assert len(adjustments) == sum(len(c["adjustments"]) for c in cards) > 0
    refund = next(r for r in rows if r["Item"].value == "退款率 (Refund rate)")
    card = next(c for c in cards if c["agent_id"] == refund["Agent"].value)
    value = next(i for i in card["items"] if i["key"] == "refund_rate")["value"]
    assert (refund["Value"].value, refund["Value"].number_format) == (value["value"], "0.00%")
    assert (refund["Numerator"].value, refund["Denominator"].value) == (value["num"],
                                                                         value["den"])
    assert refund["Metric"].value == "Refund rate"


def test_durations_are_minutes_and_seconds(wb: openpyxl.Workbook, presale: ReportData) -> None:
    rows = table(wb["Explanations"])
    response = next(r for r in rows if r["Metric"].value == "Average response time")
    assert response["Value"].number_format == "[m]:ss"
    agent = presale.agents[response["Agent"].value]
    shown = response["Value"].value  # openpyxl reads a time format back as a timedelta
    assert isinstance(shown, dt.timedelta)
    assert shown.total_seconds() == pytest.approx(agent["response_s"], abs=0.01)
    assert response["Numerator"].number_format == "#,##0.0"
    # the rule shows figures for people (durations as m:ss, points to two decimals); the
    # exact points are in their own column
    rule = response["Rule"].value
    assert "…" not in rule and len(rule) < 60 and " between 1:30 (0) and 0:20 (20) → " in rule


def test_summary_kpis_thresholds_and_chart(wb: openpyxl.Workbook, presale: ReportData) -> None:
    ws = wb["Summary"]
    assert ws["A1"].value == "Customer-service KPI report, October 2026"
    assert ws.freeze_panes == "A3"
    header = next(r for r in range(1, 40) if ws.cell(r, 1).value == "Metric")
    kpis = {r["Metric"].value + " / " + (r["Basis"].value or ""): r for r in table(ws, header)}
    conv = kpis["Inquiry conversion rate / full points of 询单转化率 (Inquiry conversion rate)"]
    assert conv["Target / threshold"].value == 0.45
    assert conv["Shop"].number_format == "0.00%"
    assert conv["Shop"].value == presale.shop["conversion_rate"]
    assert conv["Status"].value == ("met" if presale.shop["conversion_rate"] >= 0.45
                                    else "below")
    sales = kpis["Sales / shop target of 业绩目标完成度 (Sales)"]
    assert sales["Shop"].number_format == "#,##0.00"
    assert sales["Target / threshold"].value == float(presale.shop["target_completion_den"])
    response = kpis[f"Average response time / full points of {RESPONSE_EN}"]
    assert response["Shop"].number_format == "[m]:ss"
    assert len(ws._charts) == 1
    assert ws.conditional_formatting, "below-target figures are coloured"
    assert ws.page_setup.orientation == "landscape"


def test_frozen_headers_formats_and_widths(wb: openpyxl.Workbook) -> None:
    frozen = {ws.title: ws.freeze_panes for ws in wb}
    lost = frozen.pop("Lost inquiries")  # under the list's header, below the reasons
    assert lost.startswith("C") and int(lost[1:]) > 5
    assert frozen == {
        "Summary": "A3", "Scores": "C2", "Pay": "C2", "Explanations": "C2", "Metrics": "C3",
        "Data quality": "A3"}
    for ws in wb:
        assert ws.column_dimensions["A"].width >= 6, ws.title
    scores = wb["Scores"]
    assert len(scores.conditional_formatting) >= 2  # items below max, failed pass line
    assert wb["Explanations"].column_dimensions["I"].width <= 60  # the rule wraps


def test_metrics_has_the_whole_catalog_with_num_and_den(wb: openpyxl.Workbook,
                                                        presale: ReportData) -> None:
    from cskpi.metrics.catalog import METRICS

    ws = wb["Metrics"]
    keys = [c.value for c in ws[2]]
    for m in METRICS:
        assert m.key in keys
        if m.is_rate:
            assert {f"{m.key}_num", f"{m.key}_den"} <= set(keys)
    rows = table(ws, 2)
    assert [r["agent_id"].value for r in rows] == [*sorted(presale.agents), "Shop"]
    a001 = rows[0]
    row = presale.agents["A001"]
    # Excel keeps 15 significant digits (as the scores test allows)
    assert a001["conversion_rate"].value == pytest.approx(row["conversion_rate"], rel=1e-14)
    assert a001["conversion_rate"].number_format == "0.00%"
    assert (a001["conversion_rate_num"].value, a001["conversion_rate_den"].value) == (
        row["conversion_rate_num"], row["conversion_rate_den"])
    assert a001["sales"].number_format == "#,##0.00"
    assert a001["sessions"].number_format == "#,##0"
    assert a001["online_hours"].number_format == "[h]:mm"


def test_data_quality_lists_uncovered_agents_and_imports(wb: openpyxl.Workbook,
                                                         presale: ReportData) -> None:
    ws = wb["Data quality"]
    findings = table(ws, 2)
    messages = [r["Message"].value for r in findings]
    for agent in presale.unmatched:
        assert any(m.startswith(f"{agent} (") and "not covered by scheme presale-standard" in m
                   for m in messages)
    imported = {ws.cell(r, 9).value for r in range(3, 20)}  # G=import, H=table, I=file
    assert {"agents.csv", "sessions.csv", "messages.csv"} <= imported
    assert any("no basis" in m for m in messages), "figures without basis say why"


def test_missing_figures_are_explained(folder: Any, tmp_path: Path) -> None:
    """No chat log: the response metrics have no value and the report says why."""
    from cskpi.reports import gather_report
    from cskpi.shop import Shop

    data = folder({"agents.csv": "agent_id,name,role,team,level\nP1,甲,presale,S,junior\n",
                   "sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                                   "S1,C1,P1,2026-10-03 10:00\n",
                   "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                                 "O1,C1,2026-10-03 11:00,2026-10-03 11:01,100.00\n",
                   "targets.csv": "period,scope,metric,value\n2026-10,agent:P1,sales,1000\n"})
    Shop(tmp_path / "ws.duckdb").import_folder(data)
    report = gather_report(tmp_path / "ws.duckdb", "presale-standard", "2026-10", trend=False)
    rows = table(load(report)["Data quality"], 2)
    warnings = [r for r in rows if r["Level"].value == "warning"]
    assert any(r["Agent"].value == "P1" and r["Subject"].value == RESPONSE_EN
               and "no messages table" in r["Message"].value for r in warnings)
    assert any(r["Agent"].value == "P1" and r["Subject"].value == "Satisfaction"
               and r["Message"].value == "Satisfaction has no value: no ratings table"
               for r in warnings)
    notes = [r["Message"].value for r in rows if r["Level"].value == "note"]
    assert "Online hours has no value for 2 of 2: no online table" in notes  # P1 and shop
    explanations = table(load(report)["Explanations"])
    response = next(r for r in explanations if r["Item"].value == RESPONSE_EN)
    assert response["Value"].value is None and response["Points"].value == 0


def test_chinese_labels(presale: ReportData) -> None:
    wb = load(presale, "zh")
    assert wb["汇总"]["A1"].value == "2026年10月 客服绩效报告"
    headers = [c.value for c in wb["得分"][1]]
    assert headers[:3] == ["客服", "姓名", "岗位"] and "总分" in headers
    assert [c.value for c in wb["薪酬"][1]][3:8] == ["底薪", "绩效奖金", "提成", "奖励", "应发合计"]
    assert "询单转化率" in [c.value for c in wb["指标"][1]]
    assert wb["得分"]["C2"].value == "售前"


def xml_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.slow  # two whole reports built from a workspace
def test_same_inputs_give_identical_files(presale: ReportData, demo_workspace: Path,
                                          tmp_path: Path) -> None:
    from cskpi.reports import gather_report

    first = excel_bytes(presale)
    again = gather_report(demo_workspace, "presale-standard", "2026-10", trend=False)
    second = write_excel(again, tmp_path / "again.xlsx").read_bytes()
    assert xml_parts(first) == xml_parts(second)
    assert first == second  # zip entry dates are fixed too
    core = xml_parts(first)["docProps/core.xml"].decode()
    assert core.count("2026-11-01T00:00:00Z") == 2  # created and modified: not the clock
    for info in zipfile.ZipFile(io.BytesIO(first)).infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_import_warnings_reach_the_data_quality_sheet(tmp_path):
    """A warning from the import (money cleaned) is kept and shown with its file and row."""
    import openpyxl

    from cskpi.reports import build_report
    from tests.helpers.common import write_folder

    d = write_folder(tmp_path / "d", {
        "agents.csv": "agent_id,name,role,level\nP1,甲,presale,junior\n",
        "orders.csv": 'order_id,customer_id,created_ts,paid_ts,amount\n'
                      'O1,C1,2026-10-03 10:00,2026-10-03 10:01,"¥1,234.50"\n',
    })
    ws = tmp_path / "ws.duckdb"
    Shop(ws).import_folder(d)
    assert [(i["code"], i["file"], i["row"]) for i in Workspace(ws).import_issues()] == [
        ("money_cleaned", "orders.csv", 2)]
    out = build_report(ws, "presale-standard", "2026-10", tmp_path / "r.xlsx",
                       allow_incomplete=True)
    sheet = openpyxl.load_workbook(out)["Data quality"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert "orders.csv, row 2, amount" in cells
    assert any("'¥1,234.50' read as 1234.50" in c for c in cells)


def test_lost_inquiries_sheet(wb: openpyxl.Workbook, presale: ReportData) -> None:
    """Every agent's lost customers, as many as the catalog's lost_customers, each with a
    reason; the shop's counts by reason above them add up to the list."""
    ws = wb["Lost inquiries"]
    assert ws["A1"].value == "Lost inquiries, October 2026"
    reasons = table(ws, 2)
    listed_at = 2 + len(reasons) + 2
    rows = table(ws, listed_at)
    assert sum(r["Lost customers"].value for r in reasons) == len(rows) > 0
    assert sum(r["Share"].value for r in reasons) == pytest.approx(1.0)
    per_agent: dict[str, int] = {}
    for r in rows:
        per_agent[r["Agent"].value] = per_agent.get(r["Agent"].value, 0) + 1
        assert r["Reason"].value and r["Last inquiry"].value.startswith("S")
    assert per_agent == {a: m["lost_customers"] for a, m in presale.agents.items()
                         if m["lost_customers"]}
    assert rows[0]["Duration"].number_format == "[m]:ss"
    zh = load(presale, "zh")["询单流失"]
    labels = {r["流失原因"].value for r in table(zh, 2)}
    assert labels <= {"运费", "价格", "库存/尺码/颜色", "发货/物流", "质量/信任", "服务", "其他"}
