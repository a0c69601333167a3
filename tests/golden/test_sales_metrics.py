"""Golden sales and after-sale metrics: attribution, conversion, refunds, disputes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cskpi.shop import Shop
from tests.helpers.golden import metrics
from tests.helpers.golden_sales import ORDERS, REFUNDS, SESSIONS


def test_last_touch_attribution_and_conversion(tmp_path):
    m = metrics(tmp_path, {"sessions.csv": SESSIONS, "orders.csv": ORDERS})
    a1, a2 = m["A1"], m["A2"]
    # A1 inquiring: C1 (P1), C2 (P3), C4 (P5) = 3; ordering: C2 (O2), C4 (O4) = 2;
    # paying: C2 = 1 (O6's C9 did not inquire with A1, so does not count as converted)
    assert (a1["inquiring_customers"], a1["ordering_customers"], a1["paying_customers"]) == (
        3, 2, 1)
    assert a1["conversion_rate"] == 1 / 3 and a1["order_rate"] == 2 / 3
    # A1 sales: O2 50.50 + O6 40.00 = 90.50; units 2 + 1 = 3; buyers C2, C9 -> AOV 45.25
    assert a1["sales"] == Decimal("90.50") and a1["units"] == 3
    assert a1["aov"] == Decimal("45.25")
    # A2: inquiring C1 (P2), C3 (P4) = 2; paying C1 (O1) = 1; sales 100.00
    assert (a2["inquiring_customers"], a2["paying_customers"], a2["sales"]) == (
        2, 1, Decimal("100.00"))
    assert a2["conversion_rate"] == 0.5


def test_first_touch_and_window_settings(tmp_path):
    first = metrics(tmp_path / "f", {"sessions.csv": SESSIONS, "orders.csv": ORDERS},
                    sets={"attribution": "first_touch"})
    # O1 moves to A1: A1 sales 100.00 + 50.50 + 40.00 = 190.50
    assert first["A1"]["sales"] == Decimal("190.50") and first["A2"]["sales"] == Decimal("0.00")
    wide = metrics(tmp_path / "w", {"sessions.csv": SESSIONS, "orders.csv": ORDERS},
                   sets={"attribution_window": "74h"})
    # with 74 h, O3 (73 h after P4) is credited to A2: 100.00 + 80.00
    assert wide["A2"]["sales"] == Decimal("180.00")


def test_silent_order_share_is_a_shop_metric(tmp_path):
    shop = metrics(tmp_path, {"sessions.csv": SESSIONS, "orders.csv": ORDERS}, by="shop")["shop"]
    # paid orders: O1, O2, O3, O5, O6 = 5; silent: O3, O5 = 2 -> 0.4
    assert (shop["silent_order_share_num"], shop["silent_order_share_den"]) == (2, 5)
    # shop sales counts credited orders only: 100.00 + 50.50 + 40.00 = 190.50
    assert shop["sales"] == Decimal("190.50")
    agent = metrics(tmp_path / "a", {"sessions.csv": SESSIONS, "orders.csv": ORDERS})["A1"]
    assert agent["silent_order_share"] is None and "shop" in agent["reasons"][
        "silent_order_share"]


def test_target_completion_for_a_whole_month_only(tmp_path):
    targets = "period,scope,metric,value\n2026-10,agent:A1,sales,181\n2026-10,shop,sales,1000\n"
    m = metrics(tmp_path, {"sessions.csv": SESSIONS, "orders.csv": ORDERS,
                           "targets.csv": targets})
    # 90.50 / 181 = 0.5
    assert m["A1"]["target_completion"] == 0.5
    assert m["A2"]["target_completion"] is None  # no target for A2
    week = metrics(tmp_path / "w", {"sessions.csv": SESSIONS, "orders.csv": ORDERS,
                                    "targets.csv": targets},
                   period=(dt.date(2026, 10, 1), dt.date(2026, 10, 7)))
    assert week["A1"]["target_completion"] is None


def test_refund_metrics(tmp_path):
    m = metrics(tmp_path, {"sessions.csv": SESSIONS, "orders.csv": ORDERS,
                           "refunds.csv": REFUNDS})
    b1, a1 = m["B1"], m["A1"]
    # B1 handled R1, R2, R3; completed: R1 12 h, R3 24 h -> mean 18 h; cost 17.50
    assert b1["refunds_handled"] == 3 and b1["refund_completion_h"] == 18.0
    assert b1["aftersale_cost"] == Decimal("17.50")
    # after-sale agent: the shop's orders with a refund (O1, O2) / the shop's paid orders
    # paid in October (O1, O2, O3, O5, O6 = 5) -> 2/5
    assert (b1["refund_rate_num"], b1["refund_rate_den"]) == (2, 5)
    # pre-sale agent A1: credited paid orders O2, O6 = 2; with a refund: O2 -> 1/2
    assert (a1["refund_rate_num"], a1["refund_rate_den"]) == (1, 2)
    # disputes in the 30 days ending 10-31: R2 (B1) -> 1; over the shop's 5 paid orders
    assert (b1["dispute_refunds"], b1["dispute_refund_rate"]) == (1, 0.2)
    # after-sale customers: AS1 served C1
    assert b1["aftersale_customers"] == 1 and b1["inquiring_customers"] == 0


def test_disputes_and_paid_orders_of_the_trailing_30_days(tmp_path):
    refunds = ("refund_id,order_id,agent_id,requested_ts,dispute\n"
               "D1,O1,B1,2026-10-01 23:59:59,true\n"  # the day before the 30 days
               "D2,O1,B1,2026-10-02 00:00:00,true\n"  # their first second
               "D3,O2,B1,2026-10-31 23:59:59,true\n"  # their last second
               "D4,O2,B1,2026-11-01 00:00:00,true\n")  # after the month
    orders = ORDERS + ("O7,C9,2026-10-01 23:00:00,2026-10-01 23:59:59,10.00,1,paid,A1\n"
                       "O8,C9,2026-10-31 23:00:00,2026-11-01 00:00:00,10.00,1,paid,A1\n")
    m = metrics(tmp_path, {"sessions.csv": SESSIONS, "orders.csv": orders,
                           "refunds.csv": refunds})
    # the 30 days ending 10-31 run from 10-02 00:00:00 to 10-31 23:59:59: disputes D2, D3;
    # paid orders O1, O2, O3, O5, O6 (O7 a second early, O8 on 11-01) = 5 -> 2 / 5
    assert (m["B1"]["dispute_refunds"], m["B1"]["dispute_refund_rate"]) == (2, 0.4)


def test_reviews_count_on_their_own_time_else_the_orders(tmp_path):
    reviews = ("order_id,ts,rating,agent_id\n"
               "O2,,中评,\n"  # no time: O2's payment, 10-03 (credited to A1)
               "O6,2026-11-05 10:00,差评,\n"  # O6 is A1's October order, reviewed in November
               "O1,2026-09-30 10:00,差评,A1\n")  # blamed on A1, in September
    m = metrics(tmp_path, {"sessions.csv": SESSIONS, "orders.csv": ORDERS,
                           "reviews.csv": reviews})
    assert (m["A1"]["neutral_reviews"], m["A1"]["bad_reviews"]) == (1, 0)


def test_complaints_reviews_and_attendance(tmp_path):
    files = {
        "sessions.csv": SESSIONS, "orders.csv": ORDERS,
        "complaints.csv": "complaint_id,ts,agent_id,verified\nK1,2026-10-09 10:00,A1,true\n"
                          "K2,2026-10-09 11:00,A1,false\nK3,2026-11-02 10:00,A1,true\n",
        "reviews.csv": "order_id,ts,rating,agent_id\nO2,2026-10-10 10:00,中评,\n"
                       "O1,2026-10-10 10:00,差评,A1\nO6,2026-10-10 10:00,5,\n",
        "attendance.csv": "agent_id,date,status\nA1,2026-10-01,present\nA1,2026-10-02,late\n"
                          "A1,2026-10-03,迟到\nA1,2026-10-04,请假\nA1,2026-10-05,absent\n"
                          "A1,2026-11-01,late\n",
    }
    a1 = metrics(tmp_path, files)["A1"]
    # verified complaints in October: K1 -> 1; over A1's credited paid orders (O2, O6) = 2
    assert (a1["complaints"], a1["complaint_rate"]) == (1, 0.5)
    # reviews: O2 neutral (credited to A1); O1 bad, explicitly blamed on A1; O6 good
    assert (a1["neutral_reviews"], a1["bad_reviews"]) == (1, 1)
    # October attendance: late 2, leave 1, absent 1, days 5 (the November row is out)
    assert (a1["late"], a1["leave"], a1["absent"], a1["attendance_days"]) == (2, 1, 1, 5)


def test_platform_figures_fill_in_and_differences_are_reported(tmp_path):
    from cskpi.metrics.compute import MetricQuery
    from cskpi.shop import Shop
    from tests.helpers.common import write_folder
    from tests.helpers.golden import AGENTS

    d = write_folder(tmp_path / "d", {
        "agents.csv": AGENTS,
        "agent_metrics.csv": "客服ID,日期,接待人数,满意率,评价数,客服销售额\n"
                             "A1,2026-10-01,10,90%,10,100.00\nA1,2026-10-02,30,0.5,30,50.00\n",
    })
    row = next(r for r in Shop(data=d).metrics(MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))).rows
        if r["agent_id"] == "A1")
    # customers 10 + 30 = 40; satisfaction weighted by rated sessions:
    # (0.9*10 + 0.5*30) / 40 = 24/40 = 0.6; sales 150.00
    assert row["customers"] == 40 and row["satisfaction"] == 0.6
    assert row["sales"] == Decimal("150.00")
    assert row["sources"]["satisfaction"] == "imported"


def test_computed_figures_win_and_disagreements_are_reported(tmp_path):
    from cskpi.metrics.compute import MetricQuery
    from tests.helpers.common import write_folder
    from tests.helpers.golden import AGENTS

    d = write_folder(tmp_path / "d", {
        "agents.csv": AGENTS,
        "messages.csv": "session_id,ts,sender,agent_id,customer_id\n"
                        "S1,2026-10-03 10:00:00,customer,,C1\nS1,2026-10-03 10:00:30,agent,A1,\n",
        # the platform claims 3 customers (we count 1) and a 0.9 reply rate (we count 1.0)
        "agent_metrics.csv": "agent_id,date,customers,reply_rate,online_hours\n"
                             "A1,2026-10-03,3,0.9,7.5\n",
    })
    result = Shop(data=d).metrics(MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    a1 = next(r for r in result.rows if r["agent_id"] == "A1")
    assert (a1["customers"], a1["reply_rate"]) == (1, 1.0)  # computed wins
    assert a1["online_hours"] == 7.5 and a1["sources"] == {"online_hours": "imported"}
    found = {(x["agent_id"], x["metric"], x["computed"], x["imported"])
             for x in result.differences}
    assert found == {("A1", "customers", 1, 3.0), ("A1", "reply_rate", 1.0, 0.9)}


def test_orders_without_any_sessions_use_explicit_credit_only(tmp_path):
    from tests.helpers.golden import metrics as run

    orders = ("order_id,customer_id,created_ts,paid_ts,amount,agent_id\n"
              "O1,C1,2026-10-03 10:00,2026-10-03 10:01,30.00,A1\n"
              "O2,C2,2026-10-03 10:00,2026-10-03 10:01,70.00,\n")
    m = run(tmp_path, {"orders.csv": orders})
    # O1 credited to A1 explicitly; O2 has nobody to be attributed to
    assert m["A1"]["sales"] == Decimal("30.00") and m["A2"]["sales"] == Decimal("0.00")
    assert m["A1"]["conversion_rate"] is None  # no inquiries: no basis
    shop = run(tmp_path / "s", {"orders.csv": orders}, by="shop")["shop"]
    assert (shop["silent_order_share_num"], shop["silent_order_share_den"]) == (1, 2)


def test_after_sale_refund_rate_drill_down_lists_the_shops_paid_orders(tmp_path):
    from cskpi.metrics.compute import MetricQuery
    from cskpi.metrics.profiles import resolve
    from tests.helpers.common import write_folder
    from tests.helpers.golden import AGENTS

    d = write_folder(tmp_path / "d", {"agents.csv": AGENTS, "sessions.csv": SESSIONS,
                                      "orders.csv": ORDERS, "refunds.csv": REFUNDS})
    q = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31), profile=resolve("generic"))

    def flagged(e, flag):
        return sorted(r["order_id"] for r in e.rows if r[flag])

    # B1 is after-sale: refund_rate 2/5 over the shop's orders paid in October, which are
    # O1, O2, O3, O5, O6 (O4 is unpaid) -- the drill-down lists exactly those five, with
    # the two refunded in October (O1 by R2, O2 by R1 and R3) above the line
    b1 = Shop(data=d).explain(q, "B1", "refund_rate")
    assert sorted(r["order_id"] for r in b1.rows) == ["O1", "O2", "O3", "O5", "O6"]
    assert flagged(b1, "denominator") == ["O1", "O2", "O3", "O5", "O6"]
    assert flagged(b1, "numerator") == ["O1", "O2"]
    assert (b1.numerator, b1.denominator) == (2, 5)
    assert "shop" in b1.note
    # disputes look at the 30 days ending 10-31 (10-02 .. 10-31): O1 was paid on 10-02;
    # the one dispute refund B1 handled, R2, is the numerator: 1 / 5
    disputes = Shop(data=d).explain(q, "B1", "dispute_refund_rate")
    orders = [r for r in disputes.rows if r["kind"] == "paid_order"]
    assert sorted(r["order_id"] for r in orders) == ["O1", "O2", "O3", "O5", "O6"]
    assert [r["refund_id"] for r in disputes.rows if r["numerator"]] == ["R2"]
    assert (disputes.numerator, disputes.denominator) == (1, 5)
    # a pre-sale agent's refund_rate rests on their own credited orders: A1's paid in
    # October are O2 and O6 (the unpaid O4 is in neither part); O2 was refunded: 1 / 2
    a1 = Shop(data=d).explain(q, "A1", "refund_rate")
    assert sorted(r["order_id"] for r in a1.rows) == ["O2", "O6"]
    assert flagged(a1, "numerator") == ["O2"] and (a1.numerator, a1.denominator) == (1, 2)
    # with the agent scope, B1 (credited nothing) has nothing to list
    agent_scope = MetricQuery(q.start, q.end, profile=resolve(
        "generic", {"aftersale_order_scope": "agent"}))
    assert Shop(data=d).explain(agent_scope, "B1", "refund_rate").rows == []