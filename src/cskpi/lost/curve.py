"""Conversion by how the chat went: inquiries bucketed by their last inquiry's duration,
rounds or first response, each bucket's conversion with its Wilson 95 % interval.

The unit is the inquiry (an agent and a customer, :mod:`cskpi.lost.inquiries`): a
customer who asked two agents counts once for each, so that the buckets add up to the
agents' ``inquiring_customers`` and ``paying_customers``.  Buckets are cut at the edges
given (``--buckets 60,180,600``: below 60, 60 up to 180, 180 up to 600, 600 and more);
inquiries with no first response (unanswered, or outside the service window) are a
bucket of their own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from ..errors import UsageError

Z95 = 1.959963984540054  # the normal quantile of 97.5 %
DIMENSIONS = {"duration": "duration_s", "rounds": "rounds", "first_response": "first_response_s"}
DEFAULT_EDGES = {"duration": (60.0, 180.0, 600.0, 1800.0), "rounds": (2.0, 3.0, 5.0, 8.0),
                 "first_response": (10.0, 30.0, 60.0, 180.0)}
NO_VALUE = "none"  # the bucket of inquiries without the figure


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval of ``successes`` of ``n`` (None, None when n is 0)."""
    if n <= 0:
        return None, None
    phat = successes / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def parse_edges(text: str | None, by: str) -> tuple[float, ...]:
    """``a,b,c`` as increasing non-negative numbers (the dimension's defaults when None)."""
    if by not in DIMENSIONS:
        raise UsageError(code="curve_unknown_by", params={"by": by,
                                                          "allowed": ", ".join(DIMENSIONS)})
    if text is None or not text.strip():
        return DEFAULT_EDGES[by]
    try:
        edges = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise UsageError(code="curve_bad_buckets", params={"buckets": text}) from None
    if any(e < 0 for e in edges) or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise UsageError(code="curve_bad_buckets", params={"buckets": text})
    return edges


def labels(edges: Sequence[float]) -> list[str]:
    """``<60``, ``60-180``, …, ``>=1800``."""
    def show(x: float) -> str:
        return f"{x:g}"

    out = [f"<{show(edges[0])}"]
    out += [f"{show(a)}-{show(b)}" for a, b in zip(edges, edges[1:], strict=False)]
    return [*out, f">={show(edges[-1])}"]


def bucket_counts(pairs: ir.Table, by: str, edges: Sequence[float]) -> ir.Table:
    """Inquiries and paying inquiries per bucket (``bucket`` is the bucket's index; -1:
    no value)."""
    value = pairs[DIMENSIONS[by]].cast("float64")
    index = ibis.literal(0)
    for i, e in enumerate(edges, start=1):
        index = ibis.cases((value >= e, i), else_=index)
    index = ibis.cases((value.isnull(), -1), else_=index)
    t = pairs.mutate(_bucket=index)
    return t.group_by(bucket=t._bucket).agg(inquiring_customers=t.count(),
                                            paying_customers=t.paid.sum())


def curve_rows(counts: list[dict[str, Any]], by: str, edges: Sequence[float]
               ) -> list[dict[str, Any]]:
    """One row per bucket (empty ones too), in order, with conversion and its interval."""
    found = {int(r["bucket"]): r for r in counts}
    names = labels(edges)
    bounds = [(None, edges[0]), *zip(edges, edges[1:], strict=False), (edges[-1], None)]
    order = list(range(len(names))) + ([-1] if -1 in found else [])
    out = []
    for i in order:
        r = found.get(i, {})
        n, k = int(r.get("inquiring_customers") or 0), int(r.get("paying_customers") or 0)
        low, high = wilson(k, n)
        lo, hi = (None, None) if i == -1 else bounds[i]
        out.append({"by": by, "bucket": NO_VALUE if i == -1 else names[i], "from": lo,
                    "to": hi, "inquiring_customers": n, "paying_customers": k,
                    "conversion_rate": k / n if n else None,
                    "conversion_rate_ci_low": low, "conversion_rate_ci_high": high})
    return out
