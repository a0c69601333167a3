"""Metric engine benchmark on generated demo data.

    python bench/metrics_bench.py [--sizes 1000000,10000000,30000000] [--no-pandas] [--repeat 3]

For each size (messages; with matching orders, refunds, ratings …) it prints, each
measured in its own process for an honest peak RSS, the median of ``--repeat`` runs
with their range (a shared 2-core machine's timings vary by a third from run to run):
  - a plain DuckDB scan of the messages (the floor),
  - the full catalog by agent for the month, computed from scratch (no facts cache),
  - the same with the cache cold (compute + store facts, rollups, month rows, credit)
    and warm,
  - after importing one more day into a workspace kept up to date day by day: the time
    to bring the cache up to date (facts of the touched sessions, that day's rollups, the
    credit of the touched orders, the month rows they touch) and the month's whole
    catalog computed with it, each against the full month; once with the day's chats only
    (its orders came with the month, and are credited again), once with its orders too,
    as a daily export brings them,
  - the same one more day into a workspace that holds ``--history`` months (3 by
    default) at the size's monthly volume, its last month computed: an update must cost
    what the day brings, not what the workspace has gathered,
  - the pandas reference of five core metrics (bench/pandas_reference.py).
Targets (issue #16): the full catalog of a 10M-message month <= 1.4x a hand-written
DuckDB query of five core response metrics on the same workspace (measured side by side,
alternating), peak <= 2 GB, 30M within 2 GB; at 2M <= 2x; after one more day, the cache
update, its checkpoint included, <= 15 % of a full month and the month's figures <= 25 %,
both flat in how many months the workspace holds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from collections.abc import Callable

import duckdb
from common import OUT, PEAK, demo_folder, run_child

SCAN = PEAK + """
import json, sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
t = time.perf_counter()
n = con.execute("SELECT count(*), count(DISTINCT session_id), min(ts), max(ts) FROM messages").fetchall()
print(json.dumps({"wall_s": time.perf_counter() - t, "peak_mb": peak_mb()}))
"""

# the libraries are loaded before the clock starts, as in a running service (DuckDB's
# Python client loads pandas, NumPy and PyArrow on its first parameterised query)
CATALOG = PEAK + """
import datetime as dt, json, sys, time
import ibis.backends.duckdb, pandas, pyarrow
from cskpi.shop import Shop
from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.metrics.compute import MetricQuery
from cskpi.months import month_end
use_cache = sys.argv[2] == "cache"
month = dt.date.fromisoformat(sys.argv[3]) if len(sys.argv) > 3 else dt.date(2026, 10, 1)
q = MetricQuery(month, month_end(month))
t = time.perf_counter()
result = Shop(sys.argv[1]).metrics(q, use_cache=use_cache)
wall = time.perf_counter() - t
c = result.cache
print(json.dumps({"wall_s": wall, "peak_mb": peak_mb(), "rows": len(result.rows),
                  "recomputed": c and c.recomputed_sessions, "days": c and c.recomputed_days,
                  "orders": c and c.recomputed_orders, "refresh_s": c and c.refresh_s}))
"""

# The reference a catalog is measured against, side by side: five core response metrics
# (first response, average response, 2-minute first reply rate, 3-minute reply rate, reply
# rate) per agent for the month, written by hand in one DuckDB query on the same
# workspace, with the catalog's definitions of human start and rounds (generic profile).
HAND_SQL = """
WITH firsts AS (
  SELECT session_id, min(ts) FILTER (WHERE sender = 'customer') AS first_cust
  FROM messages GROUP BY session_id),
s AS (
  SELECT s.session_id, s.agent_id, s.customer_id, s.transfer_ts,
         coalesce(s.transfer_ts, f.first_cust, s.start_ts) AS human
  FROM sessions s LEFT JOIN firsts f USING (session_id)
  WHERE s.agent_id IS NOT NULL),
