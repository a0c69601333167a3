"""What managers record in the app: grades, events and period locks (each audited).

An entry is stored only as it will count: its kind, points, item and grade are checked
against the schemes that cover the agent (:mod:`cskpi.scoring.entries`), and a month
after the current one is refused.  Entered grades and events may be changed and deleted
(audited with before and after) until a lock has seen them.

A lock freezes what a month publishes: scorecards of the period show the locked snapshot,
and its report files are kept as approved.  An entry a lock was computed from stays as it
was; new entries are corrections, which change the live figures only (the Periods page
shows "changed since lock" with the diff) until the month is locked again with a reason
as a new version, and which may be changed or deleted until then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...jsonable import jsonable
from ...months import month_range, trailing_months
from ...scheme.models import GRADE_ALIASES
from ...scoring.compare import diff_snapshots
from ...scoring.corrections import COMPLAINTS, EVENTS
from ...scoring.corrections import TABLES as CORRECTABLE
from ...scoring.entries import check_event, check_grade
from ..db.changes import version
from ..db.models import Event, Grade, ImportedCorrection, PeriodLock, User, utcnow
from ..errors import BadRequest, Conflict, NotFound
from ..params import current_month
from .accounts import audit
from .gateway import REQUEST_MEMO, DataGateway, remembered, valid_period
from .periods import LOCK_ACTION, REOPEN_ACTION, lock_target


def latest_lock(db: Session, period: str, scheme: str) -> PeriodLock | None:
    """The newest lock of a period under a scheme (read once per reading request)."""
    return remembered(("lock", period, scheme), lambda: db.scalar(
        select(PeriodLock).where(PeriodLock.period == period, PeriodLock.scheme == scheme)
        .order_by(PeriodLock.version.desc()).limit(1)))


TREND_MONTHS = 6
"""The months a scorecard's trend shows, ending with its own."""


def latest_locks(db: Session, periods: Sequence[str], scheme: str
                 ) -> dict[str, PeriodLock | None]:
    """:func:`latest_lock` of several periods, read in one query (a trend's months)."""
    memo = REQUEST_MEMO.get()
    known = {p: memo[("lock", p, scheme)] for p in periods
             if memo is not None and ("lock", p, scheme) in memo}
    wanted = [p for p in periods if p not in known]
    found: dict[str, PeriodLock] = {}
    if wanted:
        for lock in db.scalars(select(PeriodLock).where(PeriodLock.period.in_(wanted),
                                                        PeriodLock.scheme == scheme)):
            if lock.period not in found or lock.version > found[lock.period].version:
                found[lock.period] = lock
    for p in wanted:
        known[p] = remembered(("lock", p, scheme), lambda p=p: found.get(p))
    return {p: known[p] for p in periods}


def _require_agent(data: DataGateway, agent_id: str) -> dict[str, Any]:
    agent = data.agent(agent_id)
    if agent is None:
        if not agent_id:
            raise BadRequest("web.entries.error.agent_missing")
        raise NotFound("web.error.agent_unknown", agent=agent_id)
    return agent


def _not_future(data: DataGateway, period: str) -> None:
    latest = current_month(data.timezone())
    if period > latest:
        raise BadRequest("web.error.month_future", month=period, latest=latest)


def covering_names(data: DataGateway, agent: Mapping[str, Any]) -> list[str]:
    """The names of the schemes in force that score the agent (as locks name them)."""
    return [name for name in dict.fromkeys(data.schemes_by_role.values())
            if data.loaded(name).applies_to.matches(agent)]


def _refuse_if_locked(db: Session, data: DataGateway, agent: Mapping[str, Any], period: str,
                      changed_at: dt.datetime, target: str) -> None:
    """An entry a locked version was computed from is kept as it was: changing or
    deleting it would leave the approved figures without their evidence.  An entry
    changed after the month's newest lock (a correction not yet locked) stays open, and
    so does every entry of a month reopened for corrections (:func:`reopen_period`)."""
    for name in covering_names(data, agent):
        lock = latest_lock(db, period, name)
        if lock is not None and lock.reopened_at is None and lock.locked_at >= changed_at:
            raise Conflict(f"web.entries.error.locked_{target}", period=period,
                           scheme=name, version=lock.version,
                           links=[(f"/periods/{period}?scheme={name}",
                                   "web.entries.review_lock", {"version": lock.version})])


