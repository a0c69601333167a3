"""Load QA rules (质检方案) from YAML as schemes are loaded: line numbers on every part,
every problem reported at once (:class:`~cskpi.errors.Issue` with file:line,
a column inside a pattern, and a hint), presets by name.

Reuses the scheme reader (:mod:`cskpi.scheme.reader`); :func:`load_rules` never raises on
a bad file: it returns ``(None, issues)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import CskpiError, Issue, SchemeInvalid, UsageError, message, os_reason
from ..scheme.models import AppliesTo
from ..scheme.reader import Reader, YMap, YNode, YScalar, YSeq, compose, keys_hint
from .models import PER, RULE_KINDS, SENDERS, QaRules, RubricItem, Rule, Sampling
from .text import check_pattern, fold

TOP_KEYS = ("qa", "title", "start", "applies_to", "rules", "sampling", "rubric")
APPLIES_TO_KEYS = ("role", "team", "level", "agents")
COMMON_KEYS = ("key", "label", "kind", "points", "fatal", "per")
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "phrases": ("phrases", "sender"),
    "pattern": ("pattern", "sender"),
    "required": ("phrases",),
    "emotion_followup": ("negative", "soothe"),
}
SAMPLING_KEYS = ("fatal", "hits", "per_agent_week", "seed")
RUBRIC_KEYS = ("key", "label", "max")
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def load_rules(text: str, source: str = "<qa>") -> tuple[QaRules | None, list[Issue]]:
    """Parse and check a QA rules file; the rules (None when there are errors) and every
    issue, sorted by line."""
    r = Reader(source)
    root = compose(text, r)
    if root is None or not isinstance(root, YMap):
        if root is not None or not r.issues:
            r.error("not_mapping", root.line if root is not None else None,
                    message_key="qa.issue.not_mapping")
        return None, _sorted(r.issues)
    rules = _read(root, r, text)
    errors = any(i.is_error for i in r.issues)
    return (None if errors else rules), _sorted(r.issues)


def load_rules_file(path: str | Path) -> tuple[QaRules | None, list[Issue]]:
    """:func:`load_rules` on a UTF-8 file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        return None, [Issue("error", "encoding", file=str(p), origin="scheme",
                            key="qa.issue.encoding", params={"error": str(err)})]
    except OSError as err:
        return None, [Issue("error", "unreadable", file=str(p), origin="scheme",
                            key="qa.issue.unreadable", params={"error": os_reason(err)})]
    return load_rules(text, str(p))


# --- presets ------------------------------------------------------------------------------


@cache
def _preset_names() -> tuple[str, ...]:
    folder = resources.files(__package__).joinpath("presets")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


def preset_names() -> list[str]:
    """The QA rules shipped with cskpi (``cskpi qa list``)."""
    return list(_preset_names())


def preset_text(name: str) -> str:
    return resources.files(__package__).joinpath("presets").joinpath(f"{name}.yaml").read_text("utf-8")


@dataclass(frozen=True)
class RulesText:
    """QA rules given as their YAML text (a version saved in the web app), with the name
    their messages give as the source: no file is written."""

    text: str
    source: str = "<qa rules>"


RulesRef = str | RulesText
"""What the QA check takes as rules: a preset name or a file path, or a text."""


def resolve(ref: RulesRef) -> tuple[str, str]:
    """(source name, YAML text) of a QA rules file path, preset name or text."""
    if isinstance(ref, RulesText):
        return ref.source, ref.text
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise UsageError(code="qa_no_file", params={
                "ref": ref, "presets": ", ".join(preset_names())})
        return str(path), path.read_text(encoding="utf-8-sig")
    if ref in preset_names():
        return f"{ref} (preset)", preset_text(ref)
    raise UsageError(code="qa_no_rules", params={"ref": ref, "presets": ", ".join(preset_names())})


class QaRulesInvalid(SchemeInvalid):
    """QA rules with errors; ``issues`` lists every one with file:line (printed as a
    scheme's are)."""

    def __init__(self, source: str, issues: list[Issue]) -> None:
        errors = sum(1 for i in issues if i.is_error)
        CskpiError.__init__(self, code="qa_invalid", params={"source": source,
                                                             "errors": errors})
        self.issues = issues


