"""Typed errors, the Issue record every check reports, and coded messages.

An :class:`Issue` says *where* (file, spreadsheet row or text line, column), *what* and
*how to fix it*.  Checks collect issues instead of raising at the first one, so a user
sees every problem of an import, or of a scheme, at once.

Messages are codes with parameters, rendered in the reader's language from the catalogs
(:mod:`cskpi.locale`) by the face that shows them.  A parameter may itself be a coded
phrase (:func:`message`) or a figure with a unit (:func:`figure`, shown through
:mod:`cskpi.units`); both are plain dicts, so a message kept in JSON renders again.

This module is a leaf: at import time it needs nothing else from cskpi, so every
package may use it (the scheme package too, which imports nothing else).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Level = Literal["error", "warning"]
Origin = Literal["data", "scheme"]


class Translate(Protocol):
    """What renders a message code (:class:`cskpi.locale.Translator`)."""

    def __call__(self, key: str, /, **kwargs: Any) -> str: ...

    def has(self, key: str) -> bool: ...


def message(key: str, /, **params: Any) -> dict[str, Any]:
    """A coded phrase, usable as a parameter of another message: ``{"code", "params"}``."""
    return {"code": key, "params": params}


def figure(value: Any, unit: str) -> dict[str, Any]:
    """A number with its unit (``rate``, ``money``, ``s``, ``points`` …), shown for people
    in the reader's language when a message is rendered (35.83%, ¥1,234.50, 4:35)."""
    return {"value": value, "unit": unit}


_OS_ERRORS = {"ENOENT": "not_found", "EACCES": "permission", "EPERM": "permission",
              "EISDIR": "is_dir", "ENOTDIR": "not_dir", "ENOSPC": "no_space",
              "EROFS": "read_only", "EEXIST": "exists"}


def os_reason(exc: OSError) -> Any:
    """Why a file could not be read or written, as a coded phrase (``os.not_found`` …)
    for the errors a user meets (in English as the system words them), else the system's
    own words."""
    import errno

    name = _OS_ERRORS.get(errno.errorcode.get(exc.errno or -1, ""))
    return message(f"os.{name}") if name else (exc.strerror or type(exc).__name__)


def _lang(t: Translate) -> str:
    return str(getattr(t, "lang", "en") or "en")


def render_param(t: Translate, value: Any) -> Any:
    """A parameter as text: coded phrases rendered, figures formatted, lists joined."""
    if isinstance(value, Mapping):
        if "code" in value:
            return render(t, str(value["code"]), value.get("params") or {})
        if "unit" in value:
            from .units import format_value

            return format_value(value.get("value"), str(value["unit"]), _lang(t))
    if isinstance(value, list | tuple):  # by commas; by semicolons when an entry has one
        zh = _lang(t).startswith("zh")
        shown = [str(render_param(t, v)) for v in value]
        commas = any("," in v or "，" in v for v in shown)
        separator = ("；" if zh else "; ") if commas else ("、" if zh else ", ")
        return separator.join(shown)
    return value


def render(t: Translate, key: str, params: Mapping[str, Any] | None = None) -> str:
    """The catalog text ``key`` in the language of ``t``, with ``params`` rendered."""
    values = {k: render_param(t, v) for k, v in (params or {}).items()}
    return t(key, **values)


def _english(key: str, params: Mapping[str, Any]) -> str | None:
    from .locale import Translator

    t = Translator("en")
    return render(t, key, params) if t.has(key) else None


def english(value: Any) -> str:
    """A coded phrase (or figure, or plain value) as English text (for logs and JSON)."""
    from .locale import Translator

    return str(render_param(Translator("en"), value))


# the key of a kept issue without its code's parameters: in no catalog, so it shows the
# English text it was kept with
_AS_WRITTEN = "stored.as_written"

HINT = "_hint"
"""The parameter holding a coded hint of one issue (when the code's hint varies)."""


