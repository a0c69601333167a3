"""Text matching for QA rules: folding, phrase alternations, the emotion lexicon.

A phrase matches when the *folded* message contains the folded phrase, where folding a
character maps a full-width form (ＡＢＣ１２３！：) to its ASCII twin, the ideographic
space to a space, and lower-cases it.  Folding is one character to one character, so
instead of folding every message (slow in SQL), each phrase character becomes the class
of every character that folds like it (``v`` -> ``[Vvｖ Ｖ]``): one RE2 alternation over
the text as stored finds exactly the phrases of the folded text.  Patterns are matched
as written on the text as written (write ``(?i)`` or full-width twins yourself).

Chinese negative-emotion words are confirmed with jieba: a word counts when it is a token
of the message (差 in 质量太差了, not in 差不多).  English words match as whole words.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import functools
import hashlib
import logging
import os
import re
import struct
import tempfile
import threading
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import re2

FULL_WIDTH_OFFSET = 0xFEE0  # ＡＢＣ (U+FF21…) - ABC (U+0041…)


def fold_char(c: str) -> str:
    """A character as phrases compare it: ASCII for a full-width form, lower case."""
    o = ord(c)
    if 0xFF01 <= o <= 0xFF5E:
        c = chr(o - FULL_WIDTH_OFFSET)
    elif o == 0x3000:
        c = " "
    low = c.lower()
    return low if len(low) == 1 else c


def fold(text: str) -> str:
    """The text as phrases see it (one character for one, so positions are kept)."""
    return "".join(fold_char(c) for c in text)


@functools.cache
def _twins(folded: str) -> tuple[str, ...]:
    """Every character that folds to ``folded`` (itself included)."""
    out = {folded, folded.upper() if len(folded.upper()) == 1 else folded}
    for c in tuple(out):
        o = ord(c)
        if 0x21 <= o <= 0x7E:
            out.add(chr(o + FULL_WIDTH_OFFSET))
        if c == " ":
            out.add("\u3000")
    return tuple(sorted(c for c in out if fold_char(c) == folded))


def phrase_regex(phrase: str) -> str:
    """An RE2 expression matching ``phrase`` in any text whose fold contains its fold."""
    parts = []
    for c in fold(phrase):
        twins = _twins(c)
        if len(twins) == 1:
            parts.append(re.escape(c) if c.isascii() else c)
        else:
            parts.append("[" + "".join("\\" + t if t in "\\]^-[" else t for t in twins) + "]")
    return "".join(parts)


def alternation(expressions: Iterable[str]) -> str:
    """One RE2 expression matching where any of ``expressions`` does (each in a group, so
    its flags and alternatives stay its own)."""
    return "|".join(f"(?:{e})" for e in expressions)


def word_regex(word: str) -> str:
    """A lexicon word: Chinese as a substring (confirmed by jieba), others as whole words."""
    body = phrase_regex(word)
    return body if has_cjk(word) else f"\\b{body}\\b"


def has_cjk(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)


def check_pattern(pattern: str) -> tuple[str, int | None] | None:
    """``None`` when RE2 can run ``pattern``; else (its complaint, 1-based column or None).

    RE2 names the part it stopped at (``missing ): (abc``); the column is where that part
    starts in the pattern.
    """
    try:
        re2.compile(pattern, quiet_options())
    except re2.error as err:
        raw = err.args[0] if err.args else ""
        message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        column = None
        if ": " in message:
            fragment = message.split(": ", 1)[1]
            at = pattern.find(fragment) if fragment else -1
            column = at + 1 if at >= 0 else None
        return message, column
    return None


def quiet_options() -> re2.Options:
    """RE2's defaults (as DuckDB's regexp functions use them), without logging errors to
    stderr (they are reported as issues)."""
    options = re2.Options()
    options.log_errors = False
    return options


def compile_regex(expression: str) -> re2._Regexp:
    return re2.compile(expression, quiet_options())


# --- the emotion lexicon -------------------------------------------------------------------


@functools.cache
def shipped(name: str) -> tuple[str, ...]:
    """The words of a shipped lexicon, ``negative`` or ``soothe``, Chinese then English."""
    words: list[str] = []
    folder = resources.files(__package__).joinpath("lexicon")
    for lang in ("zh", "en"):
        for line in folder.joinpath(f"{name}.{lang}.txt").read_text("utf-8").splitlines():
            word = line.split("#", 1)[0].strip()
            if word and fold(word) not in (fold(w) for w in words):
                words.append(word)
    return tuple(words)


class Lexicon:
    """Negative-emotion words and soothing phrases, with jieba for the Chinese words."""

    def __init__(self, negative: Iterable[str], soothe: Iterable[str]) -> None:
        self.negative = tuple(dict.fromkeys(negative))
        self.soothe = tuple(dict.fromkeys(soothe))
        self.negative_regex = alternation(word_regex(w) for w in self.negative)
        self.soothe_regex = alternation(phrase_regex(p) for p in self.soothe)
        self._cjk = {fold(w) for w in self.negative if has_cjk(w)}
        self._loading: threading.Thread | None = None
        self._others = compile_regex(alternation(
            word_regex(w) for w in self.negative if not has_cjk(w)) or "$^")
        self._cjk_regex = compile_regex(alternation(
            phrase_regex(w) for w in self.negative if has_cjk(w)) or "$^")

    def is_negative(self, text: str) -> bool:
        """Whether ``text`` has a negative word: an English one as a whole word, or a
        Chinese one as a jieba token."""
        if self._others.search(text):
            return True
        if not self._cjk_regex.search(text):
            return False
        return any(tok in self._cjk for tok in self.tokenizer().tokens(fold(text)))

    def preload(self) -> None:
        """Start loading jieba's dictionary (~1 s) in a thread, while DuckDB scans."""
        if self._cjk and self._loading is None:
            self._loading = threading.Thread(target=self.tokenizer, daemon=True)
            self._loading.start()

    def tokenizer(self) -> _Tokens:
        with _LOCK:
            return _tokenizer(frozenset(self._cjk))


