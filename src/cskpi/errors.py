"""Typed errors and the Issue record every check reports.

An :class:`Issue` says *where* (file, spreadsheet row, column), *what* and *how to fix it*.
Checks collect issues instead of raising at the first one, so a user sees every
problem of an import at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Level = Literal["error", "warning"]


class Translate(Protocol):
    """What renders a message code (:class:`cskpi.locale.Translator`)."""

    def __call__(self, key: str, **kwargs: Any) -> str: ...

    def has(self, key: str) -> bool: ...


def _english(key: str, params: dict[str, Any]) -> str | None:
    from .locale import Translator

    t = Translator("en")
    return t(key, **params) if t.has(key) else None


@dataclass(frozen=True)
class Issue:
    """A problem found in the input: where, what (a code with parameters) and a hint.

    The text a user reads comes from the catalogs: ``issue.<code>`` (and
    ``issue.<code>.hint``) formatted with ``params``, in the user's language.  ``message``
    and ``hint`` hold the English text (rendered from the catalog when the code has an
    entry), which JSON output and logs carry.
    """

    level: Level
    code: str
    message: str = ""
    file: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str | None = None
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.message:
            text = _english(f"issue.{self.code}", self.params)
            object.__setattr__(self, "message", text or self.code)
        if self.hint is None:
            object.__setattr__(self, "hint", _english(f"issue.{self.code}.hint", self.params))

    def text(self, t: Translate) -> str:
        """The message in the language of ``t``."""
        key = f"issue.{self.code}"
        return t(key, **self.params) if t.has(key) else self.message

    def hint_text(self, t: Translate) -> str | None:
        key = f"issue.{self.code}.hint"
        return t(key, **self.params) if t.has(key) else self.hint

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
        """The pinned JSON shape (``cskpi validate --format json``): the message and hint
        in English, as rendered from the code and its parameters."""
        return {"level": self.level, "code": self.code, "message": self.message,
                "file": self.file, "row": self.row, "column": self.column, "hint": self.hint}


class CskpiError(Exception):
    """Base class of errors meant for the user (the CLI prints them without a traceback)."""

    exit_code = 1

    def __init__(self, message: str = "", hint: str | None = None, *, code: str | None = None,
                 params: dict[str, Any] | None = None) -> None:
        self.code = code
        self.params = params or {}
        if code and not message:
            message = _english(f"error.{code}", self.params) or code
        if code and hint is None:
            hint = _english(f"error.{code}.hint", self.params)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def text(self, t: Translate) -> str:
        key = f"error.{self.code}"
        return t(key, **self.params) if self.code and t.has(key) else self.message

    def hint_text(self, t: Translate) -> str | None:
        key = f"error.{self.code}.hint"
        return t(key, **self.params) if self.code and t.has(key) else self.hint


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
