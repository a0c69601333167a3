"""The taxonomy of lost-inquiry reasons: YAML with line numbers, every problem at once.

A taxonomy names the reasons a customer leaves (``shipping``, ``price`` …), each with a
Chinese and an English label and keywords in either language.  Two reasons are built
in and carry labels only: ``service`` (decided from the chat's facts, before any
keyword) and ``other`` (nothing matched).  :func:`load_taxonomy` never raises on a bad
file: it returns ``(None, issues)`` with every problem, each with its line and a hint;
:func:`read_taxonomy` raises :class:`TaxonomyInvalid` with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import CskpiError, Translate, os_reason, render
from ..scheme.reader import yaml_problem

SERVICE, OTHER = "service", "other"
BUILT_IN = (SERVICE, OTHER)
LANGS = ("zh", "en")
TOP_KEYS = ("taxonomy", "reasons")
REASON_KEYS = ("zh", "en", "keywords")
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
DEFAULT_FILE = "default_taxonomy.yaml"


@dataclass(frozen=True)
class TaxonomyIssue:
    """A problem of a taxonomy file: where (``source:line``), what (a code and its
    parameters, rendered from ``issue.taxonomy_<code>`` in the reader's language)."""

    level: Literal["error", "warning"]
    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    line: int | None = None
    source: str = "<taxonomy>"

    @property
    def is_error(self) -> bool:
        return self.level == "error"

    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source

    def text(self, t: Translate) -> str:
        return render(t, f"issue.taxonomy_{self.code}", self.params)

    def hint_text(self, t: Translate) -> str | None:
        key = f"issue.taxonomy_{self.code}.hint"
        return render(t, key, self.params) if t.has(key) else None

    def to_dict(self, t: Translate) -> dict[str, Any]:
        return {"level": self.level, "code": self.code, "where": self.where(),
                "message": self.text(t), "hint": self.hint_text(t)}


class TaxonomyInvalid(CskpiError):
    """A taxonomy file has errors; ``issues`` lists every one with its line."""

    def __init__(self, source: str, issues: list[TaxonomyIssue]) -> None:
        errors = sum(1 for i in issues if i.is_error)
        super().__init__(code="taxonomy_invalid", params={"source": source, "n": errors})
        self.issues = issues


@dataclass(frozen=True)
class Reason:
    key: str
    zh: str
    en: str
    keywords: dict[str, tuple[str, ...]]  # language (zh, en) -> keywords as written
    line: int | None = None


@dataclass(frozen=True)
class Taxonomy:
    """The reasons in file order (``service`` and ``other`` always among them)."""

    name: str
    reasons: tuple[Reason, ...]
    source: str = "<taxonomy>"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.reasons)

    def reason(self, key: str) -> Reason | None:
        return next((r for r in self.reasons if r.key == key), None)

    def label(self, key: str, lang: str = "en") -> str:
        r = self.reason(key)
        if r is None:
            return key
        return r.zh if lang.startswith("zh") else r.en


# --- YAML with line numbers ------------------------------------------------------------


