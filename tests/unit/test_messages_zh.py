"""Messages of schemes and scoring are codes rendered per language (#17).

With ``--lang zh`` every scheme issue, hint, rule text, note and problem is Chinese: the
only Latin words left are data (what the scheme or the data wrote, quoted or given as
values) and the scheme language's own keywords (``pass_ratio``, ``min_sample`` …), which
a user types as they are.  Golden rule texts are pinned in both languages, numbers shown
for people (35.83%, 1:03 / 1分3秒, ¥8,000.00).
"""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from cskpi.errors import Issue
from cskpi.locale import Translator
from cskpi.metrics.catalog import CATALOG, QA_CATALOG
from cskpi.scheme import ATTENDANCE_STATUSES, DEFAULT_EVENT_KINDS, load_scheme
from cskpi.scoring import presets
from cskpi.scoring.score import ScoringInput, score_period
from cskpi.scoring.texts import note_text, pay_notes, problem_hint, problem_text, rule_text

UNITS = {k: m.unit for k, m in CATALOG.items()}
DIRECTIONS = {k: m.direction for k, m in CATALOG.items()}
EN, ZH = Translator("en"), Translator("zh")

KEYWORDS = {
    # the scheme language: keys, kinds and functions a user writes as they are
    "scheme", "title", "applies_to", "pass_ratio", "profile", "items", "veto", "adjustments",
    "pay", "awards", "targets", "events", "levels", "pools", "key", "label", "max", "min",
    "min_sample", "metric", "tiers", "linear", "target", "grade", "per", "formula", "start",
    "weight", "per_occurrence", "from", "to", "points", "n", "fallback", "neutral", "full",
    "team", "base", "by_level", "kpi_bonus", "commission", "rate", "upto", "on", "marginal",
    "net_of_refunds", "of_target", "requires_pass", "cap", "none", "kind", "rank", "top",
    "amount", "ties", "split", "repeat", "direction", "higher", "lower", "reach",
    "history", "percentile", "periods", "uplift", "fixed", "when", "effect", "reason",
    "cancels", "event", "money", "name", "min_ratio", "factor", "shop", "equal", "sales",
    "score", "max_score", "level_factor", "pool", "round", "abs", "if", "and", "or", "not",
    "team_avg", "prev", "streak", "true", "false", "role", "level", "agents", "qa",
    # names of formats and files
    "YAML", "UTF", "GBK", "GB", "docs", "schemes", "md", "Limits", "csv",
    "grades", "agent", "ID", "A", "B", "C", "D",
    # names a user types as they are: metric keys, event kinds, attendance statuses
    *CATALOG, *QA_CATALOG, *DEFAULT_EVENT_KINDS, *ATTENDANCE_STATUSES,
}


def english_words(text: str, data: tuple[str, ...] = ()) -> list[str]:
    """Latin words of ``text`` that are neither data (``data``: names, or words the
    scheme itself wrote) nor keywords of the language."""
    for value in (d for d in data if "." in d):  # file names
        text = text.replace(value, " ")
    text = re.sub(r"'[^'\n]*'", " ", text)  # quoted: what the scheme wrote
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    return [w for w in words if w not in KEYWORDS and w not in data]


