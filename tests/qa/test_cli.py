"""cskpi qa check | list | hits, cskpi metrics --qa, and schemes scoring on QA figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import transcripts as T

BAD = "qa: bad\nrules:\n  - {key: a, kind: pattern, pattern: \"(微信\", fatal: true}\n"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("qacli")
    rules = root / "golden.yaml"
    rules.write_text(T.RULES, encoding="utf-8")
    return T.folder(root / "data"), rules


def test_check_a_preset_and_a_broken_file(cli: Any, tmp_path: Path) -> None:
    ok = cli("qa", "check", "taobao-basic")
    assert ok.exit_code == 0 and "taobao-basic" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    result = cli("qa", "check", bad, "--format", "json")
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out["ok"] is False and out["errors"] == 1
    assert out["issues"][0]["code"] == "qa_pattern" and out["issues"][0]["line"] == 3
    assert out["issues"][0]["column"] == 1
    assert cli("qa", "check", "nope").exit_code == 2


def test_list_the_presets(cli: Any) -> None:
    out = json.loads(cli("qa", "list", "--format", "json").output)
    assert {"taobao-basic", "douyin-basic"} <= {p["name"] for p in out}


def test_hits_as_json(cli: Any, shop: tuple[Path, Path]) -> None:
    data, rules = shop
    result = cli("qa", "hits", "--data", data, "--rules", rules, "--period", "2026-10",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert all(list(h) == ["session_id", "agent_id", "rule", "points", "fatal", "ts", "text"]
               for h in hits)
    assert sorted((h["session_id"], h["rule"], h["ts"], h["points"], h["fatal"])
                  for h in hits) == sorted(T.EXPECTED_HITS)
    one = json.loads(cli("qa", "hits", "--data", data, "--rules", rules, "--period", "2026-10",
                         "--agent", "A2", "--format", "json").output)
    assert {h["session_id"] for h in one} == {"S4", "S6"}


def test_metrics_with_qa(cli: Any, shop: tuple[Path, Path]) -> None:
    """Per agent: A1 S1 100, S2 85, S3 0 (fatal); A2 S4 95, S5 100, S6 95; A3 S7 95, S8 89."""
    data, rules = shop
    result = cli("metrics", "--data", data, "--period", "2026-10", "--qa", rules,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["agent_id"]: r for r in json.loads(result.output)}
    got = {a: (r["qa_sessions"], r["qa_score_num"], r["qa_score_den"], r["qa_hit_sessions"],
               r["qa_fatal_sessions"]) for a, r in rows.items()}
    assert got == {"A1": (3, 185, 3, 2, 1), "A2": (3, 290, 3, 2, 0), "A3": (2, 184, 2, 2, 0)}
    assert rows["A1"]["qa_score"] == pytest.approx(185 / 3)
    plain = json.loads(cli("metrics", "--data", data, "--period", "2026-10",
                           "--format", "json").output)
    assert "qa_score" not in plain[0]
    shop_row = json.loads(cli("metrics", "--data", data, "--period", "2026-10", "--qa", rules,
                              "--by", "shop", "--format", "json").output)[0]
    assert (shop_row["qa_sessions"], shop_row["qa_score_num"]) == (8, 659)
    weekly = json.loads(cli("metrics", "--data", data, "--period", "2026-10", "--qa", rules,
                            "--by", "shop", "--grain", "week", "--format", "json").output)
    assert sum(r["qa_sessions"] for r in weekly) == 8
    table = cli("metrics", "--data", data, "--period", "2026-10", "--qa", "taobao-basic")
    assert "QA score" in table.output


def test_qa_figures_are_null_without_message_text(cli: Any, folder: Any) -> None:
    d = folder({"sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                                "S1,C1,001,2026-10-03 10:00:00\n",
                "messages.csv": "session_id,ts,sender,agent_id,customer_id\n"
                                "S1,2026-10-03 10:00:00,customer,,C1\n"
                                "S1,2026-10-03 10:00:30,agent,001,\n"})
    row = json.loads(cli("metrics", "--data", d, "--period", "2026-10", "--qa",
                         "taobao-basic", "--format", "json").output)[0]
    assert row["qa_score"] is None and row["qa_sessions"] is None
    assert row["reasons"]["qa_score"] == "no text column in messages"


def test_a_scheme_scores_on_the_qa_score(cli: Any, shop: tuple[Path, Path],
                                         tmp_path: Path) -> None:
    """A2's sessions 95, 100, 95: qa_score 96.67 -> the 93 tier (15 points); A3's 95, 89:
    92 -> the 88 tier (10 points)."""
    data, rules = shop
    scheme = tmp_path / "s.yaml"
    scheme.write_text(f"""\
scheme: s
applies_to: {{role: aftersale}}
qa: {rules}
items:
  - key: quality
    label: 素质
    max: 20
    metric: qa_score
    tiers: [{{min: 97, points: 20}}, {{min: 93, points: 15}}, {{min: 88, points: 10}},
            {{points: 0}}]
""", encoding="utf-8")
    result = cli("score", "--scheme", scheme, "--period", "2026-10", "--data", data,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    cards = {c["agent_id"]: c for c in json.loads(result.stdout)}
    assert {a: c["items"][0]["points"] for a, c in cards.items()} == {"A2": 15, "A3": 10}
    assert cli("scheme", "check", scheme).exit_code == 0


def test_a_scheme_using_qa_figures_must_name_its_rules(cli: Any, tmp_path: Path) -> None:
    scheme = tmp_path / "s.yaml"
    scheme.write_text("scheme: s\nitems:\n  - {key: q, label: Q, max: 10, metric: qa_score, "
                      "tiers: [{min: 90, points: 10}, {points: 0}]}\n", encoding="utf-8")
    out = json.loads(cli("scheme", "check", scheme, "--format", "json").output)
    assert [(i["code"], i["line"]) for i in out["issues"]] == [("qa_needs_rules", 3)]
    scheme.write_text("scheme: s\nqa: nope\nitems:\n  - {key: q, label: Q, max: 10, "
                      "metric: qa_score, tiers: [{min: 90, points: 10}, {points: 0}]}\n",
                      encoding="utf-8")
    out = json.loads(cli("scheme", "check", scheme, "--format", "json").output)
    assert [(i["code"], i["line"]) for i in out["issues"]] == [("qa_rules", 2)]
    assert cli("scheme", "check", "aftersale-4crown-qa").exit_code == 0


def test_the_demo_shows_every_kind_of_violation(cli: Any, tmp_path: Path) -> None:
    """A small demo month: missing greetings, uncivil words, an off-site WeChat id and
    unsoothed complaints, each at a low rate."""
    from cskpi.data import demo
    from cskpi.shop import Shop

    demo.generate(tmp_path / "d", agents=6, days=10)
    Shop(tmp_path / "ws.duckdb").import_folder(tmp_path / "d")
    hits, sessions = Shop(tmp_path / "ws.duckdb").qa_check("taobao-basic", *demo_month())
    rules = {h["rule"] for h in hits}
    assert {"greeting", "uncivil", "soothe"} <= rules
    assert rules & {"offsite_wechat", "offsite_words"}
    hit_sessions = {h["session_id"] for h in hits}
    assert 0.01 < len(hit_sessions) / len(sessions) < 0.15


def demo_month() -> tuple[Any, Any]:
    import datetime as dt

    return dt.date(2026, 10, 1), dt.date(2026, 10, 31)
