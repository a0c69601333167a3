"""Incremental upkeep of the metrics cache: cached figures always equal fresh ones.

``compute_metrics(use_cache=True)`` keeps session facts, daily rollups and order credit in
the workspace and, after an import, recomputes only what that import touched.  The oracle
here is the from-scratch computation on the same workspace (``use_cache=False``): after
each import the two must give identical rows, every key of every row.

The data is one small demo shop (every second session with a blank ``kind``, so that the
agent's role decides it, and one hand-made session that crosses midnight), cut into
import folders by the local day each session starts on, with late and replacing data
imported on top.  Each computation costs most of a second (compiling the queries, not
running them), so every test checks few queries, chosen to cover what its import changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import pytest

from cskpi.data.demo import generate
from cskpi.metrics.compute import MetricQuery, MetricResult
from cskpi.metrics.engine import Buckets
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.day_imports import (
    Rows,
    Tables,
    day_of,
    read_tables,
    split_by_day,
    write_tables,
)

START = dt.date(2026, 10, 1)  # a Thursday: the first week has 4 days, the second 2
DAYS = 6
END = START + dt.timedelta(days=DAYS - 1)
MONTH_END = dt.date(2026, 10, 31)
# long replays of daily imports, each checked against a fresh computation (about a minute
# in all): the slow tier; the default tier keeps the compile-once and facts-cache tests
pytestmark = pytest.mark.slow

GROUP_FIELD = {"agent": "agent_id", "team": "team", "shop": "shop"}
BYS = ("agent", "team", "shop")
GRAINS = (None, "day", "week")
MIDNIGHT = "S-MIDNIGHT"  # starts 23:58 on day 2, ends 00:02 on day 3


def day(n: int) -> dt.date:
    """The n-th day of the shop (1-based)."""
    return START + dt.timedelta(days=n - 1)


# --- data --------------------------------------------------------------------------------


def midnight_session(agent_id: str) -> Tables:
    """A chat from 23:58 on day 2 to 00:02 on day 3, one round on each side of midnight."""
    d2, d3 = day(2).isoformat(), day(3).isoformat()
    session = {"session_id": MIDNIGHT, "customer_id": "C-MIDNIGHT", "agent_id": agent_id,
               "start_ts": f"{d2} 23:58:00", "transfer_ts": "", "end_ts": f"{d3} 00:02:00",
               "channel": "taobao", "kind": ""}

    def message(ts: str, sender: str, text: str) -> dict[str, str]:
        return {"session_id": MIDNIGHT, "ts": ts, "sender": sender,
                "agent_id": agent_id if sender == "agent" else "",
                "customer_id": "C-MIDNIGHT" if sender == "customer" else "",
                "text": text, "event": ""}

    return {"sessions": [session], "messages": [
        message(f"{d2} 23:58:00", "customer", "在吗"),
        message(f"{d2} 23:59:30", "agent", "亲，在的"),
        message(f"{d3} 00:01:00", "customer", "有货吗"),
        message(f"{d3} 00:02:00", "agent", "亲，有货的哦"),
    ]}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    """The demo shop's rows (treat as read-only: tests copy what they change)."""
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, agents=6, days=DAYS, seed=5, messages=3000, start=START)
    tables = read_tables(folder)
    # every second session leaves its kind to the agent's role
    tables["sessions"] = [{**s, "kind": ""} if i % 2 else s
                          for i, s in enumerate(tables["sessions"])]
    extra = midnight_session(presale_agents(tables)[0])
    for name, rows in extra.items():
        tables[name] = tables[name] + rows
    return tables


def presale_agents(tables: Tables) -> list[str]:
    return [a["agent_id"] for a in tables["agents"] if a["role"] == "presale"]


def merge(*parts: Tables) -> Tables:
    out: Tables = {}
    for part in parts:
        for name, rows in part.items():
            out[name] = out.get(name, []) + list(rows)
    return out


