"""The facade the CLI and the web app both drive: validate, import, demo."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from .data.sessions import SessionRules
from .data.sql import lit, run
from .data.validate import StageResult, StoredTables, stage_folder
from .errors import Issue, UsageError
from .months import month_end, month_range
from .store.files import NO_EXTENSIONS, damage_checked
from .store.workspace import (
    DEFAULT_MEMORY_LIMIT,
    STORED_CATALOG,
    ImportReport,
    Workspace,
    attach_current,
    attached_stored,
    check_timezone,
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


def _require_folder(folder: Path | str) -> None:
    if not Path(folder).is_dir():
        raise UsageError(code="not_a_folder", params={"folder": str(folder)})


def validate_folder(folder: Path | str, *, timezone: str = DEFAULT_TZ,
                    progress: Callable[[str], None] | None = None,
                    encoding: str | None = None,
                    sessions: SessionRules | None = None) -> list[Issue]:
    """Check every file of a data folder without storing anything (``encoding`` forces
    the text files' encoding; ``sessions`` cuts messages without session ids)."""
    tz = check_timezone(timezone)
    _require_folder(folder)
    tmp_dir = Path(tempfile.mkdtemp(prefix="cskpi-validate-"))
    con = duckdb.connect()
    try:
        run(con, f"SET memory_limit = {lit(DEFAULT_MEMORY_LIMIT)}")
        run(con, f"SET temp_directory = {lit(str(tmp_dir))}")
        result: StageResult = stage_folder(con, Path(folder), tz, tmp_dir, progress=progress,
                                           encoding=encoding, sessions=sessions)
        return result.issues
    finally:
        con.close()
        shutil.rmtree(tmp_dir, ignore_errors=True)


def import_folder(folder: Path | str, workspace: Path | str, *, timezone: str | None = None,
                  replace: Collection[str] = (),
                  progress: Callable[[str], None] | None = None,
                  encoding: str | None = None,
                  sessions: SessionRules | None = None) -> ImportReport:
    """Validate and store a data folder in a workspace, all or nothing.

    ``replace`` names tables whose stored rows the folder's file replaces (e.g. an updated
    agents roster) instead of being merged with them.
    """
    _require_folder(folder)
    return Workspace(workspace, timezone=timezone).import_folder(
        folder, replace=replace, progress=progress, encoding=encoding, sessions=sessions)


SUMMARY_COLUMNS = ("agent", "name", "role", "sessions", "customers", "first_response_s",
                   "reply_3min_rate", "satisfaction", "conversion_rate", "sales", "late")


def monthly_summary(workspace: Path | str, period: str,
                    profile: str = "generic") -> list[dict[str, object]]:
    """The per-agent summary the demo prints: a few headline metrics of one month."""
    from .metrics.compute import MetricQuery
    from .metrics.profiles import resolve

    first, last = month_range(period)
    result = compute_metrics(MetricQuery(first, last, profile=resolve(profile)),
                             workspace=workspace)
    return [{"agent": r["agent_id"], **{k: r.get(k) for k in SUMMARY_COLUMNS[1:]}}
            for r in result.rows]


def _ibis_duckdb(con: duckdb.DuckDBPyConnection) -> object:
    import ibis

    return ibis.duckdb.from_connection(con)


def session_rules(profile: Any) -> SessionRules:
    """How sessions are cut from chat logs without session ids, by a profile's settings
    (``session_gap_min``, ``split_resumed_after_h``)."""
    return SessionRules(profile.session_gap_min, profile.split_resumed_after_h)


def _with_inputs(fn: Callable[..., T], *, workspace: Path | str | None,
                 data: Path | str | None, timezone: str | None = None,
                 writable: bool = False, profile: Any = None, chat_text: bool = True) -> T:
    """Run ``fn(backend, inputs, con)`` on a workspace, or on a data folder (temp workspace).

    ``profile``: the settings a data folder's sessions are cut by (a workspace's were cut
    when it was imported); the default profile's when None.  ``chat_text=False``: ``fn``
    reads no message text, so a data folder's is kept as a digest only.

    ``writable`` asks for a read-write connection (to keep the facts cache up to date);
    when another process holds the workspace, or this one may not write it (a read-only
    folder), a read-only one is used instead.
    """
    from .errors import WorkspaceError
    from .metrics.compiled import SqlStore
    from .metrics.inputs import duckdb_inputs
    from .store.files import LockWait, waiting

    if (workspace is None) == (data is None):
        raise UsageError(code="workspace_or_data")
    if data is not None:
        return _on_folder(fn, Path(data), timezone,
                          session_rules(profile) if profile is not None else None, chat_text)
    ws = Workspace(workspace)  # type: ignore[arg-type]
    writable = writable and ws.writable
    with ExitStack() as stack:  # the connection sees the errors raised while it is used
        if writable:
            try:  # at once: when others read it, reading with them beats waiting to write
                with waiting(LockWait(0)):
                    con = stack.enter_context(ws.connect(read_only=False))
            except WorkspaceError:
                writable = False
        if not writable:  # waits for a process that writes it (lock_wait)
            con = stack.enter_context(ws.connect(read_only=True))
        backend = _ibis_duckdb(con)
        tz = stored_timezone(con) or DEFAULT_TZ
        # a writable workspace keeps the compiled queries for the next command
        inputs = duckdb_inputs(backend, con, tz, SqlStore(con) if writable else None,
                               writable=writable)
        try:
            return fn(backend, inputs, con if writable else None)
        finally:
            inputs.release()


def qa_check(rules_ref: Any, first: dt.date, last: dt.date, *,
             workspace: Path | str | None = None, data: Path | str | None = None,
             agent_id: str | None = None, decisions: Any = None, sessions: bool = True
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every QA hit and every checked session's score of a period: (hits, sessions), each
    a list of dicts (``rules_ref``: :data:`cskpi.qa.loader.RulesRef`) (:data:`cskpi.qa.engine.HIT_COLUMNS`, ``SESSION_COLUMNS``);
    ``sessions=False``: the hits only (the sessions' list is empty)."""
    from .qa import load
    from .qa.engine import HIT_COLUMNS, SESSION_COLUMNS, check, rows

    rules = load(rules_ref)

    def run_check(backend: object, inputs: object, con: object) -> tuple[list, list]:
        if con is not None and inputs.has("sessions"):  # type: ignore[attr-defined]
            from .metrics.cache import cached
            from .metrics.profiles import resolve

            # the sessions' human starts come from the facts the metrics keep (any
            # profile's: they do not depend on it), not from the chat log again
            c = cached(backend, con, inputs, resolve("generic"))  # type: ignore[arg-type]
            inputs.memo["facts"] = c.facts  # type: ignore[attr-defined]
        result = check(backend, inputs, rules, first, last,  # type: ignore[arg-type]
                       agent_id=agent_id, decisions=decisions)
        return (rows(backend, result.hits, (*HIT_COLUMNS, "kind", "kept", "counted")),
                rows(backend, result.sessions, SESSION_COLUMNS) if sessions else [])

    return _with_inputs(run_check, workspace=workspace, data=data, writable=True)


def _on_folder(fn: Callable[..., T], folder: Path, timezone: str | None,
               sessions: SessionRules | None = None, chat_text: bool = True) -> T:
    """Run ``fn(backend, inputs, None)`` on a data folder: checked as an import checks it,
    loaded into temporary tables of an in-memory connection (no workspace file to write
    and open again; no cache: it would be thrown away)."""
    from .metrics.inputs import duckdb_inputs
    from .store.workspace import load_folder

    _require_folder(folder)
    tz = check_timezone(timezone or DEFAULT_TZ)
    tmp = Path(tempfile.mkdtemp(prefix="cskpi-data-"))
    con = duckdb.connect(config=dict(NO_EXTENSIONS))
    try:
        run(con, f"SET memory_limit = {lit(DEFAULT_MEMORY_LIMIT)}")
        run(con, f"SET temp_directory = {lit(str(tmp))}")
        run(con, f"SET TimeZone = {lit(tz)}")
        load_folder(con, folder, tz, tmp, sessions=sessions, chat_text=chat_text)
        backend = _ibis_duckdb(con)
        inputs = duckdb_inputs(backend, con, tz, None)
        try:
            return fn(backend, inputs, None)
        finally:
            inputs.release()
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)


def compute_metrics(query: MetricQuery, *, workspace: Path | str | None = None,
                    data: Path | str | None = None, timezone: str | None = None,
                    use_cache: bool = True) -> MetricResult:
    """The metric catalog for a workspace, or for a data folder."""
    from .metrics.cache import cached
    from .metrics.compute import compute

    def run_query(backend: object, inputs: object, con: object) -> MetricResult:
        if con is not None and inputs.has("sessions"):  # type: ignore[attr-defined]
            c = cached(backend, con, inputs, query.profile)  # type: ignore[arg-type]
            result = compute(backend, inputs, query, facts=c.facts,  # type: ignore[arg-type]
                             rollups=c.rollups)
            result.cache = c.report
            return result
        return compute(backend, inputs, query)  # type: ignore[arg-type]

    # the catalog reads no chat text, only QA does
    return _with_inputs(run_query, workspace=workspace, data=data, timezone=timezone,
                        writable=use_cache, profile=query.profile,
                        chat_text=query.qa is not None)


def compute_metrics_spark(query: MetricQuery, *, data: Path | str | None = None,
                          parquet: Path | str | None = None, workspace: Path | str | None = None,
                          master: str | None = None) -> MetricResult:
    """The metric catalog on PySpark: from a Parquet export (``parquet``), or from a data
    folder or workspace exported to Parquet first (checked and typed as an import is)."""
    from .metrics.spark import compute_on_parquet

    given = [x for x in (data, parquet, workspace) if x is not None]
    if len(given) != 1:
        raise UsageError(code="spark_one_source")
    if parquet is not None:
        return compute_on_parquet(query, Path(parquet), master)
    tmp = Path(tempfile.mkdtemp(prefix="cskpi-spark-"))
    try:
        ws = workspace
        if data is not None:
            ws = tmp / "ws.duckdb"
            import_folder(data, ws)
        export_parquet(ws, tmp / "parquet")  # type: ignore[arg-type]
        return compute_on_parquet(query, tmp / "parquet", master)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def export_parquet(workspace: Path | str, out: Path | str) -> list[str]:
    """Write a workspace's tables to ``out/TABLE.parquet`` with ``cskpi.json`` (its time
    zone and contract version), for a data lake or a Spark cluster; returns the tables."""
    from .metrics import inputs
    from .metrics.spark import write_meta

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(code="export_not_empty", params={"folder": str(out)})
    with Workspace(workspace).connect(read_only=True) as con:
        tz = stored_timezone(con) or DEFAULT_TZ
        tables = inputs.export_parquet(con, out)
    write_meta(out, tz, tables)
    return tables


def explain_metric(query: MetricQuery, agent_id: str, metric: str, *,
                   workspace: Path | str | None = None, data: Path | str | None = None
                   ) -> Explanation:
    """The rows behind one agent's figure for a period."""
    from .metrics.explain import explain

    return _with_inputs(lambda b, i, _con: explain(b, i, query, agent_id, metric),
                        workspace=workspace, data=data, profile=query.profile)


def _session_facts(backend: Any, inputs: Any, con: Any, profile: Any) -> Any:
    """The session facts of a computation: the workspace's cache when it may be written,
    else computed from the chat log (as the catalog does)."""
    from .metrics import engine as E
    from .metrics.cache import cached

    if con is not None:
        return cached(backend, con, inputs, profile).facts
    return inputs.shared(f"facts:{profile.cache_key()}",
                         lambda: E.session_facts(inputs, profile))


def _matcher(taxonomy: Taxonomy, inputs: Any) -> Any:
    """The taxonomy's keyword matcher, its Chinese dictionary loading in the background
    while the database works (there are texts to read only with a chat log)."""
    from .lost import KeywordMatcher

    matcher = KeywordMatcher(taxonomy)
    if inputs.has("messages"):
        matcher.warm_up()
    return matcher


def lost_inquiries(query: LostQuery, *, workspace: Path | str | None = None,
                   data: Path | str | None = None, taxonomy: Path | str | None = None,
                   relabels: Mapping[str, str] | None = None,
                   by: str = "agent") -> tuple[list[LostInquiry], Taxonomy]:
    """The lost customers of a period, each with its reason (``by`` team or shop: the
    customers lost to each team, or to the shop), and the taxonomy that named them.

    ``taxonomy``: a YAML file (the shipped default when None); ``relabels``: session id
    of a lost inquiry -> the reason a manager gave it.
    """
    from .lost import lost_inquiries as classify
    from .lost import read_taxonomy
    from .lost.classify import check_inputs

    tax = read_taxonomy(taxonomy)

    def run_lost(backend: Any, inputs: Any, con: Any) -> list[LostInquiry]:
        check_inputs(inputs)
        matcher = _matcher(tax, inputs)
        facts = _session_facts(backend, inputs, con, query.profile)
        return classify(backend, inputs, query, facts, tax, relabels, by, matcher)

    return _with_inputs(run_lost, workspace=workspace, data=data, writable=True,
                        profile=query.profile), tax


def lost_summary(query: LostQuery, *, workspace: Path | str | None = None,
                 data: Path | str | None = None, taxonomy: Path | str | None = None,
                 relabels: Mapping[str, str] | None = None, by: str = "agent",
                 lang: str = "en") -> list[dict[str, Any]]:
    """Per agent, team or shop and reason: the lost customers and their share (counted by
    the database; the same counts as :func:`lost_inquiries` gives one by one)."""
    from .lost import read_taxonomy
    from .lost.classify import check_inputs, lost_counts, summary_of

    tax = read_taxonomy(taxonomy)

    def run_summary(backend: Any, inputs: Any, con: Any) -> list[dict[str, Any]]:
        check_inputs(inputs)
        matcher = _matcher(tax, inputs)
        facts = _session_facts(backend, inputs, con, query.profile)
        return lost_counts(backend, inputs, query, facts, tax, relabels, by, matcher)

    counts = _with_inputs(run_summary, workspace=workspace, data=data, writable=True,
                          profile=query.profile)
    return summary_of(counts, tax, by, lang)


def conversion_curve(query: LostQuery, by: str, edges: Sequence[float], *,
                     workspace: Path | str | None = None,
                     data: Path | str | None = None) -> list[dict[str, Any]]:
    """Inquiries, paying ones and conversion (with its Wilson 95 % interval) per bucket of
    their last inquiry's duration, rounds or first response."""
    from .lost.classify import check_inputs
    from .lost.curve import bucket_counts, curve_rows
    from .lost.inquiries import inquiries
    from .metrics.ibis_adapter import fetch

    def run_curve(backend: Any, inputs: Any, con: Any) -> list[dict[str, Any]]:
        check_inputs(inputs)
        facts = _session_facts(backend, inputs, con, query.profile)
        pairs = inquiries(inputs, query.profile, query.buckets, facts, query.agent,
                          duration=by == "duration")
        counts = fetch(backend, bucket_counts(pairs, by, edges), inputs.sql_store)
        return curve_rows(counts, by, edges)

    return _with_inputs(run_curve, workspace=workspace, data=data, writable=True,
                        profile=query.profile)


def activity_heatmap(query: HeatmapQuery, *, workspace: Path | str | None = None,
                     data: Path | str | None = None) -> Heatmap:
    """Sessions and the 3-minute reply rate of a period by day of the week and local hour
    (:mod:`cskpi.metrics.heatmap`): the catalog's figures, cut by the hour they count at."""
    from .metrics import heatmap as H
    from .metrics.families.common import agents_table
    from .metrics.ibis_adapter import fetch

    def run_heatmap(backend: Any, inputs: Any, con: Any) -> H.Heatmap:
        if not inputs.has("sessions") or (query.team is not None and not inputs.has("agents")):
            return H.empty()
        facts = _session_facts(backend, inputs, con, query.profile)
        agents = agents_table(inputs) if inputs.has("agents") else None
        table = H.heatmap_table(facts, agents, query)
        return H.of_rows(fetch(backend, table, inputs.sql_store))

    return _with_inputs(run_heatmap, workspace=workspace, data=data, writable=True,
                        profile=query.profile, chat_text=False)


def feedback(query: FeedbackQuery, *, workspace: Path | str | None = None,
             data: Path | str | None = None) -> Feedback:
    """The period's bad and neutral product reviews and its service ratings of 1-3, each
    with the agent held responsible as the catalog holds them (:mod:`cskpi.metrics.feedback`)."""
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
            # the facts first: with a workspace they also bring the orders' stored credit
            facts = _session_facts(backend, inputs, con, query.profile)
            if has_ratings:
                ratings = fetch(backend, F.rating_table(inputs, facts, agents, query),
                                inputs.sql_store)
        reviews = fetch(backend, F.review_table(inputs, agents, query),
                        inputs.sql_store) if has_reviews else []
        return F.Feedback(reviews, ratings, has_reviews, has_ratings)

    return _with_inputs(run_feedback, workspace=workspace, data=data, writable=True,
                        profile=query.profile)


def session_transcript(workspace: Path | str, session_id: str) -> dict[str, Any] | None:
    """One session (customer, agent, kind, start) and its messages in time order, local
    times; None when there is no such session."""
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

    return _with_inputs(read, workspace=workspace, data=None)


def latest_month(workspace: Path | str) -> tuple[dt.date, dt.date]:
    """The calendar month of the latest session (or order) in a workspace."""
    from .data.sql import one

    ws = Workspace(workspace)
    with ws.connect() as con:
        tz = lit(stored_timezone(con) or DEFAULT_TZ)
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        latest = None
        for table, col in (("sessions", "start_ts"), ("orders", "created_ts"),
                           ("agent_metrics", "date"), ("attendance", "date")):
            if table in present:
                latest = one(con, f"SELECT CAST(max(timezone({tz}, "
                                  f"CAST({col} AS TIMESTAMPTZ))) AS DATE) FROM {table}")
                if latest is not None:
                    break
    if latest is None:
        raise UsageError(code="workspace_no_data")
    return latest.replace(day=1), month_end(latest)


def whatif_baseline(workspace: Path | str, first: dt.date, last: dt.date,
                    profile: Any = None) -> Drivers:
    """Sales drivers of a period: pre-sale agents, the shop's inquiring customers and
    conversion, its sales over its buyers (see :mod:`cskpi.scoring.whatif`); their sales
    are the period's credited sales under ``profile`` (the default one when None)."""
    from .metrics.compute import MetricQuery
    from .scoring.whatif import period_baseline

    extra = {} if profile is None else {"profile": profile}
    agents = compute_metrics(MetricQuery(first, last, by="agent", **extra),
                             workspace=workspace).rows
    shop = compute_metrics(MetricQuery(first, last, by="shop", **extra),
                           workspace=workspace).rows
    return period_baseline(shop, agents, first, last)


def score_period(scheme: SchemeRef, period: str, *, workspace: Path | str | None = None,
                 data: Path | str | None = None, grades: Sequence[Mapping[str, Any]] = (),
                 events: Sequence[Mapping[str, Any]] = (), qa_decisions: Any = None) -> Scored:
    """Score every agent a scheme applies to for one month, with explanations and pay.

    ``scheme``: a preset name or file path, a :class:`~cskpi.scoring.run.SchemeText`
    (a text, no file written) or a loaded :class:`~cskpi.scheme.Scheme`.
    ``grades`` and ``events`` entered elsewhere (the web app) join the workspace's: a
    grade given for the same agent, month and item replaces the imported one.
    """
    from .metrics.cache import cached
    from .metrics.profiles import resolve
    from .scoring.run import load, score

    profile = resolve(load(scheme).profile or "generic")

    def run_score(backend: object, inputs: object, con: object) -> Scored:
        cache = None
        if con is not None and inputs.has("sessions"):  # type: ignore[attr-defined]
            cache = cached(backend, con, inputs, profile)  # type: ignore[arg-type]
        return score(backend, inputs, scheme, period, cache,  # type: ignore[arg-type]
                     extra_grades=grades, extra_events=events, qa_decisions=qa_decisions)

    return _with_inputs(run_score, workspace=workspace, data=data, writable=True,
                        profile=profile)


def shop_timezone(workspace: Path | str) -> str:
    """The shop's time zone: the one its workspace was imported in (the default one while
    there is no workspace yet)."""
    from .errors import WorkspaceError

    try:
        with Workspace(workspace).connect(read_only=True) as con:
            return stored_timezone(con) or DEFAULT_TZ
    except WorkspaceError as exc:
        if exc.code == "workspace_missing":
            return DEFAULT_TZ
        raise


def imported_entries(workspace: Path | str, period: str) -> dict[str, list[dict[str, Any]]]:
    """The grades, events and complaints of a month that came with the workspace's data,
    as scoring reads them (see :func:`cskpi.scoring.run.imported_entries`)."""
    from .scoring.run import imported_entries as read

    return _with_inputs(lambda backend, inputs, _con: read(backend, inputs, period),
                        workspace=workspace, data=None)


def roster(workspace: Path | str) -> list[dict[str, object]]:
    """The agents of a workspace (agent_id, name, role, team, level, active)."""
    ws = Workspace(workspace)
    with ws.connect() as con:
        cur = con.execute("SELECT agent_id, name, role, team, level, active FROM agents "
                          "ORDER BY agent_id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def scheme_whatif(current: SchemeRef, edited: SchemeRef, period: str, *,
                  workspace: Path | str | None = None,
                  data: Path | str | None = None) -> tuple[Scored, Scored, list]:
    """Score one period under the current and the edited scheme (who gains, who loses)."""
    from .scoring.compare import compare
    from .scoring.run import score

    def run(backend: object, inputs: object, _con: object) -> tuple:
        old = score(backend, inputs, current, period)  # type: ignore[arg-type]
        new = score(backend, inputs, edited, period)  # type: ignore[arg-type]
        return old, new, compare(old.result, new.result)

    return _with_inputs(run, workspace=workspace, data=data)


# --- checking an import before it is made, and the import log (the web app's Data page) --

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


def check_import(folder: Path | str, workspace: Path | str, *,
                 replace: Collection[str] = (), encoding: str | None = None,
                 sessions: SessionRules | None = None) -> ImportCheck:
    """What :func:`import_folder` would report for ``folder`` into ``workspace``, without
    writing anything to either.

    Unlike :func:`validate_folder`, the folder is checked together with what the workspace
    already holds, as the import will check it: agents known from earlier imports, files
    imported before (skipped), rows stored with other content (refused).  With no
    workspace yet the two agree.  The workspace is attached read-only, so a check never
    changes its data (an older one is upgraded to the current format first, as by every
    command); the caller serialises it with other users of the file.
    """
    _require_folder(folder)
    ws = Path(workspace)
    Workspace(ws).remove_stale_temp()
    tmp_dir = Path(tempfile.mkdtemp(prefix="cskpi-check-"))
    con = duckdb.connect(config=dict(NO_EXTENSIONS))
    try:
        run(con, f"SET memory_limit = {lit(DEFAULT_MEMORY_LIMIT)}")
        run(con, f"SET temp_directory = {lit(str(tmp_dir))}")
        stored, tz = StoredTables(con, set()), None
        attached = ws.exists()
        if attached:
            attach_current(con, ws, STORED_CATALOG)  # an older workspace upgraded first
        with damage_checked(ws):
            if attached:
                stored = attached_stored(con, Path(folder), replace)
                tz = stored_state(con, STORED_CATALOG).timezone
            tz = tz or DEFAULT_TZ
            run(con, f"SET TimeZone = {lit(tz)}")
            result = stage_folder(con, Path(folder), tz, tmp_dir, stored, encoding=encoding,
                                  sessions=sessions)
        tables = [TableCheck(s.name, s.file, s.rows, s.sha256, s.duplicates,
                             s.already_imported) for s in result.staged.values()]
        return ImportCheck(result.issues, tables)
    finally:
        con.close()
        shutil.rmtree(tmp_dir, ignore_errors=True)


def import_history(workspace: Path | str) -> list[dict[str, Any]]:
    """The imports of a workspace, newest first (none when there is no workspace yet).

    Each: ``import_id``, ``started_at``, ``finished_at`` (aware datetimes), ``warnings``
    (kept with the data) and ``files``: table, file, sha256, rows_in_file, rows_added,
    duplicates.  A file skipped as imported before leaves no line in the log.
    """
    ws = Workspace(workspace)
    if not ws.exists:
        return []
    from collections import Counter

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
