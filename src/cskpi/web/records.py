"""What managers record in the app: grades, events and period locks (each audited).

A lock freezes what a month publishes: scorecards of the period show the locked snapshot.
Grades and events stay open to corrections; a correction changes the live figures only,
which the Periods page shows as "changed since lock" with the diff, until the month is
locked again with a reason as a new version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..jsonable import jsonable
from ..months import month_range
from ..scoring.score import GRADE_ALIASES
from .accounts import audit
from .data import DataGateway, valid_period
from .db.models import Event, Grade, PeriodLock, User, utcnow
from .errors import BadRequest, Conflict, NotFound
from .periods import LOCK_ACTION, diff_snapshots, lock_target

GRADES = ("A", "B", "C", "D")
MAX_POINTS = Decimal(1_000_000)


def canonical_grade(value: str) -> str:
    """``A``–``D`` from ``A``–``D`` or 优/良/中/差."""
    grade = GRADE_ALIASES.get(value.strip(), value.strip().upper())
    if grade not in GRADES:
        raise BadRequest("web.error.grade_invalid", grade=value)
    return grade


def latest_lock(db: Session, period: str, scheme: str) -> PeriodLock | None:
    """The newest lock of a period under a scheme."""
    return db.scalar(select(PeriodLock).where(PeriodLock.period == period,
                                              PeriodLock.scheme == scheme)
                     .order_by(PeriodLock.version.desc()).limit(1))


def _require_agent(data: DataGateway, agent_id: str) -> dict[str, Any]:
    agent = data.agent(agent_id)
    if agent is None:
        raise NotFound("web.error.agent_unknown", agent=agent_id)
    return agent


def record_grade(db: Session, data: DataGateway, reviewer: User, *, agent_id: str,
                 period: str, item: str, grade: str, note: str | None,
                 ip: str | None = None) -> Grade:
    """Create or change a grade (audited as ``grade.create`` / ``grade.update``)."""
    period = valid_period(period)
    agent = _require_agent(data, agent_id)
    scheme = data.scheme_for(agent)
    allowed = [k for k, _ in data.grade_items(scheme)] if scheme else []
    if item not in allowed:
        raise BadRequest("web.error.item_invalid", item=item,
                         details={"allowed": allowed, "scheme": scheme})
    grade = canonical_grade(grade)
    row = db.scalar(select(Grade).where(Grade.agent_id == agent_id, Grade.period == period,
                                        Grade.item == item))
    before = row.to_dict() if row is not None else None
    if row is None:
        row = Grade(agent_id=agent_id, period=period, item=item, grade=grade)
        db.add(row)
    row.grade, row.note, row.reviewer_id = grade, (note or None), reviewer.id
    row.updated_at = utcnow()
    db.flush()
    audit(db, reviewer, "grade.update" if before else "grade.create",
          f"grade:{agent_id}:{period}:{item}", before=before, after=row.to_dict(), ip=ip)
    return row


def record_event(db: Session, data: DataGateway, reviewer: User, *, agent_id: str,
                 date: dt.date, kind: str, points: str | None, note: str | None,
                 ip: str | None = None) -> Event:
    """Add a praise, complaint or other event (audited as ``event.create``)."""
    _require_agent(data, agent_id)
    kind = kind.strip()
    if not kind or len(kind) > 64:
        raise BadRequest("web.error.kind_invalid")
    value: Decimal | None = None
    if points not in (None, ""):
        try:
            value = Decimal(str(points).strip())
            if not value.is_finite() or abs(value) >= MAX_POINTS:
                raise InvalidOperation
            value = value.quantize(Decimal("0.01"))
        except InvalidOperation:
            raise BadRequest("web.error.points_invalid", points=points) from None
    row = Event(agent_id=agent_id, date=date, kind=kind, points=value, note=note or None,
                reviewer_id=reviewer.id)
    db.add(row)
    db.flush()
    audit(db, reviewer, "event.create", f"event:{row.id}", after=row.to_dict(), ip=ip)
    return row


def lock_period(db: Session, data: DataGateway, user: User, *, period: str, scheme: str,
                reason: str | None = None, allow_incomplete: bool = False,
                ip: str | None = None) -> PeriodLock:
    """Freeze the scores and pay of a period under a scheme as a new version (audited).

    A re-lock must change something (no empty versions: 409) and give a reason (400),
    audited with the agents whose figures change.  Figures with problems (missing
    grades, targets …) are locked only when ``allow_incomplete`` says so, as
    ``cskpi report --allow-incomplete`` does for a report.
    """
    period = valid_period(period)
    snapshot = data.snapshot(scheme, period)
    previous = latest_lock(db, period, scheme)
    reason = (reason or "").strip() or None
    changed: list[str] = []
    if previous is not None:
        diff = diff_snapshots(previous.snapshot, snapshot)
        if not diff:
            raise Conflict("web.periods.error.unchanged", period=period, scheme=scheme,
                           version=previous.version)
        if reason is None:
            raise BadRequest("web.periods.error.reason_required", version=previous.version)
        changed = diff.agent_ids
    if snapshot["problems"] and not allow_incomplete:
        raise BadRequest("web.periods.error.incomplete", n=len(snapshot["problems"]))
    lock = PeriodLock(period=period, scheme=scheme, snapshot=snapshot,
                      version=(previous.version + 1) if previous else 1, locked_by=user.id)
    db.add(lock)
    try:
        db.flush()
    except IntegrityError:  # someone else locked this version a moment ago
        db.rollback()
        raise Conflict("web.periods.error.concurrent", period=period, scheme=scheme) from None
    audit(db, user, LOCK_ACTION, lock_target(period, scheme),
          before={"version": previous.version} if previous else None,
          after={"version": lock.version, "agents": len(snapshot["cards"]), "reason": reason,
                 "changed": changed, "problems": len(snapshot["problems"])}, ip=ip)
    return lock


@dataclass
class ScorecardView:
    """What the scorecard page and API show for one agent and month."""

    agent: dict[str, Any]
    period: str
    scheme: str | None
    card: dict[str, Any] | None
    problems: list[dict[str, Any]]
    lock: PeriodLock | None
    grades: list[Grade]


def scorecard(db: Session, data: DataGateway, agent_id: str, period: str,
              scheme: str | None) -> ScorecardView:
    """The live scorecard, or the locked snapshot when the period is locked."""
    from ..scoring.presets import preset_names

    period = valid_period(period)
    agent = _require_agent(data, agent_id)
    if scheme is not None and scheme not in preset_names():
        raise BadRequest("web.error.scheme_unknown", scheme=scheme,
                         details={"allowed": preset_names()})
    scheme = scheme or data.scheme_for(agent)
    grades = list(db.scalars(select(Grade).where(Grade.agent_id == agent_id,
                                                 Grade.period == period).order_by(Grade.item)))
    if scheme is None:
        return ScorecardView(agent, period, None, None, [], None, grades)
    lock = latest_lock(db, period, scheme)
    if lock is not None:
        card = next((c for c in lock.snapshot["cards"] if c["agent_id"] == agent_id), None)
        problems = [p for p in lock.snapshot["problems"] if p["agent_id"] == agent_id]
        return ScorecardView(agent, period, scheme, card, problems, lock, grades)
    live = data.agent_card(agent, period, scheme)
    assert live is not None
    return ScorecardView(agent, period, scheme, jsonable(live.card), jsonable(live.problems),
                         None, grades)


def entries_for(sessions: Any) -> Callable[[str], tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """A reader of the grades and events entered in the app for a month (for scoring)."""

    def read(period: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        first, last = month_range(period)
        with sessions() as db:
            grades = [g.to_dict() for g in db.scalars(
                select(Grade).where(Grade.period == period))]
            events = [e.to_dict() for e in db.scalars(
                select(Event).where(Event.date >= first, Event.date <= last))]
        return grades, events

    return read