def start_days(tables: Tables) -> dict[str, dt.date]:
    return {s["session_id"]: day_of(s["start_ts"]) for s in tables["sessions"]}


# --- computing both ways -----------------------------------------------------------------


def query(by: str = "agent", grain: str | None = None, profile: str = "generic") -> MetricQuery:
    return MetricQuery(START, END, by=by, grain=grain, profile=resolve(profile))


def month(by: str = "agent", profile: str = "generic", grain: str | None = "month"
          ) -> MetricQuery:
    """The whole calendar month of the shop's days: counted from the month rows."""
    q = MetricQuery(START, MONTH_END, by=by, grain=grain, profile=resolve(profile))
    assert Buckets(q.start, q.end, q.grain).whole_months()
    return q


def describe(q: MetricQuery) -> str:
    return f"by={q.by} grain={q.grain} profile={q.profile.name}"


class _Absent:
    def __repr__(self) -> str:
        return "<no such key>"


ABSENT = _Absent()


def same(a: Any, b: Any) -> bool:
    """Equal values of the same type (1 is not 1.0, Decimal is not float); NaN equals NaN."""
    return type(a) is type(b) and (a == b or (a != a and b != b))


def mismatches(q: MetricQuery, cached: list[dict[str, Any]],
               fresh: list[dict[str, Any]]) -> list[str]:
    """Every difference, one line each: group, period, metric, cached and fresh value."""
    field = GROUP_FIELD[q.by]

    def key(row: dict[str, Any]) -> tuple[Any, Any, Any]:
        return row.get(field), row.get("period_start"), row.get("period_end")

    def where(k: tuple[Any, Any, Any]) -> str:
        return f"{field}={k[0]} period={k[1]}..{k[2]}"

    out: list[str] = []
    cached_keys, fresh_keys = [key(r) for r in cached], [key(r) for r in fresh]
    for keys, side in ((cached_keys, "cached"), (fresh_keys, "fresh")):
        doubled = sorted({k for k in keys if keys.count(k) > 1}, key=str)
        out += [f"{where(k)}: more than one {side} row" for k in doubled]
    by_key, have = dict(zip(fresh_keys, fresh, strict=True)), set(cached_keys)
    out += [f"{where(k)}: row missing from the cached result"
            for k in fresh_keys if k not in have]
    for k, row in zip(cached_keys, cached, strict=True):
        other = by_key.get(k)
        if other is None:
            out.append(f"{where(k)}: row only in the cached result")
            continue
        for metric in sorted(row.keys() | other.keys()):
            a, b = row.get(metric, ABSENT), other.get(metric, ABSENT)
            if not same(a, b):
                out.append(f"{where(k)} metric={metric}: cached {a!r} != fresh {b!r}")
    if not out and cached_keys != fresh_keys:
        out.append(f"same rows in another order: cached {cached_keys}, fresh {fresh_keys}")
    return out


