"""Import benchmark: generated demo CSVs into a new workspace, side by side with DuckDB.

    python bench/import_bench.py [--messages 10000000] [--days 30] [--repeat 3] [--no-metrics]
                                 [--existing]

Each measurement runs in its own process (own peak RSS), alternating, ``--repeat`` times;
the medians are printed with their range (a shared 2-core machine's timings vary by a
third from run to run, so only the ratios measured side by side mean much):

  - DuckDB reading the same CSV files into a database file (``read_csv``, types sniffed),
    the floor an import is held against;
  - ``cskpi import`` of the folder into a new workspace (read, typed, every check of the
    data contract, stored), with rows/s;
  - ``cskpi metrics --data DIR --period 2026-10`` (the whole catalog in one shot from the
    CSV files) against ``bench/pandas_reference.py`` (five core metrics in pandas).

``--existing`` imports the folder into a workspace that already holds its agents (an
import into an existing workspace stages and checks everything before it takes the
workspace's write lock, issue #20), and prints how long the lock was held.

Targets (issue #18): the import <= 1.6x DuckDB's read (>= 1M rows/s at 10M messages);
``cskpi metrics --data`` faster than the pandas reference.  The machine's load average is
printed before and after: other engineers' work shares the CPU.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, PEAK, ROOT, demo_folder, run_child

DUCKDB_READ = PEAK + """
import json, sys, time, duckdb
from pathlib import Path
folder, db = Path(sys.argv[1]), sys.argv[2]
t = time.perf_counter()
con = duckdb.connect(db)
con.execute("SET memory_limit = '1200MB'")
rows = 0
for path in sorted(folder.glob("*.csv")):
    con.execute(f"CREATE TABLE {path.stem} AS SELECT * FROM read_csv('{path}')")
    rows += con.execute(f"SELECT count(*) FROM {path.stem}").fetchone()[0]
con.execute("CHECKPOINT")
con.close()
print(json.dumps({"wall_s": time.perf_counter() - t, "rows": rows, "peak_mb": peak_mb()}))
"""

IMPORT = PEAK + """
import json, shutil, sys, tempfile, time
from pathlib import Path
from cskpi.store.workspace import Workspace
ws = Path(sys.argv[2])
if sys.argv[3] == "existing":  # the agents first, untimed: the import then adds to them
    seed = Path(tempfile.mkdtemp())
    shutil.copy(Path(sys.argv[1]) / "agents.csv", seed)
    Workspace(ws).import_folder(seed)
    shutil.rmtree(seed)
t = time.perf_counter()
report = Workspace(ws).import_folder(Path(sys.argv[1]))
wall = time.perf_counter() - t
rows = {ti.table: ti.added for ti in report.tables}
print(json.dumps({"wall_s": wall, "rows": rows, "peak_mb": peak_mb(),
                  "locked_s": getattr(report, "locked_s", None)}))
"""


def timed(cmd: list[str]) -> float:
    """Wall time of a command run as a user runs it (interpreter start included)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   env=env)
    return time.perf_counter() - t


def median(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} s  ({min(values):.2f}-{max(values):.2f})"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-metrics", action="store_true")
    parser.add_argument("--existing", action="store_true",
                        help="import into a workspace holding the agents already")
    args = parser.parse_args()
    folder = demo_folder(args.messages, args.days)
    size_mb = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
    ws = OUT / f"import-bench-{args.messages}.duckdb"
    ref_db = OUT / f"duckdb-read-{args.messages}.duckdb"
    print(f"import of {folder.name} ({size_mb:,.0f} MB of CSV), {os.cpu_count()} CPUs, "
          f"load average before: {load()}")
    duck, ours, peaks, locked, total = [], [], [], [], 0
    for _ in range(args.repeat):
        for path in (ws, ref_db):
            path.unlink(missing_ok=True)
            shutil.rmtree(Path(f"{path}.wal"), ignore_errors=True)
        ref = run_child(DUCKDB_READ, str(folder), str(ref_db))
        result = run_child(IMPORT, str(folder), str(ws),
                           "existing" if args.existing else "new")
        duck.append(ref["wall_s"])
        ours.append(result["wall_s"])
        peaks.append(result["peak_mb"])
        if result.get("locked_s") is not None:
            locked.append(result["locked_s"])
        total = sum(result["rows"].values())
        msgs = result["rows"].get("messages", 0)
    ratio = statistics.median(o / d for o, d in zip(ours, duck, strict=True))
    print(f"  DuckDB read_csv into a file  {median(duck)}")
    print(f"  cskpi import                 {median(ours)}   peak {max(peaks):,.0f} MB")
    print(f"  rows                         {total:>12,}  -> "
          f"{total / statistics.median(ours):>12,.0f} rows/s "
          f"({msgs / statistics.median(ours):,.0f} messages/s)")
    print(f"  import / DuckDB read         {ratio:7.2f}x   (target <= 1.6x)")
    if locked:
        print(f"  write lock held              {median(locked)}   "
              f"({statistics.median(locked) / statistics.median(ours):.0%} of the import)")
    print(f"  workspace {ws.stat().st_size / 1e6:,.0f} MB, DuckDB's {ref_db.stat().st_size / 1e6:,.0f} MB")
    for path in (ws, ref_db):
        path.unlink(missing_ok=True)
    if not args.no_metrics:
        cskpi = [sys.executable, "-m", "cskpi.cli", "metrics", "--data", str(folder),
                 "--period", "2026-10", "--format", "json"]
        pandas = [sys.executable, str(ROOT / "bench" / "pandas_reference.py"), str(folder)]
        ours_m, theirs = [], []
        for _ in range(args.repeat):
            theirs.append(timed(pandas))
            ours_m.append(timed(cskpi))
        m_ratio = statistics.median(o / p for o, p in zip(ours_m, theirs, strict=True))
        print(f"  pandas reference (5 metrics) {median(theirs)}")
        print(f"  cskpi metrics --data (all)   {median(ours_m)}")
        print(f"  metrics --data / pandas      {m_ratio:7.2f}x   (target < 1.0x)")
    print(f"  load average after: {load()}")


if __name__ == "__main__":
    main()
