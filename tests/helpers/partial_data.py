"""A complete small shop, and the shop with any of its tables or optional columns taken
away: the inputs of the partial-data tests (tests/golden/test_partial_data.py and the
Spark parity test)."""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from typing import Any

import ibis

from cskpi.metrics.catalog import METRICS, AnyOf, Col, Metric, Tbl
from cskpi.metrics.inputs import Inputs, TempTables

OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))

# A1 pre-sale and A2 after-sale in team T1, A3 pre-sale in team T2.
FILES = {
    "agents.csv": "agent_id,name,role,team\nA1,甲,presale,T1\nA2,乙,aftersale,T1\n"
                  "A3,丙,presale,T2\n",
    "sessions.csv": """session_id,customer_id,agent_id,start_ts,kind
S1,C1,A1,2026-10-03 10:00:00,presale
S2,C2,A2,2026-10-04 10:00:00,aftersale
S3,C3,A1,2026-10-05 11:00:00,presale
""",
    "messages.csv": """session_id,ts,sender,agent_id,customer_id
S1,2026-10-03 10:00:00,customer,,C1
S1,2026-10-03 10:00:30,agent,A1,
S1,2026-10-03 10:05:00,customer,,C1
S1,2026-10-03 10:09:00,agent,A1,
S1,2026-10-03 12:02:00,agent,A1,
S2,2026-10-04 10:00:00,customer,,C2
S2,2026-10-04 10:01:00,agent,A2,
S3,2026-10-05 11:00:00,customer,,C3
S3,2026-10-05 11:00:20,agent,A1,
""",
    "ratings.csv": "session_id,score\nS1,5\nS2,2\n",
    # O1 explicit credit to A1, reminded by A1 at 12:02 (S1) and paid after it; O2
    # attributed to A1 by S3 (when there are sessions); O3 silent; O4 unpaid
    "orders.csv": """order_id,customer_id,created_ts,paid_ts,amount,units,agent_id
O1,C1,2026-10-03 12:00:00,2026-10-03 12:05:00,100.00,2,A1
O2,C3,2026-10-05 12:00:00,2026-10-06 09:00:00,50.00,1,
O3,C9,2026-10-07 09:00:00,2026-10-07 09:10:00,30.00,1,
O4,C1,2026-10-08 09:00:00,,20.00,1,
""",
    "refunds.csv": """refund_id,order_id,agent_id,requested_ts,completed_ts,amount,dispute,cost
R1,O1,A2,2026-10-10 09:00:00,2026-10-10 21:00:00,100.00,true,5.00
R2,O3,A2,2026-10-12 09:00:00,,30.00,false,2.50
""",
    "complaints.csv": """complaint_id,ts,agent_id,verified
K1,2026-10-11 09:00:00,A2,true
K2,2026-10-12 09:00:00,A1,false
""",
    "reviews.csv": """order_id,ts,rating,agent_id
O1,2026-10-09 09:00:00,bad,A2
O2,2026-10-09 10:00:00,neutral,
""",
    "attendance.csv": "agent_id,date,status\nA1,2026-10-01,late\nA2,2026-10-01,present\n",
    "online.csv": """agent_id,start_ts,end_ts
A1,2026-10-01 09:00:00,2026-10-01 12:00:00
A2,2026-10-01 09:00:00,2026-10-01 10:30:00
""",
    "targets.csv": "period,scope,metric,value\n2026-10,agent:A1,sales,1000\n"
                   "2026-10,shop,sales,5000\n2026-10,team:T1,sales,2000\n",
}


def atoms(m: Metric) -> list[str]:
    """The tables (``orders``) and optional columns (``orders.agent_id``) ``m`` can use."""
    out: list[str] = []
    for need in (*m.needs, *m.group_needs):
        for o in need.options if isinstance(need, AnyOf) else (need,):
            a = o.name if isinstance(o, Tbl) else f"{o.table}.{o.column}"
            if a not in out:
                out.append(a)
    return out


ALL_ATOMS = sorted({a for m in METRICS for a in atoms(m)})


def subsets() -> list[frozenset[str]]:
    """Every combination of the inputs some metric can use (a column with its table)."""
    found: set[frozenset[str]] = set()
    for m in METRICS:
        a = atoms(m)
        for k in range(len(a) + 1):
            for combo in combinations(a, k):
                s = frozenset(combo)
                if all("." not in x or x.split(".")[0] in s for x in s):
                    found.add(s)
    return sorted(found, key=lambda s: (len(s), sorted(s)))


def restrict(inp: Inputs, present: frozenset[str]) -> Inputs:
    """``inp`` with only the tables and optional columns of ``present`` (and agents)."""
    tables: dict[str, Any] = {}
    for name, t in inp.tables.items():
        if name != "agents" and name not in present:
            continue
        if t is not None:
            gone = [a.split(".")[1] for a in ALL_ATOMS
                    if a.startswith(name + ".") and a not in present]
            for col in gone:
                for c in (col, f"{col}_utc", f"{col}_local"):
                    if c in t.columns:
                        t = t.mutate(**{c: ibis.null(t[c].type())})
        tables[name] = t
    materialize = None
    if isinstance(inp.materialize, TempTables):  # DuckDB: shared tables as temp tables
        materialize = TempTables(inp.materialize.backend, inp.materialize.con)
    return Inputs(tables, inp.tz, to_local=inp.to_local, materialize=materialize,
                  number_sessions=inp.number_sessions)


def expected_missing(m: Metric, present: frozenset[str], *, by: str,
                     aftersale_agent: bool) -> list[str]:
    """The inputs of ``m`` a row lacks, as its reason must name them."""
    from cskpi.metrics.rows import shop_scope

    on_shop = shop_scope(m, by, aftersale_agent, "shop")
    out = []
    for need in m.needs_for(by, on_shop):
        options = need.options if isinstance(need, AnyOf) else (need,)
        if not any(_has(o, present) for o in options):
            out.extend(o.name if isinstance(o, Tbl) else o.column for o in options)
    return out


def _has(o: Tbl | Col, present: frozenset[str]) -> bool:
    return (o.name if isinstance(o, Tbl) else f"{o.table}.{o.column}") in present