BROKEN = [  # one scheme text per group of issue codes
    "scheme: t\nitme: 1\nitems: [{key: q, max: 10, grade: {A: 10, B: 5, C: 0, D: 0}}]\n",
    "scheme: t\npass_ratio: 1.5\nitems:\n  - {key: q, max: lots, grade: {A: 1, Z: 2}}\n"
    "  - {key: r, max: 10, formula: 'sales +* 2'}\n  - {key: s, max: 10}\n"
    "  - {key: u, max: 10, metric: refund_rat, tiers: [{max: 0.05, points: 20}, "
    "{max: 0.01, points: 5}]}\n",
    "scheme: t\nitems:\n  - {key: q, max: 10, grade: {A: 10, B: 5, C: 0, D: 0}}\n"
    "  - {key: q, max: 10, start: 20, per: {late: -5, typo: -1}}\n"
    "adjustments: [{event: complaint, points: {min: -5, max: -20}}, {event: unheard, points: 1}]\n"
    "veto: [{when: 'complaints > ', reason: x}]\n"
    "pay:\n  kpi_bonus: {pool: -5, formula: 'pool * scor'}\n"
    "  commission: {rate: 2, on: sessions}\n"
    "  awards: [{kind: rank, metric: units, top: 0, amount: 5}]\n"
    "targets: {sales: {history: {periods: 0}}, units: {percentile: 101, periods: 2}}\n",
    "scheme: t\nitems: [{key: a, max: 10, metric: satisfaction, linear: {from: 1, to: 1}, "
    "min_sample: {n: 5, fallback: nope}}, {key: b, max: 1000000000000000000, "
    "formula: 'min(1)'}]\n",
    "- just\n- a list\n",
    "scheme: t\nitems:\n\t- {key: q}\n",
    # the constructs of #19
    "scheme: t\nevents: [{kind: x, money: 1, points: 2}, {kind: y}, {kind: y}]\n"
    "levels: [{name: L, factor: 1}, {name: M, min_ratio: 0.5, factor: -1}]\n"
    "items:\n  - {key: a, metric: conversion_rate, weight: 0, tiers: [{points: 1}]}\n"
    "  - {key: b, max: 10, formula: \"team('score') + streak('L')\"}\n"
    "  - {key: c, max: 10, start: 10, per: {late: -1}, per_occurrence: [absent]}\n"
    "veto: [{when: 'complaints > 1', cancels: [bonus], effect: score}]\n"
    "pay:\n  kpi_bonus: {pool: 10, formula: 'pool * level_factor', cap: -1}\n"
    "  commission: {on: sales, rate: 0.1, of_target: [{from: 1, rate: 0.1}]}\n"
    "  pools: [{label: P, per: shop, amount: \"team('sales')\", split: score},"
    " {label: Q, per: nowhere, amount: '1', split: x}]\n",
    "scheme: t\nlevels: [{name: L, min_ratio: 0.5}, {name: M, min_ratio: 0.8}]\n"
    "items: [{key: a, max: 1, formula: \"streak('L') + target('salez')\"}]\n"
    "pay: {commission: {on: sales, of_target: [{from: 1.2, rate: 0.1}, {from: 1, rate: 2}]},"
    " awards: [{kind: formula, amount: 'level_factor'}]}\n",
]


@pytest.mark.parametrize("text", BROKEN)
def test_every_scheme_issue_reads_in_chinese(text: str) -> None:
    _, issues = load_scheme(text, "s.yaml", metrics=CATALOG)
    assert issues
    written = ("s.yaml", *re.findall(r"[A-Za-z][A-Za-z0-9_]*", text))  # data: the scheme's
    for issue in issues:
        assert issue.text(ZH) != issue.message, issue  # the catalog has it, in Chinese
        for shown in (issue.text(ZH), issue.hint_text(ZH) or "", issue.where(ZH)):
            assert english_words(shown, written) == [], (issue.code, shown)
        assert re.search(r"[\u4e00-\u9fff]", issue.text(ZH)), issue.text(ZH)


def test_issue_where_for_each_source() -> None:
    data = Issue("error", "bad_type", file="orders.csv", row=2, column="created_ts")
    scheme = Issue("error", "formula_syntax", file="s.yaml", row=5, column=28, origin="scheme")
    assert data.where() == "orders.csv, row 2, column created_ts"
    assert data.where(ZH) == "orders.csv，第 2 行，created_ts 列"
    assert scheme.where() == "s.yaml:5, column 28"
    assert scheme.where(ZH) == "s.yaml:5，第 28 个字符"
    assert Issue("error", "yaml_syntax", file="s.yaml", origin="scheme").where() == "s.yaml"


def test_scheme_issues_keep_their_json_shape() -> None:
    _, (issue,) = load_scheme("scheme: t\nitme: 1\nitems: [{key: q, max: 1, "
                              "grade: {A: 1, B: 1, C: 0, D: 0}}]\n", "s.yaml")
    assert issue.to_dict() == {
        "level": "error", "code": "unknown_key", "message": "unknown key 'itme' in the scheme",
        "line": 2, "hint": issue.hint, "source": "s.yaml", "column": None}
    assert (issue.hint or "").startswith("did you mean 'items'?")


def score_presale() -> Any:
    """Conversion 35.8259 %, response 63.17 s, 20 rated sessions, sales 8,000 of 10,000."""
    scheme, _ = load_scheme(presets.preset_text("presale-standard"), "p", metrics=CATALOG)
    metrics = {"P1": {"conversion_rate": 0.358259, "conversion_rate_num": 358259,
                      "conversion_rate_den": 1000000, "response_s": 63.17,
                      "satisfaction": 0.5, "satisfaction_num": 10, "satisfaction_den": 20,
                      "sales": 8000, "sessions": 10}}
    inp = ScoringInput("2026-10", [{"agent_id": "P1", "role": "presale", "level": "junior"}],
                       metrics, targets={("P1", "sales"): D(10000)}, metric_units=UNITS,
                       metric_directions=DIRECTIONS)
    return score_period(scheme, inp)


