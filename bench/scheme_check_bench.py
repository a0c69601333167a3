"""How long ``scheme check`` takes on a large scheme (issue #15: under 2 s for 200 KB).

    python bench/scheme_check_bench.py [--kb 200] [--repeat 3]

Builds a scheme of about the given size that passes the check (the web editor accepts
up to 200,000 characters): many items of every kind, long formulas (``min`` of many
terms), formulas nested close to the parser's depth limit, and veto conditions; then
times :func:`cskpi.scheme.load_scheme` on it with the metric catalog and prints the
best of ``--repeat`` runs (wall clock and CPU time: the CPU figure does not depend on
what else the machine runs).  Further lines time schemes of the same size whose
formulas are all rejected (every issue found and reported), made only of deeply nested
parentheses, and reading as much through YAML aliases as the budget allows
(:data:`cskpi.scheme.limits.MAX_ALIAS_EXPANSION`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

METRICS = ("sales", "refund_rate", "conversion_rate", "response_s", "satisfaction",
           "complaints")


def big_scheme(kb: int, broken: bool = False) -> str:
    """A scheme of about ``kb`` kilobytes; ``broken``: every formula has an error."""
    head = ["scheme: big", "title: a large scheme", "pass_ratio: 0.6", "veto:"]
    head += [f"  - 'complaints >= {n} and not (sales > {n * 1000})'" for n in range(1, 50)]
    head.append("items:")
    lines: list[str] = []
    size = sum(len(line) + 1 for line in head)
    n = 0
    while size < kb * 1000:
        n += 1
        kind = n % 5
        if kind == 0:
            item = (f"  - {{key: t{n}, max: 10, metric: refund_rate, tiers: [{{max: 0.05, "
                    "points: 10}, {max: 0.08, points: 6}, {max: 0.11, points: 3}, "
                    "{points: 0}]}")
        elif kind == 1:
            item = f"  - {{key: l{n}, max: 10, metric: response_s, linear: {{from: 90, to: 20}}}}"
        elif kind == 2:  # a long flat formula
            terms = ", ".join(f"{m} * {i % 7 + 1}" for i, m in enumerate(METRICS * 12))
            bad = " +" if broken else ""
            item = f"  - {{key: f{n}, max: 10, formula: 'min(10, {terms}){bad}'}}"
        elif kind == 3:  # nested close to the depth limit
            depth = 45
            text = "sales"
            for i in range(depth):
                text = f"if(refund_rate > 0.{i % 9 + 1}, {text} / 2, {i})"
            bad = " sales" if broken else ""
            item = f"  - {{key: n{n}, max: 10, formula: 'round(min(10, {text}), 2){bad}'}}"
        else:
            item = (f"  - {{key: p{n}, max: 20, start: 20, per: {{late: -5, absent: -10}}, "
                    "min: 0}")
        lines.append(item)
        size += len(item) + 1
    return "\n".join([*head, *lines]) + "\n"


def aliased_tiers(kb: int) -> str:
    """Items sharing one anchored list of 20 tiers, up to the alias budget."""
    tiers = ", ".join(f"{{max: 0.{i:02d}, points: {20 - i}}}" for i in range(1, 20))
    lines = ["scheme: aliased", "items:",
             f"  - {{key: k0, max: 20, metric: refund_rate, tiers: &t [{tiers}, {{points: 0}}]}}"]
    size = sum(len(line) + 1 for line in lines)
    n = 0
    while size < kb * 1000:
        n += 1
        lines.append(f"  - {{key: k{n}, max: 20, metric: refund_rate, tiers: *t}}")
        size += len(lines[-1]) + 1
    return "\n".join(lines) + "\n"


def nested_parens(kb: int) -> str:
    half = kb * 500
    return "scheme: deep\nitems:\n  - {key: f, max: 10, formula: '" + "(" * half + "1" + \
        ")" * half + "'}\n"


def timed(text: str, repeat: int) -> tuple[float, float, list[str]]:
    from cskpi.metrics.catalog import CATALOG
    from cskpi.scheme import load_scheme

    wall, cpu, codes = float("inf"), float("inf"), []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        _, found = load_scheme(text, "big.yaml", metrics=CATALOG)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
        codes = sorted({i.code for i in found})
    return wall, cpu, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for label, text in (("valid", big_scheme(args.kb)),
                        ("every formula broken", big_scheme(args.kb, broken=True)),
                        ("nested parentheses", nested_parens(args.kb)),
                        ("aliased tiers", aliased_tiers(args.kb))):
        wall, cpu, codes = timed(text, args.repeat)
        print(f"{label:22} {len(text) / 1000:7.1f} KB  {wall:6.3f} s  (CPU {cpu:6.3f} s)  "
              f"issues: {', '.join(codes) or 'none'}")


if __name__ == "__main__":
    main()
