"""The scheme store of the app and what the Schemes pages do with it.

Schemes are edited in the app as YAML text and saved as numbered, immutable versions
(:class:`SchemeVersion`); the newest version of a name is the one in force, and the
:class:`DataGateway` scores with it (it reads the store through :func:`versions_for`).
Checking a text is the loader's job (every issue with its line and a hint, as
``cskpi scheme check`` shows them); a preview scores the latest month under the
version in force and under the edited text and compares them (as ``cskpi whatif
--scheme … --edited …``).  Nothing here computes a score itself.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ...errors import Issue, Translate
from ...qa.schemes import load_scheme_checked
from ...scheme import Scheme
from ...scoring.compare import Change, compare, gains_and_losses
from ...scoring.presets import preset_names, resolve
from ..db.models import MANAGERS, SchemeVersion, User
from ..deps import Principal
from ..errors import BadRequest, Conflict, Forbidden, NotFound
from .accounts import audit
from .gateway import SCHEME_NAME, DataGateway, SchemeVersions
from .versions import newest_version, version_history

MAX_TEXT_CHARS = 200_000
"""The longest scheme text accepted (the shipped presets are about 3,000 characters)."""


def versions_for(sessions: sessionmaker[Session]) -> SchemeVersions:
    """The reader the gateway asks for the version in force of a name (one small query)."""

    def newest(name: str) -> tuple[int, str] | None:
        with sessions() as db:
            row = _newest(db, name)
            return (row.version, row.text) if row is not None else None

    return newest


def _newest(db: Session, name: str) -> SchemeVersion | None:
    return newest_version(db, SchemeVersion, name)


def history(db: Session, name: str) -> list[SchemeVersion]:
    """Every saved version of a scheme, newest first."""
    return version_history(db, SchemeVersion, name)


def known_names(db: Session, data: DataGateway) -> list[str]:
    """The schemes one can open: presets, those the roles use, and those saved here."""
    used = [s for s in data.schemes_by_role.values() if SCHEME_NAME.match(s)]
    stored = db.scalars(select(SchemeVersion.name).distinct())
    return sorted({*preset_names(), *used, *stored})


def require_known(db: Session, data: DataGateway, name: str) -> None:
    if name not in known_names(db, data):
        raise NotFound("web.schemes.error.unknown", scheme=name)


def agent_scheme(data: DataGateway, principal: Principal) -> str | None:
    """The scheme of an agent's role (what an agent may read), None when there is none."""
    agent = data.agent(principal.user.agent_id) if principal.user.agent_id else None
    return data.scheme_for(agent) if agent is not None else None


def require_readable(data: DataGateway, principal: Principal, name: str) -> None:
    """Managers and admins read every scheme; an agent only the one of their role; no
    other role any."""
    role = principal.user.role
    if role not in MANAGERS and (role != "agent" or agent_scheme(data, principal) != name):
        raise Forbidden("web.error.scheme_choice")


@dataclass(frozen=True)
class SchemeText:
    """A scheme's YAML as saved (``version`` None: the shipped preset or file)."""

    name: str
    version: int | None
    text: str
    row: SchemeVersion | None = None


def text_of(db: Session, name: str, version: int | None = None) -> SchemeText:
    """The text in force (``version`` None) or a saved version of a scheme."""
    newest = _newest(db, name)
    if version is not None and (newest is not None or version != 1):
        row = db.scalar(select(SchemeVersion).where(SchemeVersion.name == name,
                                                    SchemeVersion.version == version))
        if row is None:
            raise NotFound("web.schemes.error.no_version", scheme=name, version=version)
        return SchemeText(name, row.version, row.text, row)
    if newest is not None:
        return SchemeText(name, newest.version, newest.text, newest)
    return SchemeText(name, None, resolve(name)[1])  # the shipped text is version 1


# --- checking ---------------------------------------------------------------------------

@dataclass
class Checked:
    """A text as the loader read it: the scheme (None on errors) and every issue."""

    scheme: Scheme | None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.is_error for i in self.issues)

    def to_json(self, t: Translate | None = None) -> dict[str, Any]:
        """``cskpi scheme check --format json``'s shape; with ``t``, each issue also in
        the reader's language (``text``, ``hint_text``)."""
        errors = sum(1 for i in self.issues if i.is_error)
        issues = [i.to_dict() | ({"text": i.text(t), "hint_text": i.hint_text(t)}
                                 if t is not None else {}) for i in self.issues]
        return {"ok": self.ok, "errors": errors, "warnings": len(self.issues) - errors,
                "issues": issues}


