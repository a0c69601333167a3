"""Big pages are rendered once per month, language and settings; the parts that belong
to the user (name, CSRF token) never come from the cache.  And the app database's pool
never deadlocks when every request thread holds a connection and scoring needs one more."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cskpi.web.db.engine import REQUEST_THREADS
from cskpi.web.templating import CONTENT_MARK
from tests.helpers.web import PERIOD


def _main(html: str) -> str:
    return html.split("<main>", 1)[1]


def test_overview_content_is_shared_but_the_header_is_each_users(
        client_for: Callable[..., TestClient]) -> None:
    admin = client_for("admin").get(f"/overview?period={PERIOD}").text
    mgr = client_for("mgr").get(f"/overview?period={PERIOD}").text
    assert _main(admin) == _main(mgr)  # the second came from the cache
    assert "admin · " in admin and "mgr · " in mgr and "mgr · " not in admin
    assert CONTENT_MARK not in admin and CONTENT_MARK not in mgr
    token = lambda html: html.split('name="csrf_token" value="')[1].split('"')[0]  # noqa: E731
    assert token(admin) != token(mgr)  # each page carries its own user's token


def test_leaderboard_cache_is_keyed_by_sort_and_language(
        client_for: Callable[..., TestClient]) -> None:
    client = client_for("mgr")
    by_sales = client.get(f"/leaderboard?period={PERIOD}&sort=sales").text
    by_id = client.get(f"/leaderboard?period={PERIOD}&sort=agent_id&order=desc").text
    first_agent = lambda html: html.split("<tbody>")[1].split("/agents/")[1][:4]  # noqa: E731
    assert first_agent(by_id) == "A003"  # descending ids in the first role: pre-sale A001-A003
    assert _main(by_sales) != _main(by_id)
    zh = client.get(f"/leaderboard?period={PERIOD}&sort=sales",
                    headers={"accept-language": "zh-CN"}).text
    assert "排行榜" in zh and "排行榜" not in by_sales


def test_scoring_gets_a_connection_while_every_request_thread_holds_one(
        app: FastAPI) -> None:
    state = app.state.cskpi
    held = [state.sessions() for _ in range(REQUEST_THREADS)]
    try:
        for session in held:  # each "request" has its session's connection checked out
            session.connection()
        # the gateway reads the app's grades and scheme versions with a connection of
        # its own; with a pool smaller than the threads this waited 30 s and failed
        assert state.data.scored("presale-standard", PERIOD).result.cards
    finally:
        for session in held:
            session.close()


def test_a_reading_request_reads_each_app_record_once_and_the_next_sees_changes(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    """A scorecard asks for the scheme version in force and the month's entries several
    times (its card, the previous month's, the trend's months): one read each per GET;
    a write in between is seen by the next request."""
    data = app.state.cskpi.data
    reads: list[str] = []
    versions, entries = data.scheme_versions, data.entries
    data.scheme_versions = lambda name: (reads.append(f"v:{name}"), versions(name))[1]
    data.entries = lambda period: (reads.append(f"e:{period}"), entries(period))[1]
    mgr = client_for("mgr")
    assert mgr.get(f"/agents/A001/scorecard?period={PERIOD}").status_code == 200
    # one scheme (presale-standard, A001's role's) and its months' entries, once each
    assert reads and len(reads) == len(set(reads)), reads
    assert "v:presale-standard" in reads and f"e:{PERIOD}" in reads
    reads.clear()
    assert mgr.get(f"/agents/A001/scorecard?period={PERIOD}").status_code == 200
    assert reads == []  # the card's content was kept: nothing of it is read again


def test_a_kept_scorecard_is_made_again_after_any_write_of_a_record(
        app: FastAPI, client_for: Callable[..., TestClient], database_url: str) -> None:
    """The card's content is kept with the version of the app's records: a grade written
    by another process (its own engine on the same database) shows on the next view, and
    so does one entered through the app; a view after a login (not a record) keeps it."""
    from cskpi.web.db.engine import make_engine, session_factory, transaction
    from cskpi.web.db.models import Grade

    data = app.state.cskpi.data
    reads: list[str] = []
    entries = data.entries
    data.entries = lambda period: (reads.append(period), entries(period))[1]
    mgr = client_for("mgr")
    path = f"/agents/A001/scorecard?period={PERIOD}"
    first = mgr.get(path).text
    assert 'data-source="entered"' not in first  # no grade entered yet (imported ones)
    client_for("a001")  # a login: a login session, not a record
    reads.clear()
    assert _main(mgr.get(path).text) == _main(first) and reads == []
    other = make_engine(database_url)
    try:
        with transaction(session_factory(other)) as db:
            db.add(Grade(agent_id="A001", period=PERIOD, item="attitude", grade="A"))
    finally:
        other.dispose()
    second = mgr.get(path).text
    assert reads and 'data-source="entered"><td data-item="attitude">' in second
    reads.clear()
    assert mgr.get(path).text == second.replace(CONTENT_MARK, "") and reads == []


def test_a_scorecard_reads_its_months_locks_in_one_query(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    """The card, the month before and the trend's six months each need the period's
    lock: one query reads them all (it was one per month, eight a page)."""
    from sqlalchemy import event

    seen: list[str] = []
    engine = app.state.cskpi.engine
    listen = lambda conn, cur, sql, params, ctx, many: seen.append(sql)  # noqa: E731
    mgr = client_for("mgr")
    event.listen(engine, "before_cursor_execute", listen)
    try:
        assert mgr.get(f"/agents/A001/scorecard?period={PERIOD}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len([s for s in seen if "FROM period_locks" in s]) == 1


def test_a_scorecard_reads_the_months_entries_once_and_qa_decisions_only_for_qa_schemes(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    """Scoring the month (every agent's entries count) and listing the agent's entries
    share one read of each entries table; QA decisions are read only for a scheme that
    reviews chats (``qa:``): presale-standard has none, aftersale-4crown-qa has one."""
    from sqlalchemy import event

    seen: list[str] = []
    engine = app.state.cskpi.engine
    listen = lambda conn, cur, sql, params, ctx, many: seen.append(sql)  # noqa: E731
    mgr = client_for("mgr")

    def tables_read(path: str) -> list[str]:
        seen.clear()
        event.listen(engine, "before_cursor_execute", listen)
        try:
            assert mgr.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return [t for s in seen for t in ("grades", "events", "imported_corrections",
                                          "qa_decisions", "qa_rubric")
                if f"FROM {t} " in s or f"FROM {t}\n" in s]

    plain = tables_read(f"/agents/A001/scorecard?period={PERIOD}")
    assert sorted(plain) == ["events", "grades", "imported_corrections"], plain
    with_qa = tables_read(
        f"/agents/A001/scorecard?period={PERIOD}&scheme=aftersale-4crown-qa")
    assert sorted(with_qa) == ["events", "grades", "imported_corrections", "qa_decisions",
                               "qa_rubric"], with_qa


def test_kept_pages_with_forms_carry_each_viewers_csrf_token_and_show_new_entries(
        app: FastAPI, client_for: Callable[..., TestClient]) -> None:
    """The grades page and the grid are kept with the version of the app's records: the
    second viewer's page comes from the cache, its every form with the second viewer's
    own CSRF token (not the first's, not the cache's slot); a grade entered through the
    form is on the next view of both."""
    import re

    from sqlalchemy import event

    from cskpi.web.templating import CSRF_SLOT
    from tests.helpers.web import form_token

    seen: list[str] = []
    engine = app.state.cskpi.engine
    listen = lambda conn, cur, sql, params, ctx, many: seen.append(sql)  # noqa: E731
    admin, mgr = client_for("admin"), client_for("mgr")
    for path in (f"/grades?period={PERIOD}", f"/grades/grid?period={PERIOD}"):
        first = admin.get(path).text
        seen.clear()
        event.listen(engine, "before_cursor_execute", listen)
        try:
            second = mgr.get(path).text
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert not [s for s in seen if "FROM grades" in s], path  # kept: not read again
        for html, user in ((first, "admin"), (second, "mgr")):
            tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
            assert tokens == {form_token(html)} and len(html.split('name="csrf_token"')) > 2
            assert CSRF_SLOT not in html and f"{user} · " in html
        assert form_token(first) != form_token(second)
        assert _main(first).replace(form_token(first), "") == \
            _main(second).replace(form_token(second), "")
    def a004_quality(html: str) -> str:  # the grade in force in the grid's cell
        row = html.split('data-agent="A004"')[1].split("</tr>")[0]
        return row.split('data-item="quality" data-now="')[1].split('"')[0]

    assert a004_quality(admin.get(f"/grades/grid?period={PERIOD}").text) != "D"
    page = mgr.get(f"/grades?period={PERIOD}").text
    sent = mgr.post("/grades", data={"agent_id": "A004", "period": PERIOD, "item": "quality",
                                     "grade": "D", "note": "kept-cache-check",
                                     "csrf_token": form_token(page)}, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert "kept-cache-check" in admin.get(f"/grades?period={PERIOD}").text
    assert a004_quality(admin.get(f"/grades/grid?period={PERIOD}").text) == "D"


def test_a_drill_down_page_is_kept_per_agent_metric_and_page(
        app: FastAPI, client_for: Callable[..., TestClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Its rows are the data's: the second view writes none of its figures again; another
    agent's view is its own."""
    from cskpi.web.routers.pages import drilldown as route

    app.state.cskpi.data.clear()  # the gateway is shared: another test may have kept it
    written: list[object] = []
    real = route.cell_text
    monkeypatch.setattr(route, "cell_text", lambda v: (written.append(v), real(v))[1])
    mgr = client_for("mgr")
    one = f"/agents/A001/metrics/reply_3min_rate?period={PERIOD}"
    first = mgr.get(one).text
    assert written  # its figures were written once
    written.clear()
    assert mgr.get(one).text == first and written == []
    other = mgr.get(f"/agents/A002/metrics/reply_3min_rate?period={PERIOD}").text
    assert written and _main(other) != _main(first)
    assert "A002" in other.split("<title>")[1].split("</title>")[0]
