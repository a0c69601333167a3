"""Imported events and complaints are named by keys that survive a re-import, and the
corrections made in the app (an upheld appeal) change what scoring counts
(cskpi.scoring.corrections)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from cskpi.scoring.corrections import apply_corrections, keyed_complaints, keyed_events
from cskpi.shop import Shop
from tests.helpers.common import write_folder

AGENTS = "agent_id,name,role,team,level\n001,张伟,aftersale,A,senior\n002,李娜,aftersale,A,junior\n"
EVENTS = [  # two identical rows: two praises alike, both real
    "001,2026-10-03 10:00:00,praise,2,顾客表扬",
    "001,2026-10-03 10:00:00,praise,2,顾客表扬",
    "001,2026-10-04 09:30:00,complaint,-8,态度差",
    "002,2026-10-03 10:00:00,praise,2,顾客表扬",
]
COMPLAINTS = "complaint_id,ts,agent_id,verified,points\nP1,2026-10-05 12:00:00,002,true,-6\n"


def _keys(root: Path, rows: list[str]) -> tuple[list[str], list[str]]:
    write_folder(root / "data", {
        "agents.csv": AGENTS, "complaints.csv": COMPLAINTS,
        "events.csv": "agent_id,ts,kind,points,note\n" + "\n".join(rows) + "\n"})
    shop = Shop(root / "shop.duckdb")
    shop.import_folder(root / "data")
    found = shop.imported_entries("2026-10")
    return [e["key"] for e in found["events"]], [c["key"] for c in found["complaints"]]


def test_keys_survive_a_reimport_in_another_order(tmp_path: Path) -> None:
    events, complaints = _keys(tmp_path / "first", EVENTS)
    again, _ = _keys(tmp_path / "again", list(reversed(EVENTS)))
    assert complaints == ["P1"]
    assert sorted(events) == sorted(again) and len(set(events)) == 4
    # the identical praises share a digest and are told apart by their place: -1, -2
    digests = [k.rsplit("-", 1) for k in events]
    assert sorted(n for d, n in digests if [x for x, _ in digests].count(d) == 2) == ["1", "2"]
    # a row changed in the data is another event: another key
    changed, _ = _keys(tmp_path / "changed", [*EVENTS[:2], EVENTS[2].replace("-8", "-9"),
                                              EVENTS[3]])
    assert len(set(changed) - set(events)) == 1


def test_a_key_reads_the_same_content_the_same_way() -> None:
    at = dt.datetime(2026, 10, 3, 10, 0)
    rows = [{"agent_id": "001", "ts_local": at, "kind": "praise", "points": p, "note": None}
            for p in (2.0, Decimal("2.00"), "2")]
    keys = {row["key"].rsplit("-", 1)[0] for row in keyed_events(rows)}
    assert len(keys) == 1  # 2.0, 2.00 and "2" are the same points
    other = keyed_events([{**rows[0], "note": "x"}])[0]["key"]
    assert other.rsplit("-", 1)[0] not in keys


def test_corrections_set_aside_or_change_points() -> None:
    events = keyed_events([
        {"agent_id": "001", "ts_local": "2026-10-03 10:00:00", "kind": "praise", "points": 2,
         "note": None},
        {"agent_id": "001", "ts_local": "2026-10-04 10:00:00", "kind": "complaint",
         "points": -8, "note": None}])
    complaints = keyed_complaints([
        {"complaint_id": "P1", "agent_id": "002", "verified": True, "points": -6},
        {"complaint_id": "P2", "agent_id": "002", "verified": True, "points": -7}])
    fixes = [{"corrects": "events", "key": events[0]["key"], "cancelled": True},
             {"corrects": "events", "key": events[1]["key"], "cancelled": False,
              "points": "-5.00"},
             {"corrects": "complaints", "key": "P1", "cancelled": True},
             {"corrects": "complaints", "key": "P2", "cancelled": False, "points": "-5"}]
    kept, table = apply_corrections(events, complaints, fixes)
    assert [(e["kind"], e["points"]) for e in kept] == [("complaint", "-5.00")]
    assert table is not None
    # a complaint set aside stays in the table, not verified: a complaint event naming it
    # does not count on its own either
    assert [(c["key"], c["verified"], c["points"]) for c in table] == [
        ("P1", False, -6), ("P2", True, "-5")]
    assert apply_corrections(events, None, fixes)[1] is None
