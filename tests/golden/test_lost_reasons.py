"""Golden lost inquiries with their reasons (cskpi lost, cskpi curve), in Chinese and in
English: the chats of tests/helpers/golden_lost.py, worked by hand.

The lost customers (A1: C1, C2, C3; A2: C4) and why:
- C1 (L1) asked "这个包邮吗", was answered in 30 s, then wrote "不包邮就算了": shipping
  (the last message holding a keyword decides: 不包邮 ends where 包邮 does, and is longer);
- C2 (L2) was never answered: service, whatever the text says (M码 would be stock_size);
- C3 (L10) asked A1 "有现货吗" and bought from A2: stock_size, lost to A1 (not to T1);
- C4 (L4) wrote "太贵了": price; the manager relabels it trust, and the shares count
  trust.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from cskpi.lost import LostQuery, summary, wilson
from cskpi.metrics.compute import MetricQuery
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from tests.helpers.common import write_folder
from tests.helpers.golden import AGENTS, OCT
from tests.helpers.golden_lost import FILES, MESSAGES

ENGLISH = {"这个包邮吗": "is shipping free?", "亲，满99包邮哦": "free over 99",
           "不包邮就算了": "no free shipping then forget it", "在吗？这件有M码吗": "hi is there size M?",
           "有现货吗": "is it in stock?", "能便宜点吗": "any discount?",
           "太贵了": "too expensive", "几天能到": "when will it arrive", "有优惠吗": "a coupon?",
           "发货了吗": "dispatched yet?"}
Q = LostQuery(*OCT)


def english(messages: str) -> str:
    for zh, en in ENGLISH.items():
        messages = messages.replace(f",{zh}\n", f",{en}\n")
    return messages


@pytest.fixture(scope="module", params=["zh", "en"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = dict(FILES)
    if request.param == "en":
        files["messages.csv"] = english(MESSAGES)
    return write_folder(tmp_path_factory.mktemp(request.param) / "d",
                        {"agents.csv": AGENTS, **files})


def by_customer(shop: Path, **kw: Any) -> dict[str, Any]:
    items, _ = Shop(data=shop).lost_inquiries(Q, **kw)
    return {i.customer_id: i for i in items}


def test_each_lost_customer_gets_its_reason(shop: Path) -> None:
    lost = by_customer(shop)
    assert {c: (i.agent_id, i.session_id, i.reason) for c, i in lost.items()} == {
        "C1": ("A1", "L1", "shipping"), "C2": ("A1", "L2", "service"),
        "C3": ("A1", "L10", "stock_size"), "C4": ("A2", "L4", "price")}
    c1 = lost["C1"]
    # L1: first response 10:00:30 - 10:00:00 = 30 s; rounds 10:00 and 10:01 (the second
    # unanswered); duration 10:00:00 -> 10:01:00 = 60 s
    assert (c1.first_response_s, c1.rounds, c1.duration_s) == (30.0, 2, 60.0)
    assert c1.evidence in ("不包邮就算了", "no free shipping then forget it")
    # C2: no reply at all; its evidence is the fact
    c2 = lost["C2"]
    assert (c2.evidence, c2.fact, c2.first_response_s, c2.duration_s) == (
        None, "unanswered", None, 0.0)


def test_a_slow_first_response_is_a_service_failure(shop: Path) -> None:
    # C1's first response took 30 s: with reply_within_s 20 it is too slow
    q = LostQuery(*OCT, profile=resolve("generic", {"reply_within_s": "20"}))
    items, _ = Shop(data=shop).lost_inquiries(q)
    c1 = next(i for i in items if i.customer_id == "C1")
    assert (c1.reason, c1.fact, c1.fact_params) == (
        "service", "slow_first_response", {"first_response_s": "30", "limit_s": "20"})


def test_a_relabel_counts_in_the_shares(shop: Path) -> None:
    items, tax = Shop(data=shop).lost_inquiries(Q, relabels={"L4": "trust"}, by="shop")
    assert Shop(data=shop).lost_summary(Q, relabels={"L4": "trust"}, by="shop") == \
        summary(items, tax, "shop")
    c4 = next(i for i in items if i.customer_id == "C4")
    assert (c4.reason, c4.rule_reason, c4.relabelled) == ("trust", "price", True)
    # the shop lost C1, C2, C4 (C3 bought from A2): shipping, service, trust, 1/3 each
    rows = summary(items, tax, "shop")
    assert [(r["reason"], r["lost_customers"], r["share"]) for r in rows] == [
        ("shipping", 1, 1 / 3), ("trust", 1, 1 / 3), ("service", 1, 1 / 3)]


def test_the_counts_per_group_are_the_catalogs_lost_customers(shop: Path) -> None:
    for by in ("agent", "team", "shop"):
        items, tax = Shop(data=shop).lost_inquiries(Q, by=by)
        field = {"agent": "agent_id", "team": "team", "shop": "shop"}[by]
        rows = Shop(data=shop).metrics(MetricQuery(*OCT, by=by)).rows
        want = {r[field]: r["lost_customers"] for r in rows if r["lost_customers"]}
        got: dict[Any, int] = {}
        for r in summary(items, tax, by):
            got[r[field]] = got.get(r[field], 0) + r["lost_customers"]
        assert got == want, by
        # counted by the database (cskpi lost --summary), the same rows
        assert Shop(data=shop).lost_summary(Q, by=by) == summary(items, tax, by), by
    # A1 3 (C1, C2, C3), A2 1 (C4); T1 3: C3 bought from A2


def test_the_curve_by_rounds_with_its_intervals(shop: Path) -> None:
    rows = Shop(data=shop).conversion_curve(Q, "rounds", (2.0,))
    # last inquiries: L1 2 rounds; L2, L10, L3, L4, L5, L8, L9 1 round each -> the pairs
    # (A1: C1, C2, C3, C5, C8; A2: C3, C4, C7): 1 round 7, of which paying A2-C3 (O3),
    # A2-C7 (O8), A1-C8 (O9) = 3; 2 rounds: A1-C1, not paying
    assert [(r["bucket"], r["inquiring_customers"], r["paying_customers"]) for r in rows] == [
        ("<2", 7, 3), (">=2", 1, 0)]
    low, high = wilson(3, 7)
    # Wilson: (3/7 + z²/14 ± z·sqrt(3/7·4/7/7 + z²/196)) / (1 + z²/7), z = 1.96
    assert (round(low, 4), round(high, 4)) == (0.1582, 0.7495)
    assert (rows[0]["conversion_rate_ci_low"], rows[0]["conversion_rate_ci_high"]) == (low, high)
    assert rows[1]["conversion_rate"] == 0.0 and rows[1]["conversion_rate_ci_low"] == 0.0


def test_the_curve_by_first_response_keeps_the_unanswered_apart(shop: Path) -> None:
    rows = Shop(data=shop).conversion_curve(Q, "first_response", (60.0,))
    # first responses: L1 30, L10 60, L3 60, L4 20, L5 40, L8 30, L9 30 s; L2 none
    assert [(r["bucket"], r["inquiring_customers"], r["paying_customers"]) for r in rows] == [
        ("<60", 5, 2), (">=60", 2, 1), ("none", 1, 0)]


def test_the_cli_lists_sums_and_curves(shop: Path, cli) -> None:
    listed = json.loads(cli("lost", "--data", shop, "--period", "2026-10", "--agent", "A1",
                            "--format", "json").stdout)
    assert [(r["customer_id"], r["session_id"], r["reason"]) for r in listed] == [
        ("C3", "L10", "stock_size"), ("C2", "L2", "service"), ("C1", "L1", "shipping")]
    assert set(listed[0]) >= {"customer_id", "agent_id", "session_id", "reason", "evidence",
                              "first_response_s", "rounds", "duration_s"}
    assert listed[1]["evidence"] == "unanswered: no reply to the customer (1 round(s))"
    zh = cli("lost", "--data", shop, "--period", "2026-10", "--summary", "--by", "team",
             "--lang", "zh")
    assert zh.exit_code == 0 and "运费" in zh.stdout and "33.3%" in zh.stdout
    zh_json = json.loads(cli("lost", "--data", shop, "--period", "2026-10", "--format", "json",
                             "--lang", "zh").stdout)
    assert zh_json[1]["evidence"] == "未回复：顾客的 1 轮消息均未得到回复"
    curve = json.loads(cli("curve", "--data", shop, "--period", "2026-10", "--by", "duration",
                           "--buckets", "60", "--format", "json").stdout)
    # durations: L2 0, L4 20 s, L8 30 s, L9 420 s (10:00 -> 10:07), L10 60, L1 60, L3 1800,
    # L5 36000: below 60 s L2, L4, L8 (A2-C7 paid) -> 1 of 3
    assert [(r["bucket"], r["inquiring_customers"], r["paying_customers"]) for r in curve] == [
        ("<60", 3, 1), (">=60", 5, 2)]
    csv = cli("lost", "--data", shop, "--period", "2026-10", "--summary", "--format", "csv")
    assert csv.stdout.splitlines()[0] == (
        "agent_id,reason,reason_label,lost_customers,share,group_lost_customers")


def test_cli_errors(shop: Path, cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text("reasons:\n  price:\n    zh: 价格\n", encoding="utf-8")
    r = cli("lost", "--data", shop, "--period", "2026-10", "--taxonomy", "t.yaml")
    assert r.exit_code == 1
    assert "t.yaml:2" in r.stderr and "no en" in r.stderr  # every issue, with its line
    assert "t.yaml: 1 error(s) in the taxonomy" in r.stderr
    r = cli("curve", "--data", shop, "--period", "2026-10", "--by", "rounds", "--buckets",
            "3,2")
    assert r.exit_code == 2 and "increasing" in r.stderr
    relabels = tmp_path / "labels.csv"
    relabels.write_text("session_id,reason\nL4,gift\n", encoding="utf-8")
    r = cli("lost", "--data", shop, "--period", "2026-10", "--relabels", relabels)
    assert r.exit_code == 2 and "'gift'" in r.stderr
    shown = cli("lost", "--default-taxonomy")
    assert shown.stdout.startswith("# Why inquiring customers leave")


def test_relabels_from_a_csv(shop: Path, cli, tmp_path: Path) -> None:
    relabels = tmp_path / "labels.csv"
    relabels.write_text("session_id,reason\nL4,trust\n", encoding="utf-8")
    rows = json.loads(cli("lost", "--data", shop, "--period", "2026-10", "--relabels",
                          relabels, "--format", "json").stdout)
    c4 = next(r for r in rows if r["customer_id"] == "C4")
    assert (c4["reason"], c4["rule_reason"], c4["relabelled"]) == ("trust", "price", True)


def test_a_workspace_gives_what_the_folder_gives(shop: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    Shop(ws).import_folder(shop)
    from_folder, _ = Shop(data=shop).lost_inquiries(Q)
    cached, _ = Shop(ws).lost_inquiries(Q)  # session facts from the cache
    assert [vars(i) for i in cached] == [vars(i) for i in from_folder]
    assert Shop(ws).conversion_curve(Q, "duration", (60.0,)) == \
        Shop(data=shop).conversion_curve(Q, "duration", (60.0,))
    assert dt.date(2026, 10, 1) == Q.start


def test_the_shop_counts_the_customers_no_human_served(tmp_path: Path) -> None:
    """B0: C9 asked the bot "包邮吗" and never reached an agent; the shop counts C9 among
    its inquiring customers (the catalog's rule), so C9 is a lost customer of the shop —
    and of no agent: 3 + 1 = 4 for the shop, A1 still 3."""
    sessions = FILES["sessions.csv"] + "B0,C9,,2026-10-10 10:00:00,presale\n"
    messages = FILES["messages.csv"] + "B0,2026-10-10 10:00:00,customer,,C9,包邮吗\n" \
                                       "B0,2026-10-10 10:00:05,bot,,,您好\n"
    shop = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **FILES,
                                         "sessions.csv": sessions, "messages.csv": messages})
    row = Shop(data=shop).metrics(MetricQuery(*OCT, by="shop")).rows[0]
    assert row["lost_customers"] == 4
    items, _ = Shop(data=shop).lost_inquiries(Q, by="shop")
    c9 = next(i for i in items if i.customer_id == "C9")
    assert (len(items), c9.agent_id, c9.reason) == (4, None, "shipping")
    agents, _ = Shop(data=shop).lost_inquiries(Q)
    assert "C9" not in {i.customer_id for i in agents}
