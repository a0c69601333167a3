"""Times in the shop's time zone (issue #20 item 8): the app database keeps UTC and is
converted; the workspace's local times are already the shop's and are shown as they are
(the lost-inquiry pages added 8 hours to them); nothing reads "UTC" any more."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from cskpi.web.i18n import Formatter
from tests.helpers.web import PERIOD, form_token


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _shown(moment: dt.datetime) -> str:
    """``Oct 5, 2026 16:28``, spelled out here (not through the app's formatter)."""
    return f"{moment:%b} {moment.day}, {moment:%Y %H:%M}"


def test_local_times_are_shown_as_they_are_and_utc_ones_converted() -> None:
    shanghai = Formatter("en", "Asia/Shanghai")
    # a workspace's local time is the shop's already: 16:28 stays 16:28
    assert shanghai.local(dt.datetime(2026, 10, 5, 16, 28, 30)) == "Oct 5, 2026 16:28"
    # an upload's time is ISO 8601 in UTC: 06:03 UTC is 14:03 in Shanghai (UTC+8)
    assert shanghai.datetime("2026-10-05T06:03:00+00:00") == "Oct 5, 2026 14:03"
    assert Formatter("zh_CN", "Asia/Shanghai").local(dt.datetime(2026, 10, 5, 9, 5)) == \
        "2026年10月5日 09:05"


def test_a_lost_inquiry_is_dated_at_its_local_start(client_for: Callable[..., TestClient],
                                                    workspace: Path) -> None:
    html = client_for("mgr").get(f"/agents/A001/lost?period={PERIOD}").text
    rows = re.findall(r'<tr data-session="([^"]+)"[^>]*>\s*<td>.*?</td>\s*<td>([^<]+)</td>',
                      html, flags=re.DOTALL)
    assert rows, "A001 has lost inquiries in the demo"
    con = duckdb.connect(str(workspace), read_only=True)
    try:
        for session, shown in rows[:5]:
            # the human start (the handover, else the start) on Shanghai's clock
            (start,) = con.execute(
                "SELECT timezone('Asia/Shanghai', coalesce(transfer_ts, start_ts)) "
                "FROM sessions WHERE session_id = ?", [session]).fetchone() or (None,)
            assert shown == _shown(start), session
        session = rows[0][0]
        (opened,) = con.execute("SELECT timezone('Asia/Shanghai', start_ts) FROM sessions "
                                "WHERE session_id = ?", [session]).fetchone() or (None,)
        said = [r[0] for r in con.execute(
            "SELECT timezone('Asia/Shanghai', ts) AS t FROM messages WHERE session_id = ? "
            "ORDER BY t", [session]).fetchall()]
    finally:
        con.close()
    # its transcript: the session's start and every message on the same clock
    transcript = client_for("mgr").get(f"/funnel/sessions/{session}?period={PERIOD}").text
    assert "UTC" not in transcript
    assert _shown(opened) in transcript.split('id="transcript"')[0]
    body = transcript.split('id="transcript"')[1]
    assert re.findall(r'<td>([A-Z][a-z]{2} \d+, \d{4} \d\d:\d\d)</td>', body) == [
        _shown(t) for t in said]


def test_an_upload_is_timed_in_the_shops_zone(client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    token = form_token(client.get("/account").text)
    before = dt.datetime.now(dt.UTC)
    sent = client.post("/data/upload", data={"csrf_token": token},
                       files=[("files", ("agents.csv", b"agent_id,name\nA009,X\n", "text/csv"))],
                       follow_redirects=False)
    after = dt.datetime.now(dt.UTC)
    assert sent.status_code == 303, sent.text
    zone = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai: UTC+8, no summer time
    for page in (client.get("/data").text, client.get(sent.headers["location"]).text):
        assert "UTC" not in page
        assert any(_shown(t.astimezone(zone)) in page for t in (before, after))
