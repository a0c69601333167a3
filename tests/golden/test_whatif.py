"""What-if: sales = (inquiring customers × conversion + other buyers) × AOV, the shop's
demand fixed; every expected figure worked by hand in the comments."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cskpi.errors import UsageError
from cskpi.scoring.whatif import (
    ChangeOutOfRange,
    Drivers,
    baseline_from_metrics,
    cents,
    parse_number,
    whatif,
)

# 10 agents × 100 inquiring customers each a day × 30 days = 30,000 inquiring customers;
# 40 % pay: 12,000 buyers × AOV 100 = 1,200,000 (40,000 a day); no other buyers
SEED = Drivers.per_agent_day(agents=Decimal(10), inquiries=Decimal(100),
                             conversion=Decimal("0.40"), aov=Decimal(100), days=Decimal(30))


def test_the_seed_example():
    assert SEED.customers == Decimal(30000)
    assert SEED.sales_per_day == Decimal("40000")
    assert SEED.sales == Decimal("1200000")
    result = whatif(SEED, ["conversion=+20%", "aov=+20%"])
    # 30,000 × 0.48 × 120 = 1,728,000, +528,000 = +44 %
    assert result.new.sales == Decimal("1728000")
    assert result.delta == Decimal("528000") and result.delta_ratio == Decimal("0.44")


# --- the conversion: relative or percentage points ----------------------------------------

@pytest.mark.parametrize(("change", "rate", "sales", "points", "relative"), [
    # +20 % of the rate: 0.40 × 1.20 = 0.48; 30,000 × 0.48 × 100 = 1,440,000;
    # 48 − 40 = 8 points
    ("conversion=+20%", "0.48", "1440000", "8", "0.2"),
    # +5 points: 0.40 + 0.05 = 0.45; 30,000 × 0.45 × 100 = 1,350,000; 5/40 = 12.5 % of it
    ("conversion=+5pp", "0.45", "1350000", "5", "0.125"),
    # "+5%" is of the rate: 0.40 × 1.05 = 0.42 (2 points, not 5); 30,000 × 0.42 × 100
    ("conversion=+5%", "0.42", "1260000", "2", "0.05"),
    # −5 points: 0.35; 30,000 × 0.35 × 100 = 1,050,000; −5/40 = −12.5 %
    ("conversion=-5pp", "0.35", "1050000", "-5", "-0.125"),
    ("conversion=+5PP", "0.45", "1350000", "5", "0.125"),  # the unit in capitals
    # a new rate: 45 % -> 1,350,000 as +5pp
    ("conversion=45%", "0.45", "1350000", "5", "0.125"),
])
def test_conversion_changes_relative_or_in_points(change, rate, sales, points, relative):
    result = whatif(SEED, [change])
    assert result.new.conversion == Decimal(rate)
    assert result.new.sales == Decimal(sales)
    assert result.conversion_points == Decimal(points)
    assert result.conversion_relative == Decimal(relative)


@pytest.mark.parametrize(("change", "code"), [
    ("conversion=+61pp", "change_above_1"),  # 0.40 + 0.61 = 1.01
    ("conversion=-41pp", "change_negative"),  # 0.40 − 0.41 = −0.01
    ("aov=+5pp", "change_pp_not_rate"),  # an AOV has no percentage points
    ("conversion=5pp", "change_pp_needs_sign"),  # a change in points, or 5 %?
])
def test_points_out_of_range_or_misplaced_are_refused(change, code):
    with pytest.raises(UsageError) as refused:
        whatif(SEED, [change])
    assert refused.value.code == code


# --- agents: the same demand, shared -------------------------------------------------------

@pytest.mark.parametrize(("change", "agents", "per_agent_day"), [
    ("agents=+2", 12, Decimal(30000) / 12 / 30),  # 30,000 / 12 / 30 = 83.33…
    ("agents=5", 5, Decimal(200)),  # 30,000 / 5 / 30 = 200
    ("agents=+10%", 11, Decimal(30000) / 11 / 30),  # 10 × 1.10 = 11
])
def test_agents_change_the_workload_not_sales(change, agents, per_agent_day):
    result = whatif(SEED, [change])
    assert result.new.agents == agents
    assert result.new.customers == Decimal(30000)  # the shop's demand, as it was
    assert result.new.inquiries == per_agent_day
    assert result.new.sales == Decimal("1200000") and result.delta == 0  # not +20 %


@pytest.mark.parametrize("change", ["agents=0", "agents=10.5", "agents=10001", "agents=-10",
                                    "agents=+5%"])  # 10 × 1.05 = 10.5: no whole agent
def test_agents_must_be_a_whole_number_from_1_to_10000(change):
    with pytest.raises(ChangeOutOfRange) as refused:
        whatif(SEED, [change])
    assert refused.value.bound == "range"
    assert refused.value.params["low"] == 1 and refused.value.params["high"] == 10000


@pytest.mark.parametrize("order", [["inquiries=12", "agents=12"],
                                   ["agents=12", "inquiries=12"]])
def test_inquiries_given_are_per_agent_at_the_new_headcount_in_any_order(order):
    # 12 agents × 12 a day × 30 days = 4,320 customers; × 0.40 × 100 = 172,800
    result = whatif(SEED, order)
    assert result.new.inquiries == 12 and result.new.customers == 4320
    assert result.new.sales == Decimal("172800")


def test_inquiries_and_days_change_the_demand():
    # −10 % inquiries per agent a day: 30,000 × 0.90 = 27,000 customers -> 1,080,000
    fewer = whatif(SEED, ["inquiries=-10%"]).new
    assert (fewer.inquiries, fewer.customers, fewer.sales) == (90, 27000, 1080000)
    # +2 a day each: 30,000 + 2 × 10 × 30 = 30,600 -> × 0.40 × 100 = 1,224,000
    assert whatif(SEED, ["inquiries=+2"]).new.sales == Decimal("1224000")
    # 31 days at the same demand a day: 31,000 customers -> 1,240,000 (40,000 a day)
    longer = whatif(SEED, ["days=31"]).new
    assert (longer.customers, longer.sales, longer.sales_per_day) == (31000, 1240000, 40000)


# --- other forms and bounds ----------------------------------------------------------------

@pytest.mark.parametrize(("change", "field", "value"), [
    ("aov=-5%", "aov", Decimal("95")), ("aov=120", "aov", Decimal("120")),
    ("aov=+2", "aov", Decimal("102")), ("aov=90%", "aov", Decimal("90")),
    ("conversion=0.45", "conversion", Decimal("0.45")),
    ("conversion=+0.05", "conversion", Decimal("0.45")),  # an amount of the fraction
])
def test_change_forms(change, field, value):
    assert getattr(whatif(SEED, [change]).new, field) == value


@pytest.mark.parametrize(("change", "says"), [
    ("speed=+5%", "unknown driver"), ("aov", "is not NAME"), ("aov=-200%", "negative"),
    ("aov=1.2.3", "is not a number"),  # passes the pattern, is no number
    ("conversion=20", "above 100 %"),  # 2000 %: meant 20 %
    ("conversion=+0.7", "above 100 %"),  # 0.40 + 0.7 = 1.10
    ("days=0", "whole number from 1 to 366"), ("days=400", "whole number from 1 to 366"),
])
def test_bad_changes(change, says):
    with pytest.raises(UsageError, match=says):
        whatif(SEED, [change])


@pytest.mark.parametrize(("name", "text", "code"), [
    ("agents", "0", "driver_range"), ("agents", "2.5", "driver_range"),
    ("days", "367", "driver_range"), ("conversion", "40", "driver_above_1"),
    ("aov", "-1", "driver_negative"), ("inquiries", "1e16", "driver_too_large"),
])
def test_given_drivers_are_bounded(name, text, code):
    with pytest.raises(UsageError) as refused:
        parse_number(text, name)
    assert refused.value.code == code


# --- a month's baseline is its credited sales ----------------------------------------------

# a month's shop row: 200 inquiring customers, 50 of them paid; 60 buyers in all (10 asked
# the month before, or their order named its agent); 6,000.00 credited sales -> AOV 100
SHOP = {"conversion_rate_den": 200, "conversion_rate_num": 50, "aov_den": 60,
        "sales": Decimal("6000.00"), "aov": Decimal("100.00")}
AGENT_ROWS = [{"inquiring_customers": 120}, {"inquiring_customers": 80},
              {"inquiring_customers": 0}]  # an after-sale agent: no inquiries


def test_the_baseline_is_the_months_sales_with_its_other_buyers():
    base = baseline_from_metrics(SHOP, AGENT_ROWS, 31)
    # 2 agents who served inquiries; conversion 50/200 = 0.25; AOV 6,000 / 60 = 100;
    # (200 × 0.25 + 10) × 100 = 6,000.00, the month's sales (200 × 0.25 × 100 = 5,000
    # would leave out the 10 other buyers' 1,000.00)
    assert (base.agents, base.customers, base.conversion, base.other_buyers, base.aov) == (
        2, 200, Decimal("0.25"), 10, 100)
    assert cents(base.sales) == Decimal("6000.00")
    # +10 points: (200 × 0.35 + 10) × 100 = 8,000; +10 % of the rate: 0.275 ->
    # (55 + 10) × 100 = 6,500; the other buyers stay 10
    assert cents(whatif(base, ["conversion=+10pp"]).new.sales) == Decimal("8000.00")
    assert cents(whatif(base, ["conversion=+10%"]).new.sales) == Decimal("6500.00")


def test_no_baseline_without_inquiries_or_buyers():
    with pytest.raises(UsageError, match="no inquiries with orders"):
        baseline_from_metrics({**SHOP, "aov_den": 0}, AGENT_ROWS, 31)
    with pytest.raises(UsageError, match="no inquiries with orders"):
        baseline_from_metrics(SHOP, [{"inquiring_customers": 0}], 31)


def _october(cli, folder, tmp_path, files, *more):
    """``cskpi whatif --format json`` of October 2026 for a data folder."""
    ws = tmp_path / "ws.duckdb"
    assert cli("import", folder(files), "-w", ws).exit_code == 0
    result = cli("whatif", "-w", ws, "--period", "2026-10", "--format", "json", *more)
    assert result.exit_code == 0, result.output
    return ws, json.loads(result.stdout)


def test_cli_json_and_workspace_baseline(cli, folder, tmp_path):
    result = cli("whatif", "--agents", "10", "--inquiries", "100", "--conversion", "40%",
                 "--aov", "100", "--change", "conversion=+20%", "--change", "aov=+20%",
                 "--format", "json")
    data = json.loads(result.stdout)
    assert (data["base"]["sales"], data["new"]["sales"], data["delta_ratio"]) == (
        1200000.0, 1728000.0, 0.44)
    assert data["model"]["code"] == "fixed_demand"
    assert data["model"]["moves"]["agents"] == ["inquiries_per_agent_day"]
    missing = cli("whatif", "--agents", "10")
    assert missing.exit_code == 2 and "--inquiries" in missing.output
    # from data: 2 inquiring customers of agent 001 over October (31 days), one paying 90.00
    _, data = _october(cli, folder, tmp_path, {
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,001,2026-10-03 10:00\n"
                        "S2,C2,001,2026-10-04 10:00\n",
        "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                      "O1,C1,2026-10-03 11:00,2026-10-03 11:05,90.00\n",
    })
    base = data["base"]
    # 1 agent, 2 inquiring customers, conversion 1/2, AOV 90 -> sales (2 × 0.5 + 0) × 90
    assert (base["agents"], base["conversion"], base["aov"], base["days"]) == (1.0, 0.5, 90.0,
                                                                              31.0)
    assert (base["inquiring_customers"], base["other_buyers"], base["sales"]) == (2, 0, 90.0)
    assert data["period"] == "2026-10"


def test_baseline_counts_a_customer_who_asked_two_agents_once(cli, folder, tmp_path):
    # C1 asks agents 001 and 002 and pays 90.00 once (credited to 002, the last touch);
    # C2 asks 001 and buys nothing.  Inquiring customers of the shop: C1, C2 = 2 (not 3);
    # conversion 1/2; AOV 90; agents 2 -> sales (2 × 0.5 + 0) × 90 = 90, the month's real
    # sales (summing the agents' 2 + 1 inquiries would give 135)
    _, data = _october(cli, folder, tmp_path, {
        "agents.csv": "agent_id,name,role\n001,甲,presale\n002,乙,presale\n",
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                        "S1,C1,001,2026-10-03 10:00\nS2,C1,002,2026-10-03 10:30\n"
                        "S3,C2,001,2026-10-04 10:00\n",
        "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                      "O1,C1,2026-10-03 11:00,2026-10-03 11:05,90.00\n",
    })
    base = data["base"]
    assert (base["agents"], base["conversion"], base["aov"]) == (2.0, 0.5, 90.0)
    assert base["sales"] == 90.0


# C3 asked on the last evening of September and paid 60.00 on 1 October (credited: within
# the 72 h window), so is an October buyer but not an October inquirer
CARRIED = {
    "sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                    "S1,C1,001,2026-10-03 10:00\nS2,C2,001,2026-10-04 10:00\n"
                    "S3,C3,001,2026-09-30 22:00\n",
    "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                  "O1,C1,2026-10-03 11:00,2026-10-03 11:05,90.00\n"
                  "O3,C3,2026-10-01 09:00,2026-10-01 09:05,60.00\n",
}


def test_the_baseline_is_the_months_credited_sales_as_the_metrics_say(cli, folder, tmp_path):
    ws, data = _october(cli, folder, tmp_path, CARRIED, "--change", "conversion=+25pp")
    base, new = data["base"], data["new"]
    # October: inquiring C1, C2 = 2; paying inquirers C1 = 1; buyers C1, C3 = 2; sales
    # 90 + 60 = 150.00; AOV 150 / 2 = 75.  (2 × 1/2 + 1) × 75 = 150.00 (the old
    # 2 × 1/2 × 75 = 75.00 left C3 out)
    assert (base["inquiring_customers"], base["paying_customers"], base["other_buyers"],
            base["aov"], base["sales"]) == (2, 1, 1, 75.0, 150.0)
    shop = json.loads(cli("metrics", "-w", ws, "--by", "shop", "--period", "2026-10",
                          "--format", "json").stdout)
    rows = shop["rows"] if isinstance(shop, dict) else shop
    assert base["sales"] == rows[0]["sales"] == 150.0  # the figure the metrics show
    # +25 points: 0.50 -> 0.75; (2 × 0.75 + 1) × 75 = 187.50; +37.50 = +25 % of 150
    assert new["conversion"] == 0.75 and new["sales"] == 187.5
    assert (data["delta"], data["delta_ratio"]) == (37.5, 0.25)
    assert data["conversion_change"] == {"points": 25.0, "relative": 0.5}  # 25/50


def test_cli_text_states_the_model_in_both_languages(cli, folder, tmp_path):
    ws = tmp_path / "ws.duckdb"
    assert cli("import", folder(CARRIED), "-w", ws).exit_code == 0
    args = ("whatif", "-w", ws, "--period", "2026-10", "--change", "agents=+2",
            "--change", "conversion=+5pp")
    en = cli(*args, "--lang", "en").output
    # 1 agent -> 3: 2 customers / 3 / 31 days = 0.02 a day each (was 2 / 1 / 31 = 0.06)
    assert "Agents 1 → 3" in en and "0.06 → 0.02" in en
    assert "sales do not change with headcount" in en
    # 0.50 -> 0.55: +5 points, +10 % of the rate
    assert "Conversion 50% → 55%: +5 percentage points, +10% of the rate." in en
    zh = cli(*args, "--lang", "zh").output
    assert "客服人数 1 → 3" in zh and "销售额不随人数变化" in zh
    assert "转化率 50% → 55%：+5 个百分点，相对原转化率 +10%。" in zh
