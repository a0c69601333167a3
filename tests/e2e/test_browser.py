"""The web app in a real browser: Debian's chromium driven by Playwright.

Screenshots land in tests/e2e/screenshots/ (git-ignored) to be looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import chromium, serving

# slow tier: a real chromium (browser implies slow, tests/conftest.py)
pytestmark = [pytest.mark.browser, pytest.mark.slow]

chromium()  # Debian's chromium, or the module is skipped, saying why

SHOTS = Path(__file__).parent / "screenshots"
PERIOD = "2026-10"
PASSWORDS = {"admin": "Admin-pass-1!", "mgr": "Manager-pass-1!", "a001": "Agent-pass-1!",
             "a004": "Agent-pass-4!"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from cskpi.web.app import create_app
    from cskpi.web.db.engine import transaction
    from cskpi.web.services.accounts import create_user
    from cskpi.web.settings import make_settings

    root = tmp_path_factory.mktemp("e2e")
    # the demo files are uploaded through the Data page (fixture `uploaded`): the
    # workspace starts empty, as on a fresh install
    ws = root / "ws.duckdb"
    app = create_app(make_settings(ws, admin_password=PASSWORDS["admin"], environ={}))
    state = app.state.cskpi
    with transaction(state.sessions) as db:
        create_user(db, state.passwords, username="mgr", password=PASSWORDS["mgr"],
                    role="manager")
        create_user(db, state.passwords, username="a001", password=PASSWORDS["a001"],
                    role="agent", agent_id="A001")
        create_user(db, state.passwords, username="a004", password=PASSWORDS["a004"],
                    role="agent", agent_id="A004")
    with serving(app) as url:
        yield url


def login(browser: Any, base: str, user: str) -> Any:
    page = browser.new_page(locale="en-US")
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def uploaded(server: str, browser: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A manager uploads the demo files on the Data page, reads the check, imports them."""
    import datetime as dt

    from cskpi.data.demo import generate

    demo = tmp_path_factory.mktemp("e2e-upload")
    generate(demo, agents=6, days=5, start=dt.date(2026, 10, 1))
    page = login(browser, server, "mgr")
    assert page.url.endswith("/data")  # nothing imported yet: the start page is Data
    files = sorted(str(p) for p in demo.iterdir() if p.suffix == ".csv")
    page.set_input_files("#upload-files", files)
    page.click("#upload-submit")
    page.wait_for_selector("#verdict.ok")  # checked, nothing stored yet
    assert page.locator("#tables tbody tr").count() == len(files)
    shot(page, "data-check")
    page.click("#import-submit")
    page.wait_for_selector("#import-done")
    assert page.locator("#history tbody tr").count() >= 1
    shot(page, "data-imported")
    page.close()
    return server


def test_manager_sees_kpis_grades_and_locks_a_period(uploaded: str, browser: Any) -> None:
    server = uploaded
    page = login(browser, server, "mgr")
    assert page.url.endswith("/overview")  # data now: the start page is the overview
    page.goto(f"{server}/overview?period={PERIOD}")
    chart = page.locator('div.chart[data-chart="chart-agents"] svg')
    chart.wait_for()
    assert chart.count() == 1 and chart.bounding_box()["height"] > 20  # drawn, not empty
    assert chart.locator("path").count() > 0  # ECharts' SVG renderer draws bars as paths
    shot(page, "overview")
    page.goto(f"{server}/leaderboard?period={PERIOD}")
    rows = page.locator("table.leaderboard tbody tr")
    assert rows.count() == 6  # every agent of the demo shop, in their role's table
    # at the browser's width (1280 px) wide tables scroll inside their box, not the page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "leaderboard")
    # a grade for an after-sale agent: the scorecard then shows it
    page.goto(f"{server}/grades?period={PERIOD}")
    form = page.locator("form[action='/grades']")
    agent = form.locator("select[name=agent_id] option").first.get_attribute("value")
    form.locator("select[name=agent_id]").select_option(agent)
    item = form.locator("select[name=item] option").first.get_attribute("value")
    form.locator("select[name=item]").select_option(item)
    form.locator("select[name=grade]").select_option("D")
    form.locator("input[name=note]").fill("browser test")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "browser test" in page.content()
    shot(page, "grades")
    # lock the month
    page.goto(f"{server}/periods?period={PERIOD}")
    scheme = page.locator("form[action='/periods/lock'] select[name=scheme]").input_value()
    # locking makes the approved version's Excel and PDF files in both languages (a few
    # seconds; more on a loaded machine): wait for them longer than for a page
    page.locator("form[action='/periods/lock'] button[type=submit]").click(timeout=120_000)
    page.wait_for_load_state(timeout=120_000)
    page.wait_for_load_state()
    locks = page.locator("#locks tbody tr")
    assert locks.count() == 1 and scheme in locks.first.inner_text()  # version 1
    shot(page, "periods")


