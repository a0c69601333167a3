"""Agents' appeals (申诉) of their grades and events, and managers' decisions on them.

An agent appeals, with a reason, a grade of one of their scheme's graded items (entered
in the app or imported: the manager can replace either), an event entered in the app, or
an event or complaint that came with the imported data (one that counts), named by its
table and key (:mod:`cskpi.scoring.corrections`: a complaint by its id, an event by its
content).  One appeal of an entry is open at a time.  A month's lock does not stop an
appeal: agents read their figures once they are published.

A manager rejects an appeal with an answer, or upholds it with an answer *and* the
change it makes, in the same step, so that an upheld appeal always counts:

- a grade: the grade it becomes (entered as :func:`~.records.record_grade` enters one,
  replacing the imported one);
- an event: deleted, or its points changed (checked as the event form's are);
- an imported event or complaint: set aside (it no longer counts) or its points changed,
  as a correction the app keeps and scoring applies (:func:`~.records.correct_imported`;
  the shop's data is not changed);
- any: ``already``, when the entry was corrected since the appeal (the grade in force
  differs, the event was changed or deleted, the imported row was corrected or is no
  longer in the data).

The change is checked, locked and audited as the same change on the entries page is (a
lock that has seen the entry refuses it, 409, until the month is reopened); the
appeal, the decision and its answer are audited too (``appeal.create``,
``appeal.upheld``, ``appeal.rejected``).  A rejection changes nothing, so it takes no
change: one sent with it is refused rather than ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...scheme.models import GRADE_ALIASES
from ...scoring.entries import event_rules
from ..db.models import EntryAppeal, Event, User, utcnow
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..forms import written
from .accounts import audit
from .gateway import DataGateway, valid_period
from .grid import GridItem, grid_items
from .records import (
    correct_imported,
    delete_event,
    month_entries,
    record_grade,
    update_event,
)

KINDS = ("grade", "event", "imported")
STATUSES = ("upheld", "rejected")
REMEDY_DELETE, REMEDY_POINTS, REMEDY_ALREADY = "delete", "points", "already"
MAX_TEXT = 1000
"""The longest appeal or answer (characters)."""
DECIDED_SHOWN = 50
"""How many decided appeals the managers' page lists (the newest)."""


def _text(text: str, field_name: str) -> str:
    return written(text, field_name, "web.appeals.error", MAX_TEXT)


def graded_items(data: DataGateway, agent: dict[str, Any]) -> list[GridItem]:
    """The items the agent's schemes have managers grade, with their grades."""
    return grid_items(data.schemes_covering(agent))


def grade_in_force(db: Session, data: DataGateway, agent_id: str, period: str,
                   item: str) -> dict[str, Any] | None:
    """The agent's grade of an item for a month as it counts (the entered one, else the
    imported one), None when there is none."""
    entries = month_entries(db, data, period, agent_id)
    entered = next((g for g in entries.grades if g.item == item), None)
    if entered is not None:
        return {"item": item, "grade": entered.grade, "source": "entered",
                "note": entered.note}
    imported = next((g for g in entries.imported_grades if g["item"] == item), None)
    if imported is None:
        return None
    grade = str(imported["grade"])
    return {"item": item, "grade": GRADE_ALIASES.get(grade, grade), "source": "imported",
            "note": imported.get("note")}


def _event_state(event: Event | None) -> dict[str, Any] | None:
    return None if event is None else {"id": event.id, **event.to_dict()}


def _open_one(db: Session, **where: Any) -> EntryAppeal | None:
    query = select(EntryAppeal).where(EntryAppeal.status == "open")
    for name, value in where.items():
        query = query.where(getattr(EntryAppeal, name) == value)
    return db.scalar(query.limit(1))


def _agent_of(user: User) -> str:
    if user.role != "agent" or not user.agent_id:
        raise Forbidden("web.appeals.error.agents_only")
    return user.agent_id


def appeal_grade(db: Session, data: DataGateway, user: User, *, period: str, item: str,
                 text: str, ip: str | None = None) -> EntryAppeal:
    """An agent's appeal of their own grade of ``item`` for ``period`` (audited
    ``appeal.create``): the item must be one their scheme grades, and graded."""
    agent_id = _agent_of(user)
    period = valid_period(period)
    agent = data.agent(agent_id) or {"agent_id": agent_id}
    items = {i.key: i for i in graded_items(data, agent)}
    if item not in items:
        raise BadRequest("web.appeals.error.item_not_graded", field="item", item=item)
    body = _text(text, "text")
    shown = grade_in_force(db, data, agent_id, period, item)
    if shown is None:
        raise BadRequest("web.appeals.error.no_grade", field="item", item=items[item].label)
    if _open_one(db, kind="grade", agent_id=agent_id, period=period, item=item):
        raise BadRequest("web.appeals.error.open_already", field="text")
    return _create(db, user, ip, kind="grade", agent_id=agent_id, period=period, item=item,
                   entry={**shown, "label": items[item].label}, text=body)


