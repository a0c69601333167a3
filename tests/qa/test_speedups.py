"""What the engine does to be fast finds what the plain way finds: a full match of the
wrapped expression where ``regexp_matches`` matches, jieba's own dictionary from the
compact copy, the digest that keys kept results."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cskpi.qa import load_rules
from cskpi.qa import text as qa_text
from cskpi.qa.engine import full_match

_CON = duckdb.connect()

# pieces of RE2 whose meaning depends on where the match is: anchors, word boundaries,
# flags, dots (which do not match a line break unless (?s) says so)
PIECES = ["a", "b", "差", "ab", "^", "$", "\\b", "\\B", ".", ".*", "(?i)A", "(?m)^a",
          "(?m)b$", "(?s)a.b", "a.b", "\\n", "[ab]+", "(a|b)", "\\A", "\\z", "x?"]
TEXTS = st.text(st.sampled_from(["a", "b", "A", "差", "\n", " ", "x", "é"]), max_size=8)


@settings(max_examples=300, deadline=None)
@given(pattern=st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join),
       text=TEXTS)
@example(pattern="\\B", text="AéA")  # found by this test: \B between the bytes of é
def test_a_full_match_of_the_wrapped_expression_is_a_match_anywhere(pattern: str,
                                                                   text: str) -> None:
    """regexp_full_match(text, '(?s:.*)(?:E)(?s:.*)') holds exactly where RE2 finds E in
    the text, whatever anchors, flags and line breaks E and the text hold.  (RE2 itself
    is the reference: DuckDB's optimizer turns regexp_matches(t, '^^') into t = '', so
    the plain way is wrong there.)  RE2 is asked at every character of the text: its
    unanchored search also tries the positions between the bytes of one UTF-8 character,
    where ``\\B`` holds ('AéA'), and no reading of the text by characters stops there."""
    wrapped = full_match("t", pattern)
    found = _CON.execute(f"SELECT {wrapped} FROM (SELECT $text AS t)", {"text": text}
                         ).fetchone()
    regex = qa_text.compile_regex(pattern)
    expected = any(regex.match(text, at) is not None for at in range(len(text) + 1))
    assert found == (expected,), (pattern, text)


@pytest.mark.slow  # a large file: jieba's whole dictionary loaded twice
def test_jiebas_dictionary_from_the_compact_copy(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy holds jieba's own prefix dictionary and total, and cuts as jieba does with
    its own (the lexicon's words added alike); a broken copy is made again."""
    import jieba

    monkeypatch.setattr(qa_text.tempfile, "gettempdir", lambda: str(tmp_path))
    made, total = qa_text.prefix_dict()  # made from jieba's own the first time
    (copy,) = tmp_path.glob("cskpi-jieba-*.bin")
    read, again = qa_text.prefix_dict()  # read from the copy
    tk = jieba.Tokenizer()
    tk.initialize()
    assert made.as_dict() == read.as_dict() == tk.FREQ and total == again == tk.total
    assert "质量" in read and read["质量"] == tk.FREQ["质量"] and read.get("质量太差了") is None
    words = frozenset(w for w in (*qa_text.shipped("negative"), "太差") if qa_text.has_cjk(w))
    ours = qa_text._Tokens(words)
    for w in sorted(words):
        if not tk.FREQ.get(w):
            tk.add_word(w)
    for text in ("东西坏了，质量太差了，我很生气", "差不多就这样吧", "垃圾机器人", "太失望了，一直不发货",
                 "你们客服态度差，我要投诉", "这个差价怎么算", "骗子店铺，差评！", "ok 好的 thanks"):
        assert ours.tokens(text) == tk.lcut(text, HMM=False), text
    copy.write_bytes(copy.read_bytes()[:-1000])
    rebuilt, _ = qa_text.prefix_dict()  # the broken copy is not read: made again
    assert rebuilt.as_dict() == made.as_dict()
    assert qa_text._read_prefix_dict(copy.read_bytes())[0].as_dict() == made.as_dict()


def test_the_digest_is_what_the_rules_look_for() -> None:
    """Comments, layout, order, labels, points, fatal, per, start, applies_to and the
    rubric leave the digest as it is; a phrase, a pattern, a sender, a kind, a key or a
    lexicon word changes it."""
    base = ("qa: a\nstart: 100\nrules:\n"
            "  - {key: a, label: A, kind: phrases, phrases: [x, y], points: -1}\n"
            "  - {key: b, kind: pattern, pattern: 'z+', fatal: true}\n"
            "  - {key: c, kind: emotion_followup, negative: [糟], points: -2}\n")
    digest = _digest(base)
    same = ("# a comment\nqa: other\nstart: 90\napplies_to: {role: presale}\nrules:\n"
            "  - {key: b, kind: pattern, pattern: 'z+', points: -3}\n"
            "  - {key: c, kind: emotion_followup, negative: [糟], points: -5, per: hit}\n"
            "  - key: a\n    label: other\n    kind: phrases\n    phrases: [x, y]\n"
            "    points: -7\n"
            "rubric:\n  - {key: r, max: 5}\n")
    assert _digest(same) == digest
    for old, new in (("[x, y]", "[x, w]"), ("'z+'", "'z*'"), ("[糟]", "[糟糕]"),
                     ("key: a", "key: d"), ("kind: phrases, phrases: [x, y]",
                                            "kind: phrases, sender: customer, phrases: [x, y]"),
                     ("kind: phrases", "kind: required")):
        assert _digest(base.replace(old, new)) != digest, new


def _digest(text: str) -> str:
    rules, issues = load_rules(text)
    assert rules is not None, issues
    return rules.digest
