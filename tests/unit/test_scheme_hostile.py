"""Hostile schemes (issue #15): a scheme that passes `scheme check` never fails when scored.

Each test names what the code did before the fix: a ``decimal`` exception out of
scoring, a traceback out of the loader, or a scheme that passed its check.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal as D
from pathlib import Path

import pytest

from cskpi.metrics.catalog import CATALOG
from cskpi.scheme import load_scheme, load_scheme_file
from cskpi.scheme.limits import MAX_SUGGESTIONS
from cskpi.scoring.score import ScoringInput, cents, score_period

UNITS = {k: m.unit for k, m in CATALOG.items()}
DIRECTIONS = {k: m.direction for k, m in CATALOG.items()}


def check(text: str):
    return load_scheme(text, "h.yaml", metrics=CATALOG)


def issues_of(text: str) -> list[tuple[str, int | None, int | None]]:
    scheme, issues = check(text)
    assert scheme is None
    return [(i.code, i.row, i.column) for i in issues]


def scheme_of(text: str):
    scheme, issues = check(text)
    assert scheme is not None, [str(i) for i in issues]
    return scheme


def formula_scheme(formula: str, **top: str) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in top.items())
    return f"scheme: h\n{extra}items:\n  - {{key: f, max: 10, formula: '{formula}'}}\n"


def score(scheme, metrics: dict) -> object:
    roster = [{"agent_id": a, "name": a, "role": "presale", "team": "T", "level": "senior"}
              for a in metrics]
    return score_period(scheme, ScoringInput(period="2026-10", roster=roster, metrics=metrics,
                                             metric_units=UNITS, metric_directions=DIRECTIONS))


# --- numbers, bounded when the scheme is checked ---------------------------------------------

@pytest.mark.parametrize(("formula", "column"), [
    ("round(10000000000000000000000000000000000000000, 20)", 7),  # was InvalidOperation
    ("1" + "0" * 600_000 + " * 10", 1),                           # 10^600000: was Overflow
    ("sales + 0.000000000000000000001", 9),                       # 21 decimal places
    ("sales * 1234567890.123456789012345678901", 9),              # 31 significant digits
    # a constant part, though every number is within bounds: 10^15 * 10^15 * 10^5
    ("sales + 999999999999999 * 999999999999999 * 99999", 43),
    ("if(sales > 1, 100000000000000 * 100000000000000 * 100, 0)", 49),
])
def test_numbers_out_of_bounds_fail_the_check_with_their_column(formula: str, column: int):
    started = time.process_time()
    assert issues_of(formula_scheme(formula)) == [("formula_range", 3, column)]
    assert time.process_time() - started < 30  # the 600,001-digit number: no blow-up


def test_out_of_bounds_messages_say_why_and_point_to_the_limits():
    _, (issue,) = check(formula_scheme("round(10000000000000000000000000000000000000000, 20)"))
    assert "41 digits before the decimal point" in issue.message
    assert "below 10^15" in issue.message and "Limits" in (issue.hint or "")
    _, (issue,) = check(formula_scheme("sales + 999999999999999 * 999999999999999 * 99999"))
    assert "'*' gives about 10^34" in issue.message and "below 10^30" in issue.message


def test_numbers_within_bounds_and_constant_parts_that_stay_within_pass():
    text = formula_scheme("min(10, sales * 999999999999999.9 / 999999999999999 "
                          "+ 100000000000000 * 100000000000000 / 100000000000000)")
    assert check(text)[1] == []


@pytest.mark.parametrize(("value", "code", "column"), [
    ("100000000000000000000000000000000", "number_range", 19),  # passed the check before
    ("1.0e+400", "number_range", 19),                           # inf: "a number, not a number"
    (".nan", "number_range", 19),
    ("1" + "0" * 5000, "number_range", 19),                     # was int()'s ValueError
    ("0x" + "f" * 5000, "number_range", 19),                    # was str()'s ValueError
    ("0.000000000000000000000001", "number_precision", 19),
])
def test_yaml_numbers_out_of_bounds_are_errors_with_line_and_column(value, code, column):
    text = f"scheme: h\nitems:\n  - {{key: f, max: {value}, formula: '1'}}\n"
    assert issues_of(text) == [(code, 3, column)]


def test_a_maximum_score_of_10_15_or_more_fails_the_check():
    item = "  - {key: f%d, max: 999999999999999, formula: '1'}\n"
    text = "scheme: h\nitems:\n" + item % 1 + item % 2
    assert issues_of(text) == [("number_range", 1, None)]


# --- formulas evaluated in a bounded context: a problem per agent, never an exception ---------

def test_a_formula_out_of_bounds_for_one_agent_is_that_agents_problem():
    """sales 10^10: 10^10 x 10^10 x 10^12 = 10^32 > 10^30 for A1; A2 scores 10."""
    scheme = scheme_of(formula_scheme("round(sales * sales * 1000000000000, 20)"))
    result = score(scheme, {"A1": {"sales": 10_000_000_000}, "A2": {"sales": 5}})
    assert [(p.agent_id, p.code) for p in result.problems] == [("A1", "formula_range")]
    assert "'*' gives about 10^32" in result.problems[0].message
    assert "column 21" in result.problems[0].message
    a1, a2 = result.cards
    assert a1.items[0].points == 0 and a1.items[0].note_code == "out_of_range"
    assert a2.items[0].points == 10
    assert json.dumps([c.to_dict() for c in result.cards], default=str)


def test_metric_values_past_the_working_bound_are_a_problem_too():
    scheme = scheme_of(formula_scheme("min(10, sales)"))
    result = score(scheme, {"A1": {"sales": D("1e31")}})
    assert [p.code for p in result.problems] == ["formula_range"]
    assert "sales is about 10^31" in result.problems[0].message


def test_a_veto_out_of_bounds_does_not_apply_and_is_a_problem():
    scheme = scheme_of(formula_scheme(
        "sales", veto="['sales * sales * sales * 1000000 > 5']"))
    result = score(scheme, {"A1": {"sales": 10_000_000_000}})  # 10^36: vetoed silently before
    assert [p.code for p in result.problems] == ["formula_range"]
    assert "the veto at line 2" in result.problems[0].message
    assert not result.cards[0].vetoed


def test_a_kpi_bonus_of_10_15_or_more_is_a_pay_problem_counted_as_0():
    """pool 10^14 x score 10 x 10^12 = 10^27: cents() raised InvalidOperation before
    (uncapped: by default a KPI bonus is capped at its pool)."""
    scheme = scheme_of(formula_scheme("10", pay="{kpi_bonus: {pool: 100000000000000, "
                                            "formula: 'pool * score * 1000000000000', "
                                            "cap: none}}"))
    result = score(scheme, {"A1": {}})
    assert [p.code for p in result.problems] == ["pay_range"]
    card = result.cards[0]
    assert card.pay.kpi_bonus == 0 and card.pay.to_dict()["total"] == 0
    assert "KPI bonus out of range: counted as 0" in card.pay.note_texts


def test_a_kpi_bonus_formula_out_of_the_working_bound_is_a_problem():
    scheme = scheme_of(formula_scheme("10", pay="{kpi_bonus: {pool: 100000000000000, "
                                            "formula: 'pool * pool * pool / max_score'}}"))
    result = score(scheme, {"A1": {}})
    assert [p.code for p in result.problems] == ["formula_range"]
    assert result.cards[0].pay.kpi_bonus == 0


def test_rounding_for_display_never_fails_whatever_the_size():
    """A tiny maximum and large adjustments: ratio 10^34; 0.0001 of it needs 38 digits."""
    scheme = scheme_of("scheme: h\nadjustments: [{event: praise, points: 99999999999999}]\n"
                       "items:\n  - {key: f, max: 0.00000000000000000001, formula: '1'}\n")
    roster = [{"agent_id": "A1", "role": "presale"}]
    events = [{"agent_id": "A1", "kind": "praise", "points": None}] * 3
    result = score_period(scheme, ScoringInput("2026-10", roster, {"A1": {}}, events=events))
    assert result.cards[0].to_dict()["ratio"] > 10 ** 34
    assert cents(D("333333333333333333333333333.333")) == D("333333333333333333333333333.33")


# --- YAML the loader refuses as issues, never tracebacks -------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    # was read silently as a list (the tag ignored)
    ("scheme: h\nitems: !!python/object/apply:os.system ['echo hi']\n", ("yaml_tag", 2, 8)),
    ("scheme: !foo h\nitems: []\n", ("yaml_tag", 1, 9)),  # was ConstructorError
    ("scheme: h\ntitle: !!binary aGVsbG8=\nitems: []\n", ("yaml_tag", 2, 8)),
    ("scheme: h\npass_ratio: !!float abc\nitems: []\n", ("yaml_value", 2, 13)),  # ValueError
    ("scheme: h\npass_ratio: !!float\nitems: []\n", ("yaml_value", 2, 13)),  # IndexError
    ("scheme: h\n<<: 3\nitems: []\n", ("yaml_syntax", 2, 5)),  # ConstructorError
])
def test_tags_and_unreadable_values_are_issues_with_line_and_column(text, expected):
    assert expected in issues_of(text)


def test_values_that_only_look_typed_are_text():
    """'=', '<<' and an impossible date were ConstructorError / ValueError tracebacks."""
    for label in ("=", "<<", "2026-13-45"):
        scheme = scheme_of(f"scheme: h\nitems:\n  - {{key: f, label: {label}, max: 1, "
                           "formula: '1'}\n")
        assert scheme.items[0].label == label


def test_heavy_aliasing_is_an_issue_not_a_long_wait():
    """2,000 aliases of a 10 KB formula item: 36 s of formula parsing before, then
    accepted; now the reading budget stops it at once."""
    formula = "min(10, " + ", ".join(["sales * 2"] * 1000) + ")"
    text = ("scheme: h\nitems:\n  - &a {key: f, max: 10, formula: '" + formula + "'}\n"
            + "  - *a\n" * 2000)
    started = time.process_time()
    codes = [code for code, _, _ in issues_of(text)]
    assert "yaml_alias" in codes
    assert time.process_time() - started < 30


def test_merge_keys_in_bulk_are_an_issue():
    big = "{" + ", ".join(f"k{i}: {i}" for i in range(2000)) + "}"
    text = "scheme: h\nx: &b " + big + "\ny:\n" + "  - {<<: *b}\n" * 200
    assert "yaml_alias" in [code for code, _, _ in issues_of(text)]


def test_only_the_first_hints_look_for_the_closest_name():
    """Thousands of misspelt names took 4 s (1 ms of difflib each); the rest list names."""
    veto = "".join(f"  - 'complaintz{i} > 1'\n" for i in range(MAX_SUGGESTIONS + 50))
    _, issues = check("scheme: h\nitems: [{key: k, max: 1, formula: '1'}]\nveto:\n" + veto)
    hints = [i.hint or "" for i in issues if i.code == "formula_name"]
    assert len(hints) == MAX_SUGGESTIONS + 50
    assert sum("did you mean 'complaint'" in h for h in hints) == MAX_SUGGESTIONS
    assert all("valid names:" in h for h in hints)


# --- non-UTF-8 files ---------------------------------------------------------------------------

def gbk_scheme(tmp_path: Path) -> Path:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("scheme: h\nitems:\n  - {key: f, label: 售后, max: 1, formula: '1'}\n"
                     .encode("gbk"))
    return path


def test_a_non_utf8_file_names_the_line_and_column_of_the_first_bad_byte(tmp_path):
    (issue,) = load_scheme_file(gbk_scheme(tmp_path))[1]
    assert (issue.code, issue.row, issue.column) == ("encoding", 3, 21)
    assert "GBK" in (issue.hint or "") and "0xca" in issue.message


# --- the CLI: exit 1 or 2 with a message, never a traceback -----------------------------------

HOSTILE = {
    "round.yaml": formula_scheme("round(10000000000000000000000000000000000000000, 20)"),
    "power.yaml": formula_scheme("1" + "0" * 600_000),
    "product.yaml": formula_scheme("sales + 999999999999999 * 999999999999999 * 99999"),
    "tag.yaml": "scheme: h\nitems: !!python/object/apply:os.system ['echo hi']\n",
    "custom-tag.yaml": "scheme: !foo h\nitems: []\n",
    "bigint.yaml": "scheme: h\nitems:\n  - {key: f, max: 1" + "0" * 5000 + ", formula: '1'}\n",
    "deep.yaml": formula_scheme("(" * 100_000 + "1" + ")" * 100_000),
}
DATA = {
    "agents.csv": "agent_id,name,role,team,level\nP1,甲,presale,S,junior\n",
    "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,P1,2026-10-03 10:00\n",
    "orders.csv": "order_id,customer_id,created_ts,paid_ts,amount\n"
                  "O1,C1,2026-10-03 11:00,2026-10-03 11:01,100.00\n",
}


@pytest.fixture
def hostile_files(tmp_path: Path) -> list[Path]:
    paths = []
    for name, text in HOSTILE.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
    return [*paths, gbk_scheme(tmp_path)]


def test_scheme_check_lists_each_hostile_schemes_issue(cli, hostile_files):
    expected = {"round.yaml": "formula_range", "power.yaml": "formula_range",
                "product.yaml": "formula_range", "tag.yaml": "yaml_tag",
                "custom-tag.yaml": "yaml_tag", "bigint.yaml": "number_range",
                "deep.yaml": "formula_syntax", "gbk.yaml": "encoding"}
    for path in hostile_files:
        result = cli("scheme", "check", path, "--format", "json")
        assert result.exit_code == 1, (path.name, result.output)
        if path.name == "gbk.yaml":  # refused before it is parsed: the issue table
            assert "0xca" in result.output and "1 error(s) in the scheme" in result.output
            continue
        codes = [i["code"] for i in json.loads(result.stdout)["issues"]]
        assert expected[path.name] in codes, (path.name, codes)


def test_score_refuses_each_hostile_scheme_with_its_issues(cli, folder, hostile_files,
                                                          tmp_path):
    workspace = tmp_path / "ws.duckdb"
    assert cli("import", folder(DATA, with_agents=False), "--workspace", workspace).exit_code == 0
    for path in hostile_files:
        result = cli("score", "-w", workspace, "--scheme", path, "--period", "2026-10")
        assert result.exit_code == 1, (path.name, result.output)
        assert "error(s) in the scheme" in result.output, path.name


def test_score_reports_a_formula_out_of_bounds_for_the_data(cli, folder, tmp_path):
    """P1's sales 100: 100 x 10^13 x 10^13 x 10^4 = 10^32, past 10^30, only with data."""
    path = tmp_path / "ok.yaml"
    path.write_text(formula_scheme("min(10, sales * 10000000000000 * 10000000000000 * 10000)",
                                   applies_to="{role: presale}"), encoding="utf-8")
    assert cli("scheme", "check", path).exit_code == 0
    result = cli("score", "--data", folder(DATA, with_agents=False), "--scheme", path,
                 "--period", "2026-10")
    assert result.exit_code == 1
    assert "cannot be computed for P1" in result.output and "10^32" in result.output


