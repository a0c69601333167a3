"""Lost inquiries benchmark: `cskpi lost --summary` and `cskpi curve` against the whole catalog.

    python bench/lost_bench.py [--size 2000000] [--repeat 3]

On a generated demo month of ``--size`` messages (imported once into a workspace under
bench/out), each measured in its own process (libraries loaded before the clock starts,
as in a running service), alternating run after run so that all meet the same machine:
  - the whole catalog by agent for the month, from scratch (no facts cache), and with
    the workspace's cache warm;
  - ``lost --summary --by agent`` (lost customers, their last inquiries' texts searched
    for the taxonomy's keywords, jieba loaded and run on the messages that hold one) and
    ``curve --by duration``, each from scratch and with the cache warm.
Target (issue #22): lost --summary and curve within 2x the whole catalog's time on a
10M-message month.  Prints the median of ``--repeat`` runs with their range.
"""

from __future__ import annotations

import argparse
import shutil

from common import OUT, PEAK, demo_folder, run_child

PRELUDE = PEAK + """
import datetime as dt, json, sys, time
import ibis.backends.duckdb, pandas, pyarrow
from cskpi.shop import Shop
from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.lost import LostQuery
from cskpi.metrics.compute import MetricQuery
first, last = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
ws, cache = sys.argv[1], sys.argv[2] == "cache"
"""

CATALOG = PRELUDE + """
t = time.perf_counter()
rows = Shop(ws).metrics(MetricQuery(first, last), use_cache=cache).rows
print(json.dumps({"wall_s": time.perf_counter() - t, "peak_mb": peak_mb(),
                  "note": f"{len(rows)} agents"}))
"""

# without the cache, the lost inquiries compute the session facts as the catalog does
# (a read-only connection never stores them)
LOST = PRELUDE + """
from cskpi.store.workspace import Workspace
from cskpi.lost import read_taxonomy
from cskpi.lost.classify import lost_counts, summary_of
from cskpi.metrics import engine as E
from cskpi.metrics.inputs import duckdb_inputs
q = LostQuery(first, last)
t = time.perf_counter()
if cache:
    rows = Shop(ws).lost_summary(q)
else:
    with Workspace(ws).connect(read_only=True) as con:
        backend = duckdb_backend(con)
        inp = duckdb_inputs(backend, con, "Asia/Shanghai")
        facts = inp.shared("facts", lambda: E.session_facts(inp, q.profile))
        tax = read_taxonomy()
        rows = summary_of(lost_counts(backend, inp, q, facts, tax), tax, "agent")
        inp.release()
lost = sum(r["lost_customers"] for r in rows)
print(json.dumps({"wall_s": time.perf_counter() - t, "peak_mb": peak_mb(),
                  "note": f"{lost} lost, {len(rows)} agent-reasons"}))
"""

CURVE = PRELUDE + """
from cskpi.store.workspace import Workspace
from cskpi.lost.curve import DEFAULT_EDGES, bucket_counts, curve_rows
from cskpi.lost.inquiries import inquiries
from cskpi.metrics import engine as E
from cskpi.metrics.ibis_adapter import fetch
from cskpi.metrics.inputs import duckdb_inputs
q = LostQuery(first, last)
edges = DEFAULT_EDGES["duration"]
t = time.perf_counter()
if cache:
    rows = Shop(ws).conversion_curve(q, "duration", edges)
else:
    with Workspace(ws).connect(read_only=True) as con:
        backend = duckdb_backend(con)
        inp = duckdb_inputs(backend, con, "Asia/Shanghai")
        facts = inp.shared("facts", lambda: E.session_facts(inp, q.profile))
        pairs = inquiries(inp, q.profile, q.buckets, facts)
        rows = curve_rows(fetch(backend, bucket_counts(pairs, "duration", edges)), "duration",
                          edges)
        inp.release()
print(json.dumps({"wall_s": time.perf_counter() - t, "peak_mb": peak_mb(),
                  "note": f"{sum(r['inquiring_customers'] for r in rows)} inquiries"}))
"""

IMPORT = PEAK + """
import json, sys, time
from pathlib import Path
from cskpi.store.workspace import Workspace
t = time.perf_counter()
Workspace(sys.argv[2]).import_folder(Path(sys.argv[1]))
print(json.dumps({"wall_s": time.perf_counter() - t, "peak_mb": peak_mb()}))
"""

JOBS = (("whole catalog", CATALOG), ("lost --summary", LOST), ("curve --by duration", CURVE))


def median_of(runs: list[dict]) -> dict:
    runs = sorted(runs, key=lambda r: r["wall_s"])
    out = dict(runs[len(runs) // 2])
    out["range"] = (runs[0]["wall_s"], runs[-1]["wall_s"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2_000_000, help="messages in the month")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = demo_folder(args.size)
    ws = OUT / f"lost-{args.size}.duckdb"
    if not ws.exists():
        run_child(IMPORT, str(folder), str(ws))
    work = OUT / "lost-work.duckdb"
    shutil.copy(ws, work)
    run_child(CATALOG, str(work), "cache")  # the cache stored once: warm from here on
    print(f"== {args.size:,} messages ({folder.name}); median of {args.repeat} runs (range)")
    for mode in ("nocache", "cache"):
        runs: dict[str, list[dict]] = {name: [] for name, _ in JOBS}
        for _ in range(args.repeat):
            for name, code in JOBS:
                runs[name].append(run_child(code, str(work if mode == "cache" else ws), mode))
        base = median_of(runs["whole catalog"])["wall_s"]
        print(f"-- {'cache warm' if mode == 'cache' else 'from scratch (no cache)'}")
        for name, _ in JOBS:
            r = median_of(runs[name])
            lo, hi = r["range"]
            print(f"  {name:<22}{r['wall_s']:7.2f} s ({lo:.2f}-{hi:.2f})  "
                  f"{r['wall_s'] / base:5.2f}x catalog  peak {r['peak_mb']:5.0f} MB  "
                  f"{r['note']}")
    work.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
