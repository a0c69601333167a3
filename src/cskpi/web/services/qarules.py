"""The QA rules store of the app (质检方案) and what the QA rules pages do with it.

A shop's rules are edited in the app as YAML and saved as numbered, immutable versions
(:class:`QaRulesVersion`) under the name their ``qa:`` gives; only a text without errors
is saved.  The shipped presets are read, never stored: a shop's file may start as a copy
of one under its own name, so a scheme's ``qa: taobao-basic`` means the same rules in the
app as on the command line.

A manager chooses the rules a month is reviewed with (:class:`QaRulesChoice`): a preset
or the newest version of a shop's file.  With no choice, the default stays what it was
(:meth:`DataGateway.qa_default`).  A month locked under any scheme (and not reopened)
keeps its rules: choosing for it is refused (409), and saving a newer version of its
file moves only the months that are not locked.  Checking a text is the QA loader's job
(every issue with its line and a hint, in the reader's language, as ``cskpi qa check``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ...errors import Issue
from ...qa import load_rules, preset_names
from ...qa.loader import preset_text
from ..db.models import PeriodLock, QaRulesChoice, QaRulesVersion, User, utcnow
from ..errors import BadRequest, Conflict, NotFound
from .accounts import audit
from .gateway import SCHEME_NAME, DataGateway, QaChoice
from .schemes import MAX_TEXT_CHARS, Checked, _key_line, diff_counts, normalise
from .versions import newest_version, version_history

RESERVED = frozenset({"new", "validate", "save", "choose"})
"""Names the pages' own paths take (``/qa/rules/new`` …): no rules file may have them."""

__all__ = ["MAX_TEXT_CHARS", "Checked", "normalise"]


def choice_for(sessions: sessionmaker[Session]) -> QaChoice:
    """The reader the gateway asks for the rules chosen for a month (one small query)."""

    def chosen(period: str) -> tuple[str, int | None, str | None] | None:
        with sessions() as db:
            row = db.scalar(select(QaRulesChoice).where(QaRulesChoice.period == period))
            if row is None:
                return None
            if row.version is None:
                return row.name, None, None
            text = db.scalar(select(QaRulesVersion.text).where(
                QaRulesVersion.name == row.name, QaRulesVersion.version == row.version))
            return row.name, row.version, text

    return chosen


def is_preset(name: str) -> bool:
    return name in preset_names()


def _newest(db: Session, name: str) -> QaRulesVersion | None:
    return newest_version(db, QaRulesVersion, name)


def history(db: Session, name: str) -> list[QaRulesVersion]:
    """Every saved version of a shop's rules, newest first (none for a preset)."""
    return version_history(db, QaRulesVersion, name)


def known_names(db: Session) -> list[str]:
    """The presets, then the shop's own rules files."""
    stored = sorted(set(db.scalars(select(QaRulesVersion.name).distinct())))
    return [*preset_names(), *(n for n in stored if not is_preset(n))]


@dataclass(frozen=True)
class RulesText:
    """A rules file's YAML: a preset's shipped text (``version`` None) or a saved one."""

    name: str
    version: int | None
    text: str
    row: QaRulesVersion | None = None

    @property
    def preset(self) -> bool:
        return self.version is None


def text_of(db: Session, name: str, version: int | None = None) -> RulesText:
    """The newest (``version`` None) or a saved version of a rules file, else
    :class:`NotFound`."""
    if is_preset(name):
        if version is not None:
            raise NotFound("web.qarules.error.no_version", name=name, version=version)
        return RulesText(name, None, preset_text(name))
    if version is None:
        row = _newest(db, name)
    else:
        row = db.scalar(select(QaRulesVersion).where(QaRulesVersion.name == name,
                                                     QaRulesVersion.version == version))
    if row is None:
        if version is not None and _newest(db, name) is not None:
            raise NotFound("web.qarules.error.no_version", name=name, version=version)
        raise NotFound("web.qarules.error.unknown", name=name)
    return RulesText(name, row.version, row.text, row)


def copy_of(name: str) -> str:
    """A preset's text as the start of a shop's own file: its ``qa:`` renamed (a shop's
    file may not take a preset's name)."""
    text = preset_text(name)
    return re.sub(r"(?m)^qa:.*$", f"qa: {name}-shop", text, count=1)


# --- checking ---------------------------------------------------------------------------

def _issue(key: str, line: int | None, **params: Any) -> Issue:
    return Issue("error", key, row=line, origin="scheme", key=f"web.qarules.issue.{key}",
                 params=params)


def check_text(db: Session, name: str | None, text: str) -> tuple[str | None, Checked]:
    """Every issue of a rules text, as ``cskpi qa check`` reports them, plus the rules of
    the store: the ``qa:`` name is one a file saved here may have, a file keeps the name
    it is saved under (``name``), and a new file (``name`` None) takes neither a
    preset's name nor one already saved.  Also the name the text would be saved as."""
    if len(text) > MAX_TEXT_CHARS:
        raise BadRequest("web.qarules.error.too_long", chars=MAX_TEXT_CHARS)
    rules, issues = load_rules(text, name or "<qa>")
    written = rules.name if rules is not None else None
    line = _key_line(text, "qa")
    extra: list[Issue] = []
    if written is not None:
        if name is not None and written != name:
            extra.append(_issue("name_changed", line, name=name, written=written))
        elif not SCHEME_NAME.match(written) or written in RESERVED:
            extra.append(_issue("bad_name", line, written=written))
        elif name is None and is_preset(written):
            extra.append(_issue("name_preset", line, written=written))
        elif name is None and _newest(db, written) is not None:
            extra.append(_issue("name_taken", line, written=written))
    checked = Checked(None, [*issues, *extra])
    return (written if checked.ok else None), checked


