"""A shop of three weeks for the week and range tests (tests/web/test_ranges.py), written
as tests/helpers/comparisons.py writes its shop: every chat one round, the customer at
10:00:00 and the agent after the seconds given (3 minutes or more is late).

  2026-W40 (Mon 09-28 – Sun 10-04): A1 09-29 30 s, A1 10-02 200 s, A2 10-03 40 s
  2026-W41 (Mon 10-05 – Sun 10-11): A1 10-05 20 s, A1 10-06 20 s, A1 10-11 100 s,
                                    A2 10-07 300 s, B1 10-10 60 s
  2026-W42 (Mon 10-12 – Sun 10-18): A2 10-12 50 s, B1 10-15 250 s

A1 and A2 are pre-sale agents of team T1, B1 an after-sale agent of T2.  Nothing before
09-29 nor after 10-15.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.comparisons import shop_of_chats

WEEK, PREVIOUS_WEEK = "2026-W41", "2026-W40"
CHATS = (  # (agent, day, seconds to the reply)
    ("A1", "2026-09-29", 30), ("A1", "2026-10-02", 200), ("A2", "2026-10-03", 40),
    ("A1", "2026-10-05", 20), ("A1", "2026-10-06", 20), ("A1", "2026-10-11", 100),
    ("A2", "2026-10-07", 300), ("B1", "2026-10-10", 60),
    ("A2", "2026-10-12", 50), ("B1", "2026-10-15", 250),
)


def three_week_shop(root: Path) -> Path:
    """The shop imported into ``root / shop.duckdb`` (returned)."""
    return shop_of_chats(root, CHATS)
