"""GET /api/v1/agents/{agent_id}/scorecard: one agent's scores and pay for a month."""

from __future__ import annotations

from fastapi import APIRouter

from ...api_models import DATA_ERRORS, LockOut, ScorecardOut
from ...deps import AgentAccess, DataDep, DbDep, scheme_choice
from ...params import MonthQuery, PresetQuery
from ...services.records import scorecard

router = APIRouter(tags=["agents"])


@router.get("/agents/{agent_id}/scorecard", response_model=ScorecardOut, responses=DATA_ERRORS)
def agent_scorecard(agent_id: str, principal: AgentAccess, db: DbDep, data: DataDep,
                    period: MonthQuery = None, scheme: PresetQuery = None) -> ScorecardOut:
    """The scorecard (the locked snapshot when the period is locked)."""
    view = scorecard(db, data, agent_id, period or data.latest_period(),
                     scheme_choice(principal, scheme))
    lock = None
    if view.lock is not None:
        lock = LockOut(version=view.lock.version, locked_at=view.lock.locked_at.isoformat(),
                       locked_by=view.lock.locker.username if view.lock.locker else None)
    return ScorecardOut(agent=view.agent, period=view.period, scheme=view.scheme, locked=lock,
                        card=view.card, problems=view.problems,
                        grades=[g.to_dict() for g in view.grades], has_data=view.has_data)
