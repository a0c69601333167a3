"""Goals and alerts (cskpi.scoring.goals), worked by hand."""

from __future__ import annotations

from decimal import Decimal

from cskpi.scoring.goals import Goal, alerts, platform_goals, row_goals, scheme_goals
from cskpi.scoring.run import load


def test_a_rate_meets_its_goal_by_its_exact_figure() -> None:
    goal = Goal("satisfaction", Decimal("0.85"), "target", "s", "higher")
    # 8499 / 10000 = 84.99 %: shown rounded as 85.0 %, still below 85 %
    assert goal.met({"satisfaction": 0.85, "satisfaction_num": 8499,
                     "satisfaction_den": 10000}) is False
    assert goal.met({"satisfaction": 0.85, "satisfaction_num": 17, "satisfaction_den": 20}) \
        is True  # 17 / 20 = 85 % exactly
    assert goal.met({"satisfaction": None}) is None
    lower = Goal("first_response_s", Decimal(30), "target", "s", "lower")
    assert lower.met({"first_response_s": 30}) is True  # 30 <= 30
    assert lower.met({"first_response_s": 31}) is False


def test_alerts_are_the_figures_past_their_thresholds() -> None:
    rows = [{"agent_id": "A1", "name": "甲", "reply_3min_rate": 0.79, "late": 2},
            {"agent_id": "A2", "name": "乙", "reply_3min_rate": 0.80, "late": 0},
            {"agent_id": "A3", "name": "丙", "reply_3min_rate": None, "late": 3}]
    found = alerts(rows, [("reply_3min_rate", "<", 0.8), ("late", ">", 1)])
    # A1 below 0.8 and late 2 > 1; A2 at 0.8 is not below; A3 has no rate, late 3 > 1
    assert [(a.group, a.metric) for a in found] == [
        ("A1", "reply_3min_rate"), ("A1", "late"), ("A3", "late")]


def test_a_rows_own_sales_target_comes_first() -> None:
    general = [Goal("sales", Decimal(1000), "target", "presale-standard", "higher")]
    goals = row_goals({"target_completion_den": 5000}, general)
    assert [(g.value, g.source) for g in goals["sales"]] == [
        (Decimal(5000), "targets"), (Decimal(1000), "presale-standard")]
    assert row_goals({}, general) == {"sales": general}


def test_goals_of_a_shipped_scheme_and_a_platform() -> None:
    # presale-standard: `targets: conversion_rate: {fixed: 0.40}` (its award's `reach:
    # target` takes each agent's target, so it adds none)
    assert scheme_goals(load("presale-standard")) == [
        Goal("conversion_rate", Decimal("0.40"), "target", "presale-standard", "higher")]
    # jd-aftersale's target item holds response time to 30 s, lower is better
    assert [(g.metric, g.value, g.direction) for g in scheme_goals(load("jd-aftersale"))] == [
        ("response_s", Decimal(30), "lower")]
    # the douyin profile's compliance floors: 85 % first reply in 2 min, 80 % in 3 min,
    # 80 % satisfaction
    assert {(g.metric, g.value) for g in platform_goals("douyin")} == {
        ("first_reply_2min_rate", Decimal("0.85")), ("reply_3min_rate", Decimal("0.8")),
        ("satisfaction", Decimal("0.8"))}