class Bench:
    """One workspace under ``tmp_path``, fed table rows, computed both ways."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "ws.duckdb"
        self.imports = 0

    def load(self, tables: Tables, replace: Collection[str] = ()) -> None:
        self.imports += 1
        folder = write_tables(self.root / f"import{self.imports}", tables)
        Workspace(self.path).import_folder(folder, replace=replace)

    def cached(self, q: MetricQuery) -> MetricResult:
        result = Shop(self.path).metrics(q)
        assert result.cache is not None, "use_cache=True computed without the cache"
        return result

    def check(self, q: MetricQuery) -> tuple[MetricResult, MetricResult]:
        """Cached first (it brings the cache up to date), then fresh: identical rows."""
        cached = self.cached(q)
        fresh = Shop(self.path).metrics(q, use_cache=False)
        assert fresh.rows and sum(r.get("sessions") or 0 for r in fresh.rows) > 0, \
            f"nothing to compare ({describe(q)})"
        problems = mismatches(q, cached.rows, fresh.rows)
        assert not problems, (f"after import {self.imports}, cached != fresh "
                              f"({describe(q)}), {len(problems)} differences:\n"
                              + "\n".join(problems[:40]))
        return cached, fresh


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    return Bench(tmp_path)


def figures(result: MetricResult, metric: str,
            days: Iterable[dt.date] | None = None) -> dict[tuple[Any, Any], Any]:
    """(group, period start) -> one metric, optionally only periods starting on ``days``."""
    field = GROUP_FIELD[result.query.by]
    wanted = None if days is None else {d.isoformat() for d in days}
    return {(r[field], r["period_start"]): r[metric] for r in result.rows
            if wanted is None or r["period_start"] in wanted}


def total(result: MetricResult, metric: str, days: Iterable[dt.date] | None = None) -> Any:
    return sum(v or 0 for v in figures(result, metric, days).values())


# --- imports day by day ----------------------------------------------------------------


def test_day_by_day_imports_keep_cached_equal_to_fresh(bench: Bench, shop: Tables) -> None:
    """Three imports of two days each; after each, every grouping and every grain.

    After import n the queries form a Latin square (each ``by`` once, each grain once),
    shifted by n so that the three imports cover all nine combinations; the profiles
    alternate within each import, so both are brought up to date after every import.
    """
    parts = split_by_day(shop, day(3), day(5))
    profiles = ("generic", "taobao")
    for n, part in enumerate(parts):
        bench.load(part)
        for i, by in enumerate(BYS):
            q = query(by, GRAINS[(i + n) % 3], profiles[(i + n) % 2])
            cached, _ = bench.check(q)
            if n:
                assert not cached.cache.full, f"import {n + 1}: the cache was rebuilt whole"
        # and the whole month, counted from the month rows the imports kept up to date
        bench.check(month(BYS[n], profiles[n % 2], grain=("month", None)[n % 2]))


# --- late data -----------------------------------------------------------------------


def test_late_ratings_for_sessions_of_earlier_imports(bench: Bench, shop: Tables) -> None:
    """Days 1-3 come unrated; their ratings follow with days 4-6, and day 3's alone."""
    early, late = split_by_day(shop, day(4))
    held = early.pop("ratings")
    on = start_days(shop)
    day3 = [r for r in held if on[r["session_id"]] == day(3)]
    q = query("agent", "day", "douyin")
    bench.load(early)
    before = bench.cached(q)
    assert total(before, "rated_sessions") == 0
    bench.load(merge(late, {"ratings": [r for r in held if on[r["session_id"]] < day(3)]}))
    bench.cached(q)  # brings the cache up to date; a day it missed stays wrong below
    bench.load({"ratings": day3})  # an import of nothing but ratings
    _, fresh = bench.check(q)
    assert total(fresh, "rated_sessions", [day(1), day(2), day(3)]) > 0


def test_late_orders_credited_to_sessions_of_an_earlier_import(bench: Bench,
                                                               shop: Tables) -> None:
    """Day 3's orders arrive with days 4-6: their inquiries were imported before."""
    early, late = split_by_day(shop, day(4))
    held = [o for o in early["orders"] if day_of(o["created_ts"]) == day(3)]
    early["orders"] = [o for o in early["orders"] if o not in held]
    q = query("agent", "day")
    bench.load(early)
    before = bench.cached(q)
    bench.cached(month())
    bench.load(merge(late, {"orders": held}))
    _, fresh = bench.check(q)
    bench.check(month())
    # the precondition: day 3's inquiries converted only once their orders came
    assert total(before, "ordering_customers", [day(3)]) == 0
    assert total(fresh, "ordering_customers", [day(3)]) > 0


def test_late_sessions_take_credit_for_stored_orders(bench: Bench, shop: Tables) -> None:
    """Every order is stored first; day 4's chats come after, and take credit (last touch)."""
    first, day4, rest = split_by_day(shop, day(4), day(5))
    orders = day4.pop("orders")
    q = query("agent", "day")
    bench.load(merge(first, rest, {"orders": orders}))
    before = bench.cached(q)
    bench.load(day4)
    _, fresh = bench.check(q)
    bench.check(month("team"))
    assert figures(fresh, "sales") != figures(before, "sales")  # credit moved


