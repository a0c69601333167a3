"""Golden figures of the shops real users have: no chat logs, platform figures only, and
both mixed.  Every expected value is worked by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from cskpi.metrics.compute import MetricQuery
from cskpi.shop import Shop
from tests.helpers.common import write_folder

OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
AGENTS = ("agent_id,name,role,team\nP1,甲,presale,T1\nP2,乙,presale,T1\n"
          "B1,丙,aftersale,T2\nB2,丁,aftersale,T2\n")


def rows(tmp_path: Path, files: dict[str, str], by: str = "agent") -> dict[str, dict[str, Any]]:
    d = write_folder(tmp_path / f"d-{by}", {"agents.csv": AGENTS, **files})
    result = Shop(data=d).metrics(MetricQuery(*OCT, by=by))
    key = {"agent": "agent_id", "team": "team", "shop": "shop"}[by]
    return {r[key]: r for r in result.rows}


# --- a shop without chat logs ----------------------------------------------------------

# ten paid orders in October (O01..O10, 100.00 each), two of them credited explicitly to
# P1; O11 unpaid.  Refunds on O01, O02, O03 (R3 a dispute); complaints: K1 verified
# against B1, K2 verified against B2, K3 not verified.
ORDERS = "order_id,customer_id,created_ts,paid_ts,amount,agent_id\n" + "".join(
    f"O{i:02d},C{i},2026-10-{i:02d} 10:00:00,2026-10-{i:02d} 10:05:00,100.00,"
    f"{'P1' if i <= 2 else ''}\n" for i in range(1, 11)) + \
    "O11,C11,2026-10-20 10:00:00,,100.00,\n"
REFUNDS = """refund_id,order_id,agent_id,requested_ts,completed_ts,amount,dispute
R1,O01,B1,2026-10-05 09:00:00,2026-10-05 15:00:00,100.00,false
R2,O02,B1,2026-10-06 09:00:00,,100.00,false
R3,O03,B2,2026-10-07 09:00:00,2026-10-08 09:00:00,100.00,true
"""
COMPLAINTS = """complaint_id,ts,agent_id,verified
K1,2026-10-11 09:00:00,B1,true
K2,2026-10-12 09:00:00,B2,是
K3,2026-10-13 09:00:00,B2,false
"""
ATTENDANCE = "agent_id,date,status\nB1,2026-10-01,late\nB1,2026-10-02,请假\n"


def test_chat_less_shop_rates_of_after_sale_agents_rest_on_the_shops_paid_orders(tmp_path):
    m = rows(tmp_path, {"orders.csv": ORDERS, "refunds.csv": REFUNDS,
                        "complaints.csv": COMPLAINTS, "attendance.csv": ATTENDANCE})
    b1, b2, p1 = m["B1"], m["B2"], m["P1"]
    # after-sale agents: the shop's orders with a refund in October (O01, O02, O03 = 3)
    # over the shop's paid orders (O01..O10 = 10): 3 / 10 = 0.3 for both
    for b in (b1, b2):
        assert (b["refund_rate"], b["refund_rate_num"], b["refund_rate_den"]) == (0.3, 3, 10)
    # disputes: B2 handled R3 (dispute) -> 1 over the shop's orders paid in the 30 days
    # ending 10-31 (10-02 .. 10-31: O02..O10 = 9; O01 was paid on 10-01)
    assert (b2["dispute_refund_rate_num"], b2["dispute_refund_rate_den"]) == (1, 9)
    assert b2["dispute_refund_rate"] == 1 / 9 and b1["dispute_refund_rate"] == 0.0
    # verified complaints: B1 K1 -> 1 / 10; B2 K2 (是 = verified; K3 is not) -> 1 / 10
    assert (b1["complaints"], b1["complaint_rate"]) == (1, 0.1)
    assert (b2["complaints"], b2["complaint_rate"]) == (1, 0.1)
    # refunds handled: B1 R1, R2; completion: R1 took 6 h, R2 is open -> 6 / 1
    assert (b1["refunds_handled"], b1["refund_completion_h"]) == (2, 6.0)
    # the pre-sale P1 is credited O01 and O02 explicitly: 200.00 sales, and both were
    # refunded -> 2 / 2
    assert p1["sales"] == Decimal("200.00")
    assert (p1["refund_rate_num"], p1["refund_rate_den"]) == (2, 2)
    # no chat log: no response figures, and the reason says what is missing
    assert b1["first_response_s"] is None
    assert b1["reasons"]["first_response_s"] == "no sessions table; no messages table"
    # refunds have no cost column: the cost is unknown, not 0.00
    assert b1["aftersale_cost"] is None
    assert b1["reasons"]["aftersale_cost"] == "no cost column in refunds"
    assert (b1["late"], b1["leave"]) == (1, 1)


def test_chat_less_shop_row_has_credited_and_total_sales(tmp_path):
    shop = rows(tmp_path, {"orders.csv": ORDERS, "refunds.csv": REFUNDS}, by="shop")["shop"]
    # 客服销售额: orders credited to an agent (O01, O02) = 200.00; 店铺销售额: all ten paid
    # orders = 1,000.00; the eight others are silent: 800.00, 8 / 10 of the paid orders
    assert shop["sales"] == Decimal("200.00")
    assert shop["shop_sales"] == Decimal("1000.00")
    assert shop["silent_sales"] == Decimal("800.00")
    assert (shop["silent_order_share_num"], shop["silent_order_share_den"]) == (8, 10)
    # the shop's refund rate: 3 refunded / 10 paid
    assert shop["refund_rate"] == 0.3


def test_orders_that_cannot_be_credited_give_no_sales_instead_of_zero(tmp_path):
    # no sessions and no agent column: nobody can be credited with anything
    orders = "order_id,customer_id,created_ts,paid_ts,amount\n" \
             "O1,C1,2026-10-03 10:00:00,2026-10-03 10:05:00,30.00\n"
    m = rows(tmp_path, {"orders.csv": orders})
    assert m["P1"]["sales"] is None
    assert m["P1"]["reasons"]["sales"] == "no sessions table nor agent_id column in orders"
    shop = rows(tmp_path, {"orders.csv": orders}, by="shop")["shop"]
    # the shop's own total needs no credit: 30.00
    assert shop["shop_sales"] == Decimal("30.00") and shop["sales"] is None


# --- platform figures only -------------------------------------------------------------

PLATFORM = (
    "客服ID,日期,接待人数,询单人数,付款人数,询单转化率,客单价,客服销售额,满意率,评价数,"
    "首响时长,回复人数,退款率\n"
    # day 1: 20 inquiring, 10 paying (50 %), AOV 500 on 5,000.00; satisfaction 90 % of 10
    "P1,2026-10-01,25,20,10,50%,500,5000.00,90%,10,20,24,1%\n"
    # day 2: 80 inquiring, 20 paying (25 %), AOV 300 on 6,000.00; satisfaction 60 % of 30
    "P1,2026-10-02,90,80,20,25%,300,6000.00,60%,30,40,88,3%\n"
    "P2,2026-10-01,10,10,5,50%,200,1000.00,100%,5,30,10,\n"
)


def test_platform_only_rates_are_reweighted_by_their_counts(tmp_path):
    p1 = rows(tmp_path, {"agent_metrics.csv": PLATFORM})["P1"]
    # counts add up, as integers: 25 + 90 = 115 customers, 20 + 80 = 100 inquiring
    assert p1["customers"] == 115 and isinstance(p1["customers"], int)
    assert (p1["inquiring_customers"], p1["paying_customers"]) == (100, 30)
    # conversion by inquiring customers: (0.5*20 + 0.25*80) / 100 = 30 / 100 = 0.3
    # (the plain mean of the days would be 0.375)
    assert p1["conversion_rate"] == 0.3
    assert (p1["conversion_rate_num"], p1["conversion_rate_den"]) == (30.0, 100)
    # AOV = sales / paying customers = 11,000.00 / 30 = 366.67 (summing the days' AOV
    # would give 800; their mean 400)
    assert p1["aov"] == Decimal("366.67")
    assert (p1["aov_num"], p1["aov_den"]) == (Decimal("11000.00"), 30)
    assert p1["sales"] == Decimal("11000.00")
    # satisfaction by rated sessions: (0.9*10 + 0.6*30) / 40 = 27 / 40 = 0.675
    assert p1["satisfaction"] == 0.675 and p1["satisfaction_den"] == 40
    # first response by replied customers: (20*24 + 40*88) / 112 = 4000 / 112 = 35.714...
    assert abs(p1["first_response_s"] - 4000 / 112) < 1e-9
    # the refund rate has no count beside it: the mean of its days, (1 % + 3 %) / 2 = 2 %,
    # and the row says so
    assert abs(p1["refund_rate"] - 0.02) < 1e-12
    assert "mean of 2 days" in p1["notes"]["refund_rate"]
    assert p1["sources"]["conversion_rate"] == "imported"
    assert p1["differences"] == []


def test_platform_only_team_and_shop_rows_recombine_the_agents(tmp_path):
    team = rows(tmp_path, {"agent_metrics.csv": PLATFORM}, by="team")["T1"]
    # P1 and P2: inquiring 100 + 10 = 110, paying 30 + 5 = 35 -> conversion
    # (10 + 20 + 0.5*10) / 110 = 35 / 110 = 0.31818...; AOV 12,000.00 / 35 = 342.86
    assert team["inquiring_customers"] == 110
    assert abs(team["conversion_rate"] - 35 / 110) < 1e-12
    assert team["aov"] == Decimal("342.86")
    # satisfaction: (9 + 18 + 1.0*5) / (10 + 30 + 5) = 32 / 45
    assert abs(team["satisfaction"] - 32 / 45) < 1e-12


# --- mixed: computed figures and platform figures --------------------------------------


def test_mixed_shop_keeps_computed_figures_and_lists_differences_in_the_row(tmp_path):
    files = {
        "messages.csv": "session_id,ts,sender,agent_id,customer_id\n"
                        "S1,2026-10-03 10:00:00,customer,,C1\n"
                        "S1,2026-10-03 10:00:30,agent,P1,\n",
        # the platform claims 3 customers (we count 1) and gives online hours (we have none)
        "agent_metrics.csv": "agent_id,date,customers,online_hours\nP1,2026-10-03,3,7.5\n",
    }
    p1 = rows(tmp_path, files)["P1"]
    assert p1["customers"] == 1  # computed wins
    assert p1["differences"] == [{"metric": "customers", "computed": 1, "imported": 3}]
    assert p1["online_hours"] == 7.5 and p1["sources"] == {"online_hours": "imported"}


def test_reasons_read_in_the_readers_language(tmp_path):
    """A null figure's reason is coded: English in JSON's reasons, Chinese for a zh face."""
    from cskpi.locale import Translator
    from cskpi.metrics.rows import reason_text

    orders = "order_id,customer_id,created_ts,paid_ts,amount\n" \
             "O1,C1,2026-10-03 10:00:00,2026-10-03 10:05:00,30.00\n"
    p1 = rows(tmp_path, {"orders.csv": orders})["P1"]
    zh = Translator("zh_CN")
    assert reason_text(p1, "first_response_s", zh) == \
        "没有会话表（sessions）；没有聊天记录表（messages）"
    assert reason_text(p1, "sales", zh) == \
        "没有会话表（sessions），也没有订单表（orders）的 agent_id 列"
    assert reason_text(p1, "sales", Translator("en")) == p1["reasons"]["sales"] == \
        "no sessions table nor agent_id column in orders"
    assert reason_text(p1, "silent_order_share", zh) == "店铺级指标（请用 --by shop）"
