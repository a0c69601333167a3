"""The drill-down (``cskpi explain``): exactly the rows behind each figure, from the catalog.

Every figure's rows are its numerator's and denominator's populations: their counts (or
sums) equal the figure's ``_num``/``_den`` for every metric, agent and profile of a small
complete shop (tests/helpers/partial_data.py).  The golden cases below work the rows out
by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cskpi.errors import UsageError
from cskpi.metrics.catalog import METRICS
from cskpi.metrics.compute import MetricQuery, compute
from cskpi.metrics.explain import Explanation, explain
from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.metrics.inputs import duckdb_inputs
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.common import write_folder
from tests.helpers.golden import AGENTS, HEAD
from tests.helpers.golden_sales import ORDERS, REFUNDS, SESSIONS
from tests.helpers.partial_data import FILES, OCT

Q = MetricQuery(*OCT)
PROFILES = {
    "generic": resolve("generic"),
    # S1's first round (10:00) falls outside the window, its second (10:05, 240 s) is
    # capped at 100 s; S2 (10:00) is left out; S3 (11:00) counts
    "window_and_cap": resolve("generic", {"service_window": "10:03-24:00",
                                          "response_cap_s": "100"}),
    "agent_scope": resolve("generic", {"aftersale_order_scope": "agent"}),
}
# the metrics whose rows a profile changes (generic: every metric with agent rows)
CHANGED = {"generic": lambda m: m.scope != "shop",
           "window_and_cap": lambda m: m.family in ("service", "first_responses"),
           "agent_scope": lambda m: m.scope == "aftersale_shop"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The complete small shop of the partial-data tests, as a workspace."""
    root = tmp_path_factory.mktemp("explain")
    ws = root / "ws.duckdb"
    Shop(ws).import_folder(write_folder(root / "data", FILES))
    return ws


def run(files: dict[str, str], tmp_path: Path, agent: str, metric: str,
        profile: str = "generic", sets: dict[str, str] | None = None) -> Explanation:
    d = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **files})
    q = MetricQuery(*OCT, profile=resolve(profile, sets))
    return Shop(data=d).explain(q, agent, metric)


def column(e: Explanation, name: str) -> list[Any]:
    return [r[name] for r in e.rows]


# --- the catalog and the drill-down agree --------------------------------------------------


def test_every_field_a_metric_names_has_its_rows_and_words() -> None:
    """Adding a metric whose field has no drill-down entry fails here."""
    from cskpi.locale import catalog
    from cskpi.metrics.populations import FIELDS

    used: set[str] = set()
    for m in METRICS:
        used.update(f for f in (m.value, *(p.field for p in (m.num, m.den) if p),
                                *(p.shop_field for p in (m.num, m.den) if p)) if f)
    assert used - set(FIELDS) == set(), "fields without drill-down rows"
    assert set(FIELDS) - used == set(), "drill-down rows of fields no metric names"
    for lang in ("en", "zh_CN"):
        words = catalog(lang)
        assert {f for f in used if f"explain.members.{f}" not in words} == set(), lang


@pytest.fixture(scope="module")
def explained(shop: Path) -> Iterator[dict[str, Any]]:
    """Per profile: every agent's metric rows, and every agent's drill-down of each metric."""
    out: dict[str, Any] = {}
    with Workspace(shop).connect(read_only=True) as con:
        backend = duckdb_backend(con)
        for name, profile in PROFILES.items():
            q = MetricQuery(*OCT, profile=profile)
            inp = duckdb_inputs(backend, con, "Asia/Shanghai")
            try:
                rows = {r["agent_id"]: r for r in compute(backend, inp, q).rows}
            finally:
                inp.release()
            inp = duckdb_inputs(backend, con, "Asia/Shanghai")
            try:
                drills = {(a, m.key): explain(backend, inp, q, a, m.key)
                          for a in rows for m in METRICS if CHANGED[name](m)}
            finally:
                inp.release()
            out[name] = (rows, drills)
        yield out


@pytest.mark.parametrize("profile", PROFILES)
def test_the_rows_give_the_figures_numerator_and_denominator(explained: dict[str, Any],
                                                             profile: str) -> None:
    rows, drills = explained[profile]
    for (agent, key), e in drills.items():
        m = next(m for m in METRICS if m.key == key)
        row, where = rows[agent], f"{key} of {agent} ({profile})"
        if m.is_rate:
            assert e.numerator == pytest.approx(row[f"{key}_num"]), where
            assert e.denominator == pytest.approx(row[f"{key}_den"]), where
            if m.unit == "money" or key == "target_completion":
                assert e.numerator == row[f"{key}_num"], where  # Decimals, to the cent
        else:
            assert e.numerator == pytest.approx(row[key]), where
        flags = {"numerator", "denominator"} & set(e.columns)
        counted = sum(r.get("numerator", False) for r in e.rows)
        if flags == {"numerator"}:  # a part of the denominator's rows, flagged
            assert (counted, len(e.rows)) == (e.numerator, e.denominator), where
        elif flags and key != "target_completion":  # two populations, counted
            assert (counted, sum(r["denominator"] for r in e.rows)) == (
                e.numerator, e.denominator), where


