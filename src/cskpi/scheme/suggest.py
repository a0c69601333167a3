"""Suggesting the name a user probably meant ("did you mean 'items'?")."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) turning ``a`` into ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name``.

    difflib proposes close matches; the fewest edits wins, then the one that keeps the
    most of ``name``'s letters (``itme`` -> ``items`` rather than ``title``).
    """
    close = difflib.get_close_matches(name, list(candidates), n=5, cutoff=0.6)
    if not close:
        return None
    letters = Counter(name)
    return min(close, key=lambda c: (edit_distance(name, c),
                                     sum((letters - Counter(c)).values()), close.index(c)))
