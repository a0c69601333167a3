"""Compute the latest month's figures before the first visitor asks for them.

On a shop of 100 agents and 10M messages, the first overview of a month costs seconds
(the metric catalog plus every scheme's scores); every later request is served from the
gateway's cache.  ``cskpi serve`` therefore starts this in a background thread: the
first manager of the morning gets a warm page, and nothing waits for it to finish.
"""

from __future__ import annotations

import gc
import logging
import threading

from ...errors import CskpiError
from .gateway import DataGateway

log = logging.getLogger("cskpi.web")


def warm_up(data: DataGateway) -> list[str]:
    """Fill the cache for the latest month: metrics by agent, team and shop, then scores.

    Returns what was computed (for the log); a workspace without data warms nothing.
    """
    done: list[str] = []
    try:
        period = data.latest_period()
    except CskpiError as exc:  # an empty or missing workspace: nothing to warm
        log.info("warm-up skipped: %s", exc)
        return done
    for by in ("agent", "team", "shop"):
        data.metrics(period, by)
        done.append(f"metrics {period} by {by}")
    from .views import monthly_rows, scheme_profile

    monthly_rows(data, period, "shop")  # the overview's trends
    done.append(f"trend {period} by shop")
    profiles: list[str] = []
    for scheme in dict.fromkeys(data.schemes_by_role.values()):
        try:
            data.scored(scheme, period)
            done.append(f"scores {period} {scheme}")
            profile = scheme_profile(data, scheme)
        except CskpiError as exc:  # a scheme that does not load is reported on its pages
            log.warning("warm-up of %s skipped: %s", scheme, exc)
            continue
        if profile not in profiles:  # the scorecards' trends, under the schemes' profiles
            profiles.append(profile)
            monthly_rows(data, period, "agent", profile)
            done.append(f"trend {period} by agent ({profile})")
    return done


GC_THRESHOLDS = (50_000, 20, 100)
"""The cyclic garbage collector's thresholds while the app serves (Python's: 700, 10, 10).
The gateway's cache holds most of the process's objects (some 800,000 at 100 agents and
10M messages, once the pages of every agent were seen); a full collection walks them all,
340 ms during which no request is answered, and with Python's thresholds one came every
few seconds under 20 clients: the p95 of whichever pages were in flight.  Rarer
collections of the young generations let far fewer objects reach the old one."""


def tune_gc() -> None:
    """Set :data:`GC_THRESHOLDS` (what ``cskpi serve`` does before it serves)."""
    gc.set_threshold(*GC_THRESHOLDS)


def start_warm_up(data: DataGateway) -> threading.Thread:
    """Run :func:`warm_up` in a daemon thread (requests meanwhile wait on the gateway lock)."""
    def run() -> None:
        try:
            for line in warm_up(data):
                log.info("warmed: %s", line)
        except Exception:  # never take the server down for a cache fill
            log.exception("warm-up failed")

    thread = threading.Thread(target=run, name="cskpi-warm-up", daemon=True)
    thread.start()
    return thread
