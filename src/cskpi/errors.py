"""Typed errors and the Issue record every check reports.

An :class:`Issue` says *where* (file, spreadsheet row, column), *what* and *how to fix it*.
Checks collect issues instead of raising at the first one, so a user sees every
problem of an import at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    level: Level
    code: str
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def where(self) -> str:
        parts = [self.file or ""]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CskpiError(Exception):
    """Base class of errors meant for the user (the CLI prints them without a traceback)."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CskpiError):
    """The command was called wrongly (missing folder, bad option value)."""

    exit_code = 2


class ValidationFailed(CskpiError):
    """Input data has errors; nothing was imported."""

    def __init__(self, issues: list[Issue]) -> None:
        errors = sum(1 for i in issues if i.is_error)
        super().__init__(f"{errors} error(s) in the input; nothing was imported")
        self.issues = issues


class WorkspaceError(CskpiError):
    """The workspace file is missing, locked or not a cskpi workspace."""


class SchemeInvalid(CskpiError):
    """A scheme has errors; ``issues`` lists every one with file:line."""

    def __init__(self, source: str, issues: list[Any]) -> None:
        errors = sum(1 for i in issues if i.is_error)
        super().__init__(f"{source}: {errors} error(s) in the scheme")
        self.issues = issues


class ScoringIncomplete(CskpiError):
    """Scores cannot be computed until the manager supplies something (a grade …)."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(f"{len(problems)} thing(s) missing before the period can be scored")
        self.problems = problems