def load(ref: RulesRef) -> QaRules:
    """The QA rules of a file or preset; :class:`QaRulesInvalid` listing every problem."""
    source, text = resolve(ref)
    rules, issues = load_rules(text, source)
    if rules is None:
        raise QaRulesInvalid(source, issues)
    return rules


# --- reading ------------------------------------------------------------------------------


def _sorted(issues: list[Issue]) -> list[Issue]:
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.row is None, i.row or 0))


def what(name: str, /, **params: Any) -> Any:
    """A part of the QA rules, as messages name it (``qa.what.<name>``)."""
    return message(f"qa.what.{name}", **params)


def _read(top: YMap, r: Reader, text: str) -> QaRules:
    r.check_keys(top, TOP_KEYS, what("rules"))
    name = r.string(r.require(top, "qa", what("rules")), what("name")) or ""
    title = r.string(top.get("title"), what("title")) or name
    start = Decimal(100)
    if "start" in top:
        value = r.number(top.get("start"), "start")
        if value is not None and value <= 0:
            r.error("bad_value", top.key_line("start"), message_key="qa.issue.start",
                    value=str(value))
        elif value is not None:
            start = value
    rules_node = r.require(top, "rules", what("rules"))
    rules = [rule for node in r.sequence(rules_node, "rules")
             if (rule := _rule(node, r)) is not None]
    if isinstance(rules_node, YSeq) and not rules_node.items:
        r.error("missing_key", top.key_line("rules"), message_key="qa.issue.no_rules")
    first: dict[str, int] = {}
    for rule in rules:
        if rule.key in first:
            r.error("duplicate_rule", rule.line, message_key="qa.issue.duplicate_rule",
                    key=rule.key, first=first[rule.key])
        first.setdefault(rule.key, rule.line)
    rubric = [item for node in r.sequence(top.get("rubric"), "rubric")
              if (item := _rubric(node, r)) is not None]
    for item in rubric:
        if item.key in first:
            r.error("duplicate_rule", item.line, message_key="qa.issue.rubric_is_rule",
                    key=item.key, first=first[item.key])
        first.setdefault(item.key, item.line)
    return QaRules(name=name, title=title, start=start, rules=tuple(rules),
                   applies_to=_applies_to(top.get("applies_to"), r),
                   sampling=_sampling(top.get("sampling"), r), rubric=tuple(rubric),
                   source=r.source, text=text)


def _key(node: YNode | None, ymap: YMap, part: Any, r: Reader) -> str | None:
    key = r.string(r.require(ymap, "key", part), what("key_of", what=part))
    if key is not None and not KEY_RE.match(key):
        r.error("bad_value", ymap.key_line("key"), message_key="qa.issue.bad_key", key=key)
        return None
    return key


def _rule(node: YNode, r: Reader) -> Rule | None:
    m = r.mapping(node, what("rule"))
    if m is None:
        return None
    kind = r.choice(r.require(m, "kind", what("rule")), "kind", RULE_KINDS)
    valid = COMMON_KEYS + (KIND_KEYS[kind] if kind else tuple(
        k for keys in KIND_KEYS.values() for k in keys))
    r.check_keys(m, tuple(dict.fromkeys(valid)),
                 what("kind_rule", kind=kind) if kind else what("rule"))
    key = _key(m.get("key"), m, what("rule"), r)
    label = r.string(m.get("label"), what("label")) or key or ""
    points = Decimal(0)
    if "points" in m:
        value = r.number(m.get("points"), "points")
        if value is not None and value > 0:
            r.error("qa_points", m.key_line("points"), message_key="qa.issue.qa_points",
                    value=str(value))
        elif value is not None:
            points = value
    fatal = r.boolean(m.get("fatal"), "fatal", False)
    per = r.choice(m.get("per"), "per", PER, "session") or "session"
    sender = r.choice(m.get("sender"), "sender", SENDERS, "agent") or "agent"
    if kind is None or key is None:
        return None
    if not fatal and points == 0 and "points" not in m:
        r.add("warning", "qa_counts_nothing", m.line, message_key="qa.issue.counts_nothing",
              key=key)
    phrases: tuple[str, ...] = ()
    pattern = None
    if kind in ("phrases", "required"):
        phrases = _phrases(r.require(m, "phrases", what("kind_rule", kind=kind)), key, r)
    elif kind == "pattern":
        pattern = _pattern(r.require(m, "pattern", what("kind_rule", kind=kind)), r)
        if pattern is None:
            return None
    negative = _phrases(m.get("negative"), key, r) if "negative" in m else ()
    soothe = _phrases(m.get("soothe"), key, r) if "soothe" in m else ()
    return Rule(key=key, label=label, kind=kind, points=points,  # type: ignore[arg-type]
                fatal=fatal, per=per, sender=sender,  # type: ignore[arg-type]
                phrases=phrases, pattern=pattern, negative=negative, soothe=soothe,
                line=m.line)