@dataclass
class _Reader:
    source: str
    issues: list[TaxonomyIssue] = field(default_factory=list)
    keyword_lines: dict[tuple[str, str], int] = field(default_factory=dict)

    def error(self, code: str, line: int | None, **params: Any) -> None:
        self.issues.append(TaxonomyIssue("error", code, params, line, self.source))

    def warning(self, code: str, line: int | None, **params: Any) -> None:
        self.issues.append(TaxonomyIssue("warning", code, params, line, self.source))

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[str, int, yaml.Node]] | None:
        """The entries of a mapping node (key, line, value); a repeated key is an error."""
        if not isinstance(node, yaml.MappingNode):
            self.error("not_mapping", _line(node), what=what)
            return None
        out: list[tuple[str, int, yaml.Node]] = []
        seen: dict[str, int] = {}
        for k, v in node.value:
            key, line = str(k.value), _line(k)
            if key in seen:
                self.error("duplicate_key", line, key=key, first=seen[key])
                continue
            seen[key] = line
            out.append((key, line, v))
        return out

    def text(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.error("not_text", _line(node), what=what)
            return None
        return str(node.value).strip()


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def load_taxonomy(text: str, source: str = "<taxonomy>"
                  ) -> tuple[Taxonomy | None, list[TaxonomyIssue]]:
    """Parse and check a taxonomy; return it (None when there are errors) and all issues."""
    r = _Reader(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        r.error("yaml", mark.line + 1 if mark else None, error=yaml_problem(problem))
        return None, r.issues
    if root is None:
        r.error("empty", None)
        return None, r.issues
    entries = r.mapping(root, "the taxonomy")
    if entries is None:
        return None, r.issues
    name, reasons_node = "taxonomy", None
    for key, line, value in entries:
        if key == "taxonomy":
            name = r.text(value, "taxonomy") or name
        elif key == "reasons":
            reasons_node = value
        else:
            r.error("unknown_key", line, key=key, allowed=", ".join(TOP_KEYS))
    reasons: list[Reason] = []
    if reasons_node is None:
        r.error("no_reasons", _line(root))
    else:
        for key, line, value in r.mapping(reasons_node, "reasons") or []:
            reason = _reason(r, key, line, value)
            if reason is not None:
                reasons.append(reason)
    _check_keywords(r, reasons)
    for key in BUILT_IN:  # labels only; the defaults when the file does not name them
        if all(x.key != key for x in reasons):
            reasons.append(Reason(key, *BUILT_IN_LABELS[key], {}))
    if any(i.is_error for i in r.issues):
        return None, r.issues
    return Taxonomy(name, tuple(reasons), source), r.issues


BUILT_IN_LABELS = {SERVICE: ("服务", "Service"), OTHER: ("其他", "Other")}


def _reason(r: _Reader, key: str, line: int, node: yaml.Node) -> Reason | None:
    if not KEY_PATTERN.fullmatch(key):
        r.error("bad_reason_key", line, key=key)
    entries = r.mapping(node, f"reason {key}")
    if entries is None:
        return None
    labels: dict[str, str] = {}
    keywords: dict[str, tuple[str, ...]] = {}
    keywords_line = line
    for k, kline, value in entries:
        if k in LANGS:
            labels[k] = r.text(value, f"{key}.{k}") or ""
        elif k == "keywords":
            keywords_line = kline
            keywords = _keywords(r, key, value)
        else:
            r.error("unknown_key", kline, key=f"{key}.{k}", allowed=", ".join(REASON_KEYS))
    for lang in LANGS:
        if lang not in labels:
            r.error("no_label", line, reason=key, lang=lang)
    if key in BUILT_IN and keywords:
        r.error("built_in_keywords", keywords_line, reason=key)
    elif key not in BUILT_IN and not any(keywords.values()):
        r.warning("no_keywords", line, reason=key)
    return Reason(key, labels.get("zh", key), labels.get("en", key), keywords, line)


def _keywords(r: _Reader, reason: str, node: yaml.Node) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for lang, line, value in r.mapping(node, f"{reason}.keywords") or []:
        if lang not in LANGS:
            r.error("unknown_lang", line, lang=lang, reason=reason)
            continue
        if not isinstance(value, yaml.SequenceNode):
            r.error("not_list", _line(value), what=f"{reason}.keywords.{lang}")
            continue
        words: list[str] = []
        for item in value.value:
            word = r.text(item, f"{reason}.keywords.{lang}")
            if word is not None:
                words.append(word)
                r.keyword_lines[(reason, word)] = _line(item)
        out[lang] = tuple(words)
    return out


def _check_keywords(r: _Reader, reasons: list[Reason]) -> None:
    """A keyword (compared in lower case) belongs to one reason only."""
    owner: dict[str, str] = {}
    for reason in reasons:
        for words in reason.keywords.values():
            for word in words:
                folded = word.casefold()
                if folded in owner and owner[folded] != reason.key:
                    r.error("keyword_twice", r.keyword_lines.get((reason.key, word)),
                            keyword=word, first=owner[folded], reason=reason.key)
                owner.setdefault(folded, reason.key)


def read_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The taxonomy of ``path`` (the shipped default when None); raises
    :class:`TaxonomyInvalid` with every issue when it has errors."""
    if path is None:
        return _shipped()
    source = str(Path(path))
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TaxonomyInvalid(source, [TaxonomyIssue("error", "encoding", {}, None,
                                                     source)]) from None
    except OSError as err:
        raise CskpiError(code="taxonomy_unreadable",
                         params={"source": source, "error": os_reason(err)}) from None
    return _checked(text, source)


def _checked(text: str, source: str) -> Taxonomy:
    taxonomy, issues = load_taxonomy(text, source)
    if taxonomy is None:
        raise TaxonomyInvalid(source, issues)
    return taxonomy


@lru_cache(maxsize=1)
def _shipped() -> Taxonomy:
    """The shipped taxonomy, read once (it is part of the package and immutable; parsing
    its YAML took a third of a web page listing lost inquiries)."""
    return _checked(resources.files(__package__).joinpath(DEFAULT_FILE).read_text("utf-8"),
                    DEFAULT_FILE)


def default_taxonomy() -> Taxonomy:
    return read_taxonomy(None)
