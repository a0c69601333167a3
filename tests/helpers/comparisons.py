"""A shop of two months for the comparison tests (tests/web/test_comparisons.py): every
chat is one round, the customer at 10:00:00 and the agent after the seconds given.

  September 2026: A1 (pre-sale) three chats of 55 s; A2 (pre-sale) one of 235 s;
                  B1 (after-sale) one of 10 s.
  October 2026:   A1 two chats of 20 s; A2 three of 60, 60 and 300 s; B1 one of 20 s.
  August has no data at all.

B1's events (aftersale-4crown: praise +2 each, a complaint's points within -20..-5):
one praise in September; two praises and a complaint of -8 in October.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cskpi.shop import Shop
from tests.helpers.common import write_folder

AGENTS = ("agent_id,name,role,team,level\nA1,Alice Wong,presale,T1,senior\n"
          "A2,Bob Li,presale,T1,junior\nB1,Carol Chen,aftersale,T2,junior\n")
CHATS = (  # (agent, day, seconds to the reply)
    ("A1", "2026-09-10", 55), ("A1", "2026-09-11", 55), ("A1", "2026-09-12", 55),
    ("A2", "2026-09-13", 235), ("B1", "2026-09-14", 10),
    ("A1", "2026-10-05", 20), ("A1", "2026-10-06", 20),
    ("A2", "2026-10-07", 60), ("A2", "2026-10-08", 60), ("A2", "2026-10-09", 300),
    ("B1", "2026-10-10", 20),
)

EVENTS = ("agent_id,ts,kind,points,note\nB1,2026-09-14 11:00:00,praise,2,\n"
          "B1,2026-10-10 11:00:00,praise,2,\nB1,2026-10-11 11:00:00,praise,2,\n"
          "B1,2026-10-12 11:00:00,complaint,-8,rude\n")


def two_month_shop(root: Path) -> Path:
    """The shop imported into ``root / shop.duckdb`` (returned)."""
    return shop_of_chats(root, CHATS)


def shop_of_chats(root: Path, chats: Sequence[tuple[str, str, int]]) -> Path:
    """A shop of the agents above whose chats are one round each, (agent, day, seconds to
    the reply), customer C<n> of session S<n> at 10:00:00; imported into
    ``root / shop.duckdb`` (returned)."""
    lines = ["session_id,ts,sender,agent_id,customer_id,event"]
    for n, (agent, day, seconds) in enumerate(chats, start=1):
        minutes, rest = divmod(seconds, 60)
        lines += [f"S{n},{day} 10:00:00,customer,,C{n},",
                  f"S{n},{day} 10:{minutes:02d}:{rest:02d},agent,{agent},,"]
    write_folder(root / "data", {"agents.csv": AGENTS, "messages.csv": "\n".join(lines) + "\n",
                                 "events.csv": EVENTS})
    Shop(root / "shop.duckdb").import_folder(root / "data")
    return root / "shop.duckdb"