ev AS (
  SELECT m.session_id, m.ts, m.sender = 'agent' AS is_reply
  FROM messages m JOIN s USING (session_id)
  WHERE m.sender IN ('customer', 'agent') AND m.ts >= s.human
  UNION ALL
  SELECT session_id, human, false FROM s WHERE transfer_ts IS NOT NULL),
k AS (
  SELECT session_id, ts, is_reply,
         sum(is_reply::INT) OVER (PARTITION BY session_id ORDER BY ts, is_reply
                                  ROWS UNBOUNDED PRECEDING) - is_reply::INT AS k
  FROM ev),
r AS (
  SELECT session_id, k, min(ts) FILTER (WHERE NOT is_reply) AS start,
         min(ts) FILTER (WHERE is_reply) AS reply
  FROM k GROUP BY session_id, k HAVING start IS NOT NULL),
r2 AS (
  SELECT *, (epoch_us(reply) - epoch_us(start)) / 1e6 AS resp,
         k = min(k) OVER (PARTITION BY session_id) AS first
  FROM r),
per AS (
  SELECT s.agent_id, s.customer_id, r2.*
  FROM r2 JOIN s USING (session_id)
  WHERE CAST(timezone('Asia/Shanghai', s.human) AS DATE)
        BETWEEN DATE '2026-10-01' AND DATE '2026-10-31')
SELECT agent_id,
  avg(resp) FILTER (WHERE first AND reply IS NOT NULL) AS first_response_s,
  avg(resp) FILTER (WHERE reply IS NOT NULL) AS response_s,
  count(*) FILTER (WHERE first AND resp <= 120) / count(*) FILTER (WHERE first)
    AS first_reply_2min_rate,
  count(*) FILTER (WHERE resp <= 180) / count(*) AS reply_3min_rate,
  count(DISTINCT customer_id) FILTER (WHERE reply IS NOT NULL)
    / count(DISTINCT customer_id) AS reply_rate
FROM per GROUP BY agent_id
"""

# the cache brought up to date after an import, and its writes checkpointed, on their own
UPDATE = PEAK + """
import json, sys, time
import ibis.backends.duckdb, pandas, pyarrow
from cskpi.shop import Shop
from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.metrics.cache import cached
from cskpi.metrics.compiled import SqlStore
from cskpi.metrics.inputs import duckdb_inputs
from cskpi.metrics.profiles import Profile
from cskpi.store.workspace import Workspace
with Workspace(sys.argv[1]).connect(read_only=False) as con:
    t = time.perf_counter()
    backend = duckdb_backend(con)
    inp = duckdb_inputs(backend, con, "Asia/Shanghai", SqlStore(con))
    c = cached(backend, con, inp, Profile())
    inp.release()
    con.execute("CHECKPOINT").fetchall()
    wall = time.perf_counter() - t