def test_orders_imported_on_their_own_update_the_month(bench: Bench, shop: Tables) -> None:
    """Day 3's orders come alone, in an import without a session: no day is touched, and
    the month rows of their customers change only because their credit does."""
    held = [o for o in shop["orders"] if day_of(o["created_ts"]) == day(3)]
    bench.load({**shop, "orders": [o for o in shop["orders"] if o not in held]})
    before = bench.cached(month())
    bench.load({"orders": held})
    after, _ = bench.check(month())
    assert total(after, "ordering_customers") > total(before, "ordering_customers")


def chat(session_id: str, customer: str, agent: str, start: str) -> Tables:
    """A presale chat: the customer asks at ``start``, the agent answers a minute later."""
    reply = (dt.datetime.fromisoformat(start) + dt.timedelta(minutes=1)).isoformat(sep=" ")
    return {
        "sessions": [{"session_id": session_id, "customer_id": customer, "agent_id": agent,
                      "start_ts": start, "transfer_ts": "", "end_ts": reply,
                      "channel": "taobao", "kind": "presale"}],
        "messages": [
            {"session_id": session_id, "ts": start, "sender": "customer", "agent_id": "",
             "customer_id": customer, "text": "在吗", "event": ""},
            {"session_id": session_id, "ts": reply, "sender": "agent", "agent_id": agent,
             "customer_id": "", "text": "亲，在的", "event": ""}],
    }


def test_credit_taken_by_a_later_import_leaves_the_first_agents_month(bench: Bench) -> None:
    """C1 asks A1 on day 1 and orders on day 2: A1 has the credit.  B1's chat with C1 on
    day 2 before the order comes in a later import and takes the credit (last touch): A1's
    month row of C1 must lose its order, though no chat or order of A1 was imported."""
    agents = [{"agent_id": a, "name": a, "role": "presale", "team": "T", "level": "",
               "active": "true"} for a in ("A1", "B1")]
    order = {"order_id": "O1", "customer_id": "C1", "created_ts": f"{day(2)} 12:00:00",
             "paid_ts": f"{day(2)} 12:05:00", "amount": "100.00", "units": "1",
             "status": "paid", "agent_id": ""}
    bench.load({"agents": agents, **chat("S1", "C1", "A1", f"{day(1)} 10:00:00"),
                "orders": [order]})
    before = bench.cached(month())
    bench.load(chat("S2", "C1", "B1", f"{day(2)} 09:00:00"))
    after, _ = bench.check(month())
    # the hand-worked figures: one ordering customer, A1's before, B1's after
    assert figures(before, "ordering_customers") == {("A1", "2026-10-01"): 1,
                                                     ("B1", "2026-10-01"): 0}
    assert figures(after, "ordering_customers") == {("A1", "2026-10-01"): 0,
                                                    ("B1", "2026-10-01"): 1}


def test_imports_across_a_month_end(tmp_path: Path) -> None:
    """Four days from October 30 to November 2, imported two days at a time; October and
    November as whole months (their month rows) and as one range (the day rows)."""
    first = dt.date(2026, 10, 30)
    folder = tmp_path / "demo"
    generate(folder, agents=4, days=4, seed=11, messages=1500, start=first)
    tables = read_tables(folder)
    bench = Bench(tmp_path / "ws")
    bench.root.mkdir()
    months = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 11, 30), grain="month")
    assert Buckets(months.start, months.end, months.grain).whole_months()
    for part in split_by_day(tables, dt.date(2026, 11, 1)):
        bench.load(part)
        cached, fresh = bench.check(months)
        bench.check(MetricQuery(first, dt.date(2026, 11, 2), by="team"))
    starts = {r["period_start"] for r in fresh.rows if r["sessions"]}
    assert starts == {"2026-10-01", "2026-11-01"}  # both months have chats
    assert not cached.cache.full


