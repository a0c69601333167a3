"""Turning row-level SQL findings into issues: a code, its parameters, where.

Every check of :mod:`cskpi.data.validate` and :mod:`cskpi.data.checks` reports through a
:class:`Reporter`: the rows matching a condition become issues (the first
``MAX_EXAMPLES`` one by one, the rest counted in one more issue), each carrying a message
code and the values to fill it with, so that the user reads it in their language.

The checks of one table are counted together (:class:`Checks`, :meth:`Reporter.count`):
one scan of the table answers them all, with one ``count(*) FILTER (WHERE …)`` each, and
only a check that finds rows reads the table again, for its examples.  A month's chat log
of two million messages was read once per check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import Issue, Level
from ..units import format_count
from .sql import one, rows

MAX_EXAMPLES = 20

Params = Callable[[tuple[Any, ...]], dict[str, Any]]


def count(n: int) -> str:
    """A count of rows as people read it (``12,345``)."""
    return format_count(n)


def row_list(numbers: list[int], limit: int = 10) -> str:
    """Spreadsheet rows ``3, 7, 9`` (``…`` after ``limit`` of them)."""
    listed = ", ".join(str(n) for n in numbers[:limit])
    return listed + (", …" if len(numbers) > limit else "")


@dataclass
class RowCheck:
    """A check recorded by :meth:`Checks.rows`: the rows of ``source`` matching ``where``
    (``total``: how many, once counted)."""

    source: str
    where: str
    level: Level
    code: str
    file: str
    column: str | None
    key: str | None
    params: Params | None
    values: str
    total: int | None = None
    examples: str | None = None  # where the example rows are read, when not ``source``


class Checks:
    """Checks recorded to be counted together before they report
    (:meth:`Reporter.count`, :meth:`Reporter.report`): :meth:`rows` takes what
    :meth:`Reporter.rows` takes, :meth:`add` an issue to report in its place."""

    def __init__(self) -> None:
        self.entries: list[RowCheck | Issue] = []

    def rows(self, source: str, where: str, *, level: Level, code: str, file: str,
             column: str | None = None, key: str | None = None, params: Params | None = None,
             values: str = "NULL", examples: str | None = None) -> None:
        self.entries.append(RowCheck(source, where, level, code, file, column, key, params,
                                     values, examples=examples))

    def add(self, issue: Issue) -> None:
        self.entries.append(issue)

    def __add__(self, other: Checks) -> Checks:
        both = Checks()
        both.entries = self.entries + other.entries
        return both


class Reporter:
    """Collects the issues of one check run, capped per check."""

    def __init__(self, con: duckdb.DuckDBPyConnection, issues: list[Issue]) -> None:
        self.con = con
        self.issues = issues

    def count(self, checks: Checks) -> None:
        """Count the rows of the checks, one query per source.  A check whose condition
        holds a subquery (an unknown agent: ``NOT IN (SELECT …)``) is left to count
        itself: as a ``WHERE``, DuckDB answers it with an anti-join; as a ``FILTER``
        beside others, with a mark join over every row, a third slower than alone."""
        by_source: dict[str, list[RowCheck]] = {}
        for check in checks.entries:
            if isinstance(check, RowCheck) and "SELECT" not in check.where.upper():
                by_source.setdefault(check.source, []).append(check)
        for source, found in by_source.items():
            wheres = list(dict.fromkeys(c.where for c in found))
            totals = rows(self.con, "SELECT " + ", ".join(
                f"count(*) FILTER (WHERE {where})" for where in wheres) + f" FROM {source}")[0]
            total_of = dict(zip(wheres, totals, strict=True))
            for check in found:
                check.total = int(total_of[check.where])

    def report(self, checks: Checks) -> None:
        """Report ``checks`` in their order: each issue as it is, each check as
        :meth:`rows` does (from its count, when :meth:`count` made it)."""
        for check in checks.entries:
            if isinstance(check, Issue):
                self.add(check)
                continue
            self.rows(check.source, check.where, level=check.level, code=check.code,
                      file=check.file, column=check.column, key=check.key,
                      params=check.params, values=check.values, total=check.total,
                      examples=check.examples)

    def check(self, checks: Checks) -> None:
        """:meth:`count`, then :meth:`report`."""
        self.count(checks)
        self.report(checks)

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def rows(
        self,
        source: str,
        where: str,
        *,
        level: Level,
        code: str,
        file: str,
        column: str | None = None,
        key: str | None = None,
        params: Params | None = None,
        values: str = "NULL",
        total: int | None = None,
        examples: str | None = None,
    ) -> int:
        """Report every row of ``source`` matching ``where`` (up to MAX_EXAMPLES listed);
        ``params`` turns the selected ``values`` of a row into the message's parameters;
        ``total``: how many rows match, when they were counted already; ``examples``: the
        rows to list them from, when ``values`` are not columns of ``source`` (the cells
        of a file as written, beside the typed table's flags)."""
        if total is None:
            total = int(one(self.con, f"SELECT count(*) FROM {source} WHERE {where}"))
        if not total:
            return 0
        found = rows(
            self.con,
            f"SELECT _row, {values} FROM {examples or source} WHERE {where} ORDER BY _row "
            f"LIMIT {MAX_EXAMPLES}",
        )
        for row in found:
            found_params = params(tuple(row[1:])) if params else {}
            self.issues.append(Issue(level, code, file=file, row=int(row[0]), column=column,
                                     key=found_params.pop("_key", key), params=found_params))
        if total > MAX_EXAMPLES:
            self.issues.append(Issue(level, code, file=file, column=column, key="more_rows",
                                     params={"count": count(total - MAX_EXAMPLES),
                                             "row": int(found[0][0])}))
        return total
