"""The bad and neutral feedback of a period, one row each, held against the agent the
catalog's figures hold it against.

- **Product reviews** (``reviews``: 差评 and 中评, with their text): the rows behind
  ``bad_reviews`` and ``neutral_reviews``.  A review is held against its own ``agent_id``,
  else the agent the order is credited to, and counts on its own time, else the order's
  payment, else its creation (:func:`~cskpi.metrics.families.aftersale.attributed_reviews`,
  the families' own rule).
- **Service ratings** (``ratings``: scores 1-3): the rows behind ``dissatisfaction``'s
  numerator (1-2) and the neutral 3s, which neither ``satisfaction`` (4-5) nor
  ``dissatisfaction`` counts as theirs.  A rating belongs to its session: the session's
  agent, on the local day of its human start (as ``rated_sessions`` counts it).

The shop's lists hold rows that no agent is held responsible for too (the shop's figures
count them); a team's or an agent's only their own.  Times are local (the shop's zone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from .families.aftersale import attributed_reviews
from .families.common import Buckets, on_days, with_team

REVIEW_RATINGS = ("bad", "neutral")  # the ratings of bad_reviews and neutral_reviews
LOW_SCORES = (1, 2, 3)  # 1-2: dissatisfied (dissatisfaction); 3: neutral
REVIEW_COLUMNS = ("time", "order_id", "rating", "text", "agent_id", "credit")
RATING_COLUMNS = ("started", "rated", "session_id", "customer_id", "score", "agent_id")


@dataclass(frozen=True)
class FeedbackQuery:
    """The period (local days, inclusive) and whose feedback: one agent's, one team's, or
    (neither) the shop's."""

    start: dt.date
    end: dt.date
    profile: Any  # cskpi.metrics.profiles.Profile (order credit, as the catalog's)
    agent: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class Feedback:
    """The two lists (dicts of :data:`REVIEW_COLUMNS` and :data:`RATING_COLUMNS`), and
    whether the data has each table at all (an empty list of a table never imported says
    nothing about the agents)."""

    reviews: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    has_reviews: bool = False
    has_ratings: bool = False


def _selected(t: ir.Table, agents: ir.Table, q: FeedbackQuery, agent_col: str) -> ir.Table:
    """The rows of ``q``'s agent, or of the agents its team has on the roster."""
    if q.agent is not None:
        t = t.filter(t[agent_col] == q.agent)
    if q.team is not None:
        t = with_team(t, agents, agent_col)
        t = t.filter(t.team == q.team)
    return t


def review_table(inp: Any, agents: ir.Table, q: FeedbackQuery) -> ir.Table:
    """The bad and neutral product reviews of the period, oldest first; ``credit`` says how
    the agent was found: ``explicit`` (the review names them), ``order`` (the order's
    credit) or ``none`` (nobody is held responsible)."""
    rv = attributed_reviews(inp, q.profile, Buckets(q.start, q.end, None))
    rv = _selected(rv.filter(rv.rating.isin(REVIEW_RATINGS)), agents, q, "_agent")
    credit = ibis.cases((rv.agent_id.notnull(), "explicit"), (rv._agent.notnull(), "order"),
                        else_="none")
    return rv.select(time=rv._when, order_id=rv.order_id, rating=rv.rating, text=rv.text,
                     agent_id=rv._agent, credit=credit).order_by(["time", "order_id"])


def rating_table(inp: Any, facts: ir.Table, agents: ir.Table, q: FeedbackQuery) -> ir.Table:
    """The service ratings of 1-3 given to the period's sessions, by session start."""
    r = inp.get("ratings")
    r = r.select(_sid=r.session_id, score=r.score.cast("int32"), rated=r.ts_local)
    f = facts.filter(on_days(facts.human_local, q.start, q.end))
    f = f.select("session_id", "customer_id", "agent_id", started=f.human_local)
    j = f.inner_join(r, f.session_id == r._sid)
    j = _selected(j.filter(j.score.isin(LOW_SCORES)), agents, q, "agent_id")
    return j.select(*RATING_COLUMNS).order_by(["started", "session_id"])
