"""Chat QA reviews in the app (质检): the review queue of a month, reviewers' decisions on
hits and rubric points, agents' appeals (申诉) and managers' decisions on them.

The rules are the month's QA rules (:meth:`DataGateway.qa_in_force`: those a manager
chose for the month, else the ``qa:`` of the first scheme in force that names one, else
the preset ``taobao-basic``; :mod:`cskpi.web.services.qarules`).  The queue is drawn by
the rules' sampling plan from the month's check *without* decisions (deciding a hit does
not move its session out of the queue); scores are those *with* them: a dismissed hit
stops counting and rubric points add to the session's score, on the QA pages and in the
schemes that score on QA figures (the gateway passes the decisions to scoring).

Reviewers are managers and admins.  A decision, rubric points, an appeal and a manager's
answer are audited (``qa.confirm``, ``qa.dismiss``, ``qa.rubric``, ``qa.appeal``,
``qa.appeal_upheld``, ``qa.appeal_rejected``); an upheld appeal dismisses the hit.  A month
locked under a scheme covering the session's agent keeps its reviewed state: every change
is refused (409, with the way to the review) until the month is reopened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...qa.engine import Decisions, hit_id
from ...qa.review import review_queue
from ..db.models import QaAppeal, QaDecision, QaRubric, User, utcnow
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from ..forms import written
from .accounts import audit
from .activity import Paged, paged
from .gateway import DataGateway, valid_period
from .records import covering_names, latest_lock

DECISIONS = ("confirm", "dismiss")
APPEAL_STATUSES = ("upheld", "rejected")
MAX_TEXT = 1000
"""The longest appeal or answer (characters)."""


def decisions_for(sessions: Any) -> Callable[[str], Decisions]:
    """A reader of a month's QA decisions (dismissed hits, rubric points per session)."""

    def read(period: str) -> Decisions:
        with sessions() as db:
            dismissed = frozenset(
                (d.session_id, d.rule, d.ts) for d in db.scalars(
                    select(QaDecision).where(QaDecision.period == period,
                                             QaDecision.decision == "dismiss")))
            rubric: dict[str, Decimal] = {}
            for r in db.scalars(select(QaRubric).where(QaRubric.period == period)):
                rubric[r.session_id] = rubric.get(r.session_id, Decimal(0)) + r.points
        return Decisions(dismissed=dismissed, rubric=rubric)

    return read


def _with_ids(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**h, "hit_id": hit_id(str(h["session_id"]), h["rule"], h["ts"])} for h in hits]


@dataclass(frozen=True)
class QueueRow:
    """One session of the review queue."""

    session_id: str
    agent_id: str
    why: str  # fatal, hit or sample
    hits: int  # hits that count (not dismissed)
    fatal: bool
    score: Any
    decided: int  # hits a reviewer confirmed or dismissed


def review_rows(db: Session, data: DataGateway, period: str, page: int = 1) -> Paged:
    """The month's review queue by the rules' sampling plan, with scores as decided: the
    ``page``-th page of it (a big shop's month queues forty thousand sessions; only the
    page's rows are counted against the decisions)."""
    period = valid_period(period)

    def queue() -> list[tuple[str, str, str, int, bool, Any]]:
        # drawn from some 800k checked sessions at 10M messages: seconds, so kept until
        # the data, the rules or the decisions change
        _, plain = data.qa_check(period, decided=False)
        _, sessions = data.qa_check(period)
        by_id = {str(s["session_id"]): s for s in sessions}
        return [(sid, str(by_id[sid]["agent_id"]), why, int(by_id[sid]["hits"]),
                 bool(by_id[sid]["fatal"]), by_id[sid]["score"])
                for sid, why in review_queue(plain, data.qa_loaded(period).sampling)]

    _, decisions = data.qa_decisions(period)
    shown = paged(data.cached(("qa-queue", data.qa_ref(period), period, decisions), queue),
                  page)
    ids = [row[0] for row in shown.rows]
    decided = Counter(db.scalars(select(QaDecision.session_id).where(
        QaDecision.period == period, QaDecision.session_id.in_(ids)))) if ids else Counter()
    return replace(shown, rows=[QueueRow(*row, decided[row[0]]) for row in shown.rows])


def open_appeals(db: Session, period: str) -> list[QaAppeal]:
    return list(db.scalars(select(QaAppeal).where(QaAppeal.period == period,
                                                  QaAppeal.status == "open")
                           .order_by(QaAppeal.id)))


@dataclass
class SessionReview:
    """One checked session of a month: its transcript (each message with the hits on it),
    score, hits with their decisions and appeals, and rubric points."""

    period: str
    session: dict[str, Any]  # the transcript
    checked: dict[str, Any]  # the session's row of the check (score, hits, fatal)
    hits: list[dict[str, Any]]  # + hit_id, decision (QaDecision | None), appeals
    messages: list[tuple[dict[str, Any], list[dict[str, Any]]]]
    rubric: list[tuple[Any, QaRubric | None]] = field(default_factory=list)