print(json.dumps({"wall_s": wall, "peak_mb": peak_mb(), "refresh_s": c.report.refresh_s}))
"""

HAND = PEAK + """
import json, sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
t = time.perf_counter()
n = len(con.execute(sys.argv[2]).fetchall())
print(json.dumps({"wall_s": time.perf_counter() - t, "peak_mb": peak_mb(), "rows": n}))
"""

IMPORT = PEAK + """
import json, sys, time
from pathlib import Path
from cskpi.store.workspace import Workspace
t = time.perf_counter()
r = Workspace(sys.argv[2]).import_folder(Path(sys.argv[1]))
print(json.dumps({"wall_s": time.perf_counter() - t, "peak_mb": peak_mb(), "added": r.added}))
"""

PANDAS = PEAK + """
import json, sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from pandas_reference import compute
table, load_s, total_s = compute(Path(sys.argv[1]))
print(json.dumps({"wall_s": total_s, "load_s": load_s, "peak_mb": peak_mb()}))
"""


def split_last_day(folder, out_month, out_day, last_day="2026-10-30", orders=False):
    """The month without its last day's sessions (and, with ``orders``, the orders created
    that day), and that day on its own."""
    for d in (out_month, out_day):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    con = duckdb.connect()
    src = lambda t: f"read_csv('{folder / (t + '.csv')}', all_varchar=true)"  # noqa: E731
    day = f"substr(start_ts, 1, 10) = '{last_day}'"
    con.execute(f"CREATE TABLE s AS SELECT * FROM {src('sessions')}")
    con.execute(f"COPY (SELECT * FROM s WHERE NOT ({day})) TO '{out_month}/sessions.csv' (HEADER)")
    con.execute(f"COPY (SELECT * FROM s WHERE {day}) TO '{out_day}/sessions.csv' (HEADER)")
    con.execute(f"""COPY (SELECT m.* FROM {src('messages')} m SEMI JOIN (SELECT session_id FROM s
                         WHERE NOT ({day})) USING (session_id)) TO '{out_month}/messages.csv' (HEADER)""")
    con.execute(f"""COPY (SELECT m.* FROM {src('messages')} m SEMI JOIN (SELECT session_id FROM s
                         WHERE {day}) USING (session_id)) TO '{out_day}/messages.csv' (HEADER)""")
    kept = ("agents", "refunds", "attendance", "online", "targets")
    if orders:
        created = f"substr(created_ts, 1, 10) = '{last_day}'"
        con.execute(f"CREATE TABLE o AS SELECT * FROM {src('orders')}")
        con.execute(f"COPY (SELECT * FROM o WHERE NOT ({created})) TO "
                    f"'{out_month}/orders.csv' (HEADER)")
        con.execute(f"COPY (SELECT * FROM o WHERE {created}) TO '{out_day}/orders.csv' (HEADER)")
    else:
        kept = (*kept, "orders")
    for t in kept:
        if (folder / f"{t}.csv").exists():
            shutil.copy(folder / f"{t}.csv", out_month / f"{t}.csv")
    shutil.copy(folder / "agents.csv", out_day / "agents.csv")


def repeated(times: int, run: Callable[[], dict]) -> dict:
    """Run a measurement ``times`` times: the median run, with the range of its wall time."""
    return median_of([run() for _ in range(times)])


def median_of(runs: list[dict]) -> dict:
    """The median of measured runs, with the range of their wall time."""
    runs = sorted(runs, key=lambda r: r["wall_s"])
    median = dict(runs[len(runs) // 2])
    median["range"] = (runs[0]["wall_s"], runs[-1]["wall_s"])
    return median


def line(label: str, r: dict, extra: str = "") -> None:
    lo, hi = r["range"]
    spread = f" ({lo:.2f}-{hi:.2f})" if hi > lo else ""
    print(f"  {label:<34}{r['wall_s']:7.2f} s{spread:<14} peak {r['peak_mb']:6.0f} MB{extra}")


def bench_size(messages: int, pandas: bool, times: int, history: int) -> None:
    folder = demo_folder(messages)
    ws = OUT / f"metrics-{messages}.duckdb"
    if not ws.exists():
        run_child(IMPORT, str(folder), str(ws))
    print(f"\n== {messages:,} messages ({folder.name}); median of {times} runs (range)")
    line("plain DuckDB scan of messages", repeated(times, lambda: run_child(SCAN, str(ws))))
    # the catalog and the hand-written reference alternate, run after run, so that both
    # meet the same machine
    pairs = [(run_child(HAND, str(ws), HAND_SQL), run_child(CATALOG, str(ws), "nocache"))
             for _ in range(times)]
    hand, full = (median_of([p[i] for p in pairs]) for i in (0, 1))
    line("hand-written DuckDB, 5 metrics", hand)
    line("full catalog by agent, no cache", full, f"  ({full['rows']} agents; "
         f"{full['wall_s'] / hand['wall_s']:.2f}x the hand-written query)")
    work = OUT / "work.duckdb"

    def cold() -> dict:
        shutil.copy(ws, work)
        return run_child(CATALOG, str(work), "cache")

    line("with the cache: cold (and stored)", repeated(times, cold))
    line("with the cache: warm", repeated(times, lambda: run_child(CATALOG, str(work), "cache")))
    # one more day: the month without its last day, cache stored; then import that day
    # (its sessions and messages; then, as a daily export brings them, its orders too)
    for orders in (False, True):
        one_more_day(folder, full, times, orders)
    if history:
        with_history(messages, history, full, times)
    if pandas:
        ref = run_child(PANDAS, str(folder), str(OUT.parent))
        print(f"  pandas reference, 5 metrics       {ref['wall_s']:7.2f} s  peak {ref['peak_mb']:6.0f} MB"
              f"  (of which reading CSV {ref['load_s']:.2f} s)")
    work.unlink(missing_ok=True)


def with_history(messages: int, months: int, full: dict, times: int) -> None:
    """One more day (its chats) into a workspace of ``months`` months, each of about
    ``messages`` messages; the last month computed."""
    days = 30 * months
    folder = demo_folder(messages * months, days=days)
    start = dt.date(2026, 10, 1)  # the demo's first day
    last = start + dt.timedelta(days=days - 1)
    print(f"  -- {months} months in the workspace ({messages * months:,} messages), "
          f"{last:%Y-%m} computed")
    one_more_day(folder, full, times, False, last.isoformat(), last.replace(day=1).isoformat())


def one_more_day(folder, full: dict, times: int, orders: bool, last_day: str = "2026-10-30",
                 month: str = "2026-10-01") -> None:
    """Import one more day into the stored month, bring the cache up to date, compute.

    The workspace before is one kept up to date day by day: its cache was built, then
    the day before was imported and computed (which stores the update's compiled queries,
    as the first daily update of any workspace does).
    """
    split, day = OUT / "split-month", OUT / "split-day"
    split_last_day(folder, split, day, last_day, orders=orders)
    eve = (dt.date.fromisoformat(last_day) - dt.timedelta(days=1)).isoformat()
    earlier, eve_day = OUT / "split-earlier", OUT / "split-eve"
    split_last_day(split, earlier, eve_day, eve, orders=orders)
    before, inc = OUT / "inc-before.duckdb", OUT / "inc.duckdb"
    before.unlink(missing_ok=True)
    for part in (earlier, eve_day):
        run_child(IMPORT, str(part), str(before))
        run_child(CATALOG, str(before), "cache", month)
    imports: list[dict] = []

    def run() -> dict:
        shutil.copy(before, inc)
        imports.append(run_child(IMPORT, str(day), str(inc)))
        return run_child(CATALOG, str(inc), "cache", month)

    after = repeated(times, run)
    imp = sorted(imports, key=lambda r: r["wall_s"])[len(imports) // 2]

    def update_only() -> dict:
        shutil.copy(before, inc)
        run_child(IMPORT, str(day), str(inc))
        return run_child(UPDATE, str(inc))

    update = repeated(times, update_only)
    what = "its orders too" if orders else "its chats"
    label = f"import one more day, {what} ({imp['added']:,} rows)"
    print(f"  {label:<34}{imp['wall_s']:7.2f} s")
    line("cache update and its checkpoint", update,
         f"  ({update['wall_s'] / full['wall_s']:.0%} of the full month; target <= 15 %)")
    print(f"  {'then bring the cache up to date':<34}{after['refresh_s']:7.2f} s  "
          f"({after['refresh_s'] / full['wall_s']:.0%} of the full month: "
          f"{after['recomputed']:,} sessions, {after['days']} days' rollups, "
          f"{after['orders']:,} orders' credit)")
    line("and compute the month with it", after,
         f"  ({after['wall_s'] / full['wall_s']:.0%} of the full month, refresh included; "
         "target <= 25 %)")
    for path in (before, inc):
        path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000,30000000")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each measurement; the median is printed (default 3)")
    parser.add_argument("--history", type=int, default=3,
                        help="months in the workspace of the history measurement, sizes up "
                             "to 10M (default 3; 0: skip it)")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        small = size <= 10_000_000
        bench_size(size, pandas=not args.no_pandas and small, times=args.repeat,
                   history=args.history if small else 0)


if __name__ == "__main__":
    main()
