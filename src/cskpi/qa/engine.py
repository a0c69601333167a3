"""Checking every session of a period against QA rules, inside DuckDB.

A session is checked on all of its messages (the span the session facts record, so a
session's hits never depend on the period asked for).  The chat log is read once, over
the time spans of the sessions to check, for the rules' words: one RE2 alternation per
sender (every phrase of every phrase rule, folded as :mod:`cskpi.qa.text` explains, and
every pattern) picks the few candidate messages.  Each rule is then tried on the
candidates only.  Two rules need more than one message:

- ``required``: the agent's first message of each session, which the session facts keep
  (:data:`cskpi.metrics.engine.FACT_SESSION_COLUMNS`: at one instant, the first in text
  order); a hit when it has none of the phrases;
- ``emotion_followup``: customer messages of the human stage with a negative word
  (candidates of the same scan, Chinese words confirmed as jieba tokens on the distinct
  texts), each with the agent's next message (an ASOF join on the agent messages of
  those sessions alone; several at one instant soothe when one of them does); a hit when
  that reply has no soothing phrase, or there is none.

Every expression is matched with ``regexp_full_match(text, '(?s:.*)(?:E)(?s:.*)')``,
which holds exactly where RE2 finds E anywhere in the text (the wrapping dots match
anything, line breaks too, and leave E's own flags and anchors alone) and which DuckDB
evaluates once per distinct text of a dictionary-compressed block (chat logs repeat
their quick replies), where ``regexp_matches`` runs on every row (and DuckDB's optimizer
misreads a few degenerate patterns of it: ``regexp_matches(t, '^^')`` becomes
``t = ''``).

What a session's messages hold (its hits as found, before points and decisions) is kept
in the workspace per rules (:mod:`cskpi.qa.cache`): a check reads the chat log only for
the sessions it has not checked, or that an import added or changed since.  The rest is
computed
every time, from those hits: a session's score is ``start`` plus the points of its hits
(a rule once per session unless ``per: hit``), clamped to 0..start; 0 with a fatal hit;
plus the rubric points a reviewer gave.  Hits a reviewer dismissed do not count
(:class:`Decisions`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ..data.sql import ident, lit
from ..errors import UsageError
from ..metrics import engine as E
from ..metrics.compiled import compile_sql
from ..metrics.families.common import session_kind
from ..metrics.inputs import Inputs
from .models import QaRules, Rule
from .text import Lexicon, alternation, phrase_regex, shipped

# the stored messages (the input view ``cskpi_in_messages`` reads this table): scanned
# as stored, their row groups are skipped by the min/max of ``ts``
MESSAGES = ident("messages")
HIT_COLUMNS = ("session_id", "agent_id", "rule", "points", "fatal", "ts", "text")
SESSION_COLUMNS = ("session_id", "agent_id", "customer_id", "kind", "human_local", "score",
                   "hits", "fatal")


@dataclass(frozen=True)
class Decisions:
    """What reviewers decided: hits dismissed (no longer counted) and rubric points.

    A hit is known by (session_id, rule, local ts as ISO text) — the same after the rules
    file is edited, as long as the rule still finds it.
    """

    dismissed: frozenset[tuple[str, str, str]] = frozenset()
    rubric: Mapping[str, Decimal] = field(default_factory=dict)  # session_id -> points


@dataclass
class QaResult:
    """Tables of one check (temp tables of the connection, dropped with the inputs)."""

    sessions: ir.Table  # SESSION_COLUMNS: every checked session, with its score (a view)
    hits: ir.Table  # HIT_COLUMNS + kind, counted: every hit of those sessions
    rules: QaRules
    scanned: int = 0  # sessions whose messages were read (the others' came from the cache)


def rule_regex(rule: Rule) -> str:
    """The expression a message must match for a phrases or pattern rule (and the phrases
    a ``required`` rule looks for)."""
    if rule.kind == "pattern":
        assert rule.pattern is not None
        return rule.pattern
    return alternation(phrase_regex(p) for p in rule.phrases)


def lexicon(rule: Rule) -> Lexicon:
    return Lexicon((*shipped("negative"), *rule.negative), (*shipped("soothe"), *rule.soothe))


class _Sql:
    """Temp tables of one check, named uniquely, dropped with the inputs."""

    def __init__(self, backend: Any, inp: Inputs) -> None:
        if getattr(inp.materialize, "con", None) is None:
            raise UsageError(code="qa_duckdb_only")
        self.backend, self.inp = backend, inp
        self.con = inp.materialize.con
        self.tag = f"_cskpi_qa_{uuid.uuid4().hex[:8]}_"

    def table(self, name: str, sql: str) -> str:
        """``sql`` kept as a temp table of this check; its quoted name."""
        full = self.tag + name
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(full)} AS {sql}").fetchall()
        self.inp.materialize.names.append(full)
        return ident(full)

    def view(self, name: str, sql: str) -> str:
        """``sql`` as a temp view of this check (computed where it is read, if it is);
        its quoted name."""
        full = self.tag + name
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(full)} AS {sql}").fetchall()
        self.inp.materialize.views.append(full)
        return ident(full)

    def arrow(self, name: str, data: pa.Table) -> str:
        full = self.tag + name
        self.con.register(full + "_src", data)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(full)} AS "
                             f"SELECT * FROM {ident(full + '_src')}").fetchall()
        finally:
            self.con.unregister(full + "_src")
        self.inp.materialize.names.append(full)
        return ident(full)

    def expr(self, quoted: str) -> ir.Table:
        """The Ibis table of a temp table (its quoted name, as table() gave it)."""
        return self.backend.table(quoted[1:-1].replace('""', '"'))


def sessions_to_check(inp: Inputs, rules: QaRules, start: dt.date, end: dt.date,
                      agent_id: str | None = None, *, mark: bool = False) -> ir.Table:
    """Human-served sessions with an agent message whose human start is in the period, of
    agents the rules apply to (``agent_id``: of that agent), with the span of their
    messages and their first agent message.  ``mark``: every session of the period
    instead, with an ``in_scope`` column telling those (the results of all are kept)."""
    base = E.sessions_base(inp)
    base = base.filter(E.in_range(base.human_local, E.Buckets(start, end, None))
                       & base.agent_id.notnull() & (base.agent_messages.fill_null(0) > 0))
    agents = E.agents_table(inp)
    a = agents.select(_a_id=agents.agent_id, _role=agents.role, _team=agents.team,
                      _level=agents.level)
    j = base.left_join(a, base.agent_id == a._a_id)
    scope = rules.applies_to
    tests = [j[column].cast("string").isin(list(wanted)).fill_null(False)
             for column, wanted in (("_role", scope.role), ("_team", scope.team),
                                    ("_level", scope.level), ("agent_id", scope.agents))
             if wanted]
    if agent_id is not None:
        tests.append((j.agent_id == agent_id).fill_null(False))
    in_scope = ibis.literal(True)
    for test in tests:
        in_scope &= test
    if not mark:
        for test in tests:
            j = j.filter(test)
        in_scope = ibis.literal(True)
    j = j.mutate(kind=session_kind(j.kind, j._role), in_scope=in_scope)
    return j.select("session_id", "customer_id", "agent_id", "kind", "human_utc",
                    "human_local", "messages_from_utc", "messages_to_utc", "first_agent_utc",
                    "first_agent_text", "in_scope")


def check(backend: Any, inp: Inputs, rules: QaRules, start: dt.date, end: dt.date, *,
          agent_id: str | None = None, decisions: Decisions | None = None,
          cache: bool | None = None) -> QaResult:
    """Hits and scores of every session of the period (``agent_id``: one agent's).

    ``cache``: keep what the sessions' messages hold in the workspace and read it back
    (:mod:`cskpi.qa.cache`); by default when the inputs are a writable workspace's.
    """
    if not inp.has("messages") or not inp.has("sessions"):
        raise UsageError(code="qa_no_messages")
    sql = _Sql(backend, inp)
    lexicons = {r.key: lexicon(r) for r in rules.rules if r.kind == "emotion_followup"}
    for lex in lexicons.values():
        lex.preload()  # jieba's dictionary loads while DuckDB scans the chat log
    keep = inp.writable if cache is None else cache
    # kept: every session of the period, those of the rules' scope and agent marked
    base_expr = sessions_to_check(inp, rules, start, end, agent_id, mark=keep)
    backend._run_pre_execute_hooks(base_expr)  # in-memory tables registered
    base = _base(sql, compile_sql(backend, base_expr, inp.sql_store), rules)
    if keep:
        from .cache import ResultCache

        def find(todo: str) -> str:
            return _find(sql, todo, rules, lexicons)

        found, scanned = ResultCache(sql.con, rules).found(sql, base, start, end, find)
    else:
        found = _find(sql, base, rules, lexicons)
        scanned = int(sql.con.execute(f"SELECT count(*) FROM {base}").fetchone()[0])
    hits = _hits(sql, base, found, rules, decisions or Decisions())
    sessions = _scores(sql, base, hits, rules, decisions or Decisions())
    return QaResult(sql.expr(sessions), sql.expr(hits), rules, scanned)


def _base(sql: _Sql, sessions: str, rules: QaRules) -> str:
    """The sessions to check (``sessions``: SQL), each with whether its first agent
    message has the phrases of each required rule (``greeted_KEY``), and that message's
    text only where one has not (the only place it is shown: a temp table writes a text
    column slowly)."""
    required = [r for r in rules.rules if r.kind == "required"]
    tests = [f"coalesce({full_match('first_agent_text', rule_regex(r))}, false)"
             for r in required]
    columns = "".join(f"{test} AS {ident('greeted_' + r.key)}, "
                      for r, test in zip(required, tests, strict=True))
    missing = " OR ".join(f"NOT {test}" for test in tests) or "false"
    return sql.table("base", f"""
        SELECT * EXCLUDE (first_agent_text), {columns}
               CASE WHEN {missing} THEN first_agent_text END AS first_agent_text
        FROM ({sessions})""")


def full_match(column: str, expression: str) -> str:
    """SQL: whether ``column`` matches the RE2 ``expression`` somewhere (see the module's
    docstring)."""
    return f"regexp_full_match({column}, {lit(f'(?s:.*)(?:{expression})(?s:.*)')})"


def _spans(sql: _Sql, todo: str, gap: dt.timedelta = dt.timedelta(hours=1),
           most: int = 16) -> str:
    """SQL: whether a stored message's ``ts`` falls in the time spans of the sessions of
    ``todo`` (their messages', by the hour they start in, joined where they overlap or
    lie within ``gap``; at most ``most`` spans, the closest joined first), so that the
    scan skips the rest of the chat log by the row groups' min/max."""
    hours = sql.con.execute(f"""
        SELECT date_trunc('hour', messages_from_utc) AS h, max(messages_to_utc)
        FROM {todo} WHERE messages_from_utc IS NOT NULL GROUP BY h ORDER BY h""").fetchall()
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for lo, hi in hours:
        if spans and lo <= spans[-1][1] + gap:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    while len(spans) > most:
        k = min(range(len(spans) - 1), key=lambda i: spans[i + 1][0] - spans[i][1])
        spans[k:k + 2] = [(spans[k][0], max(spans[k][1], spans[k + 1][1]))]
    tests = [f"(ts >= {_tstz(lo)} AND ts <= {_tstz(hi)})" for lo, hi in spans]
    return "(" + (" OR ".join(tests) or "false") + ")"


def _tstz(value: dt.datetime) -> str:
    """A naive UTC instant as a TIMESTAMPTZ constant (the stored column's type: compared
    as it is, the scan skips row groups by their min/max)."""
    return f"TIMESTAMPTZ '{value.isoformat(sep=' ')}+00'"


def _find(sql: _Sql, todo: str, rules: QaRules, lexicons: Mapping[str, Lexicon]) -> str:
    """What the messages of the sessions of ``todo`` hold: one row per (session, rule,
    message) found, with its time (UTC and local) and text; the table's quoted name."""
    window = _spans(sql, todo)
    candidates = _candidates(sql, window, todo, rules)
    parts: list[str] = []
    for rule in rules.rules:
        if rule.kind in ("phrases", "pattern"):
            parts.append(f"SELECT session_id, ts_utc, text, {lit(rule.key)} AS rule "
                         f"FROM {candidates} WHERE sender = {lit(rule.sender)} AND "
                         f"{full_match('text', rule_regex(rule))}")
        elif rule.kind == "required":  # (the test was made with the sessions: _base)
            parts.append(f"SELECT session_id, first_agent_utc AS ts_utc, first_agent_text "
                         f"AS text, {lit(rule.key)} AS rule FROM {todo} "
                         f"WHERE first_agent_utc IS NOT NULL "
                         f"AND NOT {ident('greeted_' + rule.key)}")
        elif rule.kind == "emotion_followup":
            parts.append(_unsoothed(sql, window, candidates, todo, rule, lexicons[rule.key]))
    union = " UNION ALL ".join(parts) if parts else (
        "SELECT NULL::VARCHAR AS session_id, NULL::TIMESTAMP AS ts_utc, "
        "NULL::VARCHAR AS text, NULL::VARCHAR AS rule WHERE false")
    return sql.table("found", f"""
        SELECT session_id, rule, ts_utc, cskpi_local(ts_utc) AS ts_local, text
        FROM (SELECT DISTINCT session_id, rule, ts_utc, text FROM ({union}))""")


def _candidates(sql: _Sql, window: str, todo: str, rules: QaRules) -> str:
    """The messages of ``todo``'s sessions any rule may hit: one alternation per sender,
    one scan of the stored messages."""
    by_sender: dict[str, list[str]] = {}
    for rule in rules.rules:
        if rule.kind in ("phrases", "pattern"):
            by_sender.setdefault(rule.sender, []).append(rule_regex(rule))
        elif rule.kind == "emotion_followup":
            by_sender.setdefault("customer", []).append(Lexicon(
                (*shipped("negative"), *rule.negative), ()).negative_regex)
    tests = [f"(m.sender = {lit(sender)} AND {full_match('m.text', alternation(exprs))})"
             for sender, exprs in by_sender.items()]
    where = " OR ".join(tests) or "false"
    return sql.table("candidates", f"""
        SELECT m.session_id, make_timestamp(epoch_us(m.ts)) AS ts_utc, m.sender, m.text
        FROM {MESSAGES} m SEMI JOIN {todo} t ON m.session_id = t.session_id
        WHERE {window} AND ({where})""")


def _unsoothed(sql: _Sql, window: str, candidates: str, todo: str, rule: Rule,
               lex: Lexicon) -> str:
    """Customer messages of the human stage with a negative word (jieba-confirmed) whose
    next agent message has no soothing phrase, as found rows of ``rule``."""
    texts = [t for (t,) in sql.con.execute(
        f"SELECT DISTINCT text FROM {candidates} WHERE sender = 'customer' "
        f"AND {full_match('text', lex.negative_regex)}").fetchall()]
    negative = [t for t in texts if lex.is_negative(t)]
    confirmed = sql.arrow(f"neg_{rule.key}", pa.table({"text": pa.array(negative, pa.string())}))
    negs = sql.table(f"negs_{rule.key}", f"""
        SELECT c.session_id, c.ts_utc, c.text FROM {candidates} c
        JOIN {todo} b ON c.session_id = b.session_id AND c.ts_utc >= b.human_utc
        SEMI JOIN {confirmed} n ON c.text = n.text WHERE c.sender = 'customer'""")
    soothed = full_match("text", lex.soothe_regex) if lex.soothe else "false"
    replies = sql.table(f"replies_{rule.key}", f"""
        SELECT session_id, make_timestamp(epoch_us(ts)) AS ts_utc,
               bool_or(coalesce({soothed}, false)) AS soothed
        FROM {MESSAGES} WHERE sender = 'agent' AND {window}
          AND session_id IN (SELECT session_id FROM {negs})
        GROUP BY session_id, ts""")
    # (a merge of the two sorted sides: DuckDB would otherwise take a nested loop when
    # it expects few complaints, and expect few)
    sql.con.execute("SET asof_loop_join_threshold = 0").fetchall()
    try:
        found = sql.table(f"unsoothed_{rule.key}", f"""
            SELECT n.session_id, n.ts_utc, n.text, {lit(rule.key)} AS rule
            FROM {negs} n ASOF LEFT JOIN {replies} r
            ON n.session_id = r.session_id AND n.ts_utc <= r.ts_utc
            WHERE r.soothed IS NULL OR NOT r.soothed""")
    finally:
        sql.con.execute("RESET asof_loop_join_threshold").fetchall()
    return f"SELECT session_id, ts_utc, text, rule FROM {found}"


def _rules_table(sql: _Sql, rules: QaRules) -> str:
    data = pa.table({
        "rule": pa.array([r.key for r in rules.rules], pa.string()),
        "kind": pa.array([r.kind for r in rules.rules], pa.string()),
        "points": pa.array([float(r.points) for r in rules.rules], pa.float64()),
        "fatal": pa.array([r.fatal for r in rules.rules], pa.bool_()),
        "per_hit": pa.array([r.per == "hit" for r in rules.rules], pa.bool_()),
    })
    return sql.arrow("rules", data)


def _hits(sql: _Sql, base: str, found: str, rules: QaRules, decisions: Decisions) -> str:
    """Every hit of the period's sessions (``found``: what their messages hold);
    ``counted``: whether it takes its points (a rule's first hit of a session unless
    ``per: hit``; never a dismissed one)."""
    table = _rules_table(sql, rules)
    dismissed = sql.arrow("dismissed", pa.table({
        "session_id": pa.array([d[0] for d in decisions.dismissed], pa.string()),
        "rule": pa.array([d[1] for d in decisions.dismissed], pa.string()),
        "ts": pa.array([d[2] for d in decisions.dismissed], pa.string()),
    }))
    return sql.table("hits", f"""
        WITH found AS (
            SELECT h.session_id, b.agent_id, h.rule, h.ts_utc,
                   strftime(h.ts_local, '%Y-%m-%dT%H:%M:%S') AS ts, h.text
            FROM {found} h JOIN {base} b ON h.session_id = b.session_id AND b.in_scope),
        kept AS (
            SELECT f.*, NOT EXISTS (SELECT 1 FROM {dismissed} d WHERE d.session_id =
                f.session_id AND d.rule = f.rule AND d.ts = f.ts) AS kept FROM found f),
        ranked AS (
            SELECT k.*, r.kind, r.points, r.fatal, r.per_hit,
                   row_number() OVER (PARTITION BY k.session_id, k.rule, k.kept
                                      ORDER BY k.ts_utc, k.text) AS nth
            FROM kept k JOIN {table} r ON k.rule = r.rule)
        SELECT session_id, agent_id, rule, points, fatal, ts, text, kind, kept,
               kept AND (per_hit OR nth = 1) AS counted, ts_utc
        FROM ranked ORDER BY session_id, ts_utc, rule""")


def _scores(sql: _Sql, base: str, hits: str, rules: QaRules, decisions: Decisions) -> str:
    rubric = sql.arrow("rubric", pa.table({
        "session_id": pa.array(list(decisions.rubric), pa.string()),
        "points": pa.array([float(v) for v in decisions.rubric.values()], pa.float64()),
    }))
    start = float(rules.start)
    # a view: cskpi qa hits never reads it, the metrics read it once, grouped
    return sql.view("sessions", f"""
        WITH per_session AS (
            SELECT session_id, sum(points) FILTER (WHERE counted) AS deducted,
                   count(*) FILTER (WHERE kept) AS hits,
                   bool_or(fatal AND counted) AS fatal
            FROM {hits} GROUP BY session_id)
        SELECT b.session_id, b.agent_id, b.customer_id, b.kind, b.human_local,
               CASE WHEN coalesce(p.fatal, false) THEN 0.0
                    ELSE greatest(0.0, least({start}, {start} + coalesce(p.deducted, 0.0)))
                         + coalesce(r.points, 0.0) END AS score,
               coalesce(p.hits, 0) AS hits, coalesce(p.fatal, false) AS fatal
        FROM {base} b LEFT JOIN per_session p ON b.session_id = p.session_id
        LEFT JOIN {rubric} r ON b.session_id = r.session_id WHERE b.in_scope""")


def hit_id(session_id: str, rule: str, ts: str) -> str:
    """A short stable id of a hit (its review and appeal records use it)."""
    text = f"{session_id}|{rule}|{ts}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def rows(backend: Any, table: ir.Table, columns: Iterable[str]) -> list[dict[str, Any]]:
    """The rows of a result table as dicts of ``columns``."""
    return backend.to_pyarrow(table.select(*columns)).to_pylist()


__all__ = ["Decisions", "HIT_COLUMNS", "QaResult", "SESSION_COLUMNS", "check", "hit_id",
           "ident", "rows", "sessions_to_check"]
