"""Golden lost inquiries and payment reminders (询单流失, 催付) on the hand-made chats of
tests/helpers/golden_lost.py (its docstring tells each chat), every figure worked by hand
in the comments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cskpi.metrics.compute import MetricQuery
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from tests.helpers.common import write_folder
from tests.helpers.golden import AGENTS, OCT, metrics
from tests.helpers.golden_lost import FILES, ORDERS, SESSIONS

# not a whole month: customers and conversion counted from the day rows, not month rows
NOT_A_MONTH = (dt.date(2026, 10, 1), dt.date(2026, 10, 30))


@pytest.mark.parametrize("period", [OCT, NOT_A_MONTH], ids=["month", "days"])
def test_lost_and_unpaid_customers_per_agent(tmp_path: Path, period) -> None:
    m = metrics(tmp_path, FILES, period=period)
    a1, a2, b1 = m["A1"], m["A2"], m["B1"]
    # A1 inquiring: C1 (L1), C2 (L2), C3 (L10), C5 (L5), C8 (L9) = 5; ordering: C5 (O5 by
    # L5), C8 (O9 by L9) = 2 (O3 is A2's: L3 is C3's last inquiry before it) -> lost 3
    assert (a1["inquiring_customers"], a1["ordering_customers"]) == (5, 2)
    assert a1["lost_customers"] == 3
    assert (a1["lost_rate_num"], a1["lost_rate_den"], a1["lost_rate"]) == (3, 5, 0.6)
    # paying: C8 (O9) = 1; C5 ordered O5 and never paid -> unpaid 1
    assert (a1["paying_customers"], a1["unpaid_customers"]) == (1, 1)
    # A2 inquiring: C3, C4, C7 = 3; ordering and paying C3 (O3), C7 (O8); lost C4 = 1
    assert (a2["lost_customers"], a2["lost_rate"], a2["unpaid_customers"]) == (1, 1 / 3, 0)
    # the after-sale agent has no inquiries: nothing lost, no rate
    assert b1["lost_customers"] == 0 and b1["lost_rate"] is None
    assert "no basis" in b1["reasons"]["lost_rate"]


@pytest.mark.parametrize("period", [OCT, NOT_A_MONTH], ids=["month", "days"])
def test_a_team_loses_a_customer_only_when_no_agent_of_it_sold(tmp_path: Path, period) -> None:
    t1 = metrics(tmp_path, FILES, by="team", period=period)["T1"]
    # T1 inquiring: C1, C2, C3, C4, C5, C7, C8 = 7; ordering C3, C5, C7, C8 = 4; lost C1,
    # C2, C4 = 3 (C3 is lost to A1 but bought from A2: 3 + 1 agents' losses, not 4)
    assert (t1["inquiring_customers"], t1["lost_customers"], t1["lost_rate"]) == (7, 3, 3 / 7)
    # paying C3, C7, C8 = 3; unpaid C5 = 1
    assert (t1["paying_customers"], t1["unpaid_customers"]) == (3, 1)
    shop = metrics(tmp_path / "s", FILES, by="shop", period=period)["shop"]
    assert (shop["lost_customers"], shop["lost_rate_den"], shop["unpaid_customers"]) == (3, 7, 1)


def test_reminders_are_credited_to_the_agent_who_wrote(tmp_path: Path) -> None:
    m = metrics(tmp_path, FILES)
    # A1: O5 reminded 20:00 (9 h 50 min after 10:10, unpaid) and never paid -> 0 / 1;
    # O9 was paid 10:06, before A1's 10:07 message: not a reminder
    assert (m["A1"]["reminded_orders"], m["A1"]["reminded_paid_orders"]) == (1, 0)
    assert m["A1"]["remind_success_rate"] == 0.0
    # A2: O3 reminded 09:30 (20 min after 09:10), paid 09:40 -> 1 / 1; O8's next agent
    # message (10-09 11:00:30) is 24 h 55 min 30 s after 10-08 10:05: outside 24 h
    assert (m["A2"]["reminded_orders"], m["A2"]["reminded_paid_orders"]) == (1, 1)
    assert m["A2"]["remind_success_rate"] == 1.0
    assert m["B1"]["reminded_orders"] == 0 and m["B1"]["remind_success_rate"] is None
    # the shop: 2 reminded, 1 paid after -> 0.5
    shop = metrics(tmp_path / "s", FILES, by="shop")["shop"]
    assert (shop["remind_success_rate_num"], shop["remind_success_rate_den"]) == (1, 2)


def test_the_reminder_window_is_a_profile_setting(tmp_path: Path) -> None:
    # 25 h: O8's message at 24 h 55 min 30 s is a reminder, and O8 was paid after it
    wide = metrics(tmp_path, FILES, sets={"remind_window_h": "25h"})["A2"]
    assert (wide["reminded_orders"], wide["reminded_paid_orders"]) == (2, 2)
    # 20 min exactly: O3's reminder at 09:30 is 20 min after 09:10 (within means <=)
    edge = metrics(tmp_path / "e", FILES, sets={"remind_window_h": str(20 / 60)})["A2"]
    assert edge["reminded_orders"] == 1
    short = metrics(tmp_path / "s", FILES, sets={"remind_window_h": "0.3"})["A2"]
    assert short["reminded_orders"] == 0  # 18 min


def test_a_reminder_counts_in_the_period_of_the_reminder(tmp_path: Path) -> None:
    # O3 reminded on 10-05: the week of 10-05 has it, the week of 09-28 does not
    weeks = metrics(tmp_path, FILES, grain="week")
    assert weeks[("A2", "2026-10-05")]["reminded_orders"] == 1
    assert weeks[("A2", "2026-10-01")]["reminded_orders"] == 0


def test_the_new_figures_need_orders_and_the_chat(tmp_path: Path) -> None:
    no_orders = metrics(tmp_path / "n", {k: v for k, v in FILES.items() if k != "orders.csv"})
    a1 = no_orders["A1"]
    assert a1["lost_customers"] is None and "no orders table" in a1["reasons"]["lost_customers"]
    assert a1["reminded_orders"] is None
    no_chat = metrics(tmp_path / "c", {"sessions.csv": SESSIONS, "orders.csv": ORDERS})["A1"]
    assert no_chat["lost_customers"] == 3  # the sessions are enough to know who inquired
    assert "no messages table" in no_chat["reasons"]["reminded_orders"]


def test_cached_figures_equal_fresh_ones(tmp_path: Path) -> None:
    """The reminders are not kept in the workspace's cache: computed on the inputs, the
    cached and uncached paths give the same rows."""
    d = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **FILES})
    ws = tmp_path / "ws.duckdb"
    Shop(ws).import_folder(d)
    for by in ("agent", "team"):
        q = MetricQuery(*OCT, by=by, profile=resolve("generic"))
        cached = Shop(ws).metrics(q)
        again = Shop(ws).metrics(q)  # from the stored cache
        fresh = Shop(ws).metrics(q, use_cache=False)
        assert cached.rows == fresh.rows == again.rows


def test_the_drill_down_lists_the_lost_customers_and_the_reminders(tmp_path: Path) -> None:
    d = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **FILES})
    q = MetricQuery(*OCT, profile=resolve("generic"))
    lost = Shop(data=d).explain(q, "A1", "lost_rate")
    # A1's inquiring customers by first inquiry; lost: C1, C2, C3 (no credited order)
    assert [(r["customer_id"], r["numerator"]) for r in lost.rows] == [
        ("C1", True), ("C2", True), ("C3", True), ("C5", False), ("C8", False)]
    assert (lost.numerator, lost.denominator) == (3, 5)
    reminded = Shop(data=d).explain(q, "A2", "remind_success_rate")
    assert [(r["order_id"], r["reminded"], r["paid_after"]) for r in reminded.rows] == [
        ("O3", dt.datetime(2026, 10, 5, 9, 30), True)]
    assert "24 h" in reminded.note
    unpaid = Shop(data=d).explain(q, "A1", "unpaid_customers")
    assert [r["customer_id"] for r in unpaid.rows] == ["C5"]


SCHEME = """\
scheme: lost-and-reminders
applies_to: {role: presale}
items:
  - {key: lost, label: 询单流失率, max: 40, metric: lost_rate,
     tiers: [{max: 0.4, points: 40}, {max: 0.6, points: 20}, {points: 0}]}
  - {key: reminders, label: 催付成功率, max: 30, metric: remind_success_rate,
     linear: {from: 0, to: 1}}
  - {key: counts, label: 催付, max: 30,
     formula: "min(30, reminded_paid_orders * 10 + reminded_orders * 5 - lost_customers
               - unpaid_customers)"}
"""


def test_a_scheme_scores_the_new_metrics(tmp_path: Path) -> None:
    d = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **FILES})
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(SCHEME, encoding="utf-8")
    scored = Shop(data=d).score(str(scheme), "2026-10")
    points = {(s.agent_id, i.key): i.points for s in scored.result.cards for i in s.items}
    # A1: lost 3/5 = 0.6 -> 20; reminders 0/1 -> 0; 0*10 + 1*5 - 3 - 1 = 1
    assert (points[("A1", "lost")], points[("A1", "reminders")], points[("A1", "counts")]) \
        == (20, 0, 1)
    # A2: lost 1/3 -> 40; reminders 1/1 -> 30; 1*10 + 1*5 - 1 - 0 = 14
    assert (points[("A2", "lost")], points[("A2", "reminders")], points[("A2", "counts")]) \
        == (40, 30, 14)