def last_round(chat: Rows) -> int:
    """Where a chat's last customer round starts, if an earlier customer message exists
    (else the length of the chat: nothing to hold back)."""
    customer = [k for k, m in enumerate(chat) if m["sender"] == "customer"]
    starts = [k for k in customer[1:] if chat[k - 1]["sender"] != "customer"]
    return starts[-1] if starts else len(chat)


@pytest.mark.parametrize("sessions_table", [True, False], ids=["sessions", "derived"])
def test_messages_added_to_imported_sessions(bench: Bench, shop: Tables,
                                             sessions_table: bool) -> None:
    """Days 1-3 come without the last customer round of every fourth chat of days 1-2,
    and without the midnight chat's first round; those messages follow with days 4-6.
    The midnight chat moves from day 3 to day 2, and is the only change of day 3: its
    rollup must be rebuilt too.  ``derived``: no sessions table, sessions come from
    the messages.
    """
    early, late = split_by_day(shop, day(4))
    on = start_days(shop)
    chats: dict[str, Rows] = {}
    for m in early["messages"]:
        chats.setdefault(m["session_id"], []).append(m)
    held: Rows = []
    for n, (sid, chat) in enumerate(sorted(chats.items())):
        chat = sorted(chat, key=lambda m: m["ts"])
        if sid == MIDNIGHT:
            held += [m for m in chat if day_of(m["ts"]) < day(3)]
        elif n % 4 == 0 and on[sid] < day(3):
            held += chat[last_round(chat):]
    gone = {id(m) for m in held}
    early["messages"] = [m for m in early["messages"] if id(m) not in gone]
    late["messages"] = late["messages"] + held
    if not sessions_table:
        del early["sessions"], late["sessions"]
    q = query("agent", "day")
    bench.load(early)
    before = bench.cached(q)
    bench.load(late)
    after, fresh = bench.check(q)
    bench.check(month())
    old_days = {d.isoformat() for d in (day(1), day(2), day(3))}
    assert [r for r in fresh.rows if r["period_start"] in old_days] != \
        [r for r in before.rows if r["period_start"] in old_days]  # the old days changed
    touched = {s["session_id"] for s in late.get("sessions", [])} | \
        {m["session_id"] for m in late["messages"]}
    assert {m["session_id"] for m in held} - {s["session_id"] for s in late.get("sessions", [])}
    assert (after.cache.full, after.cache.recomputed_sessions) == (False, len(touched))


# --- replaced tables -------------------------------------------------------------------


def test_replaced_orders(bench: Bench, shop: Tables) -> None:
    """A corrected orders export: a third of the orders gone, some paid ones unpaid."""
    kept = [o for i, o in enumerate(shop["orders"]) if i % 3]
    orders = [{**o, "status": "unpaid", "paid_ts": ""} if i % 4 == 0 else o
              for i, o in enumerate(kept)]
    q = query("agent", None)
    bench.load(shop)
    before = bench.cached(q)
    bench.cached(month())
    bench.load({"orders": orders}, replace={"orders"})
    _, fresh = bench.check(q)
    bench.check(month())
    assert figures(fresh, "sales") != figures(before, "sales")


def test_replaced_ratings(bench: Bench, shop: Tables) -> None:
    """A corrected ratings export: day 2's ratings and a third of the others gone, some
    scores now 1 (day 2 only lost rows: no new rating points the cache to it)."""
    on = start_days(shop)
    kept = [r for i, r in enumerate(shop["ratings"]) if i % 3 and on[r["session_id"]] != day(2)]
    ratings = [{**r, "score": "1"} if i % 4 == 0 else r for i, r in enumerate(kept)]
    q = query("team", "day", "douyin")
    bench.load(shop)
    before = bench.cached(q)
    bench.load({"ratings": ratings}, replace={"ratings"})
    _, fresh = bench.check(q)
    assert total(fresh, "rated_sessions") < total(before, "rated_sessions")


