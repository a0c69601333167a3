"""The inquiries of a period as queries (Ibis): one row per inquiring customer and agent.

An **inquiry** is an (agent, customer) pair with pre-sale sessions of that agent whose
human start is in the period (the catalog's ``inquiring_customers``).  Its figures are
those of its **last inquiry** (the latest such session): first response (as the catalog
measures it: the first round in the service window, answered), rounds, and duration
(from the human start to the session's last message).  It **ordered** or **paid** when
an order credited to that agent was created or paid in the period (the catalog's
``ordering_customers`` and ``paying_customers``).

An inquiry that ordered nothing is **lost** to its agent; a team or the shop loses a
customer only when none of its agents sold to them, and that customer's reason is the
one of their latest inquiry in the group: the lost rows of a group are exactly the
catalog's ``lost_customers``.
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir

from ..metrics import engine
from ..metrics.families.common import seconds, session_kind, with_group_key
from ..metrics.inputs import Inputs
from ..metrics.profiles import Profile

PAIR = ("agent_id", "customer_id")
# the columns of a pair's last inquiry session that an inquiry carries
LAST_COLUMNS = ("team", "session_id", "human_utc", "human_local", "rounds", "answered_rounds",
                "first_response_s", "messages_to_utc")
REGEX_META = re.compile(r"([\\.^$|?*+()\[\]{}])")


def inquiries(inp: Inputs, p: Profile, b: engine.Buckets, facts: ir.Table,
              agent: str | None = None, duration: bool = True,
              agentless: bool = False) -> ir.Table:
    """Every inquiry of the range (one row per agent and customer), with its last inquiry's
    figures and whether it ordered or paid (``agent``: that agent's only; ``duration``:
    with ``duration_s``, else :func:`with_duration` adds it later, to fewer rows, from
    the column ``_to`` left for it;
    ``agentless``: with the customers of sessions no human served, agent_id null, whom
    the shop counts among its inquiring customers)."""
    a = engine.agents_table(inp)
    a = a.select(_a_id=a.agent_id, team=a.team, _role=a.role)
    s = facts.filter(engine.in_range(facts.human_local, b))
    if not agentless:
        s = s.filter(s.agent_id.notnull())
    if agent is not None:
        s = s.filter(s.agent_id == agent)
    s = s.left_join(a, s.agent_id == a._a_id).drop("_a_id")
    s = s.filter(session_kind(s.kind, s._role) == "presale")
    # the latest session of each pair (by human start, then session id) as one aggregate:
    # a hash aggregation, several times faster than numbering every session in a window
    kept = {c: s[c] for c in LAST_COLUMNS}
    latest = ibis.struct(kept).argmax(ibis.struct({"h": s.human_utc, "s": s.session_id}))
    g = s.group_by(list(PAIR)).agg(inquiries=s.session_id.count(), _last=latest)
    g = g.select(*PAIR, "inquiries", **{c: g._last[c] for c in LAST_COLUMNS})
    last = g.select(
        "agent_id", "team", "customer_id", "session_id", "human_utc", "inquiries",
        "rounds", "answered_rounds", "first_response_s", inquiry_start=g.human_local,
        unanswered=(g.rounds > 0) & (g.answered_rounds == 0), _to=g.messages_to_utc)
    if duration:
        last = with_duration(inp, last)
    return _with_orders(inp, p, b, last)


def with_duration(inp: Inputs, last: ir.Table) -> ir.Table:
    """``duration_s``: from the human start to the last message of the session (0 with
    none after it; null without a chat log).

    The session's last message is its facts' ``messages_to_utc`` (carried as ``_to`` by
    :func:`inquiries`, dropped here): the latest of all its messages, which is the latest
    one at or after the human start whenever there is one, and earlier than that start
    (a duration of 0) when there is none, so the chat log is not read again.
    """
    if not inp.has("messages"):
        return last.mutate(duration_s=ibis.null("float64")).drop("_to")
    duration = ibis.greatest(seconds(last._to, last.human_utc), 0.0).fill_null(0.0)
    return last.mutate(duration_s=duration).drop("_to")


def _with_orders(inp: Inputs, p: Profile, b: engine.Buckets, last: ir.Table) -> ir.Table:
    """``ordered``/``paid``: an order credited to the agent created/paid in the range."""
    o = engine.credited_orders(inp, p)
    o = o.filter(o.credited.notnull())
    created = o.filter(engine.in_range(o.created_ts_local, b)).select(
        _c=o.customer_id, _a=o.credited, _o=ibis.literal(True), _p=ibis.literal(False))
    paid = o.filter((o.status == "paid") & o.paid_ts_local.notnull()
                    & engine.in_range(o.paid_ts_local, b))
    paid = paid.select(_c=paid.customer_id, _a=paid.credited, _o=ibis.literal(False),
                       _p=ibis.literal(True))
    bought = created.union(paid)
    bought = bought.group_by(["_c", "_a"]).agg(_o=bought._o.any(), _p=bought._p.any())
    j = last.left_join(bought, [last.customer_id == bought._c, last.agent_id == bought._a])
    return j.mutate(ordered=j._o.fill_null(False), paid=j._p.fill_null(False)).drop(
        "_c", "_a", "_o", "_p")


def lost_of(pairs: ir.Table, by: str) -> ir.Table:
    """The lost customers of each group (``group_key``): one row each, their latest
    inquiry in the group; a customer who ordered from any agent of the group is not lost."""
    g = with_group_key(pairs, by)
    if by == "agent":  # one row per agent and customer already: its own group
        return g.filter(~g.ordered)
    customer = [engine.GROUP_COL, "customer_id"]
    latest = ibis.window(group_by=customer,
                         order_by=[ibis.desc(g.human_utc), ibis.desc(g.agent_id)])
    g = g.mutate(_sold=g.ordered.any().over(group_by=customer),
                 _grn=ibis.row_number().over(latest))
    return g.filter(~g._sold & (g._grn == 0)).drop("_sold", "_grn")


def service_failure(t: ir.Table, p: Profile) -> ir.BooleanValue:
    """Unanswered, or a first response slower than the profile's ``reply_within_s``."""
    return t.unanswered | (t.first_response_s.fill_null(0.0) > p.reply_within_s)


def customer_texts(inp: Inputs, lost: ir.Table, substrings: list[str]) -> ir.Table:
    """The customer's messages of each lost inquiry's session that hold one of
    ``substrings`` (lower case): the only ones a keyword can be found in."""
    m = inp.get("messages")
    m = m.filter((m.sender == "customer") & m.text.notnull())
    ids = lost.select(_sid=lost.session_id)
    m = m.inner_join(ids, m.session_id == ids._sid)
    # one regular expression: a single pass over each text (a hundred contains() are
    # six times slower)
    pattern = "|".join(REGEX_META.sub(r"\\\1", w) for w in substrings)
    m = m.filter(m.text.lower().re_search(pattern))
    return m.select("session_id", "ts_utc", "text")