def test_web_editor_check_receives_issues_not_exceptions():
    from cskpi.web.services.schemes import check_text

    class Gateway:
        def roster(self) -> list[dict]:
            return []

    for text in ("scheme: !foo h\nitems: []\n", HOSTILE["round.yaml"], HOSTILE["bigint.yaml"],
                 "scheme: h\n<<: 3\nitems: []\n"):
        checked = check_text(Gateway(), "h", text)  # type: ignore[arg-type]
        assert not checked.ok and checked.to_json()["errors"] >= 1


# --- what-if: drivers bounded, cents never fail -----------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (("--aov", "1e999999"), "out of range"),  # was decimal.Overflow
    (("--aov", "Infinity"), "is not a number"),  # was InvalidOperation
    (("--aov", "100", "--change", "aov=" + "9" * 40), "10^15 or more"),
])
def test_whatif_drivers_out_of_bounds_are_usage_errors(cli, args, message):
    result = cli("whatif", "--agents", "10", "--inquiries", "50", "--conversion", "0.3", *args)
    assert result.exit_code == 2 and message in result.output


def test_whatif_page_says_a_change_is_too_large_not_negative():
    from cskpi.locale import Translator
    from cskpi.scoring.whatif import Drivers
    from cskpi.web.services.whatif import _change, _Refused

    base = Drivers.per_agent_day(D(10), D(50), D("0.3"), D(100))
    with pytest.raises(_Refused) as refused:
        _change(base, "aov", "9" * 31, "")
    key, params = refused.value.error
    assert key == "limits.too_large"  # was "would make this negative"
    assert "10^15" in Translator("en")(key, **params)
    assert "10^15" in Translator("zh_CN")(key, **params)


def test_whatif_money_of_any_size_rounds_to_cents():
    from cskpi.scoring.whatif import Drivers, whatif

    top = D("999999999999999")
    # 10^15 agents is out of bounds for a change, not for a Drivers: sales ~ 10^60
    result = whatif(Drivers(top, top ** 3, D(1), top, top), [])
    assert result.to_dict()["base"]["sales"] > 10 ** 59  # quantize raised InvalidOperation


# --- check time ------------------------------------------------------------------------------

def test_a_200_kb_scheme_checks_without_blow_up():
    """bench/scheme_check_bench.py times it (about 0.4 s); this only guards a blow-up."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "scheme_check_bench", Path(__file__).parents[2] / "bench" / "scheme_check_bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    started = time.process_time()
    scheme, issues = check(bench.big_scheme(200))
    assert scheme is not None and issues == []
    assert len(scheme.items) > 300
    assert [i.code for i in check(bench.nested_parens(200))[1]] == ["formula_syntax"]
    assert time.process_time() - started < 30