def appeal_event(db: Session, data: DataGateway, user: User, *, event_id: int, text: str,
                 ip: str | None = None) -> EntryAppeal:
    """An agent's appeal of an event entered for them (audited ``appeal.create``)."""
    agent_id = _agent_of(user)
    event = db.get(Event, event_id)
    if event is None:
        raise NotFound("web.entries.error.event_unknown", id=event_id)
    if event.agent_id != agent_id:
        raise Forbidden("web.error.other_agent")
    body = _text(text, "text")
    if _open_one(db, kind="event", event_id=event_id):
        raise BadRequest("web.appeals.error.open_already", field="text")
    return _create(db, user, ip, kind="event", agent_id=agent_id,
                   period=f"{event.date:%Y-%m}", event_id=event_id,
                   entry=_event_state(event), text=body)


def imported_state(db: Session, data: DataGateway, period: str, table: str, key: str,
                   agent_id: str | None = None) -> dict[str, Any] | None:
    """An imported event or complaint of a month as it counts now (its correction
    applied), as plain data; None when the data holds no such row."""
    rows = month_entries(db, data, period, agent_id).event_rows()
    row = next((r for r in rows if r.get("table") == table and r.get("key") == key), None)
    if row is None:
        return None
    fix = row["correction"]
    return {"agent_id": row["agent_id"], "date": row["date"].isoformat(),
            "kind": row["kind"], "points": _text_of(row["points"]), "note": row["note"],
            "table": table, "key": key, "counts": row["counts"],
            "imported_points": _text_of(row["imported_points"]),
            "corrected_by": fix.appeal_id if fix is not None else None}


def _text_of(points: Any) -> str | None:
    return None if points is None else f"{Decimal(str(points)).normalize():f}"


def appeal_imported(db: Session, data: DataGateway, user: User, *, period: str, table: str,
                    key: str, text: str, ip: str | None = None) -> EntryAppeal:
    """An agent's appeal of an imported event or complaint of theirs that counts (audited
    ``appeal.create``)."""
    agent_id = _agent_of(user)
    period = valid_period(period)
    shown = imported_state(db, data, period, table, key)
    if shown is None:
        raise NotFound("web.gaps.error.imported_unknown", key=key)
    if shown["agent_id"] != agent_id:
        raise Forbidden("web.error.other_agent")
    body = _text(text, "text")
    if not shown["counts"]:
        raise BadRequest("web.gaps.error.not_counted", field="text")
    if _open_one(db, kind="imported", imported_table=table, imported_key=key):
        raise BadRequest("web.appeals.error.open_already", field="text")
    return _create(db, user, ip, kind="imported", agent_id=agent_id, period=period,
                   imported_table=table, imported_key=key, entry=shown, text=body)


def _create(db: Session, user: User, ip: str | None, **fields: Any) -> EntryAppeal:
    row = EntryAppeal(status="open", created_by=user.id, created_at=utcnow(), **fields)
    db.add(row)
    db.flush()
    audit(db, user, "appeal.create", f"appeal:{row.id}", after=row.to_dict(), ip=ip)
    return row


def get_appeal(db: Session, appeal_id: int) -> EntryAppeal:
    row = db.get(EntryAppeal, appeal_id)
    if row is None:
        raise NotFound("web.appeals.error.unknown", id=appeal_id)
    return row


def current_state(db: Session, data: DataGateway, row: EntryAppeal) -> dict[str, Any] | None:
    """The appealed entry as it stands now (None: no grade any more / the event is gone)."""
    if row.kind == "grade":
        assert row.item is not None
        return grade_in_force(db, data, row.agent_id, row.period, row.item)
    if row.kind == "imported":
        assert row.imported_table is not None and row.imported_key is not None
        return imported_state(db, data, row.period, row.imported_table, row.imported_key,
                              row.agent_id)
    return _event_state(db.get(Event, row.event_id) if row.event_id else None)