def test_the_profiles_change_the_rows(explained: dict[str, Any]) -> None:
    """The equality above holds on rows that differ by profile (hand-worked)."""
    generic, windowed = explained["generic"][1], explained["window_and_cap"][1]
    # generic: A1's rounds S1 10:00 (30 s), S1 10:05 (240 s), S3 11:00 (20 s) -> 2 of 3 in time
    g = generic[("A1", "reply_3min_rate")]
    assert column(g, "response_s") == [30.0, 240.0, 20.0]
    assert column(g, "numerator") == [True, False, True]
    # window 10:03-24:00: S1 10:05 and S3 11:00; 240 s capped at 100 s: (100 + 20) / 2
    w = windowed[("A1", "response_s")]
    assert [(r["session_id"], r["round"]) for r in w.rows] == [("S1", 2), ("S3", 1)]
    assert column(w, "response_s") == [100.0, 20.0]
    assert column(w, "uncapped_s") == [240.0, 20.0]
    assert (w.numerator, w.denominator) == (120.0, 2)
    assert "10:03-24:00" in w.note and "100 s" in w.note
    # S1's first round is outside the window: only S3's first round is left
    assert column(windowed[("A1", "first_response_s")], "session_id") == ["S3"]
    # the after-sale agent A2's refund rate: the shop's paid orders O1, O2, O3 (shop scope)
    # or A2's own credited ones, none (agent scope)
    assert column(generic[("A2", "refund_rate")], "order_id") == ["O1", "O2", "O3"]
    assert explained["agent_scope"][1][("A2", "refund_rate")].rows == []


# --- the defects of the old drill-down -------------------------------------------------------


def test_a_figure_whose_inputs_are_missing_is_a_clean_error(tmp_path: Path) -> None:
    no_online = {k: v for k, v in FILES.items() if k not in ("agents.csv", "online.csv")}
    with pytest.raises(UsageError) as err:
        run(no_online, tmp_path / "a", "A1", "online_hours")
    assert err.value.code == "explain_missing_input"
    assert err.value.message == "online_hours cannot be explained: no online table"
    assert "online" in (err.value.hint or "")
    # an optional column: refunds without cost
    refunds = "refund_id,order_id,agent_id,requested_ts\nR1,O1,A2,2026-10-10 09:00:00\n"
    with pytest.raises(UsageError, match="no cost column in refunds") as err:
        run({**no_online, "refunds.csv": refunds}, tmp_path / "b", "A2", "aftersale_cost")
    assert err.value.params["inputs"] == "refunds.cost"


def test_an_unknown_agent_is_an_error_naming_it(shop: Path) -> None:
    with pytest.raises(UsageError) as err:
        Shop(shop).explain(Q, "A9", "sessions")
    assert err.value.code == "explain_unknown_agent" and "'A9'" in err.value.message
    assert "cskpi metrics --by agent" in (err.value.hint or "")


def test_a_shop_metric_points_to_the_shop_rows(shop: Path) -> None:
    with pytest.raises(UsageError) as err:
        Shop(shop).explain(Q, "A1", "silent_order_share")
    assert err.value.code == "explain_shop_metric"
    assert "cskpi metrics --by shop" in (err.value.hint or "")


def test_refund_rate_lists_the_paid_orders_and_which_were_refunded(tmp_path: Path) -> None:
    """A1's orders (golden sales data): paid in October O2 and O6; refunds requested in
    October on O2 (R1, R3) and on the unpaid O4 (R4, added here; O4 is A1's by P5)."""
    refunds = REFUNDS + "R4,O4,B1,2026-10-09 09:00:00,,30.00,refund_only,false,0\n"
    e = run({"sessions.csv": SESSIONS, "orders.csv": ORDERS, "refunds.csv": refunds},
            tmp_path, "A1", "refund_rate")
    # O2 paid and refunded, O6 paid only, O4 refunded only: refund_rate = 2 / 2
    assert [(r["order_id"], r["numerator"], r["denominator"]) for r in e.rows] == [
        ("O2", True, True), ("O6", False, True), ("O4", True, False)]
    assert (e.numerator, e.denominator) == (2, 2)
    assert e.rows[0]["refund_requested"] == dt.datetime(2026, 10, 4, 9)  # R1, before R3
    assert e.note.startswith("refund_rate = 2 / 2 = 100.0%: the numerator comes from the 2 ")


