"""Import benchmark: generated demo CSVs into a new workspace.

    python bench/import_bench.py [--messages 10000000] [--days 30]

Prints wall time, rows/s (messages and all rows) and the importing process's peak RSS.
Target (issue #3): >= 1M rows/s and < 2 GB peak for 10M messages.
"""

from __future__ import annotations

import argparse
import shutil

from common import OUT, PEAK, demo_folder, run_child

CHILD = PEAK + """
import json, sys, time
from pathlib import Path
from cskpi.store.workspace import Workspace
ws = Path(sys.argv[2])
t = time.perf_counter()
report = Workspace(ws).import_folder(Path(sys.argv[1]))
wall = time.perf_counter() - t
rows = {ti.table: ti.added for ti in report.tables}
print(json.dumps({"wall_s": wall, "rows": rows, "peak_mb": peak_mb()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    folder = demo_folder(args.messages, args.days)
    size_mb = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
    ws = OUT / f"import-bench-{args.messages}.duckdb"
    ws.unlink(missing_ok=True)
    result = run_child(CHILD, str(folder), str(ws))
    total = sum(result["rows"].values())
    msgs = result["rows"].get("messages", 0)
    print(f"import of {folder.name} ({size_mb:,.0f} MB of CSV)")
    print(f"  wall time        {result['wall_s']:8.2f} s")
    print(f"  messages         {msgs:>12,}  -> {msgs / result['wall_s']:>12,.0f} messages/s")
    print(f"  all rows         {total:>12,}  -> {total / result['wall_s']:>12,.0f} rows/s")
    print(f"  peak RSS         {result['peak_mb']:8.0f} MB")
    print(f"  workspace        {ws.stat().st_size / 1e6:8.0f} MB")
    ws.unlink(missing_ok=True)
    shutil.rmtree(ws.parent / f"{ws.name}.wal", ignore_errors=True)


if __name__ == "__main__":
    main()