class _Tokens:
    def __init__(self, words: frozenset[str]) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self.tk = jieba.Tokenizer()
        # jieba's own dictionary, read from a compact copy (jieba's cache takes 1.2 s)
        self.tk.FREQ, self.tk.total = prefix_dict()
        self.tk.initialized = True
        # a word jieba does not know is added (so 太差 can be a token); one it knows keeps
        # its frequency (adding 差 with a suggested one would cut 差不多 apart)
        for w in sorted(words):
            if not self.tk.FREQ.get(w):
                self.tk.add_word(w)

    def tokens(self, text: str) -> list[str]:
        return self.tk.lcut(text, HMM=False)


class PrefixDict:
    """jieba's prefix dictionary (``Tokenizer.FREQ``) as jieba uses it (``in``, ``[]``,
    ``get``, ``[] =``), looked up by bisection in the sorted words of the compact copy
    (:func:`prefix_dict`): nothing is built when it loads.  Words jieba adds
    (``add_word``) and words looked up are kept in a dict beside."""

    def __init__(self, words: list[str], freqs: array.array) -> None:
        self.words, self.freqs = words, freqs
        self.known: dict[str, int | None] = {}  # added words, and every lookup's answer

    def _get(self, key: str) -> int | None:
        try:
            return self.known[key]
        except KeyError:
            pass
        i = bisect.bisect_left(self.words, key)
        found = self.freqs[i] if i < len(self.words) and self.words[i] == key else None
        self.known[key] = found
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._get(key) is not None

    def __getitem__(self, key: str) -> int:
        found = self._get(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: str, default: int | None = None) -> int | None:
        found = self._get(key)
        return default if found is None else found

    def __setitem__(self, key: str, value: int) -> None:
        self.known[key] = value

    def as_dict(self) -> dict[str, int]:
        """Every entry (for tests: it builds the dict this class saves building)."""
        out = dict(zip(self.words, self.freqs, strict=True))
        out.update({k: v for k, v in self.known.items() if v is not None})
        return out


def prefix_dict() -> tuple[PrefixDict, int]:
    """jieba's prefix dictionary (every word with its frequency, every prefix of a word
    with 0) and the frequencies' total, exactly as ``jieba.Tokenizer.initialize`` builds
    them, from a copy kept in the temporary folder: the sorted words as one text and the
    frequencies as one array, read in 0.1 s where jieba's marshal cache takes 1.2-1.4 s.
    The copy is made from jieba's own the first time (named after jieba's version and its
    dictionary file's size and time, so another jieba makes another copy; a digest of its
    contents tells a broken copy, made again)."""
    import jieba

    source = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    stat = source.stat()
    tag = f"sorted 1|{jieba.__version__}|{stat.st_size}|{stat.st_mtime_ns}"
    name = f"cskpi-jieba-{hashlib.blake2b(tag.encode(), digest_size=8).hexdigest()}.bin"
    path = Path(tempfile.gettempdir()) / name
    try:
        return _read_prefix_dict(path.read_bytes())
    except (OSError, ValueError):
        pass
    tk = jieba.Tokenizer()
    tk.initialize()
    words = sorted(tk.FREQ)
    freqs = array.array("q", (tk.FREQ[w] for w in words))
    if freqs.itemsize != 8 or any("\n" in w for w in words):  # pragma: no cover
        raise RuntimeError("jieba's dictionary cannot be copied")
    body = struct.pack("<qq", tk.total, len(words)) + freqs.tobytes() + \
        "\n".join(words).encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=name + ".")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(hashlib.blake2b(body, digest_size=16).digest() + body)
        os.replace(tmp, path)
    except OSError:  # pragma: no cover - a temporary folder we may not write
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return PrefixDict(words, freqs), tk.total


def _read_prefix_dict(data: bytes) -> tuple[PrefixDict, int]:
    """The dictionary of a copy :func:`prefix_dict` wrote (ValueError when it is not)."""
    digest, body = data[:16], data[16:]
    if len(body) < 16 or hashlib.blake2b(body, digest_size=16).digest() != digest:
        raise ValueError("broken")
    total, n = struct.unpack_from("<qq", body)
    freqs = array.array("q")
    if freqs.itemsize != 8 or n < 0 or len(body) < 16 + 8 * n:  # pragma: no cover
        raise ValueError("short")
    freqs.frombytes(body[16:16 + 8 * n])
    words = body[16 + 8 * n:].decode("utf-8").split("\n")
    if len(words) != n:  # pragma: no cover
        raise ValueError("count")
    return PrefixDict(words, freqs), total


_LOCK = threading.Lock()  # one jieba load at a time (a preloading thread, a caller)


@functools.lru_cache(maxsize=4)
def _tokenizer(words: frozenset[str]) -> _Tokens:
    """jieba with the lexicon's words added (its dictionary loads once, ~0.3 s)."""
    return _Tokens(words)