@dataclass(frozen=True)
class Issue:
    """A problem found in the input: where, what (a code with parameters) and a hint.

    ``origin`` says what the input is: ``data`` (a table file: ``row`` is a spreadsheet
    row, ``column`` a column name) or ``scheme`` (a YAML text: ``row`` is its line,
    ``column`` the 1-based character column).  The text a user reads comes from the
    catalogs: ``issue.<code>`` for data, ``scheme.issue.<code>`` for schemes (``key``
    overrides it when one code reads differently in different places), and its
    ``.hint``, formatted with ``params``, in the user's language; a hint that varies is
    a coded phrase in ``params["_hint"]``.  ``message`` and ``hint`` hold the English
    text (rendered from the catalog when the code has an entry), which JSON output and
    logs carry.
    """

    level: Level
    code: str
    message: str = ""
    file: str | None = None
    row: int | None = None
    column: str | int | None = None
    hint: str | None = None
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    origin: Origin = "data"
    # the catalog entry of the text when it is not the code's own: one code (what a
    # program filters on, e.g. bad_type) may be told several ways; a bare name
    # (``bad_timestamp_digits``) is under the origin's prefix, a dotted one is a whole key
    key: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.message:
            text = _english(self.message_key, self.params)
            object.__setattr__(self, "message", text or self.code)
        if self.hint is None:
            hint = (english(self.params[HINT]) if HINT in self.params
                    else _english(f"{self.message_key}.hint", self.params))
            object.__setattr__(self, "hint", hint)

    @property
    def message_key(self) -> str:
        """The catalog key of the message."""
        if self.key and "." in self.key:
            return self.key
        prefix = "scheme.issue" if self.origin == "scheme" else "issue"
        return f"{prefix}.{self.key or self.code}"

    def text(self, t: Translate) -> str:
        """The message in the language of ``t``."""
        key = self.message_key
        return render(t, key, self.params) if t.has(key) else self.message

    def hint_text(self, t: Translate) -> str | None:
        if HINT in self.params:
            return str(render_param(t, self.params[HINT]))
        key = f"{self.message_key}.hint"
        return render(t, key, self.params) if t.has(key) else self.hint

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def params_json(self) -> str:
        """The parameters as JSON (what a workspace keeps of a warning)."""
        import json

        from .jsonable import jsonable

        return json.dumps(jsonable(self.params), ensure_ascii=False, sort_keys=True)

    @classmethod
    def stored(cls, row: Mapping[str, Any]) -> Issue:
        """An issue as a workspace keeps it (``Workspace.import_issues``): rendered again in
        any language from its code and parameters; one kept before they were (workspace
        version 2) reads as its English text."""
        import json

        params = row.get("params")
        return cls(level=row.get("level") or "warning", code=str(row.get("code") or ""),
                   message=str(row.get("message") or ""), file=row.get("file"),
                   row=row.get("row"), column=row.get("column"), hint=row.get("hint"),
                   params=json.loads(params) if params else {},
                   key=row.get("message_key") if params is not None else _AS_WRITTEN)

    def where(self, t: Translate | None = None) -> str:
        """Where the problem is, as a user looks for it: ``orders.csv, row 2, column
        created_ts`` in a table file, ``scheme.yaml:12`` (``, column 5``) in a scheme; in
        the language of ``t`` (English without one)."""
        def say(key: str, english: str, **params: Any) -> str:
            return t(key, **params) if t is not None and t.has(key) else english

        if self.origin == "scheme":
            place = f"{self.file or ''}:{self.row}" if self.row is not None else (
                self.file or "")
            if self.column is not None and self.row is not None:
                place += say("issue.where.sep", ", ") + say(
                    "issue.where.char", f"column {self.column}", column=self.column)
            return place
        parts = [self.file or ""]
        if self.row is not None:
            parts.append(say("issue.where.row", f"row {self.row}", row=self.row))
        if self.column:
            parts.append(say("issue.where.column", f"column {self.column}",
                             column=self.column))
        return say("issue.where.sep", ", ").join(p for p in parts if p)

    def where_text(self, t: Translate) -> str:
        """Where the problem is, in the language of ``t``."""
        return self.where(t)

    def __str__(self) -> str:
        text = f"{self.where()}: {self.level}: {self.message} [{self.code}]"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, Any]:
        """The pinned JSON shapes, the message and hint in English as rendered from the
        code and its parameters: ``cskpi validate --format json`` (level, code, message,
        file, row, column, hint) for data; ``cskpi scheme check --format json`` (level,
        code, message, line, hint, source, column) for a scheme."""
        if self.origin == "scheme":
            return {"level": self.level, "code": self.code, "message": self.message,
                    "line": self.row, "hint": self.hint, "source": self.file or "<scheme>",
                    "column": self.column}
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
        return render(t, key, self.params) if self.code and t.has(key) else self.message

    def hint_text(self, t: Translate) -> str | None:
        key = f"error.{self.code}.hint"
        return render(t, key, self.params) if self.code and t.has(key) else self.hint


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
        super().__init__(code="scheme_invalid", params={"source": source, "errors": errors})
        self.issues = issues


class ScoringIncomplete(CskpiError):
    """Scores cannot be computed until the manager supplies something (a grade …)."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(code="scoring_incomplete", params={"n": len(problems)})
        self.problems = problems
