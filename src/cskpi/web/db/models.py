"""The app database as typed SQLAlchemy 2 models (the schema itself is made by Alembic).

Times are naive UTC (``utcnow()``), identical on SQLite and PostgreSQL.  Secrets are
never stored: session and API tokens are kept as SHA-256 hashes, passwords as argon2id.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

ROLES = ("admin", "manager", "agent", "qa_reviewer")
MANAGERS = ("admin", "manager")
"""The roles that see every agent and manage the team."""
QA_REVIEWERS = ("admin", "manager", "qa_reviewer")
"""The roles that review chats (质检): the queue, hits, rubric points and the QA rules; a
QA reviewer (质检员) only these, none of the managers' pages."""


def utcnow() -> dt.datetime:
    """Now, as naive UTC (what every timestamp column holds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Base of every app table."""


class User(Base):
    """A person who logs in: admin, manager, agent (linked to a workspace agent_id) or QA
    reviewer (质检员)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(64), default=None)
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LoginSession(Base):
    """A browser login: the cookie holds the token, the table its hash and CSRF token."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for /api/v1 (shown once, stored hashed).

    A token is made from a browser login (``parent_session_id``) or, should a future
    path allow it, from another token (``parent_token_id``).  Revoking the parent token
    ends it, and so does a login ended by force (a password change or reset); a logout
    or an expiry only clears the session link, and the token then lasts until it
    expires or is revoked (see :mod:`cskpi.web.services.accounts`).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    parent_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("login_sessions.id", ondelete="SET NULL"), default=None, index=True)
    parent_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"), default=None, index=True)
    user: Mapped[User] = relationship(lazy="joined")

    def live(self, now: dt.datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


class LoginFailure(Base):
    """One failed login (the rate limits count these per username+IP and per IP)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class AppChange(Base):
    """The version of the app's records (one row, ``id`` 1): a new random number at each
    write.  What a page keeps of the records (a scorecard's content) is kept with it, so
    a change of a grade, an event, a lock, a scheme, an appeal … made by this process or
    another is seen by the next page (:mod:`cskpi.web.db.changes`)."""

    __tablename__ = "app_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class AuditEntry(Base):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    before: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    after: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)


class Grade(Base):
    """A manager's grade (A/B/C/D = 优/良/中/差) of one scheme item for an agent and month."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("agent_id", "period", "item",
                                       name="uq_grades_agent_period_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    item: Mapped[str] = mapped_column(String(64))
    grade: Mapped[str] = mapped_column(String(1))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewer: Mapped[User | None] = relationship(lazy="joined")

    def to_dict(self) -> dict[str, Any]:
        """The grade as plain data (for the audit log and the API)."""
        return {"agent_id": self.agent_id, "period": self.period, "item": self.item,
                "grade": self.grade, "note": self.note}


class Event(Base):
    """A praise, complaint or other event a manager records for an agent."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(64))
    points: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewer: Mapped[User | None] = relationship(lazy="joined")

    def to_dict(self) -> dict[str, Any]:
        """The event as plain data (for the audit log and the API)."""
        return {"agent_id": self.agent_id, "date": self.date.isoformat(), "kind": self.kind,
                "points": None if self.points is None else str(self.points),
                "note": self.note}


class ImportedCorrection(Base):
    """A correction of an event or complaint that came with the imported data, made in the
    app by upholding an agent's appeal: the row no longer counts (``cancelled``) or counts
    with other ``points``.  The data itself is not changed; scoring applies the correction
    (:mod:`cskpi.scoring.corrections`, which also says how a row is keyed).  ``date`` and
    ``kind`` are the row's, kept to place and describe it."""

    __tablename__ = "imported_corrections"
    __table_args__ = (UniqueConstraint("imported_table", "imported_key",
                                       name="uq_imported_corrections_table_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_table: Mapped[str] = mapped_column(String(16))  # events | complaints
    imported_key: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(64))
    points: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), default=None)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    appeal_id: Mapped[int | None] = mapped_column(
        ForeignKey("entry_appeals.id", ondelete="SET NULL",
                   name="fk_imported_corrections_appeal_id"), default=None)
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL",
                   name="fk_imported_corrections_reviewer_id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewer: Mapped[User | None] = relationship(lazy="joined")

    def to_dict(self) -> dict[str, Any]:
        """The correction as plain data: what scoring is given (``corrects``, ``key`` …) and
        the appeal that made it (for the audit log)."""
        return {"corrects": self.imported_table, "key": self.imported_key,
                "agent_id": self.agent_id, "date": self.date.isoformat(), "kind": self.kind,
                "points": None if self.points is None else str(self.points),
                "cancelled": bool(self.cancelled), "appeal_id": self.appeal_id}


class PeriodLock(Base):
    """An approved period: the scores and pay of a scheme, frozen as a versioned snapshot."""

    __tablename__ = "period_locks"
    __table_args__ = (UniqueConstraint("period", "scheme", "version",
                                       name="uq_period_locks_period_scheme_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    scheme: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    snapshot: Mapped[Any] = mapped_column(JSON)
    # reopened for corrections (entries it was computed from may change until a new
    # version is locked; this version stays the published one until then)
    reopened_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    reopened_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_period_locks_reopened_by"),
        default=None)
    locker: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[locked_by])
    reopener: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[reopened_by])


