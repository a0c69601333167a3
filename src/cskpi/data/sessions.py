"""Sessions of chat logs that have no session ids, and sessions resumed days later.

Many chat exports are one stream of messages per customer and agent, without a session
id.  Such a stream is cut into sessions by an inactivity gap (the profile setting
``session_gap_min``, 30 minutes unless the platform is known to use another): a message
more than the gap after the previous one of the same customer and agent starts a new
session.  A customer's or bot's message belongs to the stream of the agent who answers
it next (else the agent who wrote last), so the customer's question before a transfer
to another agent opens that agent's session.  A cut session is named
``CUSTOMER/AGENT/START`` (its first message, local time), so the same export cut again
gives the same ids.

Where ids exist, a session that resumes after a long silence (a thread picked up days
later) can be split at that silence (``split_resumed_after_h``, off by default), so its
first response is not counted over the days between: ``S1``, ``S1~2``, ….  Both happen
only when sessions are derived from the messages, never against a sessions table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import Issue
from .report import Reporter, count
from .sql import ident, lit, one, run

if TYPE_CHECKING:
    from .validate import Staged

DEFAULT_GAP_MIN = 30.0
CUT_TABLE = "cskpi_cut_sessions"


@dataclass(frozen=True)
class SessionRules:
    """How sessions are cut from messages (profile settings, see metrics.profiles)."""

    gap_min: float = DEFAULT_GAP_MIN
    split_after_h: float | None = None

    @classmethod
    def of_profile(cls, profile: Any) -> SessionRules:
        """The rules a metric profile sets (``session_gap_min``, ``split_resumed_after_h``)."""
        return cls(profile.session_gap_min, profile.split_resumed_after_h)


def cut_sessions(con: duckdb.DuckDBPyConnection, msgs: Staged, rules: SessionRules,
                 given: bool, rep: Reporter, tz: str) -> None:
    """Give messages without session ids their sessions, or split resumed sessions."""
    if "session_id" not in msgs.present:
        if given:
            rep.add(Issue("error", "messages_without_session_id", file=msgs.file, row=1))
        elif "customer_id" in msgs.present:
            _cut_by_gap(con, msgs, rules, rep, tz)
        return
    if rules.split_after_h and not given:
        _split_resumed(con, msgs, rules.split_after_h, rep)


def _apply(con: duckdb.DuckDBPyConnection, msgs: Staged, select: str) -> int:
    """Set the session ids ``select`` gives (cut_row, sid) on the typed messages."""
    run(con, f"CREATE OR REPLACE TEMP TABLE {CUT_TABLE} AS {select}")
    changed = int(one(con, f"SELECT count(*) FROM {CUT_TABLE}"))
    if changed:
        row = "(m.rowid + 2)" if msgs.row_col == "(rowid + 2)" else "m._row"
        run(con, f"UPDATE {msgs.physical} AS m SET session_id = c.sid FROM {CUT_TABLE} c "
                 f"WHERE {row} = c.cut_row")
    run(con, f"DROP TABLE {CUT_TABLE}")
    return changed


def _cut_by_gap(con: duckdb.DuckDBPyConnection, msgs: Staged, rules: SessionRules,
                rep: Reporter, tz: str) -> None:
    src = ident(msgs.typed)
    gap_us = int(rules.gap_min * 60_000_000)
    order = "ORDER BY ts, _row"
    streams = f"""
        SELECT _row, customer_id, ts, coalesce(agent_id,
            first_value(agent_id IGNORE NULLS) OVER (PARTITION BY customer_id {order}
                ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING),
            last_value(agent_id IGNORE NULLS) OVER (PARTITION BY customer_id {order}
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS stream
        FROM {src} WHERE customer_id IS NOT NULL AND ts IS NOT NULL"""
    starts = f"""
        SELECT *, CASE WHEN lag(ts) OVER w IS NULL
                        OR epoch_us(ts) - epoch_us(lag(ts) OVER w) > {gap_us}
                       THEN 1 ELSE 0 END AS starts
        FROM ({streams}) WINDOW w AS (PARTITION BY customer_id, stream {order})"""
    numbered = f"""
        SELECT *, sum(starts) OVER (PARTITION BY customer_id, stream {order}
                                    ROWS UNBOUNDED PRECEDING) AS k FROM ({starts})"""
    named = f"""
        SELECT _row AS cut_row, customer_id || '/' || coalesce(stream, '-') || '/' ||
               strftime(timezone({lit(tz)}, min(ts) OVER (PARTITION BY customer_id, stream, k)),
                        '%Y%m%d%H%M%S') AS sid
        FROM ({numbered})"""
    _apply(con, msgs, named)
    rep.rows(src, "session_id IS NULL", level="error", code="missing_value", file=msgs.file,
             column=msgs.label("customer_id"),
             params=lambda v: {"column": msgs.label("customer_id")})
    msgs.present.add("session_id")
    msgs.headers.setdefault("session_id", "session_id")
    sessions = int(one(con, f"SELECT count(DISTINCT session_id) FROM {src}"))
    rep.add(Issue("warning", "sessions_cut", file=msgs.file,
                  params={"sessions": count(sessions), "gap": f"{rules.gap_min:g}"}))


def _split_resumed(con: duckdb.DuckDBPyConnection, msgs: Staged, hours: float,
                   rep: Reporter) -> None:
    src = ident(msgs.typed)
    gap_us = int(hours * 3_600_000_000)
    order = "ORDER BY ts, _row"
    starts = f"""
        SELECT _row, session_id, ts,
               CASE WHEN epoch_us(ts) - epoch_us(lag(ts) OVER w) > {gap_us} THEN 1 ELSE 0
               END AS starts
        FROM {src} WHERE ts IS NOT NULL WINDOW w AS (PARTITION BY session_id {order})"""
    numbered = f"""
        SELECT _row, session_id, sum(starts) OVER (PARTITION BY session_id {order}
                                                    ROWS UNBOUNDED PRECEDING) AS k
        FROM ({starts})"""
    resumed = int(one(con, f"SELECT count(DISTINCT session_id) FROM ({numbered}) WHERE k > 0"))
    if not resumed:
        return
    _apply(con, msgs, f"SELECT _row AS cut_row, session_id || '~' || (k + 1) AS sid "
                      f"FROM ({numbered}) WHERE k > 0")
    sessions = int(one(con, f"SELECT count(DISTINCT session_id) FROM {src}"))
    rep.add(Issue("warning", "sessions_split", file=msgs.file,
                  params={"count": count(resumed), "hours": f"{hours:g}",
                          "sessions": count(sessions)}))
