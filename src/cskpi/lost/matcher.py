"""Keyword matching at word level: which reason a customer's message gives, if any.

Every keyword of the taxonomy is looked for in the message (in lower case); an
occurrence counts only where it is a whole word:

- a Chinese keyword that jieba keeps as one word (包邮, 正品, 贵) counts where jieba's cut
  of the message has exactly that word: 贵 is not found in 贵州, 色 not in 特色;
- a Chinese keyword jieba cuts in several words (几天到, M码) counts as written (a
  substring: jieba's cut of the message may join its parts with their neighbours);
- an English keyword (one word or a phrase) counts where it is not part of a longer word:
  ``size`` in "what size?", not in "oversized".

Of the counted occurrences, the one that ends last decides (at one place, the longer
keyword: "delivery fee" over "delivery").  jieba is loaded only when a Chinese keyword
has to be checked, and each distinct message is cut once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .taxonomy import Taxonomy

WORD_CHAR = re.compile(r"[0-9a-z]")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Match:
    reason: str
    keyword: str  # as written in the taxonomy
    start: int
    end: int


@dataclass(frozen=True)
class _Keyword:
    folded: str
    reason: str
    written: str
    chinese: bool  # checked against jieba's words (else: English word boundaries)


def jieba_cut(text: str) -> list[str]:
    """jieba's cut of ``text`` (accurate mode), loading its dictionary on first use."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return list(jieba.cut(text))


class KeywordMatcher:
    """The keywords of a taxonomy, indexed for word-level matching."""

    def __init__(self, taxonomy: Taxonomy, cut: Callable[[str], list[str]] = jieba_cut,
                 cache_size: int = 1 << 16) -> None:
        self._cut = cut
        self.keywords: list[_Keyword] = []
        for reason in taxonomy.reasons:
            for lang, words in reason.keywords.items():
                for word in words:
                    folded = word.lower()
                    chinese = lang == "zh" and HAN.search(folded) is not None
                    self.keywords.append(_Keyword(folded, reason.key, word, chinese))
        # every keyword's first character -> the keywords starting with it, longest first
        self._by_first: dict[str, list[_Keyword]] = {}
        for k in sorted(self.keywords, key=lambda k: -len(k.folded)):
            self._by_first.setdefault(k.folded[0], []).append(k)
        alternatives = "|".join(re.escape(c) for c in sorted(self._by_first))
        self._starts = re.compile(f"[{alternatives}]" if alternatives else r"(?!x)x")
        self._one_word = lru_cache(maxsize=None)(self._is_one_word)
        self._spans = lru_cache(maxsize=cache_size)(self._word_spans)

    def warm_up(self) -> None:
        """Load jieba's dictionary in the background (half a second) while the database
        finds the messages to cut; only when there are Chinese keywords."""
        if any(k.chinese for k in self.keywords):
            import threading

            threading.Thread(target=self._one_word, args=("包邮",), daemon=True).start()

    def substrings(self) -> list[str]:
        """Every keyword in lower case: a message holding none of them matches nothing."""
        return sorted({k.folded for k in self.keywords})

    def match(self, text: str | None) -> Match | None:
        """The deciding keyword of ``text``: the counted occurrence that ends last."""
        if not text:
            return None
        folded = text.lower()
        best: Match | None = None
        for m in self._starts.finditer(folded):
            start = m.start()
            for k in self._by_first[folded[start]]:
                if not folded.startswith(k.folded, start):
                    continue
                end = start + len(k.folded)
                if best is not None and (end, end - start) <= (best.end, best.end - best.start):
                    continue
                if self._counts(folded, k, start, end):
                    best = Match(k.reason, k.written, start, end)
        return best

    def _counts(self, folded: str, k: _Keyword, start: int, end: int) -> bool:
        if not k.chinese:
            before = folded[start - 1] if start else " "
            after = folded[end] if end < len(folded) else " "
            return not (WORD_CHAR.match(before) or WORD_CHAR.match(after))
        if not self._one_word(k.folded):
            return True  # jieba cuts the keyword itself: matched as written
        return (start, end) in self._spans(folded)

    def _is_one_word(self, keyword: str) -> bool:
        return len(self._cut(keyword)) == 1

    def _word_spans(self, folded: str) -> frozenset[tuple[int, int]]:
        spans, at = [], 0
        for word in self._cut(folded):
            spans.append((at, at + len(word)))
            at += len(word)
        return frozenset(spans)
