"""The web app's window on the workspace: core calls, serialised and cached.

Every figure on a page comes from :class:`cskpi.shop.Shop`; this module only decides *when*
to call it.  DuckDB allows one read-write opener per file, so calls are serialised by
a lock, and results are cached until the workspace file is changed by someone else
(an import by the CLI); the gateway's own calls (which may refresh the workspace's facts
cache) do not invalidate them.  An import through the app (:meth:`DataGateway.import_folder`)
runs in a child process, outside that lock, as an import by the CLI does, and forgets the
cache when it ends.  While another process holds the file for writing (an import storing
a month), a page already cached is answered as it was: until the writer commits, the data
is unchanged.

A scheme is named by its preset (or file); the version in force of a name is the newest
one saved in the app database (:attr:`DataGateway.scheme_versions`), else the shipped
one.  A saved version is scored from its text (:class:`~cskpi.scoring.run.SchemeText`,
named ``<name> v<N>``), so every cache key that holds it changes when a new version is
saved.  QA rules saved in the app and chosen for a month (:attr:`DataGateway.qa_choice`)
are handed to the core the same way (:class:`~cskpi.qa.loader.RulesText`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ...data.sessions import SessionRules
from ...errors import CskpiError, UsageError, WorkspaceError
from ...metrics.compute import MetricQuery
from ...metrics.profiles import resolve as resolve_profile
from ...months import month_range
from ...period import Period
from ...qa.loader import RulesText
from ...scoring.run import SchemeText, Scored
from ...scoring.snapshots import snapshot as score_snapshot
from ...shop import DEFAULT_TZ, ImportCheck, Shop
from ...store.files import LockWait, waiting, written_by_another
from ...store.workspace import ImportReport
from .importer import check_in_child, import_in_child
from .stale import MISSING, STALE_PAGE, OldFigures, StalePage

if TYPE_CHECKING:
    from ...scheme import Scheme
    from ...scoring.entries import EventRule

T = TypeVar("T")

REQUEST_MEMO: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar(
    "cskpi_request_memo", default=None)
"""What one reading request (GET, HEAD) has already read from the app database: the
scheme versions in force, the month's entries and QA decisions, the periods' locks.  A
page asks for them several times (each scheme it shows, each month of a trend); within
one request they cannot change, as the request writes nothing.  Set by the app's
middleware; None (nothing kept) for a request that may write."""


def remembered(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` once per reading request and key (every time outside one)."""
    memo = REQUEST_MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]

SIGNATURE_S = 0.05
"""How long the workspace file's size and time, once read, are taken as they are: a page
asks the cache a few hundred times (a list of a hundred agents' entries), and each asking
read them twice (two ``stat`` calls: a third of such a page's time)."""
WRITER_CHECK_S = 0.5
"""How long the answer to "is another process writing the workspace?" is trusted."""

SCHEME_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
"""What a scheme saved in the app may be called (a preset name fits; a file path does not)."""

# name -> (version, YAML text) of the newest saved version, None when none is saved
SchemeVersions = Callable[[str], tuple[int, str] | None]
# month -> (name, version, YAML text) of the QA rules chosen for it (version and text None
# for a shipped preset), None when no one chose
QaChoice = Callable[[str], tuple[str, int | None, str | None] | None]


@dataclass(frozen=True)
class SchemeInForce:
    """What a scheme name means now: the ``ref`` the core is given (a preset name or a file
    path, or the text of a saved version) and the saved ``version`` (None: shipped)."""

    name: str
    ref: str | SchemeText
    version: int | None


@dataclass(frozen=True)
class QaRulesInForce:
    """The QA rules a month is reviewed with: the ``ref`` the core is given (a preset
    name, a file path, or the text of a saved version), the saved ``version`` (None: a
    preset or a file) and whether a manager ``chosen`` them (else the default)."""

    name: str
    ref: str | RulesText
    version: int | None
    chosen: bool

    @property
    def label(self) -> str:
        """How decisions record the rules: the name, with the version when saved here."""
        return self.name if self.version is None else f"{self.name} v{self.version}"


@dataclass(frozen=True)
class AgentCard:
    """One agent's scorecard of a period under a scheme, with what is missing for it."""

    agent: Mapping[str, Any]
    scheme: str
    card: dict[str, Any] | None  # Scored.card_of (JSON values, shared: read-only); None
    # when the scheme does not apply
    problems: list[dict[str, Any]]


