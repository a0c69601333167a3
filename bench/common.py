"""Shared helpers of the benchmark scripts: demo data at a size, child processes, output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("CSKPI_BENCH_DIR", ROOT / "bench" / "out"))
sys.path.insert(0, str(ROOT / "src"))


def agents_for(messages: int, days: int = 30) -> int:
    """Enough agents for a realistic density (~35 sessions x ~12 messages a day each)."""
    return max(12, round(messages / (35 * 12 * 0.95 * days)))


def demo_folder(messages: int, days: int = 30, seed: int = 7) -> Path:
    """A generated demo shop of about ``messages`` messages (cached under bench/out)."""
    from cskpi.data import demo

    folder = OUT / f"demo-{messages}-{days}d-s{seed}"
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        demo.generate(folder, agents=agents_for(messages, days), days=days, seed=seed,
                      messages=messages)
        done.write_text("ok")
    return folder


def run_child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter (own peak RSS); it prints one JSON line last."""
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# a child's own peak RSS: its VmHWM (getrusage's ru_maxrss would also count what the
# parent held when it forked the child, before exec: the benchmark's own DuckDB work)
PEAK = """
def peak_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


def fmt_row(*cells: object) -> str:
    return "  ".join(str(c) for c in cells)