def changed_since(db: Session, data: DataGateway, row: EntryAppeal) -> bool:
    """Whether the entry was corrected since it was appealed."""
    now = current_state(db, data, row)
    if row.kind == "grade":
        return now is None or now["grade"] != row.entry.get("grade")
    fields = ("date", "kind", "points") + (("counts",) if row.kind == "imported" else ())
    return now is None or {k: now[k] for k in fields} != {k: row.entry.get(k) for k in fields}


def decide(db: Session, data: DataGateway, user: User, appeal_id: int, *, status: str,
           answer: str, remedy: str = "", points: str = "",
           ip: str | None = None) -> EntryAppeal:
    """A manager's decision on an open appeal, with the answer the agent reads (audited
    ``appeal.upheld`` / ``appeal.rejected``); upholding makes the change ``remedy`` names
    (see the module's docstring) in the same step."""
    row = get_appeal(db, appeal_id)
    if status not in STATUSES:
        raise BadRequest("web.appeals.error.status", field="status")
    body = _text(answer, "answer")
    if row.status != "open":
        raise Conflict("web.appeals.error.decided", id=appeal_id)
    remedy = remedy.strip()
    if status == "rejected":
        if remedy or points.strip():
            raise BadRequest("web.appeals.error.rejected_changes", field="remedy")
        done: dict[str, Any] | None = None
    else:
        done = _remedy(db, data, user, row, remedy, points, ip)
    before = row.to_dict()
    row.status, row.answer, row.remedy = status, body, done
    row.decided_by, row.decided_at = user.id, utcnow()
    db.flush()
    audit(db, user, f"appeal.{status}", f"appeal:{row.id}", before=before,
          after=row.to_dict(), ip=ip)
    return row


def _remedy(db: Session, data: DataGateway, user: User, row: EntryAppeal, remedy: str,
            points: str, ip: str | None) -> dict[str, Any]:
    """Make the change upholding ``row`` names; what it did, as plain data."""
    if not remedy:
        raise BadRequest("web.appeals.error.remedy_missing", field="remedy")
    if points.strip() and remedy != REMEDY_POINTS:  # typed points must not go unused
        raise BadRequest("web.appeals.error.points_unused", field="points")
    if remedy == REMEDY_ALREADY:
        if not changed_since(db, data, row):
            raise BadRequest("web.appeals.error.not_changed", field="remedy")
        return {"already": current_state(db, data, row)}
    if row.kind == "grade":
        assert row.item is not None
        now = grade_in_force(db, data, row.agent_id, row.period, row.item)
        canonical = GRADE_ALIASES.get(remedy, remedy.upper())
        if now is not None and now["grade"] == canonical:
            raise BadRequest("web.appeals.error.same_grade", field="remedy")
        note = now["note"] if now is not None and now["source"] == "entered" else None
        grade = record_grade(db, data, user, agent_id=row.agent_id, period=row.period,
                             item=row.item, grade=remedy, note=note, ip=ip)
        return {"grade": grade.grade}
    if row.kind == "imported":
        return _correct(db, data, user, row, remedy, points, ip)
    event = db.get(Event, row.event_id) if row.event_id else None
    if event is None:
        raise BadRequest("web.appeals.error.event_gone", field="remedy")
    if remedy == REMEDY_DELETE:
        delete_event(db, data, user, event.id, ip=ip)
        return {"delete": True}
    if remedy != REMEDY_POINTS:
        raise BadRequest("web.appeals.error.remedy_unknown", field="remedy")
    before = event.points
    changed = update_event(db, data, user, event.id, date=event.date, kind=event.kind,
                           points=points, note=event.note, ip=ip)
    if changed.points == before:
        raise BadRequest("web.appeals.error.same_points", field="points")
    return {"points": None if changed.points is None else str(changed.points)}


def _correct(db: Session, data: DataGateway, user: User, row: EntryAppeal, remedy: str,
             points: str, ip: str | None) -> dict[str, Any]:
    """Uphold an appeal of an imported row: set it aside, or change its points."""
    assert row.imported_table is not None and row.imported_key is not None
    now = current_state(db, data, row)
    if now is None:
        raise BadRequest("web.gaps.error.imported_gone", field="remedy")
    if remedy not in (REMEDY_DELETE, REMEDY_POINTS):
        raise BadRequest("web.appeals.error.remedy_unknown", field="remedy")
    if remedy == REMEDY_DELETE and not now["counts"]:
        raise BadRequest("web.gaps.error.set_aside_already", field="remedy")
    fix = correct_imported(db, data, user, table=row.imported_table, key=row.imported_key,
                           agent_id=row.agent_id, date=dt.date.fromisoformat(now["date"]),
                           kind=now["kind"], cancelled=remedy == REMEDY_DELETE,
                           points=points, appeal_id=row.id, ip=ip)
    if remedy == REMEDY_DELETE:
        return {"cancel": True}
    if now["counts"] and _text_of(fix.points) == now["points"]:
        raise BadRequest("web.appeals.error.same_points", field="points")
    return {"points": None if fix.points is None else str(fix.points)}