def test_complaints_show_clean_columns(shop: Path) -> None:
    e = Shop(shop).explain(Q, "A2", "complaints")
    # verified K1 against A2 (K2, against A1, is not verified)
    assert e.rows == [{"complaint_id": "K1", "time": dt.datetime(2026, 10, 11, 9),
                       "order_id": None, "points": None, "note": None}]
    rate = Shop(shop).explain(Q, "A2", "complaint_rate")
    for c in {c for r in rate.rows for c in r} | set(e.columns):
        assert not c.endswith(("_utc", "_local", "_id_right")) and not c.startswith("_"), c
        assert c != "agent_id", c


def test_conversion_lists_the_inquiring_customers(tmp_path: Path) -> None:
    """Golden sales data: A1's inquiring customers C1 (P1), C2 (P3), C4 (P5); C2's O2 was
    ordered and paid; C4's O4 ordered, unpaid; C1's O1 went to A2 (last touch)."""
    files = {"sessions.csv": SESSIONS, "orders.csv": ORDERS}
    e = run(files, tmp_path / "c", "A1", "conversion_rate")
    assert e.source == "customers"
    assert [(r["customer_id"], r["sessions"], r["ordered"], r["paid"], r["numerator"])
            for r in e.rows] == [("C1", 1, False, False, False), ("C2", 1, True, True, True),
                                 ("C4", 1, True, False, False)]
    assert e.rows[0]["first_inquiry"] == dt.datetime(2026, 10, 1, 10)
    assert (e.numerator, e.denominator) == (1, 3)  # conversion = 1 / 3
    assert e.note.startswith("conversion_rate = 1 / 3 = 33.3%: 1 of the 3 inquiring customers")
    order_rate = run(files, tmp_path / "o", "A1", "order_rate")
    assert column(order_rate, "numerator") == [False, True, True]  # C2, C4 ordered: 2 / 3


def test_a_count_lists_only_what_it_counts(tmp_path: Path) -> None:
    """S1 is answered, S2 never: unanswered_sessions lists S2 alone."""
    files = {"sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                             "S1,C1,A1,2026-10-03 10:00:00\nS2,C2,A1,2026-10-04 10:00:00\n",
             "messages.csv": HEAD + "S1,2026-10-03 10:00:00,customer,,C1,\n"
                                    "S1,2026-10-03 10:01:00,agent,A1,,\n"
                                    "S2,2026-10-04 10:00:00,customer,,C2,\n"}
    e = run(files, tmp_path, "A1", "unanswered_sessions")
    assert column(e, "session_id") == ["S2"] and e.numerator == 1
    assert column(e, "agent_messages") == [0]


def test_the_note_reads_in_chinese(shop: Path, cli: Any, tmp_path: Path) -> None:
    with Workspace(shop).connect(read_only=True) as con:
        backend = duckdb_backend(con)
        inp = duckdb_inputs(backend, con, "Asia/Shanghai")
        try:
            e = explain(backend, inp, Q, "A1", "satisfaction", lang="zh_CN")
        finally:
            inp.release()
    # A1's rated session: S1 (5) -> 1 / 1
    assert e.note == ("satisfaction = 1 / 1 = 100.0%：下列 1 条有评价的会话中有 1 条为"
                      "评分 4-5 的会话（标记为计入分子）。")
    d = write_folder(tmp_path / "d", FILES)
    zh = cli("explain", "--data", d, "--period", "2026-10", "--agent", "A1", "--metric",
             "conversion_rate", "--lang", "zh")
    assert zh.exit_code == 0 and "询单顾客" in zh.stdout
    as_json = json.loads(cli("explain", "--data", d, "--period", "2026-10", "--agent", "A1",
                             "--metric", "conversion_rate", "--format", "json").stdout)
    # A1's inquiring customers C1 (S1), C3 (S3) both paid (O1 explicit, O2 by S3): 2 / 2
    assert (as_json["numerator"], as_json["denominator"]) == (2, 2)
    assert as_json["note"].startswith("conversion_rate = 2 / 2 = 100.0%")


# --- golden rows ------------------------------------------------------------------------------


