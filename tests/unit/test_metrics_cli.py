"""cskpi metrics / explain: the JSON contract, options and errors."""

from __future__ import annotations

import csv
import io
import json

from cskpi.metrics.catalog import CATALOG, METRIC_KEYS

CHAT = """\
session_id,ts,sender,agent_id,customer_id
S1,2026-10-03 10:00:00,customer,,C1
S1,2026-10-03 10:01:00,agent,001,
S1,2026-10-03 10:05:00,customer,,C1
S2,2026-10-04 10:00:00,customer,,C2
S2,2026-10-04 10:10:00,agent,002,
"""


def test_metrics_json_contract(cli, folder):
    d = folder({"messages.csv": CHAT})
    result = cli("metrics", "--data", d, "--period", "2026-10", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and [r["agent_id"] for r in rows] == ["001", "002"]
    row = rows[0]
    assert (row["period_start"], row["period_end"]) == ("2026-10-01", "2026-10-31")
    for key in METRIC_KEYS:
        assert key in row
        if CATALOG[key].is_rate:
            assert f"{key}_num" in row and f"{key}_den" in row
    # 001: rounds 10:00 (60 s) and 10:05 (unanswered) -> 1 of 2 within 3 min
    assert (row["reply_3min_rate"], row["reply_3min_rate_num"], row["reply_3min_rate_den"]) == (
        0.5, 1, 2)
    assert row["first_response_s"] == 60  # durations in seconds
    assert row["satisfaction"] is None and row["reasons"]["satisfaction"] == "no ratings table"


def test_metrics_by_shop_and_grain(cli, folder, tmp_path):
    ws = tmp_path / "ws.duckdb"
    assert cli("import", folder({"messages.csv": CHAT}), "-w", ws).exit_code == 0
    result = cli("metrics", "-w", ws, "--from", "2026-10-03", "--to", "2026-10-04",
                 "--by", "shop", "--grain", "day", "--format", "json")
    rows = json.loads(result.stdout)
    assert [(r["shop"], r["period_start"], r["sessions"]) for r in rows] == [
        ("shop", "2026-10-03", 1), ("shop", "2026-10-04", 1)]
    # without a period the latest month with data is used
    default = json.loads(cli("metrics", "-w", ws, "--format", "json").stdout)
    assert default[0]["period_start"] == "2026-10-01"


def test_metrics_csv(cli, folder):
    result = cli("metrics", "--data", folder({"messages.csv": CHAT}), "--period", "2026-10",
                 "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["agent_id"] for r in rows] == ["001", "002"]
    assert rows[1]["first_response_s"] == "600.0" and rows[0]["satisfaction"] == ""


def test_metrics_profile_and_set_errors(cli, folder):
    d = folder({"messages.csv": CHAT})
    bad = cli("metrics", "--data", d, "--period", "2026-10", "--profile", "amazon")
    assert bad.exit_code == 2 and "douyin" in bad.output
    unknown = cli("metrics", "--data", d, "--period", "2026-10", "--set", "speed=1")
    assert unknown.exit_code == 2 and "reply_within_s" in unknown.output
    both = cli("metrics", "--data", d, "-w", "x.duckdb", "--period", "2026-10")
    assert both.exit_code == 2
    ok = cli("metrics", "--data", d, "--period", "2026-10", "--set", "reply_within_s=600",
             "--format", "json")
    # 002 answered in 600 s: within 600 s now
    assert json.loads(ok.stdout)[1]["reply_3min_rate"] == 1.0


def test_explain_lists_the_rounds_behind_the_rate(cli, folder):
    d = folder({"messages.csv": CHAT})
    result = cli("explain", "--data", d, "--period", "2026-10", "--agent", "001",
                 "--metric", "reply_3min_rate", "--format", "json")
    data = json.loads(result.stdout)
    assert data["source"] == "rounds"
    assert [(r["round"], r["answered"], r["in_time"]) for r in data["rows"]] == [
        (1, True, True), (2, False, False)]
    unknown = cli("explain", "--data", d, "--period", "2026-10", "--agent", "001",
                  "--metric", "happiness")
    assert unknown.exit_code == 2 and "reply_3min_rate" in unknown.output


def test_default_month_is_cut_in_the_workspace_time_zone(folder, tmp_path):
    from cskpi.shop import Shop

    # 2026-10-31T20:00Z is 2026-11-01 04:00 in Shanghai: the latest month is November
    d = folder({"sessions.csv": "session_id,customer_id,agent_id,start_ts\n"
                                "S1,C1,001,2026-10-31T20:00:00Z\n"})
    ws = tmp_path / "ws.duckdb"
    Shop(ws).import_folder(d)
    first, last = Shop(ws).latest_month()
    assert (first.isoformat(), last.isoformat()) == ("2026-11-01", "2026-11-30")
    berlin = tmp_path / "berlin.duckdb"
    Shop(berlin, timezone="Europe/Berlin").import_folder(d)  # 21:00 on Oct 31 there
    assert Shop(berlin).latest_month()[0].isoformat() == "2026-10-01"