class LockReport(Base):
    """A report file of a locked version as it was approved: Excel or PDF, in one
    language (made when the version is locked; downloadable whatever changes later)."""

    __tablename__ = "lock_reports"
    __table_args__ = (UniqueConstraint("lock_id", "fmt", "lang",
                                       name="uq_lock_reports_lock_fmt_lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lock_id: Mapped[int] = mapped_column(ForeignKey("period_locks.id", ondelete="CASCADE"))
    fmt: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SavedText:
    """The columns of one saved version of a named YAML text (a scheme, QA rules): the
    text exactly as written, never changed later, with who saved it and why."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @declared_attr
    def author(cls) -> Mapped[User | None]:
        return relationship(User, lazy="joined")


class SchemeVersion(SavedText, Base):
    """One saved version of a scheme: the YAML exactly as written, never changed later.

    The version in force for a name is its highest ``version``; with none stored, the
    shipped preset (or file) of that name is.  Version 1 of a preset is its shipped
    text, stored with the first edit so the history starts from what was in force.
    """

    __tablename__ = "scheme_versions"
    __table_args__ = (UniqueConstraint("name", "version",
                                       name="uq_scheme_versions_name_version"),)


class LostLabel(Base):
    """A manager's reason for a lost inquiry (询单流失), by its last inquiry's session; it
    replaces the rule's reason in the lost lists and the shares (cskpi.lost)."""

    __tablename__ = "lost_labels"
    __table_args__ = (UniqueConstraint("session_id", name="uq_lost_labels_session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    labelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        """The label as plain data (for the audit log)."""
        return {"session_id": self.session_id, "reason": self.reason, "note": self.note}


class QaDecision(Base):
    """A reviewer's decision on one QA hit (质检) of a period: ``confirm`` or ``dismiss``
    (a dismissed hit stops counting).  A hit is known by (session_id, rule, ts: its local
    time as ISO text) and by ``hit_id`` (:func:`cskpi.qa.engine.hit_id` of those)."""

    __tablename__ = "qa_decisions"
    __table_args__ = (UniqueConstraint("period", "hit_id", name="uq_qa_decisions_period_hit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    rules: Mapped[str] = mapped_column(String(255))
    session_id: Mapped[str] = mapped_column(String(128), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    hit_id: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(8))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text, default=None)

    def to_dict(self) -> dict[str, Any]:
        """The decision as plain data (for the audit log)."""
        return {"period": self.period, "rules": self.rules, "session_id": self.session_id,
                "rule": self.rule, "ts": self.ts, "hit_id": self.hit_id,
                "decision": self.decision, "note": self.note}


class QaRubric(Base):
    """Points a reviewer gave one session of a period for a manual rubric item of the QA
    rules (专业度 0–10); they add to the session's QA score."""

    __tablename__ = "qa_rubric"
    __table_args__ = (UniqueConstraint("period", "session_id", "item",
                                       name="uq_qa_rubric_period_session_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    session_id: Mapped[str] = mapped_column(String(128), index=True)
    item: Mapped[str] = mapped_column(String(64))
    points: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "session_id": self.session_id, "item": self.item,
                "points": str(self.points)}


class QaAppeal(Base):
    """An agent's appeal (申诉) of a QA hit on one of their sessions, and a manager's
    decision: ``upheld`` (the hit is dismissed) or ``rejected``, with an answer."""

    __tablename__ = "qa_appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    hit_id: Mapped[str] = mapped_column(String(32), index=True)
    session_id: Mapped[str] = mapped_column(String(128))
    rule: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open")
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_qa_appeals_decided_by"),
        default=None)
    at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)  # decided

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "period": self.period, "hit_id": self.hit_id,
                "session_id": self.session_id, "rule": self.rule, "ts": self.ts,
                "agent_id": self.agent_id, "text": self.text, "status": self.status,
                "answer": self.answer}


class QaRulesVersion(SavedText, Base):
    """One saved version of a shop's QA rules file (质检方案): the YAML exactly as written,
    never changed later.  Only files without errors are saved; the shipped presets are
    not stored (a shop's file may start as a copy of one, under its own name)."""

    __tablename__ = "qa_rules_versions"
    __table_args__ = (UniqueConstraint("name", "version",
                                       name="uq_qa_rules_versions_name_version"),)


class QaRulesChoice(Base):
    """The QA rules a manager chose for a month's review: a preset (``version`` None) or
    a version of a shop's file.  Saving a newer version of that file moves the months
    not locked to it; a locked month keeps the version it was reviewed with."""

    __tablename__ = "qa_rules_choices"
    __table_args__ = (UniqueConstraint("period", name="uq_qa_rules_choices_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int | None] = mapped_column(Integer, default=None)
    chosen_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    chosen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    chooser: Mapped[User | None] = relationship(lazy="joined")

    def to_dict(self) -> dict[str, Any]:
        """The choice as plain data (for the audit log)."""
        return {"period": self.period, "name": self.name, "version": self.version}


class EntryAppeal(Base):
    """An agent's appeal (申诉) of one of their grades or events, and a manager's
    decision: ``upheld`` (the entry is changed as the decision says, in the same step) or
    ``rejected``, with an answer the agent reads.

    A grade (``kind`` grade) is known by (agent_id, period, item), whether entered or
    imported; an entered event (``event``) by its id; an imported event or complaint
    (``imported``) by its table and key.  ``entry`` is the grade or event as the agent appealed
    it, ``remedy`` what upholding did to it."""

    __tablename__ = "entry_appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # grade | event | imported
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    item: Mapped[str | None] = mapped_column(String(64), default=None)
    event_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    # an imported event or complaint: its table and key (cskpi.scoring.corrections)
    imported_table: Mapped[str | None] = mapped_column(String(16), default=None)
    imported_key: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    entry: Mapped[Any] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    remedy: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_entry_appeals_decided_by"),
        default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    decider: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[decided_by])

    def to_dict(self) -> dict[str, Any]:
        """The appeal as plain data (for the audit log)."""
        return {"id": self.id, "kind": self.kind, "agent_id": self.agent_id,
                "period": self.period, "item": self.item, "event_id": self.event_id,
                "imported_table": self.imported_table, "imported_key": self.imported_key,
                "entry": self.entry, "text": self.text, "status": self.status,
                "answer": self.answer, "remedy": self.remedy}