def score_aftersale() -> Any:
    """Refund 6 %, grades A by 主管, one late day, a complaint at -13, a praise."""
    scheme, _ = load_scheme(presets.preset_text("aftersale-4crown"), "a", metrics=CATALOG)
    metrics = {"A1": {"refund_rate": 0.06, "refund_rate_num": 6, "refund_rate_den": 100,
                      "late": 1}}
    grades = [{"agent_id": "A1", "period": "2026-10", "item": k, "grade": "A",
               "reviewer": "主管"} for k in ("quality", "disputes", "cooperation")]
    events = [{"agent_id": "A1", "kind": "complaint", "points": -13},
              {"agent_id": "A1", "kind": "praise", "points": None}]
    inp = ScoringInput("2026-10", [{"agent_id": "A1", "role": "aftersale", "level": "senior"}],
                       metrics, grades=grades, events=events, metric_units=UNITS,
                       metric_directions=DIRECTIONS)
    return score_period(scheme, inp)


def test_golden_rule_texts_in_both_languages() -> None:
    card = score_presale().cards[0]
    # conversion 358259 / 1000000 = 35.8259 % -> shown 35.83 %, the 35 % tier: 24
    # response 63.17 s between 90 s (0) and 20 s (20): 20 x (90 - 63.17) / 70 = 7.666 -> 7.67
    # satisfaction: 20 rated < 30 -> neutral points, half of 20
    # sales 8,000 / 10,000 = 80 % of 20 points = 16
    assert [rule_text(i, EN) for i in card.items] == [
        "35.83% ≥ 35% → 24", "1:03 between 1:30 (0) and 0:20 (20) → 7.67",
        "sample 20 < 30: neutral points 10", "¥8,000.00 of target ¥10,000.00 = 80% → 16"]
    assert [rule_text(i, ZH) for i in card.items] == [
        "35.83% ≥ 35% → 24", "1分3秒 介于 1分30秒（0 分）与 20秒（20 分）之间 → 7.67",
        "样本 20 < 30：给中性分 10", "¥8,000.00 / 目标 ¥10,000.00 = 80% → 16"]
    assert [note_text(i, ZH) for i in card.items][2] == "样本不足，按兜底规则"
    # 24 + 7.67 + 10 + 16 = 57.67 < 60 (the pass line): no KPI bonus
    assert pay_notes(card, EN) == ["no KPI bonus: below the pass line"]
    assert pay_notes(card, ZH) == ["无绩效奖金：未达及格线"]
    after = score_aftersale()
    a1 = after.cards[0]
    assert [rule_text(i, EN) for i in a1.items if i.key in ("quality", "attendance")] == [
        "grade A (excellent) → 20 (by 主管)", "start 20, late 1 × -5 → 15"]
    assert [rule_text(i, ZH) for i in a1.items if i.key in ("quality", "attendance")] == [
        "评级 优 → 20（评分人：主管）", "起始 20，迟到 1 × -5 → 15"]  # grades as 优/良/中/差
    assert [rule_text(a, EN) for a in a1.adjustments] == [
        "1 × chosen: -13 (range -20..-5)", "1 × 2"]
    assert [rule_text(a, ZH) for a in a1.adjustments] == [
        "1 × 选定：-13（范围 -20..-5）", "1 × 2"]
    # the missing grade of 'execution' is a problem in both languages
    (problem,) = after.problems
    assert problem_text(problem, EN) == \
        "no grade for agent A1, item 'execution' (执行力), period 2026-10"
    assert problem_text(problem, ZH) == "客服 A1 在 2026-10 没有项目 'execution'（执行力）的评级"
    assert "grades.csv" in (problem_hint(problem, ZH) or "")


def test_json_keeps_exact_values_beside_display_fields() -> None:
    card = score_presale().cards[0].to_dict()
    conv = card["items"][0]
    assert conv["rule"] == "35.83% ≥ 35% → 24" and conv["rule_code"] == "tier.min"
    assert conv["rule_params"]["value"] == {"value": D("0.358259"), "unit": "rate"}
    resp = card["items"][1]
    assert resp["points"] == D(20) * (D(90) - D("63.17")) / D(70)  # exact
    assert resp["points_display"] == "7.67"
    assert card["score_display"] == "57.67" and card["ratio_display"] == "57.67%"