def record_grade(db: Session, data: DataGateway, reviewer: User, *, agent_id: str,
                 period: str, item: str, grade: str, note: str | None,
                 ip: str | None = None) -> Grade:
    """Create or change a grade (audited as ``grade.create`` / ``grade.update``): the
    item must be graded under a scheme that covers the agent (see
    :func:`cskpi.scoring.entries.check_grade`)."""
    period = valid_period(period)
    _not_future(data, period)
    agent = _require_agent(data, agent_id)
    grade = check_grade(data.schemes_covering(agent), agent, item, grade)
    row = db.scalar(select(Grade).where(Grade.agent_id == agent_id, Grade.period == period,
                                        Grade.item == item))
    if row is not None:
        _refuse_if_locked(db, data, agent, period, row.updated_at, "grade")
    return _save_grade(db, reviewer, row, agent_id=agent_id, period=period, item=item,
                       grade=grade, note=note, ip=ip)


def _save_grade(db: Session, reviewer: User, row: Grade | None, *, agent_id: str, period: str,
                item: str, grade: str, note: str | None, ip: str | None) -> Grade:
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


def get_grade(db: Session, grade_id: int) -> Grade:
    """An entered grade, else :class:`NotFound`."""
    row = db.get(Grade, grade_id)
    return row if row is not None else _unknown("grade", grade_id)


def _unknown(what: str, entry_id: int) -> Any:
    raise NotFound(f"web.entries.error.{what}_unknown", id=entry_id)


def update_grade(db: Session, data: DataGateway, reviewer: User, grade_id: int, *,
                 grade: str, note: str | None, ip: str | None = None) -> Grade:
    """Change an entered grade's grade and note (audited ``grade.update``)."""
    row = get_grade(db, grade_id)
    agent = _require_agent(data, row.agent_id)
    value = check_grade(data.schemes_covering(agent), agent, row.item, grade)
    _refuse_if_locked(db, data, agent, row.period, row.updated_at, "grade")
    return _save_grade(db, reviewer, row, agent_id=row.agent_id, period=row.period,
                       item=row.item, grade=value, note=note, ip=ip)


def delete_grade(db: Session, data: DataGateway, user: User, grade_id: int,
                 ip: str | None = None) -> Grade:
    """Delete an entered grade (audited ``grade.delete``): the imported one, if any,
    counts again."""
    row = get_grade(db, grade_id)
    agent = data.agent(row.agent_id) or {"agent_id": row.agent_id}
    _refuse_if_locked(db, data, agent, row.period, row.updated_at, "grade")
    before = row.to_dict()
    db.delete(row)
    db.flush()
    audit(db, user, "grade.delete", f"grade:{row.agent_id}:{row.period}:{row.item}",
          before=before, ip=ip)
    return row


def _checked_event(data: DataGateway, *, agent_id: str, date: dt.date,
                   kind: str, points: str | None) -> tuple[dict[str, Any], Decimal | None]:
    """The agent and the points to store for an event, or the reason it would not count."""
    _not_future(data, f"{date:%Y-%m}")
    agent = _require_agent(data, agent_id)
    value = check_event(data.schemes_covering(agent), agent, kind, points)
    return agent, value


def record_event(db: Session, data: DataGateway, reviewer: User, *, agent_id: str,
                 date: dt.date, kind: str, points: str | None, note: str | None,
                 ip: str | None = None) -> Event:
    """Add an event (audited as ``event.create``) that counts as entered under the
    schemes covering the agent (see :func:`cskpi.scoring.entries.check_event`)."""
    kind = kind.strip()
    _, value = _checked_event(data, agent_id=agent_id, date=date, kind=kind,
                              points=points)
    row = Event(agent_id=agent_id, date=date, kind=kind, points=value, note=note or None,
                reviewer_id=reviewer.id)
    db.add(row)
    db.flush()
    audit(db, reviewer, "event.create", f"event:{row.id}", after=row.to_dict(), ip=ip)
    return row


def get_event(db: Session, event_id: int) -> Event:
    """An entered event, else :class:`NotFound`."""
    row = db.get(Event, event_id)
    return row if row is not None else _unknown("event", event_id)


def update_event(db: Session, data: DataGateway, reviewer: User, event_id: int, *,
                 date: dt.date, kind: str, points: str | None, note: str | None,
                 ip: str | None = None) -> Event:
    """Change an entered event (audited ``event.update``, before and after); its agent
    stays.  Refused when a lock has seen it, in its old month or its new one."""
    row = get_event(db, event_id)
    kind = kind.strip()
    agent, value = _checked_event(data, agent_id=row.agent_id, date=date, kind=kind,
                                  points=points)
    for month in dict.fromkeys((f"{row.date:%Y-%m}", f"{date:%Y-%m}")):
        _refuse_if_locked(db, data, agent, month, row.updated_at, "event")
    before = row.to_dict()
    row.date, row.kind, row.points, row.note = date, kind, value, note or None
    row.reviewer_id, row.updated_at = reviewer.id, utcnow()
    db.flush()
    audit(db, reviewer, "event.update", f"event:{row.id}", before=before,
          after=row.to_dict(), ip=ip)
    return row


