"""The facts cache: a new import recomputes only the sessions it touched, same figures."""

from __future__ import annotations

import datetime as dt

from cskpi import core
from cskpi.metrics.compute import MetricQuery
from cskpi.metrics.profiles import resolve
from cskpi.store.workspace import Workspace

DAY1 = """\
session_id,ts,sender,agent_id,customer_id
S1,2026-10-03 10:00:00,customer,,C1
S1,2026-10-03 10:01:00,agent,001,
S2,2026-10-03 11:00:00,customer,,C2
S2,2026-10-03 11:05:00,agent,002,
"""
DAY2 = """\
session_id,ts,sender,agent_id,customer_id
S2,2026-10-03 11:10:00,customer,,C2
S3,2026-10-04 09:00:00,customer,,C3
S3,2026-10-04 09:00:30,agent,001,
"""
OCT = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def figures(result):
    return {r["agent_id"]: (r["sessions"], r["reply_3min_rate_num"], r["reply_3min_rate_den"],
                            r["first_response_s"]) for r in result.rows}


def test_incremental_recompute_touches_only_new_sessions(folder, tmp_path):
    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.import_folder(folder({"messages.csv": DAY1}))
    first = core.compute_metrics(OCT, workspace=path)
    assert first.cache.full and first.cache.recomputed_sessions == 2
    again = core.compute_metrics(OCT, workspace=path)
    assert again.cache.recomputed_sessions == 0  # nothing new: facts reused
    ws.import_folder(folder({"messages.csv": DAY2}))
    after = core.compute_metrics(OCT, workspace=path)
    # S2 got a new message and S3 is new; S1 is untouched
    assert not after.cache.full and after.cache.recomputed_sessions == 2
    fresh = core.compute_metrics(OCT, workspace=path, use_cache=False)
    assert figures(after) == figures(fresh)
    # 001: S1 (60 s) and S3 (30 s): 2 of 2 rounds within 3 min, first response mean 45 s;
    # 002: S2 rounds 11:00 (300 s) and 11:10 (unanswered): 0 of 2
    assert figures(after) == {"001": (2, 2, 2, 45.0), "002": (1, 0, 2, 300.0)}


def test_other_settings_get_their_own_facts(folder, tmp_path):
    path = tmp_path / "ws.duckdb"
    Workspace(path).import_folder(folder({"messages.csv": DAY1}))
    generic = core.compute_metrics(OCT, workspace=path)
    strict = core.compute_metrics(
        MetricQuery(OCT.start, OCT.end, profile=resolve("generic", {"reply_within_s": "30"})),
        workspace=path)
    assert strict.cache.full and strict.cache.profile_key != generic.cache.profile_key
    # within 30 s: 001's 60 s reply no longer counts
    assert figures(strict)["001"][1] == 0 and figures(generic)["001"][1] == 1
