"""What-if: sales = inquiries × conversion × AOV."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cskpi.errors import UsageError
from cskpi.scoring.whatif import Drivers, whatif

SEED = Drivers(agents=Decimal(10), inquiries=Decimal(100), conversion=Decimal("0.40"),
               aov=Decimal(100), days=Decimal(30))


def test_the_seed_example():
    # 10 agents x 100 inquiries x 40 % x 100 = 40,000 a day; x 30 days = 1,200,000
    assert SEED.sales_per_day == Decimal("40000")
    assert SEED.sales == Decimal("1200000")
    result = whatif(SEED, ["conversion=+20%", "aov=+20%"])
    # 10 x 100 x 0.48 x 120 x 30 = 1,728,000, +528,000 = +44 %
    assert result.new.sales == Decimal("1728000")
    assert result.delta == Decimal("528000") and result.delta_ratio == Decimal("0.44")


@pytest.mark.parametrize(("change", "field", "value"), [
    ("aov=-5%", "aov", Decimal("95")), ("aov=120", "aov", Decimal("120")),
    ("agents=+2", "agents", Decimal("12")), ("conversion=45%", "conversion", Decimal("0.45")),
    ("inquiries=-10%", "inquiries", Decimal("90")),
])
def test_change_forms(change, field, value):
    assert getattr(whatif(SEED, [change]).new, field) == value


@pytest.mark.parametrize(("change", "says"), [
    ("speed=+5%", "unknown driver"), ("aov", "is not NAME"), ("aov=-200%", "negative"),
    ("aov=1.2.3", "is not a number"),  # passes the pattern, is no number
    ("conversion=20", "above 100 %"),  # 2000 %: meant 20 %
    ("conversion=+0.7", "above 100 %"),  # 0.40 + 0.7 = 1.10
])
def test_bad_changes(change, says):
    with pytest.raises(UsageError, match=says):
        whatif(SEED, [change])


def _october_baseline(cli, folder, tmp_path):
    """``cskpi whatif``'s baseline of October 2026 for a data folder, as JSON."""
    ws = tmp_path / "ws.duckdb"
    assert cli("import", folder, "-w", ws).exit_code == 0
    result = cli("whatif", "-w", ws, "--period", "2026-10", "--format", "json")
    return json.loads(result.stdout)["base"]


def test_cli_json_and_workspace_baseline(cli, folder, tmp_path):
    result = cli("whatif", "--agents", "10", "--inquiries", "100", "--conversion", "40%",
                 "--aov", "100", "--change", "conversion=+20%", "--change", "aov=+20%",
                 "--format", "json")
    data = json.loads(result.stdout)
    assert (data["base"]["sales"], data["new"]["sales"], data["delta_ratio"]) == (
        1200000.0, 1728000.0, 0.44)
    missing = cli("whatif", "--agents", "10")
    assert missing.exit_code == 2 and "--inquiries" in missing.output
    # from data: 2 inquiring customers of agent 001 over October (31 days), one paying 90.00
    d = folder({
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,001,2026-10-03 10:00\n"
                        "S2,C2,001,2026-10-04 10:00\n",
        "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                      "O1,C1,2026-10-03 11:00,2026-10-03 11:05,90.00\n",
    })
    base = _october_baseline(cli, d, tmp_path)
    # 1 agent, 2/31 inquiries a day, conversion 1/2, AOV 90 -> sales 1 x 2 x 0.5 x 90 = 90
    assert (base["agents"], base["conversion"], base["aov"], base["days"]) == (1.0, 0.5, 90.0,
                                                                              31.0)
    assert base["sales"] == 90.0


def test_baseline_counts_a_customer_who_asked_two_agents_once(cli, folder, tmp_path):
    # C1 asks agents 001 and 002 and pays 90.00 once (credited to 002, the last touch);
    # C2 asks 001 and buys nothing.  Inquiring customers of the shop: C1, C2 = 2 (not 3);
    # conversion 1/2; AOV 90; agents 2 -> sales 2 x (2/2/31) x 31 x 0.5 x 90 = 90, the
    # month's real sales (summing the agents' 2 + 1 inquiries would give 135)
    d = folder({
        "agents.csv": "agent_id,name,role\n001,甲,presale\n002,乙,presale\n",
        "sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                        "S1,C1,001,2026-10-03 10:00\nS2,C1,002,2026-10-03 10:30\n"
                        "S3,C2,001,2026-10-04 10:00\n",
        "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                      "O1,C1,2026-10-03 11:00,2026-10-03 11:05,90.00\n",
    })
    base = _october_baseline(cli, d, tmp_path)
    assert (base["agents"], base["conversion"], base["aov"]) == (2.0, 0.5, 90.0)
    assert base["sales"] == 90.0
