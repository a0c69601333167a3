"""The golden tests' small shop: three agents (A1 and A2 pre-sale in team T1, B1
after-sale in T2), October 2026, and ``metrics()``, which computes the catalog on a data
folder written from text and returns the rows by group."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cskpi.metrics.compute import MetricQuery
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from tests.helpers.common import write_folder

AGENTS = "agent_id,name,role,team\nA1,甲,presale,T1\nA2,乙,presale,T1\nB1,丙,aftersale,T2\n"
HEAD = "session_id,ts,sender,agent_id,customer_id,event\n"
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def metrics(tmp_path: Path, files: dict[str, str], *, by: str = "agent", profile: str = "generic",
            sets: dict[str, str] | None = None, period: tuple[dt.date, dt.date] = OCT,
            grain: str | None = None) -> dict:
    d = write_folder(tmp_path / "d", {"agents.csv": AGENTS, **files})
    q = MetricQuery(period[0], period[1], by=by, grain=grain, profile=resolve(profile, sets))
    result = Shop(data=d).metrics(q)
    key = {"agent": "agent_id", "team": "team", "shop": "shop"}[by]
    if grain:
        return {(r[key], r["period_start"]): r for r in result.rows}
    return {r[key]: r for r in result.rows}