def _checked(data: DataGateway, period: str, session_id: str
             ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The session's row of the month's check and its hits, else :class:`NotFound`."""
    hits, sessions = data.qa_check(period)
    row = next((s for s in sessions if str(s["session_id"]) == session_id), None)
    if row is None:
        raise NotFound("web.qa.error.not_checked", session=session_id, period=period)
    return row, _with_ids([h for h in hits if str(h["session_id"]) == session_id])


def session_review(db: Session, data: DataGateway, period: str, session_id: str
                   ) -> SessionReview:
    period = valid_period(period)
    transcript = data.transcript(session_id)
    if transcript is None:
        raise NotFound("web.lost.error.no_session", session=session_id)
    row, hits = _checked(data, period, session_id)
    decisions = {d.hit_id: d for d in db.scalars(select(QaDecision).where(
        QaDecision.period == period, QaDecision.session_id == session_id))}
    appeals: dict[str, list[QaAppeal]] = {}
    for a in db.scalars(select(QaAppeal).where(QaAppeal.period == period,
                                               QaAppeal.session_id == session_id)
                        .order_by(QaAppeal.id)):
        appeals.setdefault(a.hit_id, []).append(a)
    for h in hits:
        h["decision"], h["appeals"] = decisions.get(h["hit_id"]), appeals.get(h["hit_id"], [])
    messages = []
    for m in transcript["messages"]:
        ts = m["ts"].strftime("%Y-%m-%dT%H:%M:%S") if m.get("ts") is not None else None
        messages.append((m, [h for h in hits if h["ts"] == ts and h["text"] == m["text"]]))
    given = {r.item: r for r in db.scalars(select(QaRubric).where(
        QaRubric.period == period, QaRubric.session_id == session_id))}
    rubric = [(item, given.get(item.key)) for item in data.qa_loaded(period).rubric]
    return SessionReview(period, transcript, row, hits, messages, rubric)


def agent_results(db: Session, data: DataGateway, period: str, agent_id: str
                  ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """An agent's checked sessions of the month with their hits (each with its decision
    and appeals): only sessions with a hit, and every one of them."""
    period = valid_period(period)
    hits, sessions = data.qa_check(period)
    mine = [s for s in sessions if str(s["agent_id"]) == agent_id]
    ids = {str(s["session_id"]) for s in mine}
    found = _with_ids([h for h in hits if str(h["session_id"]) in ids])
    decisions = {d.hit_id: d for d in db.scalars(select(QaDecision).where(
        QaDecision.period == period, QaDecision.session_id.in_(ids)))} if ids else {}
    appeals: dict[str, list[QaAppeal]] = {}
    for a in db.scalars(select(QaAppeal).where(QaAppeal.period == period,
                                               QaAppeal.agent_id == agent_id)
                        .order_by(QaAppeal.id)):
        appeals.setdefault(a.hit_id, []).append(a)
    out = []
    for s in sorted(mine, key=lambda s: str(s["session_id"])):
        own = [{**h, "decision": decisions.get(h["hit_id"]),
                "appeals": appeals.get(h["hit_id"], [])}
               for h in found if str(h["session_id"]) == str(s["session_id"])]
        if own:
            out.append((s, own))
    return out


# --- changes -----------------------------------------------------------------------------


def _refuse_if_locked(db: Session, data: DataGateway, agent_id: str, period: str) -> None:
    """A month locked (and not reopened) under a scheme covering the agent keeps its
    reviewed state."""
    agent = data.agent(agent_id) or {"agent_id": agent_id}
    for name in covering_names(data, agent):
        lock = latest_lock(db, period, name)
        if lock is not None and lock.reopened_at is None:
            raise Conflict("web.qa.error.locked", period=period, scheme=name,
                           version=lock.version,
                           links=[(f"/periods/{period}?scheme={name}",
                                   "web.entries.review_lock", {"version": lock.version})])


def find_hit(data: DataGateway, period: str, hit: str) -> dict[str, Any]:
    """A hit of the month's check by its id, else :class:`NotFound`."""
    hits, _ = data.qa_check(valid_period(period))
    found = next((h for h in _with_ids(hits) if h["hit_id"] == hit), None)
    if found is None:
        raise NotFound("web.qa.error.hit_unknown", hit=hit)
    return found


def _decide(db: Session, user: User, period: str, hit: dict[str, Any], decision: str,
            rules: str, note: str | None, ip: str | None) -> QaDecision:
    row = db.scalar(select(QaDecision).where(QaDecision.period == period,
                                             QaDecision.hit_id == hit["hit_id"]))
    before = row.to_dict() if row is not None else None
    if row is None:
        row = QaDecision(period=period, session_id=str(hit["session_id"]), rule=hit["rule"],
                         ts=hit["ts"], hit_id=hit["hit_id"])
        db.add(row)
    row.rules, row.decision, row.note = rules, decision, (note or None)
    row.reviewer_id, row.at = user.id, utcnow()
    db.flush()
    audit(db, user, f"qa.{decision}", f"qa:{period}:{hit['hit_id']}", before=before,
          after=row.to_dict(), ip=ip)
    return row