def valid_period(period: str) -> str:
    """``YYYY-MM`` or a :class:`UsageError`."""
    try:
        dt.date.fromisoformat(period + "-01")
    except (TypeError, ValueError):
        raise UsageError(f"'{period}' is not a month", hint="use YYYY-MM, e.g. 2026-10") from None
    if len(period) != 7:
        raise UsageError(f"'{period}' is not a month", hint="use YYYY-MM, e.g. 2026-10")
    return period


_LOCKS: dict[Path, threading.RLock] = {}
_LOCKS_LOCK = threading.Lock()


def workspace_lock(path: Path) -> threading.RLock:
    """The lock that serialises this process's calls to one workspace file: every gateway
    of the file shares it (two gateways computing at once, one of them in the background
    after the data changed, would write the file's caches at the same time)."""
    key = path.resolve()
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(key, threading.RLock())


class DataGateway:
    """Cached, serialised access to one workspace through the core facade."""

    def __init__(self, workspace: Path | str, *, profile: str = "generic",
                 schemes_by_role: Mapping[str, str] | None = None,
                 entries: Callable[[str], tuple[list[dict[str, Any]], list[dict[str, Any]]]]
                 | None = None) -> None:
        self.workspace = Path(workspace)
        # every figure comes from it, a call at a time; an upload's messages without
        # session ids are cut by the app's profile, as `cskpi import --profile` cuts them
        self.shop = Shop(self.workspace,
                         sessions=SessionRules.of_profile(resolve_profile(profile)))
        # (grades, events) entered in the app for a month; they take part in scoring
        self.entries = entries
        self.profile = profile
        self.schemes_by_role = dict(schemes_by_role or {})
        # the versions of schemes saved in the app database (set by the app, like entries)
        self.scheme_versions: SchemeVersions | None = None
        # QA reviewers' decisions of a month (cskpi.qa.engine.Decisions; set by the app):
        # the QA pages and the schemes that score on QA figures count them
        self.qa_entries: Callable[[str], Any] | None = None
        # the QA rules the app checks chats with (None: see qa_ref)
        self.qa_rules: str | None = None
        # the QA rules a manager chose for a month (set by the app; see qa_in_force)
        self.qa_choice: QaChoice | None = None
        # how long a call waits for the workspace another process writes (None: as
        # CSKPI_WORKSPACE_WAIT_S says; the app sets its page_wait_s)
        self.wait_s: float | None = None
        # how long a page waits for a figure being computed again after the data changed
        # before it is shown the old one (:mod:`.stale`); None: pages wait for new ones
        self.stale_after_s: float | None = None
        self._lock = workspace_lock(self.workspace)
        self._cache: dict[tuple[Any, ...], Any] = {}
        # how each cached figure is computed (to compute it again after a change)
        self._computes: dict[tuple[Any, ...], Callable[[], Any]] = {}
        self._old = OldFigures(self._cached)
        self._computing = threading.local()  # this thread computes under the lock
        self._seen: tuple[int, ...] | None = None  # the file as our last call left it
        # bumped by an import through the app (see forget): the cache kept under another
        # number is forgotten by the next call
        self._bumps = itertools.count(1)  # next() is atomic: imports may end together
        self._generation = 0
        self._cleared = 0
        self._timezone: str | None = None  # the shop's, as last read
        self._writer, self._writer_checked = False, -WRITER_CHECK_S  # see _being_written
        self._signed: tuple[int, ...] = ()
        self._signed_at = -SIGNATURE_S

    def _signature(self) -> tuple[int, ...]:
        now = time.monotonic()
        if now < self._signed_at + SIGNATURE_S:
            return self._signed
        sig: list[int] = []
        for p in (self.workspace, Path(str(self.workspace) + ".wal")):
            try:
                st = p.stat()
                sig += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                sig += [0, 0]
        self._signed, self._signed_at = tuple(sig), now
        return self._signed

    def _forget_if_changed(self) -> bool:
        """Forget the cache (the lock is held) when an import through the app ended
        (:meth:`forget`), or another process changed the file (or it was never read) —
        but not while another process holds it for writing: until the writer (an import
        storing) commits, the data is what it was, and the cache is forgotten once, when
        the writer is done.  Returns whether another process is writing (then what is
        computed meanwhile may be of the data before or after its commit: it is not kept,
        and the file is not taken as seen)."""
        generation = self._generation  # read once: a later bump is the next call's
        if generation != self._cleared:
            self._forget_cache()
            self._cleared = generation
        elif self._signature() != self._seen:
            if self._being_written():
                return True
            self._forget_cache()
        return False

    def _forget_cache(self) -> None:
        """Drop every cached figure (the lock is held); pages may be shown them while
        they are computed again (:mod:`.stale`)."""
        cache, computes = self._cache, self._computes
        # emptied before the old figures are published: a page that finds a figure among
        # the old ones must not find it among the new ones too
        self._cache, self._computes = {}, {}
        if self.stale_after_s is not None:
            self._old.keep({k: v for k, v in cache.items() if k in computes}, computes)

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T], *,
               again: bool = True, valid: Callable[[T], bool] | None = None) -> T:
        """``compute()`` once per key until the workspace changes; calls are serialised.

        Page areas with their own core calls use this rather than adding methods here;
        start the key with the area's name so keys never collide.  ``again=False``: after
        a change, the result is not computed again in the background nor shown as it was
        (``compute`` needs the request, as a page's rendering does).  ``valid``: a kept
        result it refuses is computed again and replaced (a page's content kept with the
        version of the app's records it was made at, :mod:`cskpi.web.db.changes`).
        """
        return self._cached(key, compute, again=again, valid=valid)

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T], *,
                again: bool = True, valid: Callable[[T], bool] | None = None) -> T:
        page = STALE_PAGE.get() if self.stale_after_s is not None else None
        if page is not None and not again and self._old.values is not None:
            # a page's own work (its rendering) while figures are computed again: done
            # without waiting for the lock the refresh holds, and not kept
            return compute()
        if not again:
            page = None
        found = self._kept(key, valid)
        if found is not MISSING:
            return found  # type: ignore[no-any-return]
        while True:
            if page is not None:
                found = self._old_or_new(key, page)
                if found is not MISSING:
                    return found  # type: ignore[no-any-return]
                if not self._lock_or_old(key):
                    continue  # the change was seen meanwhile: the old figure is there
            else:
                self._lock.acquire()
            try:
                writing = self._forget_if_changed()
                if key in self._cache and (valid is None or valid(self._cache[key])):
                    return self._cache[key]  # type: ignore[no-any-return]
                if page is not None and key in (self._old.values or ()):
                    continue  # being computed again: waited for, or shown as it was
                depth = getattr(self._computing, "depth", 0)
                self._computing.depth = depth + 1
                try:
                    with waiting(LockWait(self.wait_s)):
                        value = compute()
                finally:
                    self._computing.depth = depth
                    if not writing:
                        self._seen = self._signature()
                if writing or (page is not None and page.served):
                    return value  # of uncertain data, or drawn from old figures: not kept
                self._cache[key] = value
                if again:
                    self._computes[key] = compute
            finally:
                self._lock.release()
            self._old.refreshed()
            return value

    def _kept(self, key: tuple[Any, ...], valid: Callable[[Any], bool] | None) -> Any:
        """The figure kept under ``key`` when nothing has changed since it was kept, found
        without the lock (:data:`MISSING` otherwise): a page whose figures are all kept
        does not wait behind another page's long computation (an agent's drill-down at
        ten million messages holds the lock for two seconds).  Anything that may have
        changed (an import through the app, another process's write, figures being
        computed again after one) takes the way under the lock."""
        if (self._old.values is not None or self._generation != self._cleared
                or self._seen is None or self._signature() != self._seen):
            return MISSING
        found = self._cache.get(key, MISSING)
        if found is MISSING or (valid is not None and not valid(found)):
            return MISSING
        return found

    def _lock_or_old(self, key: tuple[Any, ...]) -> bool:
        """Take the lock for a page; or, while another call holds it (a computation
        after new data arrived, which may take seconds), give up as soon as ``key`` has
        an old figure to show (False): a page that asked before the change was seen
        does not wait for the whole computation."""
        while not self._lock.acquire(timeout=0.05):
            if key in (self._old.values or ()):
                return False
        return True

    def _old_or_new(self, key: tuple[Any, ...], page: StalePage) -> Any:
        """A page's figure while the data's figures are computed again: the new one when
        it is there or comes within :attr:`stale_after_s`, else the old one (and the page
        says so); :data:`MISSING` when ``key`` has no old figure."""
        old = self._old.values
        if old is None or key not in old:
            return MISSING
        if page.served:  # one page, one state of the data
            return old[key]
        new = self._cache.get(key, MISSING)
        if new is not MISSING:
            return new
        if not getattr(self._computing, "depth", 0):  # holding the lock, waiting is useless
            self._old.want(key)
            self._old.wait(lambda: key in self._cache, old,
                           page.left(self.stale_after_s or 0.0))
            new = self._cache.get(key, MISSING)
            if new is not MISSING:
                return new
        if self._old.values is not old:
            return MISSING  # the refresh ended or the data changed again: ask again
        page.since = self._old.since
        return old[key]

    def _being_written(self) -> bool:
        """Whether another process holds the workspace for writing (asked at most every
        :data:`WRITER_CHECK_S`: each asking opens the file)."""
        now = time.monotonic()
        if now >= self._writer_checked + WRITER_CHECK_S:
            self._writer_checked, self._writer = now, written_by_another(self.workspace)
        return self._writer

    def cached_apart(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """Like :meth:`cached`, but ``compute()`` runs without the gateway's lock, so other
        calls go on meanwhile: for work done in another process (it must use none of this
        process's connections to the workspace).  The key must name what the result
        depends on, so that a result computed while the workspace changed is never found
        under the new state (two calls may compute one key at once; the later is kept)."""
        with self._lock:
            self._forget_if_changed()
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._cache[key] = value
        return value

    def check_import(self, folder: Path, *, replace: Collection[str] = ()) -> ImportCheck:
        """What importing a folder would report, storing nothing, checked in a child
        process (:mod:`.importer`): not cached, see :meth:`cached_apart`."""
        return check_in_child(self.shop, folder, replace=replace)

    def import_folder(self, folder: Path, *, replace: Collection[str] = ()) -> ImportReport:
        """Store a folder in the workspace, all or nothing, then forget the cache.

        The import runs in a child process (:mod:`.importer`) and the gateway's lock is not
        held meanwhile: pages are answered while the folder is read and checked, and wait
        for the workspace's file only while the rows are stored, as during ``cskpi
        import``.  The cache is forgotten afterwards even when the file's signature would
        tell: a page computed while the rows were stored may have kept the new signature
        with the old figures.
        """
        try:
            return import_in_child(self.shop, folder, replace=replace)
        finally:
            self.forget()

    def forget(self) -> None:
        """Forget every cached result from the next call on, without waiting for a call in
        progress (whose result is forgotten too)."""
        self._generation = next(self._bumps)

    def clear(self) -> None:
        """Forget every cached result (once a call in progress has ended), old ones too."""
        with self._lock:
            self._cache, self._computes = {}, {}
            self._old.drop()
            self._seen = None

    # --- reads ---------------------------------------------------------------------------

    def latest_period(self) -> str:
        """The month of the latest data (``YYYY-MM``)."""
        first, _ = self._cached(("latest",), lambda: self.shop.latest_month())
        return first.strftime("%Y-%m")

    def roster(self) -> list[dict[str, Any]]:
        """The workspace's agents (none while there is no workspace yet: a fresh install's
        admin still manages users)."""

        def read() -> list[dict[str, Any]]:
            try:
                return self.shop.roster()
            except WorkspaceError as exc:
                if exc.code == "workspace_missing":
                    return []
                raise

        return self._cached(("roster",), read)

    def has_data(self, period: str | Period) -> bool:
        """Whether a month (or a week, or days) has any sessions, sales or online time (a
        month without them has no figures to score: 0 of everything would look like a
        real, bad month)."""
        try:
            shop = self.metrics(period, "shop")
        except WorkspaceError as exc:
            if exc.code == "workspace_missing":
                return False
            raise
        return any(row.get(k) for row in shop for k in ("sessions", "sales", "online_hours"))

    def timezone(self) -> str:
        """The shop's time zone (the workspace's; the default one before the first import).

        Asked for while a request's parameters are read, so it never waits for the
        workspace: while another call holds it, the zone last read is the answer."""
        if not self._lock.acquire(blocking=False):
            return self._timezone or DEFAULT_TZ
        try:
            self._timezone = self._cached(("timezone",), lambda: self.shop.timezone(),
                                          again=False)  # the lock is held: never wait
        except CskpiError:  # a damaged workspace: its pages say so; months use the default
            return self._timezone or DEFAULT_TZ
        finally:
            self._lock.release()
        return self._timezone

    def imported(self, period: str) -> dict[str, list[dict[str, Any]]]:
        """The month's grades, events and complaints that came with the data (none before
        the first import)."""
        def read() -> dict[str, list[dict[str, Any]]]:
            try:
                return self.shop.imported_entries(valid_period(period))
            except WorkspaceError as exc:
                if exc.code == "workspace_missing":
                    return {"grades": [], "events": [], "complaints": []}
                raise

        return self._cached(("imported", period), read)

    def agent(self, agent_id: str) -> dict[str, Any] | None:
        return next((a for a in self.roster() if a["agent_id"] == agent_id), None)

    def metrics(self, period: str | Period, by: str = "agent") -> list[dict[str, Any]]:
        """The metric catalog for a month ``YYYY-MM`` (or a week, or days: a
        :class:`Period`), one row per agent, team or the shop."""
        if by not in ("agent", "team", "shop"):
            raise UsageError(f"unknown grouping '{by}'", hint="use agent, team or shop")
        days = period if isinstance(period, Period) else Period.month(valid_period(period))
        query = MetricQuery(days.first, days.last, by=by,
                            profile=resolve_profile(self.profile))
        # keyed by the period's key: a month's is the month, a week's and days' their own
        return self._cached(("metrics", days.key, by),
                            lambda: self.shop.metrics(query).rows)

    # --- schemes -------------------------------------------------------------------------

    def in_force(self, scheme: str) -> SchemeInForce:
        """The version of ``scheme`` that scores now: the newest saved, else the shipped."""
        versions = self.scheme_versions
        stored = (remembered(("scheme-version", scheme), lambda: versions(scheme))
                  if versions is not None and SCHEME_NAME.match(scheme) else None)
        if stored is None:
            return SchemeInForce(scheme, scheme, None)
        version, text = stored
        return SchemeInForce(scheme, SchemeText(text, source=f"{scheme} v{version}"), version)

    def _entered(self, period: str, *, qa: bool = True
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any, str]:
        """Grades, events and QA decisions entered in the app for the month, and a cache
        key of them; ``qa=False``: no QA decisions (a scheme without ``qa:`` scores none,
        so they are not read)."""
        entries = self.entries
        grades, events = (remembered(("entries", period), lambda: entries(period))
                          if entries else ([], []))
        qa_decisions, qa_key = self.qa_decisions(period) if qa else (None, "")
        # what was entered is part of the key: a new grade gives a new score
        return grades, events, qa_decisions, repr((sorted(map(repr, grades)),
                                                   sorted(map(repr, events)), qa_key))

    def qa_decisions(self, period: str) -> tuple[Any, str]:
        """The month's QA decisions (:class:`cskpi.qa.engine.Decisions`, None when there
        are none) and a cache key of them."""
        decisions = self.qa_entries
        qa = (remembered(("qa-decisions", period), lambda: decisions(period))
              if decisions else None)
        if qa is None or not (qa.dismissed or qa.rubric):
            return None, ""
        return qa, repr((sorted(qa.dismissed), sorted((k, str(v)) for k, v in qa.rubric.items())))

    def _scored_ref(self, ref: str | SchemeText, period: str) -> Scored:
        grades, events, qa, entered = self._entered(valid_period(period),
                                                    qa=bool(self._loaded_ref(ref).qa))
        return self._cached(("score", ref, period, entered),
                            lambda: self.shop.score(ref, period, grades=grades,
                                                    events=events, qa_decisions=qa))

    def scored(self, scheme: str, period: str) -> Scored:
        """Every agent's score under the version in force of ``scheme`` for a month."""
        return self._scored_ref(self.in_force(scheme).ref, period)

    def scored_text(self, name: str, text: str, period: str) -> Scored:
        """Every agent's score under a scheme text that is not saved (a preview), cached by
        the text's digest, so previewing the same text again costs nothing."""
        grades, events, qa, entered = self._entered(valid_period(period))
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self._cached(("score-text", digest, period, entered),
                            lambda: self.shop.score(SchemeText(text, source=name), period,
                                                    grades=grades, events=events,
                                                    qa_decisions=qa))

    def scheme_for(self, agent: Mapping[str, Any]) -> str | None:
        """The scheme configured for the agent's role (None when there is none)."""
        return self.schemes_by_role.get(str(agent.get("role")))

    def agent_card(self, agent: Mapping[str, Any], period: str,
                   scheme: str | None = None) -> AgentCard | None:
        """One agent's scorecard; None when no scheme is chosen or configured."""
        scheme = scheme or self.scheme_for(agent)
        if scheme is None:
            return None
        scored = self.scored(scheme, period)
        problems = [vars(p) for p in scored.result.problems if p.agent_id == agent["agent_id"]]
        return AgentCard(agent, scheme, scored.card_of(str(agent["agent_id"])), problems)

    def snapshot(self, scheme: str, period: str) -> dict[str, Any]:
        """Scores and pay of every agent, as JSON, for locking a period (with the version
        of the scheme they were scored with: None for the shipped one)."""
        force = self.in_force(scheme)
        return score_snapshot(self._scored_ref(force.ref, period).result, scheme, period,
                              force.version)

    def loaded(self, scheme: str) -> Scheme:
        """The version in force of a scheme, loaded."""
        return self._loaded_ref(self.in_force(scheme).ref)

    def _loaded_ref(self, ref: str | SchemeText) -> Scheme:
        from ...scoring.run import load

        return self._cached(("loaded", ref), lambda: load(ref))

    def schemes_covering(self, agent: Mapping[str, Any]) -> list[Scheme]:
        """The schemes in force (those configured for the roles) that score the agent: the
        ones whose ``applies_to`` covers them, as scoring decides."""
        names = dict.fromkeys(self.schemes_by_role.values())
        return [s for s in map(self.loaded, names) if s.applies_to.matches(agent)]

    def grade_items(self, scheme: str) -> list[tuple[str, str]]:
        """(key, label) of the items of a scheme that managers grade."""
        from ...scheme import GradeItem

        return [(i.key, i.label) for i in self.loaded(scheme).items
                if isinstance(i, GradeItem)]

    def event_rules(self) -> list[tuple[str, list[EventRule]]]:
        """Per scheme in force, the event kinds it counts and how (what the event form
        offers)."""
        from ...scoring.entries import event_rules

        names = dict.fromkeys(self.schemes_by_role.values())
        return [(name, event_rules(self.loaded(name))) for name in names]

    # --- chat QA (质检) -------------------------------------------------------------------

    def qa_default(self) -> str:
        """The QA rules a month is reviewed with when no one chose: :attr:`qa_rules` when
        set, else the ``qa:`` of the first scheme in force that names one (in the order of
        the roles' schemes), else the preset ``taobao-basic``."""
        if self.qa_rules:
            return self.qa_rules
        for name in dict.fromkeys(self.schemes_by_role.values()):
            qa = self.loaded(name).qa
            if qa:
                return qa
        return "taobao-basic"

    def qa_in_force(self, period: str) -> QaRulesInForce:
        """The QA rules of a month: those a manager chose for it (:attr:`qa_choice`; a
        version saved in the app is handed to the core as its file), else the default
        (:meth:`qa_default`)."""
        chosen = self.qa_choice(valid_period(period)) if self.qa_choice is not None else None
        if chosen is None:
            ref = self.qa_default()
            return QaRulesInForce(ref, ref, None, chosen=False)
        name, version, text = chosen
        if version is None or text is None:
            return QaRulesInForce(name, name, None, chosen=True)
        return QaRulesInForce(name, RulesText(text, source=f"{name} v{version}"), version,
                              chosen=True)

    def qa_ref(self, period: str) -> str | RulesText:
        """What the core is given for the QA rules of a month (:meth:`qa_in_force`)."""
        return self.qa_in_force(period).ref

    def qa_loaded(self, period: str) -> Any:
        """The QA rules of a month, loaded (:class:`cskpi.qa.models.QaRules`)."""
        from ...qa import load

        ref = self.qa_ref(period)
        return self._cached(("qa-rules", ref), lambda: load(ref))

    def qa_check(self, period: str, *, decided: bool = True
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(hits, sessions) of the month's QA check with its rules; ``decided``: with the
        reviewers' decisions (else as the rules alone find them: what the review queue is
        drawn from, so deciding a hit does not change the queue)."""
        first, last = month_range(valid_period(period))
        ref = self.qa_ref(period)
        qa, key = self.qa_decisions(period) if decided else (None, "")
        return self._cached(("qa", ref, period, key),
                            lambda: self.shop.qa_check(ref, first, last, decisions=qa))

    def transcript(self, session_id: str) -> dict[str, Any] | None:
        """One session and its messages (None when there is no such session)."""
        return self._cached(("transcript", session_id),
                            lambda: self.shop.transcript(session_id))
