"""The demo-data generator: deterministic, consistent, realistic, in the contract's format."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cskpi.data import demo
from cskpi.data.schema import TABLES

SEED = 7
MESSAGES = 60_000
SMALL_CHUNK = 1_000  # several chunks even in a small dataset


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, demo.DemoStats,
                                                                  list[tuple[int, int]]]:
    out = tmp_path_factory.mktemp("demo")
    calls: list[tuple[int, int]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "CHUNK_SESSIONS", SMALL_CHUNK)
        stats = demo.generate(out, agents=12, days=30, seed=SEED, messages=MESSAGES,
                              progress=lambda done, total: calls.append((done, total)))
    return out, stats, calls


@pytest.fixture(scope="module")
def db(generated: tuple[Path, demo.DemoStats, Any]) -> Iterator[duckdb.DuckDBPyConnection]:
    out = generated[0]
    con = duckdb.connect()
    for name in demo.TABLE_ORDER:
        con.execute(f"create table raw_{name} as select * from "
                    f"read_csv('{out / (name + '.csv')}', all_varchar=true, header=true)")
    # typed tables for the checks (loaded once)
    con.execute("create table agents as select * from raw_agents")
    con.execute("""create table sessions as select session_id, customer_id, agent_id,
        start_ts::timestamp start_ts, transfer_ts::timestamp transfer_ts, end_ts::timestamp end_ts,
        channel, kind from raw_sessions""")
    con.execute("""create table messages as select session_id, ts::timestamp ts, sender, agent_id,
        customer_id, text, event from raw_messages""")
    con.execute("""create table orders as select order_id, customer_id,
        created_ts::timestamp created_ts, paid_ts::timestamp paid_ts, amount::decimal(14,2) amount,
        units::int units, status, agent_id from raw_orders""")
    con.execute("""create table refunds as select refund_id, order_id, agent_id,
        requested_ts::timestamp requested_ts, completed_ts::timestamp completed_ts,
        amount::decimal(14,2) amount, kind, reason, dispute::boolean dispute,
        cost::decimal(14,2) as cost from raw_refunds""")
    con.execute("""create table ratings as select session_id, score::int score, ts::timestamp ts
        from raw_ratings""")
    # rounds of the human stage: customer burst (k = agent messages before it) and its reply
    con.execute("""create table rounds as
        with m as (
            select m.session_id, m.ts, m.sender from messages m join sessions s using (session_id)
            where m.sender in ('customer', 'agent')
              and m.ts >= coalesce(s.transfer_ts, s.start_ts)),
        g as (
            select *, coalesce(sum((sender = 'agent')::int) over (partition by session_id
                order by ts rows between unbounded preceding and 1 preceding), 0) k from m)
        select session_id, k, min(ts) filter (where sender = 'customer') round_ts,
               count(*) filter (where sender = 'customer') burst,
               min(ts) filter (where sender = 'agent') reply_ts
        from g group by session_id, k
        having count(*) filter (where sender = 'customer') > 0""")
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.sql(sql).fetchone()[0]  # type: ignore[index]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.csv"))}


# -- API, files, format --------------------------------------------------------------------------


def test_stats_and_files(generated: tuple[Path, demo.DemoStats, Any]) -> None:
    out, stats, _ = generated
    assert stats.out_dir == out
    assert stats.start == date(2026, 10, 1) and stats.days == 30
    assert list(stats.rows) == list(demo.TABLE_ORDER)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in demo.TABLE_ORDER)
    for name in demo.TABLE_ORDER:
        lines = (out / f"{name}.csv").read_bytes().decode("utf-8").split("\n")
        assert lines[0] == ",".join(TABLES[name].column_names), name  # contract order, no quotes
        assert lines[-1] == ""
        assert len(lines) - 2 == stats.rows[name] > 0, name


def test_progress_reports_each_chunk(generated: tuple[Path, demo.DemoStats, Any]) -> None:
    _, stats, calls = generated
    assert len(calls) >= stats.rows["sessions"] // SMALL_CHUNK
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and dones[0] > 0
    assert calls[-1] == (stats.rows["messages"], stats.rows["messages"])
    assert all(d <= t for d, t in calls)


def test_message_target_is_hit(tmp_path: Path) -> None:
    for target in (4_000, 40_000):
        stats = demo.generate(tmp_path / str(target), agents=6, days=7, seed=3, messages=target)
        assert abs(stats.rows["messages"] / target - 1) <= 0.05, (target, stats.rows["messages"])


def test_generated_dataset_hits_target(generated: tuple[Path, demo.DemoStats, Any]) -> None:
    assert abs(generated[1].rows["messages"] / MESSAGES - 1) <= 0.05


def test_default_density(tmp_path: Path) -> None:
    stats = demo.generate(tmp_path, agents=6, days=4, seed=11)
    con = duckdb.connect()
    working = one(con, f"""select count(*)
        from read_csv('{tmp_path}/attendance.csv', all_varchar=true) a
        join read_csv('{tmp_path}/agents.csv', all_varchar=true) g using (agent_id)
        where status in ('present', 'late') and role <> 'lead'""")
    per_agent_day = stats.rows["sessions"] / working
    assert 28 <= per_agent_day <= 42, per_agent_day
    assert 10 <= stats.rows["messages"] / stats.rows["sessions"] <= 14


def test_determinism(tmp_path: Path) -> None:
    kw: dict[str, Any] = dict(agents=5, days=6, messages=15_000)
    demo.generate(tmp_path / "a", seed=42, **kw)
    demo.generate(tmp_path / "b", seed=42, **kw)
    demo.generate(tmp_path / "c", seed=43, **kw)
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert a == b
    assert len(a) == len(demo.TABLE_ORDER)
    for name in ("sessions.csv", "messages.csv", "orders.csv", "attendance.csv", "online.csv"):
        assert a[name] != c[name], name


def test_bad_arguments(tmp_path: Path) -> None:
    for kw in ({"agents": 0}, {"days": 0}, {"messages": 0}):
        with pytest.raises(ValueError):
            demo.generate(tmp_path, **kw)


@pytest.mark.parametrize("agents", [1, 2, 3, 4])
def test_tiny_rosters_stay_consistent(tmp_path: Path, agents: int) -> None:
    stats = demo.generate(tmp_path, agents=agents, days=3, seed=5, messages=6_000)
    con = duckdb.connect()
    ids = {r[0] for r in con.sql(
        f"select agent_id from read_csv('{tmp_path}/agents.csv', all_varchar=true)").fetchall()}
    assert len(ids) == stats.rows["agents"] == agents
    for name in ("sessions", "messages", "orders", "refunds", "reviews", "complaints",
                 "attendance", "online", "grades", "events"):
        if stats.rows[name]:
            used = {r[0] for r in con.sql(f"select distinct agent_id from read_csv("
                                          f"'{tmp_path}/{name}.csv', all_varchar=true) "
                                          "where agent_id is not null").fetchall()}
            assert used <= ids, name


FORMATS = {
    "id_agent": r"A\d{3}",
    "id_session": r"S\d{8}",
    "id_customer": r"C\d{6}",
    "id_order": r"O\d{7}",
    "id_refund": r"R\d{6}",
    "id_complaint": r"P\d{4}",
    "ts": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
    "money": r"\d+\.\d\d",
}


@pytest.mark.parametrize("table,column,fmt,nullable", [
    ("agents", "agent_id", "id_agent", False),
    ("sessions", "session_id", "id_session", False),
    ("sessions", "customer_id", "id_customer", False),
    ("sessions", "agent_id", "id_agent", True),
    ("sessions", "start_ts", "ts", False),
    ("sessions", "transfer_ts", "ts", True),
    ("messages", "session_id", "id_session", False),
    ("messages", "ts", "ts", False),
    ("messages", "customer_id", "id_customer", True),
    ("orders", "order_id", "id_order", False),
    ("orders", "amount", "money", False),
    ("orders", "paid_ts", "ts", True),
    ("refunds", "refund_id", "id_refund", False),
    ("refunds", "order_id", "id_order", False),
    ("refunds", "amount", "money", False),
    ("refunds", "cost", "money", False),
    ("refunds", "completed_ts", "ts", True),
    ("complaints", "complaint_id", "id_complaint", False),
    ("complaints", "order_id", "id_order", True),
    ("online", "start_ts", "ts", False),
    ("events", "ts", "ts", False),
])
def test_formats(db: duckdb.DuckDBPyConnection, table: str, column: str, fmt: str,
                 nullable: bool) -> None:
    pattern = FORMATS[fmt]
    bad = one(db, f"select count(*) from raw_{table} where {column} is not null "
                  f"and not regexp_full_match({column}, '{pattern}')")
    assert bad == 0
    if not nullable:
        assert one(db, f"select count(*) from raw_{table} where {column} is null") == 0


def test_literal_formats(db: duckdb.DuckDBPyConnection) -> None:
    assert {r[0] for r in db.sql("select distinct active from raw_agents").fetchall()} == {"true"}
    assert {r[0] for r in db.sql("select distinct dispute from raw_refunds").fetchall()} == \
        {"true", "false"}
    assert {r[0] for r in db.sql("select distinct verified from raw_complaints").fetchall()} <= \
        {"true", "false"}
    assert one(db, "select count(*) from raw_attendance where not regexp_full_match("
                   "date, '\\d{4}-\\d\\d-\\d\\d')") == 0
    assert one(db, "select count(*) from raw_grades where not regexp_full_match("
                   "period, '\\d{4}-\\d\\d')") == 0
    assert one(db, "select count(*) from raw_targets where not regexp_full_match("
                   "period, '\\d{4}-\\d\\d')") == 0
    # a few amounts end in 0: the trailing zero is kept
    assert one(db, "select count(*) from raw_orders where amount like '%0'") > 0


def test_ids_keep_leading_zeros(generated: tuple[Path, demo.DemoStats, Any]) -> None:
    out = generated[0]
    first = (out / "sessions.csv").read_text(encoding="utf-8").split("\n")[1]
    assert first.startswith("S00000001,C0")
    assert (out / "agents.csv").read_text(encoding="utf-8").split("\n")[1].startswith("A001,")


# -- referential rules ---------------------------------------------------------------------------

ZERO_QUERIES = {
    "duplicate session ids":
        "select count(*) - count(distinct session_id) from sessions",
    "duplicate order ids": "select count(*) - count(distinct order_id) from orders",
    "duplicate refund ids": "select count(*) - count(distinct refund_id) from refunds",
    "duplicate complaint ids": "select count(*) - count(distinct complaint_id) from raw_complaints",
    "duplicate agent ids": "select count(*) - count(distinct agent_id) from agents",
    "message without session":
        "select count(*) from messages anti join sessions using (session_id)",
    "session without message":
        "select count(*) from sessions anti join messages using (session_id)",
    "message outside its session":
        "select count(*) from messages m join sessions s using (session_id) "
        "where m.ts < s.start_ts or m.ts > s.end_ts",
    "start/end not first/last message":
        "select count(*) from (select session_id, min(ts) a, max(ts) b from messages group by 1) m "
        "join sessions s using (session_id) where a <> s.start_ts or b <> s.end_ts",
    "two messages of a session at the same second":
        "select count(*) from (select session_id, ts from messages group by all "
        "having count(*) > 1)",
    "agent message with another agent":
        "select count(*) from messages m join sessions s using (session_id) "
        "where m.sender = 'agent' and m.agent_id is distinct from s.agent_id",
    "agent message in a session without agent":
        "select count(*) from messages m join sessions s using (session_id) "
        "where m.sender = 'agent' and s.agent_id is null",
    "bot/system/customer row with agent_id":
        "select count(*) from messages where sender <> 'agent' and agent_id is not null",
    "customer row without the session's customer":
        "select count(*) from messages m join sessions s using (session_id) "
        "where m.sender = 'customer' and m.customer_id is distinct from s.customer_id",
    "event on a non-system row":
        "select count(*) from messages where event is not null and sender <> 'system'",
    "transfer_ts without its transfer row":
        "select count(*) from sessions s where transfer_ts is not null and not exists (select 1 "
        "from messages m where m.session_id = s.session_id and m.event = 'transfer' "
        "and m.ts = s.transfer_ts)",
    "transfer row without transfer_ts":
        "select count(*) from messages m join sessions s using (session_id) "
        "where m.event = 'transfer' and s.transfer_ts is distinct from m.ts",
    "bad enum":
        "select count(*) from messages where sender not in ('customer','agent','bot','system') "
        "or event not in ('transfer','close')",
    "kind does not match the agent's role":
        "select count(*) from sessions s join agents a using (agent_id) "
        "where a.role <> 'lead' and a.role <> s.kind",
    "unknown agent":
        "select count(*) from (select agent_id from sessions union all "
        "select agent_id from messages union all select agent_id from orders union all "
        "select agent_id from refunds union all select agent_id from raw_reviews union all "
        "select agent_id from raw_complaints union all select agent_id from raw_attendance "
        "union all select agent_id from raw_online union all select agent_id from raw_grades "
        "union all select agent_id from raw_events) "
        "where agent_id is not null and agent_id not in (select agent_id from agents)",
    "rating of a missing or agentless session":
        "select count(*) from ratings r left join sessions s using (session_id) "
        "where s.agent_id is null",
    "two ratings for a session": "select count(*) - count(distinct session_id) from ratings",
    "rating before the session ended":
        "select count(*) from ratings r join sessions s using (session_id) where r.ts <= s.end_ts",
    "score out of range": "select count(*) from ratings where score not between 1 and 5",
    "refund of a missing order": "select count(*) from refunds anti join orders using (order_id)",
    "refund larger than order / of unpaid order / before payment":
        "select count(*) from refunds r join orders o using (order_id) where r.amount > o.amount "
        "or o.paid_ts is null or r.requested_ts < o.paid_ts",
    "refund completed before requested":
        "select count(*) from refunds where completed_ts < requested_ts",
    "refund handler not after-sale":
        "select count(*) from refunds r join agents a using (agent_id) where a.role <> 'aftersale'",
    "negative money":
        "select count(*) from (select amount m from orders union all select amount from refunds "
        "union all select cost from refunds) where m < 0",
    "status inconsistent with paid_ts":
        "select count(*) from orders where (status = 'paid') <> (paid_ts is not null)",
    "paid before created": "select count(*) from orders where paid_ts < created_ts",
    "bad units": "select count(*) from orders where units not between 1 and 3",
    "review of a missing order":
        "select count(*) from raw_reviews anti join orders using (order_id)",
    "review of an unpaid order or before payment":
        "select count(*) from raw_reviews v join orders o using (order_id) "
        "where o.paid_ts is null or v.ts::timestamp < o.paid_ts",
    "complaint of a missing order":
        "select count(*) from raw_complaints c where order_id is not null "
        "and order_id not in (select order_id from orders)",
    "complaint without agent": "select count(*) from raw_complaints where agent_id is null",
    "positive complaint points":
        "select count(*) from raw_complaints where points::double >= 0",
    "attendance not one row per agent per day":
        "select (select count(*) from agents) * 30 - count(distinct (agent_id, date)) "
        "+ count(*) - count(distinct (agent_id, date)) from raw_attendance",
    "online interval ends before it starts":
        "select count(*) from raw_online where end_ts::timestamp <= start_ts::timestamp",
    "online on a day off":
        "select count(*) from raw_online o join raw_attendance a on a.agent_id = o.agent_id "
        "and a.date = o.start_ts[:10] where a.status in ('leave', 'absent')",
    "sessions on a day off":
        "select count(*) from sessions s join raw_attendance a on a.agent_id = s.agent_id "
        "and a.date::date = s.start_ts::date where a.status in ('leave', 'absent')",
    "grade reviewer is not a lead":
        "select count(*) from raw_grades where reviewer is not null and reviewer not in "
        "(select agent_id from agents where role = 'lead')",
    "duplicate grade": "select count(*) - count(distinct (agent_id, period, item)) from raw_grades",
    "grade item unknown":
        "select count(*) from raw_grades where item not in "
        "('quality','disputes','cooperation','execution') or grade not in ('A','B','C','D')",
    "event outside the period":
        "select count(*) from raw_events where ts::timestamp < '2026-10-01' "
        "or ts::timestamp >= '2026-10-31'",
    "target for a pre-sale agent missing":
        "select count(*) from agents where role = 'presale' and 'agent:' || agent_id not in "
        "(select scope from raw_targets where metric = 'sales')",
    "target team unknown":
        "select count(*) from raw_targets where scope like 'team:%' and substr(scope, 6) not in "
        "(select team from agents)",
}


@pytest.mark.parametrize("rule", list(ZERO_QUERIES))
def test_referential_rules(db: duckdb.DuckDBPyConnection, rule: str) -> None:
    assert one(db, ZERO_QUERIES[rule]) == 0


# -- realism -------------------------------------------------------------------------------------

PRESENT_QUERIES = {
    "bot session with transfer row":
        "select count(*) from sessions s join messages m using (session_id) "
        "where m.event = 'transfer' and m.sender = 'system' and s.agent_id is not null and exists "
        "(select 1 from messages b where b.session_id = s.session_id and b.sender = 'bot' "
        "and b.ts < s.transfer_ts)",
    "session that never reached a human (customer and bot only)":
        "select count(*) from sessions s where agent_id is null and not exists (select 1 from "
        "messages m where m.session_id = s.session_id and m.sender not in ('customer', 'bot'))",
    "unanswered session":
        "select count(*) from sessions s where agent_id is not null and not exists (select 1 from "
        "messages m where m.session_id = s.session_id and m.sender = 'agent')",
    "unanswered last round":
        "select count(*) from sessions s where exists (select 1 from messages m where "
        "m.session_id = s.session_id and m.sender = 'agent') and (select max(ts) from messages c "
        "where c.session_id = s.session_id and c.sender = 'customer') > (select max(ts) from "
        "messages a where a.session_id = s.session_id and a.sender = 'agent')",
    "proactive greeting before the first customer message":
        "select count(*) from sessions s where transfer_ts is null and (select sender from "
        "messages m where m.session_id = s.session_id order by ts limit 1) = 'agent'",
    "burst of >= 2 customer messages before a reply":
        "select count(*) from rounds where burst >= 2 and reply_ts is not null",
    "reply slower than 180 s":
        "select count(*) from rounds where epoch(reply_ts - round_ts) > 180",
    "reply slower than 600 s":
        "select count(*) from rounds where epoch(reply_ts - round_ts) > 600",
    "reply within 30 s": "select count(*) from rounds where epoch(reply_ts - round_ts) <= 30",
    "night session":
        "select count(*) from sessions where agent_id is not null and "
        "(hour(start_ts) >= 23 or hour(start_ts) < 8)",
    "close event": "select count(*) from messages where event = 'close'",
    "silent order":
        "select count(*) from orders o where not exists (select 1 from sessions s "
        "where s.customer_id = o.customer_id)",
    "order outside the 72 h window":
        "select count(*) from orders o where exists (select 1 from sessions s where "
        "s.customer_id = o.customer_id) and not exists (select 1 from sessions s where "
        "s.customer_id = o.customer_id and s.kind = 'presale' and o.created_ts between "
        "s.start_ts and s.start_ts + interval 72 hour)",
    "explicit-credit order": "select count(*) from orders where agent_id is not null",
    "explicit credit to another agent than the session's":
        "select count(*) from orders o where agent_id is not null and not exists (select 1 from "
        "sessions s where s.customer_id = o.customer_id and s.agent_id = o.agent_id)",
    "dispute": "select count(*) from refunds where dispute",
    "open refund": "select count(*) from refunds where completed_ts is null",
    "exchange": "select count(*) from refunds where kind = 'exchange'",
    "partial refund": "select count(*) from refunds r join orders o using (order_id) "
                      "where r.amount > 0 and r.amount < o.amount",
    "refund cost": "select count(*) from refunds where cost > 0",
    "overlapping online intervals":
        "select count(*) from raw_online a join raw_online b on a.agent_id = b.agent_id "
        "and a.start_ts < b.start_ts and b.start_ts < a.end_ts",
    "returning customer":
        "select count(*) from (select customer_id from sessions group by 1 having count(*) >= 3)",
    "unpaid order": "select count(*) from orders where status = 'unpaid'",
    "cancelled order": "select count(*) from orders where status = 'cancelled'",
    "bad review blamed on an agent":
        "select count(*) from raw_reviews where rating = 'bad' and agent_id is not null",
    "verified complaint with points":
        "select count(*) from raw_complaints where verified = 'true' and points is not null",
    "unverified complaint": "select count(*) from raw_complaints where verified = 'false'",
    "late": "select count(*) from raw_attendance where status = 'late'",
    "event without points": "select count(*) from raw_events where points is null",
    "lead serving sessions":
        "select count(*) from sessions join agents using (agent_id) where role = 'lead'",
    "lost inquiry saying why (shipping)":
        "select count(*) from messages m join sessions s using (session_id) where m.sender = "
        "'customer' and m.text = '不包邮就算了' and not exists (select 1 from orders o where "
        "o.customer_id = s.customer_id)",
    "payment reminder that worked":
        "select count(*) from messages m join sessions s using (session_id) join orders o on "
        "o.customer_id = s.customer_id where m.sender = 'agent' and m.text like '%付款%' and "
        "m.ts > o.created_ts and o.paid_ts > m.ts",
    "payment reminder that did not work":
        "select count(*) from messages m join sessions s using (session_id) join orders o on "
        "o.customer_id = s.customer_id where m.sender = 'agent' and m.text like '%付款%' and "
        "m.ts > o.created_ts and o.paid_ts is null",
}


@pytest.mark.parametrize("feature", list(PRESENT_QUERIES))
def test_realism_feature_present(db: duckdb.DuckDBPyConnection, feature: str) -> None:
    assert one(db, PRESENT_QUERIES[feature]) > 0


RATE_QUERIES = {
    # name: (sql giving a fraction, low, high)
    "bot-stage sessions": ("select avg((transfer_ts is not null or agent_id is null)::int) "
                           "from sessions", 0.22, 0.38),
    "sessions without agent": ("select avg((agent_id is null)::int) from sessions", 0.015, 0.05),
    "unanswered sessions": (
        "select avg((not exists (select 1 from messages m where m.session_id = s.session_id and "
        "m.sender = 'agent'))::int) from sessions s where agent_id is not null", 0.008, 0.04),
    "rated human sessions": (
        "select (select count(*) from ratings) / count(*) from sessions where agent_id is not null",
        0.33, 0.5),
    "5-star share": ("select avg((score = 5)::int) from ratings", 0.5, 0.85),
    "replies over 180 s": ("select avg((epoch(reply_ts - round_ts) > 180)::int) from rounds "
                           "where reply_ts is not null", 0.05, 0.16),
    "replies over 600 s": ("select avg((epoch(reply_ts - round_ts) > 600)::int) from rounds "
                           "where reply_ts is not null", 0.003, 0.03),
    "median reply s": ("select median(epoch(reply_ts - round_ts)) from rounds", 15, 60),
    "pre-sale agents": ("select avg((role = 'presale')::int) from agents where role <> 'lead'",
                        0.55, 0.75),
    "taobao share": ("select avg((channel = 'taobao')::int) from sessions", 0.6, 0.9),
    "silent orders": ("select avg((not exists (select 1 from sessions s where s.customer_id = "
                      "o.customer_id))::int) from orders o", 0.12, 0.3),
    "explicit credit": ("select avg((agent_id is not null)::int) from orders", 0.01, 0.12),
    "paid orders": ("select avg((status = 'paid')::int) from orders", 0.8, 0.95),
    "conversion of inquiring customers": (
        "with c as (select distinct customer_id from sessions where kind = 'presale' "
        "and agent_id is not null) select avg((exists (select 1 from orders o where "
        "o.customer_id = c.customer_id and o.status = 'paid'))::int) from c", 0.3, 0.6),
    "refunded paid orders": ("select (select count(*) from refunds) / count(*) from orders "
                             "where status = 'paid'", 0.04, 0.12),
    "mean amount": ("select avg(amount) from orders", 100, 300),
    "present": ("select avg((status = 'present')::int) from raw_attendance", 0.85, 0.97),
    "afternoon/evening vs night volume": (
        "select count(*) filter (where hour(start_ts) between 14 and 22) / "
        "count(*) filter (where hour(start_ts) between 0 and 6) / 9 from sessions", 2.0, 1e9),
}


@pytest.mark.parametrize("name", list(RATE_QUERIES))
def test_realistic_rates(db: duckdb.DuckDBPyConnection, name: str) -> None:
    sql, low, high = RATE_QUERIES[name]
    value = float(one(db, sql))
    assert low <= value <= high, (name, value)


def test_texts_are_short_chinese(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.sql("select sender, max(length(text)), count(*) filter (where text is null) "
                  "from messages group by 1").fetchall()
    for sender, longest, missing in rows:
        assert longest <= 30 and missing == 0, sender
    chinese = "regexp_matches(text, '[\\x{4e00}-\\x{9fff}]')"
    assert one(db, f"select count(*) from messages where {chinese}") == \
        one(db, "select count(*) from messages")
    names = [r[0] for r in db.sql("select name from agents").fetchall()]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in names)