def record_decision(db: Session, data: DataGateway, user: User, *, period: str, hit: str,
                    decision: str, note: str | None = None, ip: str | None = None
                    ) -> QaDecision:
    """Confirm or dismiss a hit (audited ``qa.confirm`` / ``qa.dismiss``)."""
    period = valid_period(period)
    if decision not in DECISIONS:
        raise BadRequest("web.qa.error.decision", field="decision")
    found = find_hit(data, period, hit)
    _refuse_if_locked(db, data, str(found["agent_id"]), period)
    return _decide(db, user, period, found, decision, data.qa_in_force(period).label,
                   note, ip)


def record_rubric(db: Session, data: DataGateway, user: User, *, period: str,
                  session_id: str, item: str, points: str, ip: str | None = None) -> None:
    """Give (or with empty points, take back) a session's points for a rubric item of the
    rules, within 0..its max (audited ``qa.rubric``)."""
    period = valid_period(period)
    rubric = {i.key: i for i in data.qa_loaded(period).rubric}
    if item not in rubric:
        raise BadRequest("web.qa.error.rubric_unknown", field="points", item=item)
    spec = rubric[item]
    row, _ = _checked(data, period, session_id)
    value: Decimal | None = None
    if points.strip():
        try:
            value = Decimal(points.strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= spec.max:
            raise BadRequest("web.qa.error.rubric_range", field="points", item=spec.label,
                             max=str(spec.max))
    _refuse_if_locked(db, data, str(row["agent_id"]), period)
    given = db.scalar(select(QaRubric).where(QaRubric.period == period,
                                             QaRubric.session_id == session_id,
                                             QaRubric.item == item))
    before = given.to_dict() if given is not None else None
    if value is None:
        if given is not None:
            db.delete(given)
    else:
        if given is None:
            given = QaRubric(period=period, session_id=session_id, item=item)
            db.add(given)
        given.points, given.reviewer_id, given.at = value, user.id, utcnow()
    db.flush()
    audit(db, user, "qa.rubric", f"qa:{period}:{session_id}:{item}", before=before,
          after=given.to_dict() if value is not None and given is not None else None, ip=ip)


def _text(text: str, field_name: str) -> str:
    return written(text, field_name, "web.qa.error", MAX_TEXT)


def record_appeal(db: Session, data: DataGateway, user: User, *, period: str, hit: str,
                  text: str, ip: str | None = None) -> QaAppeal:
    """An agent's appeal of a hit on one of their own sessions (audited ``qa.appeal``);
    one open appeal per hit."""
    period = valid_period(period)
    found = find_hit(data, period, hit)
    if user.agent_id is None or str(found["agent_id"]) != user.agent_id:
        raise Forbidden("web.error.other_agent")
    body = _text(text, "text")
    if db.scalar(select(QaAppeal.id).where(QaAppeal.period == period, QaAppeal.hit_id == hit,
                                           QaAppeal.status == "open")) is not None:
        raise BadRequest("web.qa.error.appeal_open", field="text")
    _refuse_if_locked(db, data, user.agent_id, period)
    row = QaAppeal(period=period, hit_id=hit, session_id=str(found["session_id"]),
                   rule=found["rule"], ts=found["ts"], agent_id=user.agent_id, text=body,
                   status="open", created_by=user.id, created_at=utcnow())
    db.add(row)
    db.flush()
    audit(db, user, "qa.appeal", f"qa:{period}:{hit}", after=row.to_dict(), ip=ip)
    return row


def decide_appeal(db: Session, data: DataGateway, user: User, appeal_id: int, *,
                  status: str, answer: str, ip: str | None = None) -> QaAppeal:
    """A manager's decision on an open appeal, with an answer the agent sees (audited
    ``qa.appeal_upheld`` / ``qa.appeal_rejected``); upheld dismisses the hit."""
    row = db.get(QaAppeal, appeal_id)
    if row is None:
        raise NotFound("web.qa.error.appeal_unknown", id=appeal_id)
    if status not in APPEAL_STATUSES:
        raise BadRequest("web.qa.error.appeal_status", field="status")
    body = _text(answer, "answer")
    if row.status != "open":
        raise Conflict("web.qa.error.appeal_decided", id=appeal_id)
    _refuse_if_locked(db, data, row.agent_id, row.period)
    before = row.to_dict()
    row.status, row.answer, row.decided_by, row.at = status, body, user.id, utcnow()
    if status == "upheld":
        hit = {"session_id": row.session_id, "rule": row.rule, "ts": row.ts,
               "hit_id": row.hit_id}
        _decide(db, user, row.period, hit, "dismiss", data.qa_in_force(row.period).label,
                f"appeal #{row.id}", ip)
    db.flush()
    audit(db, user, f"qa.appeal_{status}", f"qa:{row.period}:{row.hit_id}", before=before,
          after=row.to_dict(), ip=ip)
    return row