# --- saving -----------------------------------------------------------------------------

def period_lock(db: Session, period: str) -> PeriodLock | None:
    """A lock in force on the month (the newest of a scheme, not reopened), if any."""
    newest: dict[str, PeriodLock] = {}
    for lock in db.scalars(select(PeriodLock).where(PeriodLock.period == period)
                           .order_by(PeriodLock.version)):
        newest[lock.scheme] = lock
    return next((lock for lock in newest.values() if lock.reopened_at is None), None)


def _locked(db: Session, periods: Iterable[str]) -> set[str]:
    return {p for p in periods if period_lock(db, p) is not None}


def save_version(db: Session, user: User, *, name: str | None, written: str, text: str,
                 note: str | None, base_version: int | None = None,
                 ip: str | None = None) -> QaRulesVersion:
    """Store a checked text as the next version of its rules (the first of a new file,
    ``name`` None), audited as ``qa_rules.create`` / ``qa_rules.update``.

    ``base_version`` is the version the editor started from: when someone saved another
    meanwhile, the save is refused instead of silently replacing their change.  Months
    whose chosen rules are this file and that are not locked move to the new version
    (the audit entry lists them).
    """
    current = _newest(db, written)
    if name is None and current is not None:  # saved under this name a moment ago
        raise Conflict("web.qarules.error.stale", name=written, version=current.version)
    if name is not None:
        if current is None:
            raise NotFound("web.qarules.error.unknown", name=name)
        if base_version is not None and base_version != current.version:
            raise Conflict("web.qarules.error.stale", name=name, version=current.version)
        if normalise(current.text) == text:
            raise BadRequest("web.qarules.error.unchanged", name=name)
    row = QaRulesVersion(name=written, version=(current.version if current else 0) + 1,
                         text=text, note=note or None, author_id=user.id)
    db.add(row)
    try:
        db.flush()
    except IntegrityError:  # another save took this version number a moment ago
        db.rollback()
        raise Conflict("web.qarules.error.stale", name=written, version=row.version) from None
    choices = list(db.scalars(select(QaRulesChoice).where(QaRulesChoice.name == written)))
    locked = _locked(db, {c.period for c in choices})
    moved = sorted(c.period for c in choices if c.period not in locked)
    for choice in choices:
        if choice.period in moved:
            choice.version = row.version
    db.flush()
    after: dict[str, Any] = {"version": row.version, "note": row.note, "moved": moved}
    if current is not None:
        after["lines"] = diff_counts(current.text, text)
    audit(db, user, "qa_rules.update" if current else "qa_rules.create",
          f"qa-rules:{written}", before={"version": current.version} if current else None,
          after=after, ip=ip)
    return row


def choose(db: Session, user: User, *, period: str, name: str,
           ip: str | None = None) -> QaRulesChoice | None:
    """The rules ``period`` is reviewed with from now: a preset or the newest version of
    a shop's file; ``name`` empty: the default again (audited ``qa_rules.choose``).  A
    locked month keeps its rules (409, with the way to the review)."""
    version: int | None = None
    if name:
        if not is_preset(name):
            newest = _newest(db, name)
            if newest is None:
                raise BadRequest("web.qarules.error.unknown", field="name", name=name)
            version = newest.version
    lock = period_lock(db, period)
    if lock is not None:
        raise Conflict("web.qarules.error.locked", period=period, scheme=lock.scheme,
                       version=lock.version,
                       links=[(f"/periods/{period}?scheme={lock.scheme}",
                               "web.entries.review_lock", {"version": lock.version})])
    row = db.scalar(select(QaRulesChoice).where(QaRulesChoice.period == period))
    before = row.to_dict() if row is not None else None
    if not name:
        if row is not None:
            db.delete(row)
        row = None
    else:
        if row is None:
            row = QaRulesChoice(period=period, name=name)
            db.add(row)
        row.name, row.version, row.chosen_by, row.chosen_at = name, version, user.id, utcnow()
    db.flush()
    audit(db, user, "qa_rules.choose", f"qa-rules:{period}", before=before,
          after=row.to_dict() if row is not None else None, ip=ip)
    return row


# --- listing ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RulesRow:
    """One line of the QA rules list."""

    name: str
    title: str | None
    preset: bool
    version: int | None
    changed_at: dt.datetime | None
    changed_by: str | None
    months: list[str]  # the months chosen to be reviewed with it


def rules_rows(db: Session) -> list[RulesRow]:
    """Every rules file one can open or choose, with its newest version."""
    months: dict[str, list[str]] = {}
    for c in db.scalars(select(QaRulesChoice).order_by(QaRulesChoice.period.desc())):
        months.setdefault(c.name, []).append(c.period)
    rows = []
    for name in known_names(db):
        current = text_of(db, name)
        rules, _ = load_rules(current.text, name)
        row = current.row
        rows.append(RulesRow(name, rules.title if rules else None, current.preset,
                             current.version, row.created_at if row else None,
                             (row.author.username if row.author else None) if row else None,
                             months.get(name, [])))
    return rows


def in_use(db: Session, data: DataGateway, period: str) -> dict[str, Any]:
    """What the QA pages say of a month's rules: which, since when chosen and by whom,
    and whether the month is locked."""
    force = data.qa_in_force(period)
    row = db.scalar(select(QaRulesChoice).where(QaRulesChoice.period == period))
    return {"force": force, "choice": row, "lock": period_lock(db, period),
            "title": data.qa_loaded(period).title}