def delete_event(db: Session, data: DataGateway, user: User, event_id: int,
                 ip: str | None = None) -> Event:
    """Delete an entered event (audited ``event.delete`` with what it was)."""
    row = get_event(db, event_id)
    agent = data.agent(row.agent_id) or {"agent_id": row.agent_id}
    _refuse_if_locked(db, data, agent, f"{row.date:%Y-%m}", row.updated_at, "event")
    before = row.to_dict()
    db.delete(row)
    db.flush()
    audit(db, user, "event.delete", f"event:{row.id}", before=before, ip=ip)
    return row


def correct_imported(db: Session, data: DataGateway, reviewer: User, *, table: str,
                     key: str, agent_id: str, date: dt.date, kind: str, cancelled: bool,
                     points: str | None = None, appeal_id: int | None = None,
                     ip: str | None = None) -> ImportedCorrection:
    """Correct an imported event or complaint (audited ``correction.create`` /
    ``correction.update``): it no longer counts (``cancelled``), or counts with
    ``points``, checked as the event form checks them.  A correction a lock has seen is
    kept as the lock saw it (409) until the month is reopened, as an entered event is."""
    if table not in CORRECTABLE:
        raise BadRequest("web.gaps.error.imported_table", table=table)
    period = f"{date:%Y-%m}"
    value = None
    if not cancelled:
        _, value = _checked_event(data, agent_id=agent_id, date=date, kind=kind,
                                  points=points)
    agent = data.agent(agent_id) or {"agent_id": agent_id}
    row = db.scalar(select(ImportedCorrection).where(
        ImportedCorrection.imported_table == table, ImportedCorrection.imported_key == key))
    before = None
    if row is None:
        row = ImportedCorrection(imported_table=table, imported_key=key, agent_id=agent_id,
                                 period=period, date=date, kind=kind)
        db.add(row)
    else:
        _refuse_if_locked(db, data, agent, period, row.updated_at, "event")
        before = row.to_dict()
    row.points, row.cancelled, row.appeal_id = value, cancelled, appeal_id
    row.reviewer_id, row.updated_at = reviewer.id, utcnow()
    db.flush()
    audit(db, reviewer, "correction.update" if before else "correction.create",
          f"correction:{table}:{key}", before=before, after=row.to_dict(), ip=ip)
    return row


def lock_period(db: Session, data: DataGateway, user: User, *, period: str, scheme: str,
                reason: str | None = None, allow_incomplete: bool = False,
                ip: str | None = None) -> PeriodLock:
    """Freeze the scores and pay of a period under a scheme as a new version (audited).

    A re-lock must change something (no empty versions: 409) and give a reason (400),
    audited with the agents whose figures change.  Figures with problems (missing
    grades, targets …) are locked only when ``allow_incomplete`` says so, as
    ``cskpi report --allow-incomplete`` does for a report.  A month without data is not
    locked (its figures would all be 0), and the version's report files are kept.
    """
    from .reporting import keep_reports

    period = valid_period(period)
    if not data.has_data(period):
        raise BadRequest("web.periods.error.no_data", period=period)
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
    keep_reports(db, data, lock)  # the approved files, downloadable whatever changes later
    audit(db, user, LOCK_ACTION, lock_target(period, scheme),
          before={"version": previous.version} if previous else None,
          after={"version": lock.version, "agents": len(snapshot["cards"]), "reason": reason,
                 "changed": changed, "problems": len(snapshot["problems"])}, ip=ip)
    return lock


def reopen_period(db: Session, user: User, *, period: str, scheme: str, reason: str,
                  ip: str | None = None) -> PeriodLock:
    """Open a locked month for corrections (audited ``period.reopen`` with the reason):
    the entries its latest version was computed from may be changed or deleted again.
    That version stays the published one (scorecards, reports) until a new version is
    locked, which closes the month again."""
    period = valid_period(period)
    lock = latest_lock(db, period, scheme)
    if lock is None:
        raise BadRequest("web.periods.error.not_locked", period=period, scheme=scheme)
    if lock.reopened_at is not None:
        raise Conflict("web.periods.error.already_reopened", period=period, scheme=scheme,
                       version=lock.version)
    reason = reason.strip()
    if not reason:
        raise BadRequest("web.periods.error.reopen_reason", field="reason")
    lock.reopened_at, lock.reopened_by = utcnow(), user.id
    db.flush()
    audit(db, user, REOPEN_ACTION, lock_target(period, scheme),
          before={"version": lock.version}, after={"version": lock.version, "reason": reason},
          ip=ip)
    return lock


