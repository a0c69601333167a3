"""The per-agent performance exports of 千牛/生意参谋, 抖店飞鸽, 京东咚咚 and 拼多多 import
cleanly, with their own headers, encodings and number forms (#18).

The example folders are in tests/fixtures/platforms (written by make_fixtures.py); the
headers are the platforms' own, as the public material cited in docs/data-contract.md
names them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.common import query

PLATFORMS = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"

# platform -> (agent, day, figures as stored)
EXPECTED = {
    "taobao": ("小店:小王", dt.date(2026, 10, 1), {
        "customers": 118, "inquiring_customers": 40, "paying_customers": 18,
        "conversion_rate": 0.45, "sales": 3580.0, "units": 25, "aov": 198.89,
        "reply_rate": 0.9915, "first_response_s": 8.5, "response_s": 21.3}),
    "douyin": ("小李", dt.date(2026, 10, 1), {
        "sessions": 86, "response_s": 35.0, "reply_3min_rate": 0.923, "satisfaction": 0.88,
        "conversion_rate": 0.315, "sales": 2450.0}),
    "jd": ("jd_xiaozhang", dt.date(2026, 10, 1), {
        "sessions": 72, "first_reply_2min_rate": 0.885, "response_s": 25.0,
        "satisfaction": 0.96, "conversion_rate": 0.28, "sales": 1999.0, "paying_customers": 12}),
    "pdd": ("pdd_ali", dt.date(2026, 10, 1), {
        "customers": 64, "inquiring_customers": 30, "paying_customers": 12,
        "conversion_rate": 0.4, "reply_3min_rate": 0.972, "response_s": 18.6,
        "sales": 880.5, "dissatisfaction": 0.012}),
}


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_a_platform_export_imports_cleanly(tmp_path: Path, platform: str) -> None:
    folder = PLATFORMS / platform
    issues = Shop(data=folder).validate()
    assert [i for i in issues if i.is_error] == []
    # what is not read is said: figures the catalog has no key for, a second header
    assert {i.code for i in issues} <= {"unknown_column", "duplicate_column", "money_cleaned",
                                        "sheet_chosen"}
    ws = tmp_path / "ws.duckdb"
    report = Workspace(ws).import_folder(folder)
    assert {t.table for t in report.tables} == {"agents", "agent_metrics"}
    agent, day, figures = EXPECTED[platform]
    columns = ", ".join(figures)
    (row,) = query(ws, f"SELECT {columns} FROM agent_metrics "
                       f"WHERE agent_id = '{agent}' AND date = DATE '{day}'")
    for (key, want), got in zip(figures.items(), row, strict=True):
        assert got == pytest.approx(want), key
