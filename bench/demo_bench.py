"""Benchmark the demo-data generator.

    python bench/demo_bench.py --messages 10000000 [--out DIR] [--agents N] [--days N]

Prints wall time, messages per second and the peak RSS of this process
(resource.getrusage(RUSAGE_SELF).ru_maxrss).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=None,
                        help="default: enough agents for a realistic density (>= 12)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: a temporary folder, removed afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from cskpi.data import demo

    agents = args.agents
    if agents is None:  # ~35 sessions x ~12 messages per agent per working day
        agents = max(12, round(args.messages / (35 * 12 * 0.95 * args.days)))
    tmp = None
    out = args.out
    if out is None:
        tmp = Path(tempfile.mkdtemp(prefix="cskpi-demo-bench-"))
        out = tmp
    try:
        t0 = time.perf_counter()
        stats = demo.generate(out, agents=agents, days=args.days, seed=args.seed,
                              messages=args.messages)
        wall = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in Path(out).glob("*.csv"))
    finally:
        if tmp is not None and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    msgs = stats.rows["messages"]
    print(f"agents={agents} days={args.days} requested_messages={args.messages:,}")
    print("rows: " + ", ".join(f"{k}={v:,}" for k, v in stats.rows.items()))
    print(f"messages written: {msgs:,} ({(msgs / args.messages - 1) * 100:+.2f} % of request)")
    print(f"output size: {size / 1e6:,.0f} MB")
    print(f"wall time: {wall:.2f} s")
    print(f"messages/s: {msgs / wall:,.0f}")
    print(f"peak RSS: {rss_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