@dataclass
class ScorecardView:
    """What the scorecard page and API show for one agent and month: the card (None when
    no scheme applies or the month has no data), and every grade and event of the month,
    entered here or imported, with what each counts for."""

    agent: dict[str, Any]
    period: str
    scheme: str | None
    card: dict[str, Any] | None
    problems: list[dict[str, Any]]
    lock: PeriodLock | None
    grades: list[Grade]
    has_data: bool = True
    entries: MonthEntries | None = None


@dataclass
class MonthEntries:
    """A month's grades and events, entered in the app and imported with the data.

    An entered grade replaces the imported one of the same agent and item (``replaced``
    lists the imported ones set aside); a complaint counts when the complaints table
    says it was verified."""

    grades: list[Grade]
    events: list[Event]
    imported_grades: list[dict[str, Any]]
    imported_events: list[dict[str, Any]]
    complaints: list[dict[str, Any]]
    replaced: set[tuple[str, str]]
    # (table, key) -> the correction in force of an imported event or complaint
    corrections: dict[tuple[str, str], ImportedCorrection] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.grades or self.events or self.imported_grades
                    or self.imported_events or self.complaints)

    def grade_rows(self) -> list[dict[str, Any]]:
        """Every grade, entered and imported, by agent and item (entered first)."""
        rows = [{"agent_id": g.agent_id, "item": g.item, "grade": g.grade, "note": g.note,
                 "source": "entered", "by": g.reviewer.username if g.reviewer else None,
                 "at": g.updated_at, "id": g.id, "replaced": False} for g in self.grades]
        rows += [{"agent_id": g["agent_id"], "item": g["item"],
                  "grade": GRADE_ALIASES.get(str(g["grade"]), str(g["grade"])),
                  "note": g.get("note"), "source": "imported", "by": g.get("reviewer"),
                  "at": None, "id": None,
                  "replaced": (g["agent_id"], g["item"]) in self.replaced}
                 for g in self.imported_grades]
        return sorted(rows, key=lambda r: (r["agent_id"], r["item"], r["source"]))

    def event_rows(self) -> list[dict[str, Any]]:
        """Every event, entered and imported, and every complaint of the complaints table
        (a complaint not verified does not count), by agent and date.  An imported row
        names its ``table`` and ``key``; one corrected on appeal shows the points it counts
        with (``imported_points`` its own) and its ``correction``."""
        rows = [{"agent_id": e.agent_id, "date": e.date, "kind": e.kind, "points": e.points,
                 "note": e.note, "source": "entered",
                 "by": e.reviewer.username if e.reviewer else None, "id": e.id,
                 "counts": True} for e in self.events]
        rows += [self._imported_row(EVENTS, e, {
            "kind": e["kind"], "source": "imported", "id": None, "counts": True})
            for e in self.imported_events]
        rows += [self._imported_row(COMPLAINTS, c, {
            "kind": "complaint", "source": "complaint", "id": c.get("complaint_id"),
            "counts": bool(c.get("verified"))}) for c in self.complaints]
        return sorted(rows, key=lambda r: (r["agent_id"], str(r["date"]), r["source"]))

    def _imported_row(self, table: str, row: Mapping[str, Any],
                      fields: dict[str, Any]) -> dict[str, Any]:
        key = str(row.get("key"))
        out = {"agent_id": row["agent_id"], "date": _day(row.get("ts_local")),
               "points": row.get("points"), "note": row.get("note"), "by": None,
               "table": table, "key": key, "imported_points": row.get("points"),
               "correction": None, **fields}
        fix = self.corrections.get((table, key))
        if fix is not None:
            out["correction"] = fix
            if fix.cancelled:
                out["counts"] = False
            else:
                out["points"] = fix.points
        return out


def _day(value: Any) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class MonthRows:
    """The grades, events and corrections of imported rows entered in the app for a month,
    of every agent (grades by agent and item, events by date, corrections as stored)."""

    grades: list[Grade]
    events: list[Event]
    corrections: list[ImportedCorrection]

    def of(self, agent_id: str | None) -> MonthRows:
        """Those of one agent (all with None), in the same order."""
        if agent_id is None:
            return self
        return MonthRows([g for g in self.grades if g.agent_id == agent_id],
                         [e for e in self.events if e.agent_id == agent_id],
                         [c for c in self.corrections if c.agent_id == agent_id])


