"""build_report: the format from the suffix, workspace or data folder, errors, catalogs."""

from __future__ import annotations

import json
import re
import string
from importlib import resources
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from cskpi.errors import ScoringIncomplete, UsageError
from cskpi.reports import build_report
from tests.helpers.reports import PERIOD

AGENTS = "agent_id,name,role,team,level\nB1,乙,aftersale,S,senior\nP1,甲,presale,S,junior\n"
AFTERSALE = {
    "agents.csv": AGENTS,
    "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,P1,2026-10-03 10:00\n",
    "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                  "O1,C1,2026-10-03 11:00,2026-10-03 11:01,100.00\n"
                  "O2,C2,2026-10-04 11:00,2026-10-04 11:01,50.00\n",
    "refunds.csv": "refund_id,order_id,agent_id,requested_ts,amount\n"
                   "R1,O2,B1,2026-10-07 10:00,50.00\n",
    "attendance.csv": "agent_id,date,status\nB1,2026-10-02,late\n",
    "grades.csv": "agent_id,period,item,grade\nB1,2026-10,quality,A\nB1,2026-10,disputes,B\n"
                  "B1,2026-10,cooperation,B\nB1,2026-10,execution,A\n",
    "events.csv": "agent_id,ts,kind\nB1,2026-10-09 10:00,praise\n",
}


def test_excel_from_a_workspace(demo_workspace: Path, tmp_path: Path) -> None:
    out = build_report(demo_workspace, "presale-standard", PERIOD, tmp_path / "r.XLSX", "zh")
    assert out == tmp_path / "r.XLSX"
    assert openpyxl.load_workbook(out).sheetnames[0] == "汇总"


def test_excel_from_a_data_folder(folder: Any, tmp_path: Path) -> None:
    out = build_report(None, "aftersale-4crown", PERIOD, tmp_path / "r.xlsx",
                       data=folder(AFTERSALE, with_agents=False))
    wb = openpyxl.load_workbook(out)
    scores = wb["Scores"]
    # 20 + 15 + 15 + 20 + attendance 20 - 5, refund rate 1/2 -> 0, praise +2 = 87 of 130
    assert [c.value for c in scores[2]][:2] == ["B1", "乙"]
    header = [c.value for c in scores[1]]
    assert scores.cell(2, header.index("Score") + 1).value == 87
    assert scores.cell(2, header.index("Passed") + 1).value == "no"
    findings = [c.value for c in wb["Data quality"]["E"] if c.value]
    assert any("P1 (甲, pre-sale) is not covered by scheme aftersale-4crown" in f
               for f in findings)


def test_missing_grade_stops_the_report_unless_allowed(folder: Any, tmp_path: Path) -> None:
    data = folder(dict(AFTERSALE, **{"grades.csv": "agent_id,period,item,grade\n"
                                                   "B1,2026-10,quality,A\n"}),
                  with_agents=False)
    with pytest.raises(ScoringIncomplete) as exc:
        build_report(None, "aftersale-4crown", PERIOD, tmp_path / "r.xlsx", data=data)
    assert len(exc.value.problems) == 3
    assert not (tmp_path / "r.xlsx").exists()
    out = build_report(None, "aftersale-4crown", PERIOD, tmp_path / "r.xlsx", data=data,
                       allow_incomplete=True)
    ws = openpyxl.load_workbook(out)["Data quality"]
    errors = [(ws.cell(r, 1).value, ws.cell(r, 4).value, ws.cell(r, 5).value)
              for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == "error"]
    assert len(errors) == 3
    assert errors[0][1] == "missing_grade"
    assert "no grade for agent B1, item 'disputes'" in errors[0][2] and "hint:" in errors[0][2]


@pytest.mark.parametrize(("out", "period", "message"), [
    ("r.csv", PERIOD, "cannot write a report as 'r.csv'"),
    ("r.xlsx", "2026-13", "period '2026-13' is not a month"),
    ("nowhere/r.xlsx", PERIOD, "does not exist"),
])
def test_usage_errors(demo_workspace: Path, tmp_path: Path, out: str, period: str,
                      message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        build_report(demo_workspace, "presale-standard", period, tmp_path / out)


def test_workspace_or_data_not_both(demo_workspace: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="either --workspace or --data"):
        build_report(demo_workspace, "presale-standard", PERIOD, tmp_path / "r.xlsx",
                     data=tmp_path)
    with pytest.raises(UsageError, match="either --workspace or --data"):
        build_report(None, "presale-standard", PERIOD, tmp_path / "r.xlsx")


def _catalog(lang: str) -> dict[str, str]:
    text = resources.files("cskpi.locale").joinpath(f"reports.{lang}.json").read_text("utf-8")
    return json.loads(text)


def test_report_catalogs_agree_and_cover_every_label_used() -> None:
    en, zh = _catalog("en"), _catalog("zh_CN")
    assert set(en) == set(zh)
    for key in en:
        assert key.startswith("report."), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(c[key]) if f} for c in (en, zh)]
        assert fields[0] == fields[1], key
    source = "".join(p.read_text("utf-8") for p in
                     Path(resources.files("cskpi.reports")).glob("*.py"))  # type: ignore[arg-type]
    used = set(re.findall(r"""t\(\s*f?["'](report\.[a-z_.]+)["']""", source))
    assert used and used <= set(en), sorted(used - set(en))
    kinds = {"tiers", "linear", "target", "grade", "per", "formula", "adjustment"}
    assert {f"report.kind.{k}" for k in kinds} <= set(en)