def normalise(text: str) -> str:
    """Browsers post textareas with CRLF line ends; lines are counted on LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_text(data: DataGateway, name: str, text: str) -> Checked:
    """Every issue of a scheme text, as ``cskpi scheme check -w`` reports them, plus one
    rule of the store: the ``scheme:`` name in the text stays the name it is saved as
    (scorecards and locks are filed under it)."""
    if len(text) > MAX_TEXT_CHARS:
        raise BadRequest("web.schemes.error.too_long", chars=MAX_TEXT_CHARS)
    scheme, issues = load_scheme_checked(text, name, roster=data.roster())
    if scheme is not None and scheme.name != name:
        issues = [*issues, Issue("error", "name_changed", file=name,
                                 row=_key_line(text, "scheme"), origin="scheme",
                                 params={"name": name, "written": scheme.name})]
        scheme = None
    return Checked(scheme, issues)


def _key_line(text: str, key: str) -> int | None:
    """The line of a top-level key of a YAML text."""
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"{key}\s*:", line):
            return number
    return None


def parse_in_force(text: SchemeText, data: DataGateway | None = None) -> Scheme | None:
    """The scheme of a text already in force (for its summary; no roster needed); with
    ``data``, parsed once per text until the workspace changes (the Schemes list parsed
    eight YAML texts on every view: 40 ms)."""
    if data is not None:
        return data.cached(("scheme-parsed", text.name, text.text),
                           lambda: parse_in_force(text))
    scheme, _ = load_scheme_checked(text.text, text.name)
    return scheme


# --- saving -----------------------------------------------------------------------------

def save_version(db: Session, user: User, *, name: str, text: str,
                 note: str | None, base_version: int | None = None,
                 ip: str | None = None) -> SchemeVersion:
    """Store ``text`` as the next version of ``name`` (audited as ``scheme.update``).

    The caller has checked the text.  ``base_version`` is the version the editor
    started from: when someone saved another version meanwhile, the save is refused
    instead of silently replacing their change.  The shipped text becomes version 1
    with the first save, so the history starts from what was in force.
    """
    current = text_of(db, name)
    if base_version is not None and base_version != (current.version or 1):
        raise Conflict("web.schemes.error.stale", scheme=name, version=current.version)
    if normalise(current.text) == text:
        raise BadRequest("web.schemes.error.unchanged", scheme=name)
    if current.version is None:
        db.add(SchemeVersion(name=name, version=1, text=current.text, note=None,
                             author_id=None))
    row = SchemeVersion(name=name, version=(current.version or 1) + 1, text=text,
                        note=note or None, author_id=user.id)
    db.add(row)
    try:
        db.flush()
    except IntegrityError:  # another save took this version number a moment ago
        db.rollback()
        raise Conflict("web.schemes.error.stale", scheme=name,
                       version=row.version) from None
    audit(db, user, "scheme.update", f"scheme:{name}",
          before={"version": current.version or 1},
          after={"version": row.version, "note": row.note,
                 "lines": diff_counts(current.text, text)}, ip=ip)
    return row


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line): kind is ``add``, ``del``, ``hunk`` or ``same``."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(normalise(old).splitlines(), normalise(new).splitlines(),
                                     lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out


def diff_counts(old: str, new: str) -> dict[str, int]:
    """Lines added and removed between two texts (for the audit entry)."""
    kinds = [k for k, _ in diff_lines(old, new)]
    return {"added": kinds.count("add"), "removed": kinds.count("del")}


# --- listing and previews ----------------------------------------------------------------

@dataclass(frozen=True)
class SchemeRow:
    """One line of the Schemes list."""

    name: str
    title: str | None
    roles: list[str]
    preset: bool
    version: int | None
    changed_at: dt.datetime | None
    changed_by: str | None


def scheme_rows(db: Session, data: DataGateway) -> list[SchemeRow]:
    """Every scheme one can open, with the roles using it and its version in force."""
    presets = set(preset_names())
    rows: list[SchemeRow] = []
    for name in known_names(db, data):
        current = text_of(db, name)
        scheme = parse_in_force(current, data)
        row = current.row
        rows.append(SchemeRow(
            name, scheme.title if scheme else None,
            sorted(r for r, s in data.schemes_by_role.items() if s == name), name in presets,
            current.version, row.created_at if row else None,
            (row.author.username if row.author else None) if row else None))
    rows.sort(key=lambda r: (not r.roles, r.name))
    return rows


def unlisted_refs(data: DataGateway) -> dict[str, str]:
    """Roles whose scheme is a file path (shown, but not editable in the app)."""
    return {role: ref for role, ref in data.schemes_by_role.items()
            if not SCHEME_NAME.match(ref)}


@dataclass(frozen=True)
class Preview:
    """Who gains and who loses when the edited text replaces the version in force."""

    period: str
    changes: list[Change]

    @property
    def gainers(self) -> int:
        return gains_and_losses(self.changes)[0]

    @property
    def losers(self) -> int:
        return gains_and_losses(self.changes)[1]


def preview(data: DataGateway, name: str, text: str, period: str) -> Preview:
    """Score ``period`` under the version in force and under ``text``; nothing is saved.

    Both sides count the grades and events entered in the app, so "before" is what the
    scorecards show.  Biggest pay change first, then biggest score change.
    """
    before = data.scored(name, period).result
    after = data.scored_text(name, text, period).result
    return Preview(period, compare(before, after))