def _phrases(node: YNode | None, key: str, r: Reader) -> tuple[str, ...]:
    if node is None:
        return ()
    items = node.items if isinstance(node, YSeq) else [node]
    out: list[str] = []
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, YScalar) and isinstance(item.value, str) and not item.raw.strip():
            r.error("bad_value", item.line, message_key="qa.issue.empty_phrase", key=key)
            continue
        text = r.string(item, what("phrase"))
        if text is None:
            continue
        folded = fold(text.strip())
        if folded in seen:
            r.add("warning", "qa_duplicate_phrase", item.line,
                  message_key="qa.issue.duplicate_phrase", key=key, text=text,
                  first=seen[folded])
            continue
        seen[folded] = text
        out.append(text.strip())
    if not out and isinstance(node, YSeq):
        r.error("missing_key", node.line, message_key="qa.issue.no_phrases", key=key)
    return tuple(out)


def _pattern(node: YNode | None, r: Reader) -> str | None:
    text = r.string(node, what("pattern"))
    if text is None or node is None:
        return None
    problem = check_pattern(text)
    if problem is not None:
        message, column = problem
        r.error("qa_pattern", node.line, column=column, message_key="qa.issue.qa_pattern",
                pattern=text, problem=message, at=column or "?")
        return None
    return text


def _rubric(node: YNode, r: Reader) -> RubricItem | None:
    m = r.mapping(node, what("rubric_item"))
    if m is None:
        return None
    r.check_keys(m, RUBRIC_KEYS, what("rubric_item"))
    key = _key(m.get("key"), m, what("rubric_item"), r)
    label = r.string(m.get("label"), what("label")) or key or ""
    top = r.number(r.require(m, "max", what("rubric_item")), "max")
    if top is not None and top <= 0:
        r.error("bad_value", m.key_line("max"), message_key="qa.issue.rubric_max",
                value=str(top))
        return None
    if key is None or top is None:
        return None
    return RubricItem(key, label, top, m.line)


def _sampling(node: YNode | None, r: Reader) -> Sampling:
    m = r.mapping(node, "sampling")
    if m is None:
        return Sampling()
    r.check_keys(m, SAMPLING_KEYS, "sampling")
    k = Sampling().per_agent_week
    if "per_agent_week" in m:
        k = r.integer(m.get("per_agent_week"), "per_agent_week", minimum=0) or 0
    seed = r.integer(m.get("seed"), "seed", minimum=0) if "seed" in m else 0
    return Sampling(fatal=r.boolean(m.get("fatal"), "fatal", True),
                    hits=r.boolean(m.get("hits"), "hits", True), per_agent_week=k,
                    seed=seed or 0, line=m.line)


def _applies_to(node: YNode | None, r: Reader) -> AppliesTo:
    m = r.mapping(node, "applies_to")
    if m is None:
        return AppliesTo()
    r.check_keys(m, APPLIES_TO_KEYS, "applies_to")
    return AppliesTo(role=r.strings(m.get("role"), what("role")),
                     team=r.strings(m.get("team"), what("team")),
                     level=r.strings(m.get("level"), what("level")),
                     agents=r.strings(m.get("agents"), what("agent")), line=m.line)


__all__ = ["QaRulesInvalid", "keys_hint", "load", "load_rules", "load_rules_file",
           "preset_names", "preset_text", "resolve"]