def test_an_event_out_of_range_is_refused_in_place(uploaded: str, browser: Any) -> None:
    """A complaint of −50 where the scheme allows −20..−5: the form comes back with the
    reason beside it, the field marked and what was typed still there; nothing stored."""
    server = uploaded
    page = login(browser, server, "mgr")
    page.goto(f"{server}/grades?period={PERIOD}")
    form = page.locator("form[action='/events']")
    form.locator("select[name=agent_id]").select_option("A004")
    form.locator("input[name=date]").fill(f"{PERIOD}-03")
    form.locator("select[name=kind]").select_option("complaint")
    form.locator("input[name=points]").fill("-50")
    form.locator("input[name=note]").fill("rude twice")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    refusal = page.locator("#event-form [role=alert]")
    assert "-50 is outside -20 to -5" in refusal.inner_text()
    form = page.locator("form[action='/events']")
    assert form.locator("input[name=points]").input_value() == "-50"
    assert form.locator("input[name=points]").get_attribute("aria-invalid") == "true"
    assert form.locator("input[name=note]").input_value() == "rude twice"
    assert form.locator("select[name=agent_id]").input_value() == "A004"
    assert "rude twice" not in page.locator("#events").inner_text()  # not stored
    shot(page, "event-refused")
    page.close()


def test_agent_cannot_open_another_agents_scorecard(uploaded: str, browser: Any) -> None:
    server = uploaded
    page = login(browser, server, "a001")
    assert page.url.endswith("/agents/A001/scorecard")
    assert "A001" in page.inner_text("body")
    shot(page, "own-scorecard")
    response = page.goto(f"{server}/agents/A004/scorecard")
    assert response is not None and response.status == 403
    assert "A004" not in page.inner_text("body").replace("/agents/A004", "")
    shot(page, "forbidden")


def test_the_grading_grid_saves_whole_or_refuses_in_place(uploaded: str, browser: Any) -> None:
    """Two managers grade September (no data yet, never locked) on the grid: one clears a
    grade the other's page still shows; the other's save is refused whole, the stale
    cell marked with its reason and their other choice kept, nothing stored."""
    server, month = uploaded, "2026-09"
    grid = f"{server}/grades/grid?period={month}"
    first = login(browser, server, "mgr")
    first.goto(grid)
    first.select_option("select[name='g|A004|quality']", "A")
    first.select_option("select[name='g|A005|disputes']", "C")
    first.click("#grid-form button[type=submit]")
    first.wait_for_load_state()
    assert "Grades changed: 2." in first.locator("#saved").inner_text()
    cell = "tr[data-agent=A004] td[data-item=quality]"
    assert first.locator(cell).get_attribute("data-now") == "A"
    shot(first, "grid-saved")

    second = login(browser, server, "mgr")
    second.goto(grid)
    second.select_option("select[name='g|A004|quality']", "-")  # clear the entered grade
    second.click("#grid-form button[type=submit]")
    second.wait_for_load_state()
    assert "Grades changed: 1." in second.locator("#saved").inner_text()
    second.close()

    # the first page still offers to clear it
    first.select_option("select[name='g|A004|quality']", "-")
    first.select_option("select[name='g|A005|quality']", "B")
    first.click("#grid-form button[type=submit]")
    first.wait_for_load_state()
    assert "would not count as chosen: 1." in first.locator("#form-error").inner_text()
    assert "no entered grade to clear" in first.locator(cell).inner_text()
    assert first.locator(f"{cell} select").get_attribute("aria-invalid") == "true"
    assert first.locator("select[name='g|A005|quality']").input_value() == "B"  # kept
    shot(first, "grid-refused")
    first.goto(grid)
    assert first.locator("tr[data-agent=A005] td[data-item=quality]").get_attribute(
        "data-now") == ""  # not stored
    assert first.locator(cell).get_attribute("data-now") == ""
    first.close()


def test_an_appeal_is_answered_and_the_agent_reads_the_answer(uploaded: str,
                                                              browser: Any) -> None:
    """A004 appeals their disputes grade; a manager upholds it with the grade it becomes
    and an answer; A004 reads the answer."""
    server = uploaded
    agent = login(browser, server, "a004")
    agent.goto(f"{server}/appeals/mine?period={PERIOD}")
    row = agent.locator("#grade-disputes")
    row.locator("textarea[name=text]").fill("every dispute closed within a day")
    row.locator("button[type=submit]").click()
    agent.wait_for_load_state()
    assert agent.locator("#saved").count() == 1
    assert agent.locator("#grade-disputes p.appeal[data-status=open]").count() == 1
    shot(agent, "appeal-filed")

    mgr = login(browser, server, "mgr")
    mgr.goto(f"{server}/appeals")
    appeal = mgr.locator("section[data-kind=grade]").first
    assert "every dispute closed within a day" in appeal.inner_text()
    appeal.locator("textarea[name=answer]").fill("checked the tickets: agreed")
    appeal.locator("select[name=remedy]").select_option("A")
    appeal.locator("button[value=upheld]").click()
    mgr.wait_for_load_state()
    assert mgr.locator("#saved").count() == 1
    assert "checked the tickets: agreed" in mgr.locator("#decided").inner_text()
    shot(mgr, "appeal-decided")
    mgr.close()

    agent.goto(f"{server}/appeals/mine?period={PERIOD}")
    mine = agent.locator("#my-appeals").inner_text()
    assert "checked the tickets: agreed" in mine and "upheld" in mine
    shot(agent, "appeal-answered")
    agent.close()


