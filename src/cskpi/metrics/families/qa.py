"""Chat quality inspection figures (catalog family ``qa``): the checked sessions of
:func:`cskpi.qa.engine.check` grouped by group and period."""

from __future__ import annotations

import ibis.expr.types as ir

from .common import BUCKET_COL, GROUP_COL, Buckets
from .service import days_of


def qa_aggregates(sessions: ir.Table, agents: ir.Table, b: Buckets, by: str) -> ir.Table:
    """qa_sessions, qa_score_sum, qa_hit_sessions, qa_fatal_sessions per group and period
    (a session falls in the period of its human start, as every service figure)."""
    s = days_of(sessions, agents, b, by, on="human_local")
    return s.group_by([GROUP_COL, BUCKET_COL]).agg(
        qa_sessions=s.count(),
        qa_score_sum=s.score.sum(),
        qa_hit_sessions=(s.hits > 0).sum(),
        qa_fatal_sessions=s.fatal.sum(),
    )
