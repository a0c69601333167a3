"""The lost inquiries' figures where the quick ways of finding them could go wrong, worked
by hand: a duration read from the session facts' last message (not from the chat log
again), a pair's last inquiry and a session's deciding message taken by one aggregate
each (not by numbering rows in a window), at equal times too.  Each figure is the same
from a data folder (facts from the messages), from a workspace whose cache is filled by
this very command, and from one whose cache the catalog filled before (warm).

A1 and A2 are pre-sale agents of team T1; nobody ordered anything.

- D1  C1 / A1  10-03: the customer talks to the bot from 09:00, the transfer is at 09:10,
  the customer writes 09:11, A1 answers 09:12.  Human start 09:10, last message 09:12:
  duration 120 s (the messages before the human start do not count); first response
  09:10 -> 09:12 = 120 s <= 180 s: no service failure; no keyword: other.
- D2  C2 / A1  10-04: bot messages 10:00 and 10:01, transfer at 10:10, nothing after it.
  Duration 0 (no message after the human start; the last one is 9 min before it, which
  must not give -540 s); the transfer's round is never answered: service.
- D3  C3 / A2  10-05 10:00: a session row without a single message.  Human start = its
  start; duration 0; no round, so neither unanswered nor slow: other.
- C4 / A2: S0 10-02 10:00 ("有现货吗"), S1 and S2 both 10-06 10:00 (S1 "几天能到"; S2 two
  messages at 10:00:00, "太贵了" and "包邮吗", A2 answers 10:00:30).  Three inquiries; the
  last one is S2 (equal human starts: the greater session id).  In S2 both messages
  hold a keyword at the same instant: the greater text decides, "太贵了" (太 U+592A >
  包 U+5305): price, evidence "太贵了".  Duration 10:00:00 -> 10:00:30 = 30 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cskpi.lost import LostQuery
from cskpi.metrics.compute import MetricQuery
from cskpi.shop import Shop
from tests.helpers.common import write_folder
from tests.helpers.golden import AGENTS, OCT

SESSIONS = """\
session_id,customer_id,agent_id,start_ts,transfer_ts,kind
D1,C1,A1,2026-10-03 09:00:00,2026-10-03 09:10:00,presale
D2,C2,A1,2026-10-04 10:00:00,2026-10-04 10:10:00,presale
D3,C3,A2,2026-10-05 10:00:00,,presale
S0,C4,A2,2026-10-02 10:00:00,,presale
S1,C4,A2,2026-10-06 10:00:00,,presale
S2,C4,A2,2026-10-06 10:00:00,,presale
"""
MESSAGES = """\
session_id,ts,sender,agent_id,customer_id,text
D1,2026-10-03 09:00:00,customer,,C1,在吗
D1,2026-10-03 09:01:00,bot,,,您好
D1,2026-10-03 09:11:00,customer,,C1,我再看看
D1,2026-10-03 09:12:00,agent,A1,,好的
D2,2026-10-04 10:00:00,customer,,C2,在吗
D2,2026-10-04 10:01:00,bot,,,您好
S0,2026-10-02 10:00:00,customer,,C4,有现货吗
S0,2026-10-02 10:00:10,agent,A2,,有的
S1,2026-10-06 10:00:00,customer,,C4,几天能到
S1,2026-10-06 10:00:20,agent,A2,,三天
S2,2026-10-06 10:00:00,customer,,C4,包邮吗
S2,2026-10-06 10:00:00,customer,,C4,太贵了
S2,2026-10-06 10:00:30,agent,A2,,亲
"""
# an order nobody inquired about: the workspace has orders (lost inquiries need them)
ORDERS = """\
order_id,customer_id,created_ts,paid_ts,amount,units,status
O1,C9,2026-10-20 10:00:00,2026-10-20 10:01:00,10.00,1,paid
"""
Q = LostQuery(*OCT)
# customer -> (agent, last inquiry, reason, evidence, duration_s, inquiries)
EXPECTED = {
    "C1": ("A1", "D1", "other", None, 120.0, 1),
    "C2": ("A1", "D2", "service", None, 0.0, 1),
    "C3": ("A2", "D3", "other", None, 0.0, 1),
    "C4": ("A2", "S2", "price", "太贵了", 30.0, 3),
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("shortcuts") / "d",
                        {"agents.csv": AGENTS, "sessions.csv": SESSIONS,
                         "messages.csv": MESSAGES, "orders.csv": ORDERS})


def _figures(items: list) -> dict[str, tuple]:
    return {i.customer_id: (i.agent_id, i.session_id, i.reason, i.evidence, i.duration_s,
                            i.inquiries) for i in items}


@pytest.mark.parametrize("source", ["folder", "workspace", "warm workspace"])
def test_lost_figures_at_the_edges(shop: Path, tmp_path: Path, source: str) -> None:
    if source == "folder":
        where = {"data": shop}
    else:
        ws = tmp_path / "ws.duckdb"
        Shop(ws).import_folder(shop)
        if source == "warm workspace":  # the catalog fills the facts cache first
            Shop(ws).metrics(MetricQuery(*OCT))
        where = {"workspace": ws}
    items, _ = Shop(**where).lost_inquiries(Q)
    assert _figures(items) == EXPECTED
    # the team T1 lost the same four (nobody bought from its other agent), the same way
    team, _ = Shop(**where).lost_inquiries(Q, by="team")
    assert _figures(team) == EXPECTED
    # the summary by agent counts them: A1 other 1 + service 1, A2 other 1 + price 1
    rows = Shop(**where).lost_summary(Q)
    assert {(r["agent_id"], r["reason"]): r["lost_customers"] for r in rows} == {
        ("A1", "other"): 1, ("A1", "service"): 1, ("A2", "price"): 1, ("A2", "other"): 1}
