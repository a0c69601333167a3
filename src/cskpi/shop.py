"""The one core object the CLI, the web app and the reports drive: a shop's data.

A :class:`Shop` is a workspace file (``Shop("shop.duckdb")``) or a data folder checked
and loaded in memory as an import checks it (``Shop(data="exports/2026-10")``), with the
settings its data is read by (time zone, encoding, how sessions are cut).  Every answer
the faces show comes from one of its methods: metrics, scores, explanations, lost
inquiries, QA hits, the heatmap, imports and their checks.

The shop owns its connection.  Outside a ``with shop:`` block each call opens the
workspace and closes it again (what a web page does: other processes may use the file
between two pages).  Inside one, the first call opens a connection the later calls
share until the block ends: a report scoring a month and computing its figures opens
the workspace once, and a data folder is checked and loaded once, not once per figure.

Schemes are given as a preset name, a file path, a
:class:`~cskpi.scoring.run.SchemeText` (a text, nothing written) or a loaded
:class:`~cskpi.scheme.Scheme`; QA rules likewise (:data:`cskpi.qa.loader.RulesRef`).
Nothing here writes SQL: what reads a table is in :mod:`cskpi.store` and the engines.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .data.sessions import SessionRules
from .data.validate import StageResult, StoredTables, stage_folder
from .errors import Issue, UsageError
from .months import month_end, month_range
from .store.files import damage_checked
from .store.scratch import scratch, set_timezone
from .store.workspace import (
    STORED_CATALOG,
    ImportReport,
    Workspace,
    attach_current,
    attached_stored,
    check_timezone,
    load_folder,
    stored_state,
    stored_timezone,
)

if TYPE_CHECKING:
    from .lost import LostInquiry, LostQuery, Taxonomy
    from .metrics.compute import MetricQuery, MetricResult
    from .metrics.explain import Explanation
    from .metrics.feedback import Feedback, FeedbackQuery
    from .metrics.heatmap import Heatmap, HeatmapQuery
    from .scoring.run import SchemeRef, Scored
    from .scoring.whatif import Drivers

T = TypeVar("T")

DEFAULT_TZ = "Asia/Shanghai"
"""The time zone of a shop whose workspace does not say otherwise (and of a folder)."""

SUMMARY_COLUMNS = ("agent", "name", "role", "sessions", "customers", "first_response_s",
                   "reply_3min_rate", "satisfaction", "conversion_rate", "sales", "late")
"""The columns of :meth:`Shop.monthly_summary` (what ``cskpi demo`` prints)."""


@dataclass(frozen=True)
class TableCheck:
    """One table file of a checked folder: its rows, and what an import would do with it."""

    table: str
    file: str
    rows_in_file: int
    sha256: str
    duplicates: int  # identical rows that would be dropped (in the file or already stored)
    already_imported: bool  # the same file was imported before; an import skips it


@dataclass(frozen=True)
class ImportCheck:
    """Every issue an import of a folder into a workspace would raise, found storing nothing."""

    issues: list[Issue]
    tables: list[TableCheck]

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.is_error)

    @property
    def ok(self) -> bool:
        return self.errors == 0


@dataclass
class _Opened:
    """An open connection and what the engines read through it."""

    backend: Any
    inputs: Any
    con: Any  # the read-write connection (the caches may be written), else None
    rules: SessionRules | None  # a folder's: how its sessions were cut


def _require_folder(folder: Path | str) -> None:
    if not Path(folder).is_dir():
        raise UsageError(code="not_a_folder", params={"folder": str(folder)})


class Shop:
    """A shop's data (a workspace, or a data folder) and everything computed from it."""

    def __init__(self, workspace: Path | str | None = None, *, data: Path | str | None = None,
                 timezone: str | None = None, encoding: str | None = None,
                 sessions: SessionRules | None = None) -> None:
        """``timezone``: the time zone a folder's local times are read in (a new
        workspace's; an existing one keeps its own).  ``encoding`` forces the text files'
        encoding; ``sessions`` cuts messages without session ids (the profile's rules
        when None)."""
        if workspace is not None and data is not None:
            raise UsageError(code="workspace_or_data")
        self.workspace = None if workspace is None else Path(workspace)
        self.data = None if data is None else Path(data)
        self.timezone_setting = None if timezone is None else check_timezone(timezone)
        self.encoding = encoding
        self.sessions = sessions
        self._local = threading.local()  # a held connection is its thread's own

    # --- the connection ------------------------------------------------------------------

    def __enter__(self) -> Shop:
        self._local.depth = self._depth + 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._local.depth = self._depth - 1
        if self._depth == 0:
            self.close()

    @property
    def _depth(self) -> int:
        """How many ``with`` blocks of this thread hold the shop open."""
        return getattr(self._local, "depth", 0)

    def close(self) -> None:
        """Close the connection this thread's ``with`` block holds (nothing else is
        kept open)."""
        stack = getattr(self._local, "stack", None)
        self._local.stack, self._local.held = None, None
        if stack is not None:
            stack.close()

    def _store(self) -> Workspace:
        if self.workspace is None:
            raise UsageError(code="workspace_or_data")
        return Workspace(self.workspace)

    def _with_inputs(self, fn: Callable[[Any, Any, Any], T], *, writable: bool = False,
                     profile: Any = None, chat_text: bool = True) -> T:
        """Run ``fn(backend, inputs, con)`` on the shop's data.

        ``con`` is the read-write connection when ``writable`` was asked for and could
        be had (to keep the workspace's caches up to date), else None.  ``profile``: the
        settings a folder's sessions are cut by (a workspace's were cut when it was
        imported).  ``chat_text=False``: ``fn`` reads no message text, so a folder's is
        kept as a digest only.
        """
        if self.workspace is None and self.data is None:
            raise UsageError(code="workspace_or_data")
        rules = self._rules(profile)
        if self._depth == 0:
            with ExitStack() as stack:  # the connection sees the errors raised while used
                opened = self._open(stack, writable, rules, chat_text)
                return fn(opened.backend, opened.inputs, opened.con)
        held: _Opened | None = getattr(self._local, "held", None)
        if held is not None and held.rules != rules:
            self.close()  # the folder is read again: its sessions are cut otherwise
            held = None
        if held is None:  # a held folder keeps its messages' text: a later call may read it
            stack = self._local.stack = ExitStack()
            held = self._local.held = self._open(stack, True, rules, True)
        return fn(held.backend, held.inputs, held.con if writable else None)

    def _rules(self, profile: Any) -> SessionRules | None:
        if self.data is None:
            return None
        if self.sessions is not None:
            return self.sessions
        # without a profile, the folder's sessions are cut by the default rules
        return SessionRules() if profile is None else SessionRules.of_profile(profile)

    def _open(self, stack: ExitStack, writable: bool, rules: SessionRules | None,
              chat_text: bool) -> _Opened:
        from .metrics.compiled import SqlStore
        from .metrics.ibis_adapter import duckdb_backend
        from .metrics.inputs import duckdb_inputs

        if self.data is not None:
            _require_folder(self.data)
            tz = self.timezone_setting or DEFAULT_TZ
            con, tmp = stack.enter_context(scratch("data", tz))
            load_folder(con, self.data, tz, tmp, encoding=self.encoding, sessions=rules,
                        chat_text=chat_text)
            backend = duckdb_backend(con)
            inputs = duckdb_inputs(backend, con, tz, None)
            stack.callback(inputs.release)
            # no cache on a folder: it would be thrown away
            return _Opened(backend, inputs, None, rules)
        con, writable = self._connect(stack, writable)
        backend = duckdb_backend(con)
        tz = stored_timezone(con) or DEFAULT_TZ
        written = con if writable else None
        # a writable workspace keeps the compiled queries for the next command
        inputs = duckdb_inputs(backend, con, tz, SqlStore(con) if written else None,
                               writable=written is not None)
        stack.callback(inputs.release)
        return _Opened(backend, inputs, written, None)

    def _connect(self, stack: ExitStack, writable: bool) -> tuple[Any, bool]:
        """A read-write connection when asked and to be had at once (when others read
        the workspace, reading with them beats waiting to write), else a read-only one,
        which waits for a process that writes the file (``lock_wait``); and whether it
        may write."""
        from .errors import WorkspaceError
        from .store.files import LockWait, waiting

        ws = self._store()
        if writable and ws.writable:
            try:
                with waiting(LockWait(0)):
                    return stack.enter_context(ws.connect(read_only=False)), True
            except WorkspaceError:
                pass
        return stack.enter_context(ws.connect(read_only=True)), False

    # --- checking and importing folders --------------------------------------------------

    def validate(self, progress: Callable[[str], None] | None = None) -> list[Issue]:
        """Every problem of the shop's data folder, storing nothing."""
        if self.data is None:
            raise UsageError(code="workspace_or_data")
        _require_folder(self.data)
        tz = self.timezone_setting or DEFAULT_TZ
        with scratch("validate") as (con, tmp):
            result: StageResult = stage_folder(con, self.data, tz, tmp, progress=progress,
                                               encoding=self.encoding, sessions=self.sessions)
            return result.issues

    def import_folder(self, folder: Path | str, *, replace: Collection[str] = (),
                      progress: Callable[[str], None] | None = None) -> ImportReport:
        """Validate and store a data folder in the workspace, all or nothing.

        ``replace`` names tables whose stored rows the folder's file replaces (e.g. an
        updated agents roster) instead of being merged with them.
        """
        _require_folder(folder)
        self.close()  # the import writes the file: a held connection would be stale
        ws = Workspace(self._store().path, timezone=self.timezone_setting)
        return ws.import_folder(folder, replace=replace, progress=progress,
                                encoding=self.encoding, sessions=self.sessions)

    def check_import(self, folder: Path | str, *,
                     replace: Collection[str] = ()) -> ImportCheck:
        """What :meth:`import_folder` would report for ``folder``, writing nothing.

        Unlike :meth:`validate`, the folder is checked together with what the workspace
        already holds, as the import will check it: agents known from earlier imports,
        files imported before (skipped), rows stored with other content (refused).  With
        no workspace yet the two agree.  The workspace is attached read-only, so a check
        never changes its data (an older one is upgraded to the current format first, as
        by every command); the caller serialises it with other users of the file.
        """
        _require_folder(folder)
        ws = self._store()
        ws.remove_stale_temp()
        with scratch("check") as (con, tmp):
            stored, tz = StoredTables(con, set()), None
            attached = ws.exists
            if attached:
                attach_current(con, ws.path, STORED_CATALOG)  # an older one upgraded first
            with damage_checked(ws.path):
                if attached:
                    stored = attached_stored(con, Path(folder), replace)
                    tz = stored_state(con, STORED_CATALOG).timezone
                tz = tz or self.timezone_setting or DEFAULT_TZ
                set_timezone(con, tz)
                result = stage_folder(con, Path(folder), tz, tmp, stored,
                                      encoding=self.encoding, sessions=self.sessions)
        tables = [TableCheck(s.name, s.file, s.rows, s.sha256, s.duplicates,
                             s.already_imported) for s in result.staged.values()]
        return ImportCheck(result.issues, tables)

    def import_history(self) -> list[dict[str, Any]]:
        """The imports of the workspace, newest first (none when there is none yet).

        Each: ``import_id``, ``started_at``, ``finished_at`` (aware datetimes),
        ``warnings`` (kept with the data) and ``files``: table, file, sha256,
        rows_in_file, rows_added, duplicates.  A file skipped as imported before leaves
        no line in the log.
        """
        from collections import Counter

        ws = self._store()
        if not ws.exists:
            return []
        warnings = Counter(str(issue["import_id"]) for issue in ws.import_issues())
        by_id: dict[int, dict[str, Any]] = {}
        for row in ws.import_log():
            import_id = int(str(row["import_id"]))
            entry = by_id.setdefault(import_id, {
                "import_id": import_id, "started_at": row["started_at"],
                "finished_at": row["finished_at"], "warnings": warnings[str(import_id)],
                "files": []})
            entry["finished_at"] = max(entry["finished_at"], row["finished_at"])
            entry["files"].append({"table": row["table_name"], "file": row["file"],
                                   "sha256": row["sha256"], "rows_in_file": row["rows_in_file"],
                                   "rows_added": row["rows_added"],
                                   "duplicates": row["duplicates"]})
        return [by_id[k] for k in sorted(by_id, reverse=True)]

    def import_log(self) -> list[dict[str, object]]:
        """Every file of every import of the workspace, oldest first (one row each)."""
        return self._store().import_log()

    def import_issues(self) -> list[dict[str, object]]:
        """The warnings kept with the workspace's imports, oldest first."""
        return self._store().import_issues()

    def export_parquet(self, out: Path | str) -> list[str]:
        """Write the workspace's tables to ``out/TABLE.parquet`` with ``cskpi.json`` (its
        time zone and contract version), for a data lake or a Spark cluster; returns the
        tables."""
        from .metrics import inputs
        from .metrics.spark import write_meta

        out = Path(out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise UsageError(code="export_not_empty", params={"folder": str(out)})
        with self._store().connect(read_only=True) as con:
            tz = stored_timezone(con) or DEFAULT_TZ
            tables = inputs.export_parquet(con, out)
        write_meta(out, tz, tables)
        return tables

    # --- what the workspace holds --------------------------------------------------------

    def timezone(self) -> str:
        """The shop's time zone: the one its workspace was imported in (the setting, or
        the default one, while there is no workspace yet, and for a folder)."""
        from .errors import WorkspaceError

        if self.workspace is None:
            return self.timezone_setting or DEFAULT_TZ
        try:
            with Workspace(self.workspace).connect(read_only=True) as con:
                return stored_timezone(con) or DEFAULT_TZ
        except WorkspaceError as exc:
            if exc.code == "workspace_missing":
                return self.timezone_setting or DEFAULT_TZ
            raise

    def roster(self) -> list[dict[str, object]]:
        """The agents of the workspace (agent_id, name, role, team, level, active)."""
        return self._store().roster()

    def latest_month(self) -> tuple[dt.date, dt.date]:
        """The calendar month of the latest session (or order, platform figure,
        attendance day) in the workspace."""
        latest = self._store().latest_day()
        if latest is None:
            raise UsageError(code="workspace_no_data")
        return latest.replace(day=1), month_end(latest)

    def transcript(self, session_id: str) -> dict[str, Any] | None:
        """One session (customer, agent, kind, start) and its messages in time order,
        local times; None when there is no such session."""
        from .metrics.ibis_adapter import fetch

        def read(backend: Any, inputs: Any, _con: Any) -> dict[str, Any] | None:
            if not inputs.has("sessions"):
                return None
            s = inputs.get("sessions")
            found = fetch(backend, s.filter(s.session_id == session_id).select(
                "session_id", "customer_id", "agent_id", "kind", start=s.start_ts_local))
            if not found:
                return None
            messages: list[dict[str, Any]] = []
            if inputs.has("messages"):
                m = inputs.get("messages")
                messages = fetch(backend, m.filter(m.session_id == session_id).select(
                    "sender", "agent_id", "text", ts=m.ts_local).order_by(["ts", "sender"]))
            return {**found[0], "messages": messages}

        return self._with_inputs(read)

    def imported_entries(self, period: str) -> dict[str, list[dict[str, Any]]]:
        """The grades, events and complaints of a month that came with the data, as
        scoring reads them (see :func:`cskpi.scoring.run.imported_entries`)."""
        from .scoring.run import imported_entries as read

        return self._with_inputs(lambda backend, inputs, _con: read(backend, inputs, period))

    # --- metrics -------------------------------------------------------------------------

    def metrics(self, query: MetricQuery, *, use_cache: bool = True) -> MetricResult:
        """The metric catalog of a period (``use_cache=False``: the workspace's caches
        are neither read nor written)."""
        from .metrics.cache import cached
        from .metrics.compute import compute

        def run_query(backend: Any, inputs: Any, con: Any) -> MetricResult:
            if con is not None and inputs.has("sessions"):
                c = cached(backend, con, inputs, query.profile)
                result = compute(backend, inputs, query, facts=c.facts, rollups=c.rollups)
                result.cache = c.report
                return result
            return compute(backend, inputs, query)

        # the catalog reads no chat text, only QA does
        return self._with_inputs(run_query, writable=use_cache, profile=query.profile,
                                 chat_text=query.qa is not None)

    def metrics_on_spark(self, query: MetricQuery, master: str | None = None) -> MetricResult:
        """The metric catalog on PySpark, the shop's data exported to Parquet first
        (a folder checked and typed as an import does it)."""
        import shutil
        import tempfile

        from .metrics.spark import compute_on_parquet

        tmp = Path(tempfile.mkdtemp(prefix="cskpi-spark-"))
        try:
            shop = self
            if self.data is not None:
                shop = Shop(tmp / "ws.duckdb", timezone=self.timezone_setting,
                            encoding=self.encoding, sessions=self.sessions)
                shop.import_folder(self.data)
            shop.export_parquet(tmp / "parquet")
            return compute_on_parquet(query, tmp / "parquet", master)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def monthly_summary(self, period: str, profile: str = "generic") -> list[dict[str, object]]:
        """The per-agent summary the demo prints: a few headline metrics of one month."""
        from .metrics.compute import MetricQuery
        from .metrics.profiles import resolve

        first, last = month_range(period)
        result = self.metrics(MetricQuery(first, last, profile=resolve(profile)))
        return [{"agent": r["agent_id"], **{k: r.get(k) for k in SUMMARY_COLUMNS[1:]}}
                for r in result.rows]

    def explain(self, query: MetricQuery, agent_id: str, metric: str) -> Explanation:
        """The rows behind one agent's figure for a period."""
        from .metrics.explain import explain

        def run_explain(backend: Any, inputs: Any, con: Any) -> Explanation:
            if con is not None and inputs.has("sessions"):
                # the sessions' human starts from the facts the workspace keeps, as the
                # figure was computed from them, not from the chat log again (1 s a
                # drill-down at ten million messages)
                inputs.memo["facts"] = self._session_facts(backend, inputs, con,
                                                           query.profile)
            return explain(backend, inputs, query, agent_id, metric)

        return self._with_inputs(run_explain, writable=True, profile=query.profile)

    def _session_facts(self, backend: Any, inputs: Any, con: Any, profile: Any) -> Any:
        """The session facts of a computation: the workspace's cache when it may be
        written, else computed from the chat log (as the catalog does)."""
        from .metrics import engine as E
        from .metrics.cache import cached

        if con is not None:
            return cached(backend, con, inputs, profile).facts
        return inputs.shared(f"facts:{profile.cache_key()}",
                             lambda: E.session_facts(inputs, profile))

    def heatmap(self, query: HeatmapQuery) -> Heatmap:
        """Sessions and the 3-minute reply rate of a period by day of the week and local
        hour (:mod:`cskpi.metrics.heatmap`): the catalog's figures, cut by the hour they
        count at."""
        from .metrics import heatmap as H
        from .metrics.families.common import agents_table
        from .metrics.ibis_adapter import fetch

        def run_heatmap(backend: Any, inputs: Any, con: Any) -> H.Heatmap:
            if not inputs.has("sessions") or (query.team is not None
                                              and not inputs.has("agents")):
                return H.empty()
            facts = self._session_facts(backend, inputs, con, query.profile)
            agents = agents_table(inputs) if inputs.has("agents") else None
            table = H.heatmap_table(facts, agents, query)
            return H.of_rows(fetch(backend, table, inputs.sql_store))

        return self._with_inputs(run_heatmap, writable=True, profile=query.profile,
                                 chat_text=False)

    def feedback(self, query: FeedbackQuery) -> Feedback:
        """The period's bad and neutral product reviews and its service ratings of 1-3,
        each with the agent held responsible as the catalog holds them
        (:mod:`cskpi.metrics.feedback`)."""
        from .metrics import feedback as F
        from .metrics.families.common import agents_table
        from .metrics.ibis_adapter import fetch

        def run_feedback(backend: Any, inputs: Any, con: Any) -> F.Feedback:
            has_reviews, has_ratings = inputs.has("reviews"), inputs.has("ratings")
            if not inputs.has("agents"):
                return F.Feedback(has_reviews=has_reviews, has_ratings=has_ratings)
            agents = agents_table(inputs)
            ratings: list[dict[str, Any]] = []
            if inputs.has("sessions"):
                # the facts first: with a workspace they also bring the orders' credit
                facts = self._session_facts(backend, inputs, con, query.profile)
                if has_ratings:
                    ratings = fetch(backend, F.rating_table(inputs, facts, agents, query),
                                    inputs.sql_store)
            reviews = fetch(backend, F.review_table(inputs, agents, query),
                            inputs.sql_store) if has_reviews else []
            return F.Feedback(reviews, ratings, has_reviews, has_ratings)

        return self._with_inputs(run_feedback, writable=True, profile=query.profile)

    # --- lost inquiries ------------------------------------------------------------------

    def _matcher(self, taxonomy: Taxonomy, inputs: Any) -> Any:
        """The taxonomy's keyword matcher, its Chinese dictionary loading in the
        background while the database works (there are texts only with a chat log)."""
        from .lost import KeywordMatcher

        matcher = KeywordMatcher(taxonomy)
        if inputs.has("messages"):
            matcher.warm_up()
        return matcher

    def lost_inquiries(self, query: LostQuery, *, taxonomy: Path | str | None = None,
                       relabels: Mapping[str, str] | None = None,
                       by: str = "agent") -> tuple[list[LostInquiry], Taxonomy]:
        """The lost customers of a period, each with its reason (``by`` team or shop:
        the customers lost to each team, or to the shop), and the taxonomy that named them.

        ``taxonomy``: a YAML file (the shipped default when None); ``relabels``: session
        id of a lost inquiry -> the reason a manager gave it.
        """
        from .lost import lost_inquiries as classify
        from .lost import read_taxonomy
        from .lost.classify import check_inputs

        tax = read_taxonomy(taxonomy)

        def run_lost(backend: Any, inputs: Any, con: Any) -> list[LostInquiry]:
            check_inputs(inputs)
            matcher = self._matcher(tax, inputs)
            facts = self._session_facts(backend, inputs, con, query.profile)
            return classify(backend, inputs, query, facts, tax, relabels, by, matcher)

        return self._with_inputs(run_lost, writable=True, profile=query.profile), tax

    def lost_summary(self, query: LostQuery, *, taxonomy: Path | str | None = None,
                     relabels: Mapping[str, str] | None = None, by: str = "agent",
                     lang: str = "en") -> list[dict[str, Any]]:
        """Per agent, team or shop and reason: the lost customers and their share
        (counted by the database; the same counts :meth:`lost_inquiries` gives one by one)."""
        from .lost import read_taxonomy
        from .lost.classify import check_inputs, lost_counts, summary_of

        tax = read_taxonomy(taxonomy)

        def run_summary(backend: Any, inputs: Any, con: Any) -> list[dict[str, Any]]:
            check_inputs(inputs)
            matcher = self._matcher(tax, inputs)
            facts = self._session_facts(backend, inputs, con, query.profile)
            return lost_counts(backend, inputs, query, facts, tax, relabels, by, matcher)

        counts = self._with_inputs(run_summary, writable=True, profile=query.profile)
        return summary_of(counts, tax, by, lang)

    def conversion_curve(self, query: LostQuery, by: str,
                         edges: Sequence[float]) -> list[dict[str, Any]]:
        """Inquiries, paying ones and conversion (with its Wilson 95 % interval) per
        bucket of their last inquiry's duration, rounds or first response."""
        from .lost.classify import check_inputs
        from .lost.curve import bucket_counts, curve_rows
        from .lost.inquiries import inquiries
        from .metrics.ibis_adapter import fetch

        def run_curve(backend: Any, inputs: Any, con: Any) -> list[dict[str, Any]]:
            check_inputs(inputs)
            facts = self._session_facts(backend, inputs, con, query.profile)
            pairs = inquiries(inputs, query.profile, query.buckets, facts, query.agent,
                              duration=by == "duration")
            counts = fetch(backend, bucket_counts(pairs, by, edges), inputs.sql_store)
            return curve_rows(counts, by, edges)

        return self._with_inputs(run_curve, writable=True, profile=query.profile)

    # --- QA ------------------------------------------------------------------------------

    def qa_check(self, rules_ref: Any, first: dt.date, last: dt.date, *,
                 agent_id: str | None = None, decisions: Any = None, sessions: bool = True
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every QA hit and every checked session's score of a period: (hits, sessions),
        each a list of dicts (:data:`cskpi.qa.engine.HIT_COLUMNS`, ``SESSION_COLUMNS``;
        ``rules_ref``: :data:`cskpi.qa.loader.RulesRef`); ``sessions=False``: the hits
        only (the sessions' list is empty)."""
        from .qa import load
        from .qa.engine import HIT_COLUMNS, SESSION_COLUMNS, check, rows

        rules = load(rules_ref)

        def run_check(backend: Any, inputs: Any, con: Any) -> tuple[list, list]:
            if con is not None and inputs.has("sessions"):
                from .metrics.cache import cached
                from .metrics.profiles import resolve

                # the sessions' human starts come from the facts the metrics keep (any
                # profile's: they do not depend on it), not from the chat log again
                c = cached(backend, con, inputs, resolve("generic"))
                inputs.memo["facts"] = c.facts
            result = check(backend, inputs, rules, first, last, agent_id=agent_id,
                           decisions=decisions)
            return (rows(backend, result.hits, (*HIT_COLUMNS, "kind", "kept", "counted")),
                    rows(backend, result.sessions, SESSION_COLUMNS) if sessions else [])

        return self._with_inputs(run_check, writable=True)

    # --- scores --------------------------------------------------------------------------

    def score(self, scheme: SchemeRef, period: str, *,
              grades: Sequence[Mapping[str, Any]] = (),
              events: Sequence[Mapping[str, Any]] = (), qa_decisions: Any = None) -> Scored:
        """Score every agent a scheme applies to for one month, with explanations and pay.

        ``grades`` and ``events`` entered elsewhere (the web app) join the data's: a
        grade given for the same agent, month and item replaces the imported one.
        """
        from .metrics.cache import cached
        from .metrics.profiles import resolve
        from .scoring.run import load, score

        profile = resolve(load(scheme).profile or "generic")

        def run_score(backend: Any, inputs: Any, con: Any) -> Scored:
            cache = None
            if con is not None and inputs.has("sessions"):
                cache = cached(backend, con, inputs, profile)
            return score(backend, inputs, scheme, period, cache, extra_grades=grades,
                         extra_events=events, qa_decisions=qa_decisions)

        return self._with_inputs(run_score, writable=True, profile=profile)

    def scheme_whatif(self, current: SchemeRef, edited: SchemeRef,
                      period: str) -> tuple[Scored, Scored, list]:
        """Score one period under the current and the edited scheme (who gains, who
        loses)."""
        from .scoring.compare import compare
        from .scoring.run import score

        def run(backend: Any, inputs: Any, _con: Any) -> tuple:
            old = score(backend, inputs, current, period)
            new = score(backend, inputs, edited, period)
            return old, new, compare(old.result, new.result)

        return self._with_inputs(run)

    def whatif_baseline(self, first: dt.date, last: dt.date, profile: Any = None) -> Drivers:
        """Sales drivers of a period: pre-sale agents, the shop's inquiring customers and
        conversion, its sales over its buyers (see :mod:`cskpi.scoring.whatif`); their
        sales are the period's credited sales under ``profile`` (the default when None)."""
        from .metrics.compute import MetricQuery
        from .scoring.whatif import period_baseline

        extra = {} if profile is None else {"profile": profile}
        with self:  # both queries on one connection
            agents = self.metrics(MetricQuery(first, last, by="agent", **extra)).rows
            shop = self.metrics(MetricQuery(first, last, by="shop", **extra)).rows
        return period_baseline(shop, agents, first, last)
