"""Why a figure is missing reads in the page's language: a shop without an orders table
sees the reason on the leaderboard's and the drill-down's empty conversion, in Chinese on a
Chinese page (it was the English "no orders table" everywhere)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fastapi.testclient import TestClient

from cskpi.shop import Shop
from cskpi.web.app import create_app
from cskpi.web.settings import make_settings
from tests.helpers.common import write_folder
from tests.helpers.web import ADMIN_PASSWORD, FAST_ARGON2, login

FILES = {
    "agents.csv": "agent_id,name,role,team\nA001,张三,presale,T1\n",
    "sessions.csv": "session_id,customer_id,agent_id,start_ts\nS1,C1,A001,2026-10-05 10:00:00\n",
    "messages.csv": "session_id,ts,sender,agent_id,customer_id,text\n"
                    "S1,2026-10-05 10:00:00,customer,,C1,在吗\n"
                    "S1,2026-10-05 10:00:30,agent,A001,,您好\n",
}


def test_a_missing_figure_says_why_in_the_readers_language(tmp_path: Path) -> None:
    ws = tmp_path / "shop.duckdb"
    Shop(ws).import_folder(write_folder(tmp_path / "data", FILES))
    settings = make_settings(ws, admin_password=ADMIN_PASSWORD,
                             database_url=f"sqlite:///{tmp_path / 'app.sqlite'}", environ={},
                             **FAST_ARGON2)
    client = TestClient(create_app(settings, out=io.StringIO()))
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
    zh = {"Accept-Language": "zh-CN"}
    pages = [client.get("/leaderboard?period=2026-10", headers=zh).text,
             client.get("/agents/A001/metrics/conversion_rate?period=2026-10",
                        headers=zh).text]
    en = client.get("/leaderboard?period=2026-10").text
    for html in pages:
        assert "no orders" not in html
        assert "订单表（orders）" in html  # metric.noun.table in Chinese
    assert re.search(r'title="[^"]*no orders table', en)
