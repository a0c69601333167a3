"""What a manager may enter (cskpi.scoring.entries): an event or grade is accepted only
as it will count under the schemes that cover the agent, else refused with the reason."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from cskpi.locale import Translator
from cskpi.scheme import Scheme, load_scheme
from cskpi.scoring.entries import EntryRefused, check_event, check_grade, event_rules
from cskpi.scoring.run import load
from cskpi.scoring.score import ScoringInput, score_period
from cskpi.scoring.texts import say

AGENT = {"agent_id": "A004", "role": "aftersale"}


def _scheme(text: str) -> Scheme:
    scheme, issues = load_scheme(text)
    assert scheme is not None, issues
    return scheme


PAID = _scheme("""
scheme: paid
title: t
items:
  - {key: cases, label: 结案, max: 10, start: 10, per: {praise: 1, late: -2}, min: 0}
  - {key: attitude, label: 态度, max: 10, grade: {A: 10, B: 5, C: 2, D: 0}}
veto:
  - {when: "complaint >= 3", effect: bonus, reason: 三次投诉}
events:
  - {kind: bad_review, label: 差评扣款, money: -50}
""")


def _refused(call, *args) -> EntryRefused:  # type: ignore[no-untyped-def]
    with pytest.raises(EntryRefused) as info:
        call(*args)
    return info.value


def _en(exc: EntryRefused) -> str:
    return say(exc.msg, Translator("en"))


def test_the_rules_of_a_preset_say_how_each_kind_counts() -> None:
    rules = {r.kind: r for r in event_rules(load("aftersale-4crown"))}
    assert list(rules) == ["low_quality_review", "complaint", "praise", "outstanding"]
    assert (rules["praise"].fixed, rules["praise"].chosen) == (D(2), False)
    assert (rules["complaint"].low, rules["complaint"].high) == (D(-20), D(-5))
    assert rules["complaint"].deduction and not rules["outstanding"].deduction
    paid = {r.kind: r for r in event_rules(PAID)}
    assert set(paid) == {"bad_review", "praise", "complaint"}  # paid, per item, veto
    assert paid["bad_review"].money == D(-50) and not paid["bad_review"].takes_points
    assert paid["praise"].counted and paid["complaint"].counted


@pytest.mark.parametrize(("kind", "typed", "stored"), [
    ("complaint", "-12", D("-12.00")),
    ("complaint", "12", D("-12.00")),    # a deduction written positive counts negative
    ("complaint", "-20", D("-20.00")),   # the range is inclusive
    ("outstanding", "5", D("5.00")),
    ("praise", "", None),                # the scheme's +2 apply
    ("praise", "2", D("2.00")),
    ("low_quality_review", "5", D("-5.00")),
])
def test_entries_that_count_are_accepted(kind: str, typed: str, stored: D | None) -> None:
    assert check_event([load("aftersale-4crown")], AGENT, kind, typed) == stored


@pytest.mark.parametrize(("kind", "typed", "code", "field", "text"), [
    ("complaint", "", "points_required", "points",
     "complaint takes the points you choose from -20 to -5 under aftersale-4crown"),
    ("complaint", "-50", "points_range", "points",
     "-50 is outside -20 to -5, the points complaint may take under aftersale-4crown"),
    ("complaint", "-4", "points_range", "points", "-4 is outside -20 to -5"),
    ("praise", "100", "points_fixed", "points",
     "praise is worth 2 each under aftersale-4crown, not 100"),
    ("praize", "", "kind_unknown", "kind", "'praize' is not an event kind of aftersale-4crown"),
    ("complaint", "ten", "points_invalid", "points", "'ten' is not a number of points"),
    ("complaint", "-7.255", "points_decimals", "points", "'-7.255' has more than 2 decimals"),
    ("complaint", "1e12", "points_invalid", "points", "'1e12' is not a number of points"),
])
def test_entries_that_would_not_count_are_refused_with_the_reason(
        kind: str, typed: str, code: str, field: str, text: str) -> None:
    refused = _refused(check_event, [load("aftersale-4crown")], AGENT, kind, typed)
    assert (refused.code, refused.field) == (f"entry.{code}", field)
    assert text in _en(refused)
    assert say(refused.msg, Translator("zh_CN")) != _en(refused)  # said in Chinese too


def test_an_agent_no_scheme_covers_gets_nothing() -> None:
    refused = _refused(check_event, [], {"agent_id": "A006", "role": "lead"}, "praise", "")
    assert refused.code == "entry.no_scheme" and "A006 (role lead)" in _en(refused)
    assert _refused(check_grade, [], AGENT, "quality", "A").code == "entry.no_scheme"
    # a scheme that counts no events at all says so
    assert _refused(check_event, [load("presale-standard")], AGENT, "praise",
                    "").code == "entry.no_kinds"


def test_kinds_only_counted_or_paid_take_no_points() -> None:
    assert check_event([PAID], AGENT, "bad_review", "") is None
    refused = _refused(check_event, [PAID], AGENT, "bad_review", "-50")
    assert refused.code == "entry.points_none"
    assert _en(refused) == "差评扣款 takes no points under paid (paid -¥50.00 each)"


def test_every_covering_scheme_must_accept_the_points() -> None:
    both = [load("aftersale-4crown"), PAID]  # complaint: chosen there, counted here
    assert check_event(both, AGENT, "complaint", "-5") == D("-5.00")
    assert _refused(check_event, both, AGENT, "complaint", "").code == "entry.points_required"
    assert check_event(both, AGENT, "bad_review", "") is None  # known to one scheme is enough


def test_grades_must_be_of_a_graded_item_and_one_of_its_grades() -> None:
    aftersale = load("aftersale-4crown")
    assert check_grade([aftersale], AGENT, "quality", "良") == "B"
    assert check_grade([aftersale], AGENT, "quality", "d") == "D"
    unknown = _refused(check_grade, [aftersale], AGENT, "refund_rate", "A")
    assert unknown.code == "entry.item_unknown" and unknown.field == "item"
    assert "quality, disputes, cooperation, execution" in say(unknown.hint_msg,
                                                               Translator("en"))
    wrong = _refused(check_grade, [PAID], AGENT, "attitude", "E")
    assert (wrong.code, wrong.field) == ("entry.grade_invalid", "grade")
    assert _en(wrong) == "'E' is not a grade of 态度 under paid"
    assert _refused(check_grade, [load("presale-standard")], AGENT, "quality",
                    "A").code == "entry.no_items"


def test_an_accepted_entry_counts_as_checked() -> None:
    """What check_event stores is what scoring counts: 12 typed for a complaint deducts
    12, praise left empty adds the scheme's 2 (so 130-point max, no metrics: attendance
    20 + 0 elsewhere, then -12 + 2 = 10)."""
    scheme = load("aftersale-4crown")
    events = [{"agent_id": "A004", "kind": "complaint",
               "points": check_event([scheme], AGENT, "complaint", "12"), "note": None},
              {"agent_id": "A004", "kind": "praise",
               "points": check_event([scheme], AGENT, "praise", ""), "note": None}]
    inp = ScoringInput(period="2026-10", roster=[{**AGENT, "level": "senior"}], metrics={},
                       events=events)
    [card] = score_period(scheme, inp).cards
    adjustments = {a.event: a.points for a in card.adjustments}
    assert adjustments == {"complaint": D(-12), "praise": D(2)}
