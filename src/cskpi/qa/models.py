"""QA rules (质检方案) as typed, immutable data.

A :class:`QaRules` is what :func:`cskpi.qa.loader.load_rules` builds from YAML; every
part keeps the 1-based line it came from.  Points are :class:`~decimal.Decimal`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ..scheme.models import AppliesTo

RuleKind = Literal["phrases", "pattern", "required", "emotion_followup"]
RULE_KINDS: tuple[str, ...] = ("phrases", "pattern", "required", "emotion_followup")
SENDERS: tuple[str, ...] = ("agent", "customer", "bot")
PER: tuple[str, ...] = ("session", "hit")


@dataclass(frozen=True)
class Rule:
    """One check (质检点).

    ``phrases``: a message of ``sender`` contains one of the phrases (folded: case and
    full/half width ignored); ``pattern``: a message of ``sender`` matches the RE2
    ``pattern`` (as written, on the text as written); ``required``: the agent's first
    message of the session contains one of the phrases (a hit when it does not);
    ``emotion_followup``: a customer message with a negative-emotion word whose next agent
    message has no soothing phrase (``negative``/``soothe`` add words to the shipped
    lexicon).  A rule counts once per session unless ``per`` is ``hit``; ``fatal`` makes
    the session's score 0.
    """

    key: str
    label: str
    kind: RuleKind
    points: Decimal = Decimal(0)
    fatal: bool = False
    per: Literal["session", "hit"] = "session"
    sender: str = "agent"
    phrases: tuple[str, ...] = ()
    pattern: str | None = None
    negative: tuple[str, ...] = ()
    soothe: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class RubricItem:
    """A manual item a reviewer scores per session (专业度 0–10), added to its score."""

    key: str
    label: str
    max: Decimal
    line: int = 0


@dataclass(frozen=True)
class Sampling:
    """Which sessions of a period go to the review queue (抽检方案)."""

    fatal: bool = True  # every session with a fatal hit
    hits: bool = True  # every session with any hit
    per_agent_week: int = 3  # and this many other sessions per agent and week, at random
    seed: int = 0
    line: int = 0


@dataclass(frozen=True)
class QaRules:
    """A loaded QA rules file: a session's score starts at ``start`` and is clamped to
    0..start after its rules' points; a fatal hit makes it 0; rubric points add to it."""

    name: str
    title: str
    start: Decimal
    rules: tuple[Rule, ...]
    applies_to: AppliesTo = field(default_factory=AppliesTo)
    sampling: Sampling = field(default_factory=Sampling)
    rubric: tuple[RubricItem, ...] = ()
    source: str = "<qa>"
    text: str = ""  # the YAML it was loaded from

    @property
    def digest(self) -> str:
        """What a session's hits as found depend on (:mod:`cskpi.qa.cache` keeps them under
        it): the rules file's content normalised to what its rules look for (each rule's
        key, kind, sender, phrases, pattern and extra lexicon words, in key order).
        Comments, layout, labels, points, ``fatal``, ``per``, ``start``, ``applies_to``,
        sampling and the rubric do not change it: they apply after the hits are found."""
        looks_for = sorted((r.key, r.kind, r.sender if r.kind in ("phrases", "pattern") else "",
                            list(r.phrases), r.pattern, list(r.negative), list(r.soothe))
                           for r in self.rules)
        text = json.dumps(looks_for, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def max_score(self) -> Decimal:
        return self.start + sum((r.max for r in self.rubric), Decimal(0))

    def rule(self, key: str) -> Rule:
        for r in self.rules:
            if r.key == key:
                return r
        raise KeyError(key)
