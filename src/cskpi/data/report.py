"""Turning row-level SQL findings into issues: a code, its parameters, where.

Every check of :mod:`cskpi.data.validate` and :mod:`cskpi.data.checks` reports through a
:class:`Reporter`: the rows matching a condition become issues (the first
``MAX_EXAMPLES`` one by one, the rest counted in one more issue), each carrying a message
code and the values to fill it with, so that the user reads it in their language.
"""

from __future__ import annotations

from collections.abc import Callable
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


class Reporter:
    """Collects the issues of one check run, capped per check."""

    def __init__(self, con: duckdb.DuckDBPyConnection, issues: list[Issue]) -> None:
        self.con = con
        self.issues = issues

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
    ) -> int:
        """Report every row of ``source`` matching ``where`` (up to MAX_EXAMPLES listed);
        ``params`` turns the selected ``values`` of a row into the message's parameters."""
        total = int(one(self.con, f"SELECT count(*) FROM {source} WHERE {where}"))
        if not total:
            return 0
        found = rows(
            self.con,
            f"SELECT _row, {values} FROM {source} WHERE {where} ORDER BY _row "
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