# --- what the pages list -------------------------------------------------------------------


@dataclass
class AppealView:
    """An appeal with what a manager decides it by: the entry now, the grades it may
    become (a grade) or whether its points are chosen (an event)."""

    appeal: EntryAppeal
    agent: dict[str, Any]
    now: dict[str, Any] | None
    changed: bool
    grades: list[tuple[str, Decimal]]
    takes_points: bool


def _view(db: Session, data: DataGateway, row: EntryAppeal) -> AppealView:
    agent = data.agent(row.agent_id) or {"agent_id": row.agent_id}
    grades: list[tuple[str, Decimal]] = []
    takes_points = False
    if row.kind == "grade":
        item = next((i for i in graded_items(data, agent) if i.key == row.item), None)
        grades = item.grades if item is not None else []
    else:
        kind = row.entry.get("kind")
        takes_points = any(r.takes_points for s in data.schemes_covering(agent)
                           for r in event_rules(s) if r.kind == kind)
    return AppealView(row, agent, current_state(db, data, row), changed_since(db, data, row),
                      grades, takes_points)


def open_appeals(db: Session, data: DataGateway) -> list[AppealView]:
    """Every open appeal, oldest first, with what it is decided by."""
    rows = db.scalars(select(EntryAppeal).where(EntryAppeal.status == "open")
                      .order_by(EntryAppeal.id))
    return [_view(db, data, r) for r in rows]


def decided_appeals(db: Session, limit: int = DECIDED_SHOWN) -> list[EntryAppeal]:
    """The newest decided appeals."""
    return list(db.scalars(select(EntryAppeal).where(EntryAppeal.status != "open")
                           .order_by(EntryAppeal.decided_at.desc(), EntryAppeal.id.desc())
                           .limit(limit)))


def agent_appeals(db: Session, agent_id: str) -> list[EntryAppeal]:
    """Every appeal of an agent, newest first."""
    return list(db.scalars(select(EntryAppeal).where(EntryAppeal.agent_id == agent_id)
                           .order_by(EntryAppeal.id.desc())))


@dataclass
class AgentMonth:
    """An agent's grades and events of a month, each with its appeals, and whether it may
    be appealed now."""

    period: str
    grades: list[dict[str, Any]]  # item, label, shown (grade in force or None), appeals
    events: list[dict[str, Any]]  # the month's event rows + appeals, appealable

    def form_keys(self) -> set[str]:
        """The keys of the appeal forms the page has a row for."""
        return {f"grade-{g['item']}" for g in self.grades} | {e["form"] for e in self.events}


def agent_month(db: Session, data: DataGateway, agent_id: str, period: str) -> AgentMonth:
    period = valid_period(period)
    agent = data.agent(agent_id) or {"agent_id": agent_id}
    mine = agent_appeals(db, agent_id)
    grades = []
    for item in graded_items(data, agent):
        appeals = [a for a in mine if a.kind == "grade" and a.period == period
                   and a.item == item.key]
        shown = grade_in_force(db, data, agent_id, period, item.key)
        grades.append({"item": item.key, "label": item.label, "label_en": item.label_en,
                       "shown": shown,
                       "appeals": appeals,
                       "appealable": shown is not None and not _has_open(appeals)})
    events = []
    for e in month_entries(db, data, period, agent_id).event_rows():
        if e["source"] == "entered":
            form = f"event-{e['id']}"
            appeals = [a for a in mine if a.kind == "event" and a.event_id == e["id"]]
        else:
            form = f"imported-{e['table']}-{e['key']}"
            appeals = [a for a in mine if a.kind == "imported"
                       and (a.imported_table, a.imported_key) == (e["table"], e["key"])]
        events.append({**e, "form": form, "appeals": appeals,
                       "appealable": e["counts"] and not _has_open(appeals)})
    return AgentMonth(period, grades, events)


def _has_open(appeals: list[EntryAppeal]) -> bool:
    return any(a.status == "open" for a in appeals)
