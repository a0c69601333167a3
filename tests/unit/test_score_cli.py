"""cskpi score / scheme / compliance: JSON contract, errors with file:line, exit codes."""

from __future__ import annotations

import json

AGENTS = "agent_id,name,role,team,level\nB1,乙,aftersale,S,senior\nP1,甲,presale,S,junior\n"
DATA = {
    "agents.csv": AGENTS,
    "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,P1,2026-10-03 10:00\n",
    "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                  "O1,C1,2026-10-03 11:00,2026-10-03 11:01,100.00\n"
                  "O2,C2,2026-10-04 11:00,2026-10-04 11:01,50.00\n"
                  "O3,C3,2026-10-05 11:00,2026-10-05 11:01,50.00\n"
                  "O4,C4,2026-10-06 11:00,2026-10-06 11:01,50.00\n",
    "refunds.csv": "refund_id,order_id,agent_id,requested_ts,amount\n"
                   "R1,O2,B1,2026-10-07 10:00,50.00\n",
    "attendance.csv": "agent_id,date,status\nB1,2026-10-02,late\n",
    "grades.csv": "agent_id,period,item,grade\nB1,2026-10,quality,A\nB1,2026-10,disputes,B\n"
                  "B1,2026-10,cooperation,B\nB1,2026-10,execution,A\n",
    "events.csv": "agent_id,ts,kind\nB1,2026-10-09 10:00,praise\n",
}


def test_score_json_contract(cli, folder):
    d = folder(DATA, with_agents=False)
    result = cli("score", "--data", d, "--scheme", "aftersale-4crown", "--period", "2026-10",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    (card,) = json.loads(result.stdout)
    assert {"agent_id", "scheme", "score", "max_score", "ratio", "passed", "vetoed", "items",
            "adjustments", "pay", "warnings"} <= set(card)
    # refund rate: the shop's 1 refunded order / 4 paid orders = 25 % -> 0 points;
    # A 20 + B 15 + B 15 + A 20 + attendance 20 - 5 + praise 2 = 87 of 130 = 66.9 % < 70 %
    assert (card["agent_id"], card["scheme"], card["score"], card["max_score"]) == (
        "B1", "aftersale-4crown", 87.0, 130.0)
    assert card["passed"] is False and card["vetoed"] is False
    refund = next(i for i in card["items"] if i["key"] == "refund_rate")
    assert refund["value"] == {"metric": "refund_rate", "value": 0.25, "num": 1, "den": 4}
    assert (refund["rule"], refund["points"]) == ("25%: otherwise → 0", 0.0)
    assert set(refund) >= {"key", "value", "rule", "points", "max"}
    # the rule's code and parameters beside its English text; exact values, rounded
    # display fields beside them
    assert refund["rule_code"] == "tier.otherwise"
    assert refund["rule_params"]["value"] == {"value": 0.25, "unit": "rate"}
    assert (refund["points_display"], card["score_display"], card["ratio_display"]) == (
        "0", "87", "66.92%")
    pay = {k: card["pay"][k] for k in ("base", "kpi_bonus", "commission", "awards", "total")}
    assert pay == {"base": 2500.0, "kpi_bonus": 0.0, "commission": 0.0, "awards": [],
                   "total": 2500.0}
    assert card["pay"]["display"]["total"] == "¥2,500.00"
    assert [n["text"] for n in card["pay"]["notes"]] == ["no KPI bonus: below the pass line"]
    (praise,) = card["adjustments"]
    assert {k: praise[k] for k in ("event", "count", "points", "rule")} == {
        "event": "praise", "count": 1, "points": 2.0, "rule": "1 × 2"}


def test_missing_grade_fails_with_agent_and_item(cli, folder):
    data = dict(DATA, **{"grades.csv": "agent_id,period,item,grade\nB1,2026-10,quality,A\n"})
    result = cli("score", "--data", folder(data, with_agents=False), "--scheme",
                 "aftersale-4crown", "--period", "2026-10", "--format", "json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no grade for agent B1, item 'disputes'" in result.output


def test_scheme_check_reports_every_problem_with_lines(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scheme: bad\n"
        "items:\n"
        "  - {key: a, max: 10, metric: refund_rat, tiers: [{max: 0.05, points: 10}, {points: 0}]}\n"
        "  - {key: b, max: 10, formula: 'sales * '}\n", encoding="utf-8")
    result = cli("scheme", "check", bad, "--format", "json")
    assert result.exit_code == 1
    issues = json.loads(result.stdout)["issues"]
    assert {(i["code"], i["line"]) for i in issues} >= {("unknown_metric", 3),
                                                        ("formula_syntax", 4)}
    assert "refund_rate" in next(i["hint"] for i in issues if i["code"] == "unknown_metric")
    ok = cli("scheme", "check", "aftersale-4crown")
    assert ok.exit_code == 0 and "130" in ok.stdout


def test_scheme_list_and_show(cli):
    listed = cli("scheme", "list")
    for name in ("aftersale-4crown", "presale-standard", "douyin-compliance"):
        assert name in listed.stdout
    shown = cli("scheme", "show", "aftersale-4crown")
    assert shown.stdout.startswith("# The after-sale scheme") and "pass_ratio: 0.70" in shown.stdout
    assert cli("scheme", "show", "nope").exit_code == 2


def test_compliance_per_shop_and_agent(cli, folder):
    chat = ("session_id,ts,sender,agent_id,customer_id\n"
            "S1,2026-10-03 10:00:00,customer,,C1\nS1,2026-10-03 10:01:00,agent,P1,\n"
            "S2,2026-10-03 11:00:00,customer,,C2\nS2,2026-10-03 11:05:00,agent,B1,\n")
    d = folder({"agents.csv": AGENTS, "messages.csv": chat,
                "ratings.csv": "session_id,score\nS1,5\nS2,4\n"}, with_agents=False)
    result = cli("compliance", "--data", d, "--period", "2026-10", "--format", "json")
    data = json.loads(result.stdout)
    verdicts = {r["subject"]: r["compliant"] for r in data["results"]}
    # P1 answered in 60 s (both within 2 and 3 min), rated 5; B1 took 300 s: fails both;
    # the shop: 1 of 2 first replies within 2 min = 50 % < 85 %
    assert verdicts == {"shop": False, "P1": True, "B1": False}


def test_score_with_a_broken_scheme_lists_its_issues(cli, folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = "bad.yaml"  # short, so the issue table shows "bad.yaml:3" unfolded
    (tmp_path / bad).write_text("scheme: bad\nitems:\n  - {key: a, max: 10, metric: refund_rat, "
                                "tiers: [{points: 0}]}\n", encoding="utf-8")
    d = folder(DATA, with_agents=False)
    for args in (("score", "--data", d, "--scheme", bad, "--period", "2026-10"),
                 ("whatif", "--data", d, "--period", "2026-10", "--scheme", bad,
                  "--edited", "aftersale-4crown")):
        result = cli(*args)
        assert result.exit_code == 1
        assert f"{bad}:3" in result.output and "refund_rate" in result.output
        assert "1 error(s) in the scheme" in result.output
