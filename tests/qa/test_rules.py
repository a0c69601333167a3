"""Loading QA rules: line numbers, every problem at once, RE2 errors with a position,
unknown keys with "did you mean", presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from cskpi.errors import UsageError
from cskpi.qa import load, load_rules, load_rules_file, preset_names
from cskpi.qa.loader import QaRulesInvalid

BAD = """\
qa: bad
titel: 错字
start: 100
rules:
  - {key: a, label: A, kind: pattren, points: -1}
  - {key: b, kind: pattern, pattern: "(微信", points: 5}
  - {key: c, kind: phrases, phrases: [x, X, ""], sender: agnet, points: -1}
  - {key: d, kind: pattern, pattern: "a(?=b)", fatal: true}
  - {key: c, kind: required, phrases: [您好]}
  - {key: e, kind: emotion_followup, phrases: [x], points: -5}
"""


def test_every_problem_at_once_with_its_line() -> None:
    rules, issues = load_rules(BAD, "bad.yaml")
    assert rules is None
    found = [(i.row, i.level, i.code) for i in issues]
    assert found == [
        (2, "error", "unknown_key"),
        (5, "error", "bad_value"),  # kind pattren
        (6, "error", "qa_points"),
        (6, "error", "qa_pattern"),
        (7, "error", "bad_value"),  # sender agnet
        (7, "warning", "qa_duplicate_phrase"),
        (7, "error", "bad_value"),  # the empty phrase
        (8, "error", "qa_pattern"),
        (9, "warning", "qa_counts_nothing"),
        (9, "error", "duplicate_rule"),
        (10, "error", "unknown_key"),  # phrases on an emotion_followup rule
    ]
    by_code = {(i.row, i.code): i for i in issues}
    assert "did you mean 'title'" in by_code[(2, "unknown_key")].hint
    assert "did you mean 'pattern'" in by_code[(5, "bad_value")].hint
    assert any("did you mean 'agent'" in (i.hint or "") for i in issues if i.row == 7)
    assert all(i.file == "bad.yaml" for i in issues)


def test_a_pattern_re2_cannot_run_is_an_error_with_its_position() -> None:
    _, issues = load_rules(BAD, "bad.yaml")
    patterns = [i for i in issues if i.code == "qa_pattern"]
    assert [(i.row, i.column) for i in patterns] == [(6, 1), (8, 2)]
    assert "missing )" in patterns[0].message and "(?=" in patterns[1].message
    assert "look-around" in (patterns[1].hint or "")


def test_the_example_of_the_issue_loads() -> None:
    text = """\
qa: basic
title: 基础质检
start: 100                  # a session's QA score starts here, clamped to 0..start
applies_to: {role: presale} # optional, as in schemes
rules:
  - {key: banned, label: 禁用语, kind: phrases, phrases: [不知道, 爱买不买], points: -10}
  - {key: offsite, label: 引导站外交易, kind: pattern, pattern: "(微信|vx)[:：]?\\\\s*[A-Za-z0-9_-]{5,}", fatal: true}
  - {key: greeting, label: 首句问候, kind: required, phrases: [您好, 亲], points: -5}
  - {key: soothe, label: 顾客不满未安抚, kind: emotion_followup, points: -5}
"""
    rules, issues = load_rules(text, "basic.yaml")
    assert issues == [] and rules is not None
    assert [r.key for r in rules.rules] == ["banned", "offsite", "greeting", "soothe"]
    assert rules.applies_to.role == ("presale",) and rules.start == 100
    assert rules.rule("offsite").fatal and rules.rule("offsite").pattern == \
        "(微信|vx)[:：]?\\s*[A-Za-z0-9_-]{5,}"
    assert [r.line for r in rules.rules] == [6, 7, 8, 9]


def test_presets_load_cleanly() -> None:
    assert {"taobao-basic", "douyin-basic"} <= set(preset_names())
    for name in preset_names():
        rules = load(name)
        assert rules.rules and any(r.fatal for r in rules.rules), name
        assert any(r.kind == "emotion_followup" for r in rules.rules), name


def test_a_file_is_loaded_by_path_and_errors_are_raised_together(tmp_path: Path) -> None:
    good = tmp_path / "mine.yaml"
    good.write_text("qa: mine\nrules:\n  - {key: a, kind: phrases, phrases: [x], points: -1}\n",
                    encoding="utf-8")
    assert load(str(good)).name == "mine"
    rules, issues = load_rules_file(good)
    assert rules is not None and rules.source == str(good)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    with pytest.raises(QaRulesInvalid) as err:
        load(str(bad))
    assert sum(i.is_error for i in err.value.issues) == 9
    with pytest.raises(UsageError, match="no-such-preset") as missing:
        load("no-such-preset")
    assert "taobao-basic" in (missing.value.hint or "")


def test_the_digest_follows_the_text() -> None:
    a, _ = load_rules("qa: a\nrules:\n  - {key: a, kind: phrases, phrases: [x], points: -1}\n")
    b, _ = load_rules("qa: a\nrules:\n  - {key: a, kind: phrases, phrases: [y], points: -1}\n")
    assert a is not None and b is not None and a.digest != b.digest