def records_version(db: Session) -> int | None:
    """The version of the app's records (:mod:`cskpi.web.db.changes`), read once per
    request: what a page keeps of them is kept with it."""
    return remembered(("app-version",), lambda: version(db))


def month_rows(db: Session, period: str) -> MonthRows:
    """The month's entered rows of every agent, read once per reading request: a page that
    scores the month (every agent's entries count) and lists one agent's reads them once."""
    def read() -> MonthRows:
        first, last = month_range(period)
        return MonthRows(
            grades=list(db.scalars(select(Grade).where(Grade.period == period)
                                   .order_by(Grade.agent_id, Grade.item))),
            events=list(db.scalars(select(Event).where(Event.date >= first, Event.date <= last)
                                   .order_by(Event.date, Event.id))),
            corrections=list(db.scalars(select(ImportedCorrection).where(
                ImportedCorrection.period == period).order_by(ImportedCorrection.id))))

    return remembered(("month-rows", period), read)


def month_entries(db: Session, data: DataGateway, period: str,
                  agent_id: str | None = None) -> MonthEntries:
    """Every grade and event of a month (of one agent, or all), entered and imported."""
    entered = month_rows(db, period).of(agent_id)
    imported = data.imported(period)

    def mine(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if agent_id is None or r["agent_id"] == agent_id]

    keys = {(g.agent_id, g.item) for g in entered.grades}
    imported_grades = mine(imported["grades"])
    return MonthEntries(
        grades=entered.grades, events=entered.events,
        imported_grades=imported_grades, imported_events=mine(imported["events"]),
        complaints=mine(imported["complaints"]),
        replaced={(g["agent_id"], g["item"]) for g in imported_grades
                  if (g["agent_id"], g["item"]) in keys},
        corrections={(c.imported_table, c.imported_key): c for c in entered.corrections})


def card_asked(data: DataGateway, agent_id: str, period: str, scheme: str | None
               ) -> tuple[dict[str, Any], str]:
    """The agent and month of a scorecard asked for (refused as :func:`scorecard` refuses
    them: a month not ``YYYY-MM``, an unknown agent or scheme)."""
    from ...scoring.presets import preset_names

    period = valid_period(period)
    agent = _require_agent(data, agent_id)
    if scheme is not None and scheme not in preset_names():
        raise BadRequest("web.error.scheme_unknown", scheme=scheme,
                         details={"allowed": preset_names()})
    return agent, period


def scorecard(db: Session, data: DataGateway, agent_id: str, period: str,
              scheme: str | None, *, with_entries: bool = True) -> ScorecardView:
    """The live scorecard, or the locked snapshot when the period is locked; a month
    without data (and no lock) has no card.  ``with_entries=False``: the card only (no
    grades or events listed: a comparison with the month before needs none)."""
    agent, period = card_asked(data, agent_id, period, scheme)
    scheme = scheme or data.scheme_for(agent)
    entries = month_entries(db, data, period, agent_id) if with_entries else None
    grades = sorted(entries.grades, key=lambda g: g.item) if entries is not None else []
    if scheme is None:
        return ScorecardView(agent, period, None, None, [], None, grades,
                             entries=entries)
    # the page also shows the month before and a trend of the months up to this one:
    # their locks are read with this month's, in one query (a card alone needs its own)
    months = trailing_months(period, TREND_MONTHS) if with_entries else [period]
    lock = latest_locks(db, months, scheme)[period]
    if lock is not None:
        card = next((c for c in lock.snapshot["cards"] if c["agent_id"] == agent_id), None)
        problems = [p for p in lock.snapshot["problems"] if p["agent_id"] == agent_id]
        return ScorecardView(agent, period, scheme, card, problems, lock, grades,
                             entries=entries)
    if not data.has_data(period):
        return ScorecardView(agent, period, scheme, None, [], None, grades, has_data=False,
                             entries=entries)
    live = data.agent_card(agent, period, scheme)
    assert live is not None
    return ScorecardView(agent, period, scheme, live.card, jsonable(live.problems),
                         None, grades, entries=entries)


def entries_for(sessions: Any) -> Callable[[str], tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """A reader of the grades and events entered in the app for a month (for scoring); the
    events include the corrections of imported events and complaints, which scoring
    applies to them (:mod:`cskpi.scoring.corrections`)."""

    def read(period: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with sessions() as db:  # no query when the request has read the month already
            rows = month_rows(db, period)
            grades = [g.to_dict() for g in rows.grades]
            events = [e.to_dict() for e in rows.events] + [c.to_dict()
                                                          for c in rows.corrections]
        return grades, events

    return read