def test_replaced_messages_with_fewer_rows(bench: Bench, shop: Tables) -> None:
    """A corrected chat log with fewer rows: without the last message of every third chat,
    and without any message of every fifth chat (those sessions stay, now silent)."""
    ids = sorted({m["session_id"] for m in shop["messages"]})
    trimmed, silent = set(ids[::3]), set(ids[1::5])
    last = {m["session_id"]: i for i, m in enumerate(shop["messages"])
            if m["session_id"] in trimmed}
    gone = set(last.values())
    messages = [m for i, m in enumerate(shop["messages"])
                if i not in gone and m["session_id"] not in silent]
    q = query("agent", "day")
    bench.load(shop)
    before = bench.cached(q)
    bench.load({"messages": messages}, replace={"messages"})
    _, fresh = bench.check(q)
    assert figures(fresh, "reply_3min_rate_den") != figures(before, "reply_3min_rate_den")


def test_replaced_agents_with_another_team_and_role(bench: Bench, shop: Tables) -> None:
    """The roster changes: a pre-sale agent turns after-sale (their chats of blank kind are
    no longer inquiries, nor credited with orders) and an after-sale agent changes team."""
    to_aftersale = presale_agents(shop)[0]
    mover = next(a for a in shop["agents"] if a["role"] == "aftersale")
    new_team = next(a["team"] for a in shop["agents"] if a["agent_id"] == to_aftersale)
    assert mover["team"] != new_team
    agents = [{**a, "role": "aftersale"} if a["agent_id"] == to_aftersale
              else {**a, "team": new_team} if a is mover else a for a in shop["agents"]]
    q = query("team", "week")
    bench.load(shop)
    before = bench.cached(q)
    bench.cached(month("team"))
    bench.load({"agents": agents}, replace={"agents"})
    _, fresh = bench.check(q)
    bench.check(month("team"))
    assert figures(fresh, "sessions") != figures(before, "sessions")  # the team moved
    assert figures(fresh, "inquiring_customers") != figures(before, "inquiring_customers")


# --- whole months ----------------------------------------------------------------------

CUSTOMER_FIGURES = ("customers", "replied_customers", "inquiring_customers",
                    "aftersale_customers", "ordering_customers", "paying_customers",
                    "reply_rate", "order_rate", "conversion_rate")


@pytest.mark.parametrize("by", BYS)
def test_whole_months_count_customers_as_the_day_rows_do(bench: Bench, shop: Tables,
                                                         by: str) -> None:
    """A whole month is counted from the month rows, any other range from the day rows:
    October 1-31 and October 1 - November 1 hold the same data and the same counts."""
    bench.load(shop)
    whole = bench.cached(month(by, grain=None)).rows
    spill = bench.cached(MetricQuery(START, MONTH_END + dt.timedelta(days=1), by=by)).rows
    assert not Buckets(START, MONTH_END + dt.timedelta(days=1), None).whole_months()
    assert len(whole) == len(spill) > 0
    for a, b in zip(whole, spill, strict=True):
        for metric in CUSTOMER_FIGURES:
            assert a[metric] == b[metric], (by, a[GROUP_FIELD[by]], metric)
    assert sum(r["paying_customers"] for r in whole) > 0
    assert sum(r["customers"] for r in whole) > sum(r["paying_customers"] for r in whole)


# --- the cache report ------------------------------------------------------------------


def test_one_more_day_recomputes_only_its_sessions(bench: Bench, shop: Tables) -> None:
    """The report: a full computation first, then only the new day's sessions."""
    first, last = split_by_day(shop, day(DAYS))
    q = query("shop", None)
    bench.load(first)
    warm = bench.cached(q)
    assert (warm.cache.full, warm.cache.recomputed_sessions) == (True, len(first["sessions"]))
    bench.load(last)
    after = bench.cached(q)
    assert 0 < len(last["sessions"]) < len(shop["sessions"])
    assert (after.cache.full, after.cache.recomputed_sessions) == (False, len(last["sessions"]))