def test_rounds_of_the_taobao_example_with_a_cap(tmp_path: Path) -> None:
    """Buyer 10:10:15 and 10:15:20, seller 10:18:10 (475 s); buyer 10:18:30, seller
    10:19:00 (30 s).  Taobao with response_cap_s 300: response_s = (300 + 30) / 2."""
    lines = (("10:10:15", "customer", "", "C1"), ("10:15:20", "customer", "", "C1"),
             ("10:18:10", "agent", "A1", ""), ("10:18:30", "customer", "", "C1"),
             ("10:19:00", "agent", "A1", ""))
    chat = {"messages.csv": HEAD + "".join(f"S1,2026-10-03 {t},{who},{a},{c},\n"
                                           for t, who, a, c in lines)}
    rate = run(chat, tmp_path / "r", "A1", "reply_3min_rate", "taobao")
    assert [(r["round"], r["response_s"], r["in_time"], r["numerator"]) for r in rate.rows] == [
        (1, 475.0, False, False), (2, 30.0, True, True)]
    assert (rate.numerator, rate.denominator) == (1, 2)
    capped = run(chat, tmp_path / "c", "A1", "response_s", "taobao", {"response_cap_s": "300"})
    assert column(capped, "response_s") == [300.0, 30.0]
    assert column(capped, "uncapped_s") == [475.0, 30.0]
    assert (capped.numerator, capped.denominator) == (330.0, 2)
    assert "numerator" not in capped.columns  # every answered round counts above the line


def test_mixed_rows_carry_their_kind(tmp_path: Path) -> None:
    """A1: paid orders O2, O6 (golden sales data) against the verified complaint K1."""
    complaints = ("complaint_id,ts,agent_id,verified,note\n"
                  "K1,2026-10-09 10:00,A1,true,rude\nK2,2026-10-09 11:00,A1,false,\n")
    e = run({"sessions.csv": SESSIONS, "orders.csv": ORDERS, "complaints.csv": complaints},
            tmp_path, "A1", "complaint_rate")
    assert e.source == "orders_and_complaints"
    assert [(r["kind"], r["order_id"], r["complaint_id"], r["numerator"], r["denominator"])
            for r in e.rows] == [("paid_order", "O2", None, False, True),
                                 ("paid_order", "O6", None, False, True),
                                 ("complaint", None, "K1", True, False)]
    assert (e.numerator, e.denominator) == (1, 2)  # complaint_rate = 1 / 2


def test_aov_lists_the_paid_orders_of_its_paying_customers(tmp_path: Path) -> None:
    """A1's credited paid orders O2 (C2, 50.50) and O6 (C9, 40.00): 90.50 / 2 = 45.25."""
    e = run({"sessions.csv": SESSIONS, "orders.csv": ORDERS}, tmp_path, "A1", "aov")
    assert [(r["order_id"], r["customer_id"], r["amount"]) for r in e.rows] == [
        ("O2", "C2", Decimal("50.50")), ("O6", "C9", Decimal("40.00"))]
    assert (e.numerator, e.denominator) == (Decimal("90.50"), 2)
    assert "= 45.25:" in e.note


def test_online_intervals_are_merged_and_clipped(tmp_path: Path) -> None:
    """09-30 23:00 - 10-01 01:00 counts from 10-01 00:00: 1 h; 10-02 09:00-11:00 and
    10:00-12:00 overlap: one interval of 3 h; 4 h in all."""
    online = ("agent_id,start_ts,end_ts\nA1,2026-09-30 23:00,2026-10-01 01:00\n"
              "A1,2026-10-02 09:00,2026-10-02 11:00\nA1,2026-10-02 10:00,2026-10-02 12:00\n"
              "A2,2026-10-02 09:00,2026-10-02 10:00\n")
    e = run({"online.csv": online}, tmp_path, "A1", "online_hours")
    assert e.rows == [
        {"start": dt.datetime(2026, 10, 1), "end": dt.datetime(2026, 10, 1, 1),
         "intervals": 1, "hours": 1.0},
        {"start": dt.datetime(2026, 10, 2, 9), "end": dt.datetime(2026, 10, 2, 12),
         "intervals": 2, "hours": 3.0}]
    assert e.numerator == 4.0


def test_a_workspace_drill_down_lists_the_same_rows_from_the_facts_it_keeps(
        shop: Path, explained: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Through ``Shop`` a workspace's drill-down takes the sessions' human starts from the
    session facts the workspace keeps (the chat log is not read for them: at ten million
    messages that was a second of every drill-down); its rows are the rows worked out
    from the chat log, for every agent and metric."""
    from cskpi.metrics.families import service

    def from_messages(_inp: Any) -> Any:
        raise AssertionError("the human starts were read from the chat log")

    rows, drills = explained["generic"]
    with Shop(shop) as kept:
        kept.metrics(Q)  # the facts, kept in the workspace
        monkeypatch.setattr(service, "_base_from_messages", from_messages)
        for (agent, key), e in drills.items():
            got = kept.explain(Q, agent, key)
            assert (got.rows, got.numerator, got.denominator) == (
                e.rows, e.numerator, e.denominator), f"{key} of {agent}"