def test_scheme_check_in_chinese(cli: Any, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad = Path("bad.yaml")
    bad.write_text(BROKEN[1], encoding="utf-8")
    checked = cli("scheme", "check", bad, "--lang", "zh")
    assert checked.exit_code == 1
    assert "pass_ratio 必须在 0 到 1 之间" in checked.stdout
    written = ("bad.yaml", *re.findall(r"[A-Za-z][A-Za-z0-9_]*", BROKEN[1]))
    lines = [line for line in checked.stdout.splitlines() if english_words(line, written)]
    assert lines == [], lines
    english = cli("scheme", "check", bad)
    assert "pass_ratio must be between 0 and 1" in english.stdout


def test_compliance_columns_in_chinese() -> None:
    from cskpi.scoring.compliance import cell_text, check_row, column_text, verdict_text

    (check,) = check_row({"reply_3min_rate": 0.8125, "reply_3min_rate_num": 13,
                          "reply_3min_rate_den": 16}, {"reply_3min_rate": 0.85})
    assert column_text("reply_3min_rate", 0.85, ZH) == "3分钟回复率\n≥ 85%"
    assert column_text("reply_3min_rate", 0.85, EN).endswith("\n≥ 85%")
    assert cell_text(check, ZH) == "81.3% ✗"
    assert verdict_text(False, ZH) == "不合规" and verdict_text(None, EN) == "no basis"


RICH = """
scheme: rich
events:
  - {kind: refund_saved, label: 起死回生, money: 5}
  - {kind: bad_review, label: 差评扣款, money: -50}
items:
  - {key: conv, label: 询单转化率, metric: conversion_rate, weight: 0.35,
     tiers: [{min: "target('conversion_rate') * 1.1", points: 100}, {min: "target('conversion_rate')", points: 80}, {points: 0}]}
  - {key: resp, label: 平均响应, metric: response_s, max: 20, target: 30}
  - {key: att, label: 出勤, max: 10, start: 10, per: {leave: -5, late: -1}, per_occurrence: [leave]}
adjustments: [{event: praise, points: 2}]
levels:
  - {name: 金牌, min_ratio: 0.90, factor: 1.0}
  - {name: 银牌, min_ratio: 0.50, factor: 0.8}
  - {name: 待改进, factor: 0}
veto:
  - {when: "complaints >= 3", cancels: [kpi_bonus, commission, awards], reason: 三次投诉}
pay:
  kpi_bonus: {pool: 1000, formula: "pool * level_factor * 2", requires_pass: false}
  commission: {on: sales, of_target: [{from: 1.0, rate: 0.03}, {from: 1.2, rate: 0.05}], marginal: true}
  pools:
    - {label: 团队奖金池, per: team, amount: "team('sales') * 0.01", split: score}
    - {label: 静默销售分成, per: shop, amount: "shop('silent_sales') * 0.005", split: equal}
  awards: [{kind: formula, label: 连续金牌奖, amount: "if(streak('金牌') >= 2, 300, 0)"}]
"""


def test_the_constructs_of_19_read_in_chinese() -> None:
    """Weights, target bounds, lower-is-better targets, occurrences, levels, capped bonus,
    marginal commission by target, pools, money per event, a veto that cancels: every
    text of the cards in Chinese, no English word but data and keywords."""
    from cskpi.scoring.texts import card_warnings, pay_explained, veto_text

    scheme, issues = load_scheme(RICH, "rich.yaml", metrics=CATALOG)
    assert scheme is not None and issues == []
    conv = {"conversion_rate": 0.45, "conversion_rate_num": 45, "conversion_rate_den": 100}
    metrics = {"G": {**conv, "response_s": 36, "sales": D(130000), "leave": 3, "late": 1},
               "V": {**conv, "response_s": 20, "sales": D(90000), "complaints": 3}}
    agents = [{"agent_id": a, "role": "presale", "team": "A"} for a in metrics]
    attendance = [{"agent_id": "G", "date": f"2026-10-0{d}", "status": "leave"}
                  for d in (1, 2, 5)]
    events = [{"agent_id": "G", "kind": k, "points": p} for k, p in (
        ("refund_saved", None), ("bad_review", None), ("praise", 3))]
    targets = {(a, m): v for a in metrics for m, v in (("conversion_rate", D("0.4")),
                                                       ("sales", D(100000)))}
    result = score_period(scheme, ScoringInput(
        "2026-10", agents, metrics, targets=targets, events=events, attendance=attendance,
        team_metrics={"A": {"sales": D(220000)}}, shop_metrics={"silent_sales": D(8000)},
        streaks={"G": ("金牌", 1)}, metric_units=UNITS, metric_directions=DIRECTIONS))
    assert result.problems == []
    words = ("rich.yaml", "G", "V", "A")
    for card in result.cards:
        texts = [*(rule_text(i, ZH) for i in card.items),
                 *(rule_text(a, ZH) for a in card.adjustments),
                 *(rule_text(a, ZH) for a in card.pay.awards),
                 *(rule_text(x, ZH) for x in card.pay.lines), *pay_explained(card, ZH),
                 *pay_notes(card, ZH), *(veto_text(v, ZH) for v in card.vetoes),
                 *card_warnings(card, ZH)]
        assert texts
        for text in texts:
            assert english_words(text, words) == [], text
    g = result.cards[0]
    assert rule_text(g.items[2], ZH) == "起始 10，请假 2 次 × -5、迟到 1 × -1 → 0"
    assert pay_explained(g, ZH)[0] == "等级 银牌（系数 0.8）"  # 53.67 of 65 = 82.6 %