def test_a_manager_chooses_a_week_on_the_overview(uploaded: str, browser: Any) -> None:
    """The week's own form, no script needed: the overview of 2026-W40 (09-28 – 10-04, so
    the demo's 10-01 to 10-04 without 10-05), titled so, its figures the API's of the same
    week, and the week kept in the form."""
    server = uploaded
    page = login(browser, server, "mgr")
    page.goto(f"{server}/overview?period={PERIOD}")
    sessions = page.locator('.kpi[data-metric="sessions"] .value')
    of_month = sessions.inner_text()
    page.fill("#period-week input[name=week]", "2026-W40")
    page.click("#period-week button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{server}/overview?week=2026-W40"
    assert page.title() == "Overview · 2026-W40 (09-28 – 10-04) · cskpi"
    api = page.request.get(f"{server}/api/v1/metrics?week=2026-W40&by=shop").json()
    assert (api["first"], api["last"]) == ("2026-09-28", "2026-10-04")
    assert sessions.inner_text() == f"{api['rows'][0]['sessions']:,}"
    assert sessions.inner_text() != of_month  # four of the month's five days
    assert page.locator("#period-week input[name=week]").input_value() == "2026-W40"
    shot(page, "overview-week")
    page.close()


TOUR = ("/overview", "/leaderboard", "/agents/A001/scorecard", "/agents/A001/metrics/"
        "reply_3min_rate", "/data", "/schemes", "/schemes/presale-standard",
        "/schemes/presale-standard/edit", "/grades", f"/grades/grid?period={PERIOD}",
        "/appeals", "/periods", f"/periods/{PERIOD}"
        "?scheme=presale-standard", "/whatif?conversion=%2B20%25&aov=%2B20%25",
        "/admin/users", "/admin/audit", "/account", "/heatmap", "/reviews")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_every_page_renders_without_script_or_policy_errors(uploaded: str, browser: Any,
                                                            locale: str) -> None:
    """Each page as a manager (admin pages as the admin), in both languages: 200, and no
    JavaScript error or Content-Security-Policy violation in the console."""
    server = uploaded
    for user in ("mgr", "admin"):
        page = browser.new_page(locale=locale)
        errors: list[str] = []
        page.on("console", lambda m, out=errors: out.append(m.text) if m.type == "error"
                else None)
        page.on("pageerror", lambda e, out=errors: out.append(str(e)))
        page.goto(f"{server}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORDS[user])
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for path in TOUR:
            if path.startswith("/admin") != (user == "admin"):
                continue
            response = page.goto(server + path)
            page.wait_for_load_state("networkidle")
            assert response is not None and response.status == 200, path
            name = path.strip("/").split("?")[0].replace("/", "-")
            shot(page, f"tour-{locale}-{name}")
        assert errors == []
        page.close()


@pytest.mark.parametrize(("locale", "name"), [
    ("en-US", "Leaderboard October 2026 - Pre-sale"), ("zh-CN", "排行榜 2026年10月 - 售前")])
def test_tables_download_as_csv_and_excel(uploaded: str, browser: Any, locale: str,
                                          name: str) -> None:
    """A manager clicks a table's Excel and CSV links: the browser saves files named in
    the reader's language, holding the table's rows (typed cells in Excel); the heatmap
    draws its cells."""
    import csv
    import io

    import openpyxl

    server = uploaded
    page = browser.new_page(locale=locale, accept_downloads=True)
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "mgr")
    page.fill("input[name=password]", PASSWORDS["mgr"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{server}/leaderboard?period={PERIOD}")
    rows = page.locator("#leaderboard-presale tbody tr").count()
    links = page.locator('p.export[data-table="leaderboard-presale"]')
    with page.expect_download() as excel:
        links.locator('a[data-format="xlsx"]').click()
    assert excel.value.suggested_filename == f"{name}.xlsx"
    saved = Path(excel.value.path()).read_bytes()  # a temp file without an extension
    sheet = openpyxl.load_workbook(io.BytesIO(saved)).worksheets[0]
    assert sheet.max_row == rows + 1 and sheet["A2"].value == 1  # a number, not "1"
    with page.expect_download() as text:
        links.locator('a[data-format="csv"]').click()
    assert text.value.suggested_filename == f"{name}.csv"
    with open(text.value.path(), encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.reader(f))) == rows + 1
    page.goto(f"{server}/heatmap?period={PERIOD}")
    page.wait_for_selector('[data-chart="heatmap-reply-chart"] svg')
    shot(page, f"heatmap-{locale}")
    page.close()
