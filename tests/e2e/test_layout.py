"""No page wider than the screen (issue #20 item 8: tables overflowed at 1400 px and on a
phone): every page of a tour, in both languages, at a laptop's 1366 px and 1400 px and a
phone's 390 px, fits its width; a table wider than the page scrolls inside its own box.

Screenshots of the phone's first screen land in tests/e2e/screenshots/ to be looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import chromium, log_in, serving

# slow tier: a real chromium (browser implies slow, tests/conftest.py)
pytestmark = [pytest.mark.browser, pytest.mark.slow]

chromium()  # Debian's chromium, or the module is skipped, saying why

SHOTS = Path(__file__).parent / "screenshots"
PASSWORDS = {"admin": "Admin-pass-1!", "mgr": "Manager-pass-1!"}
Q = "period=2026-10"
TOUR = (f"/overview?{Q}", f"/leaderboard?{Q}", f"/funnel?{Q}", f"/grades?{Q}", f"/qa?{Q}",
        f"/whatif?{Q}", f"/heatmap?{Q}", f"/reviews?{Q}", f"/grades/grid?{Q}", "/appeals",
        "/qa/rules", "/data", "/schemes", "/schemes/presale-standard",
        "/schemes/presale-standard/edit", "/periods", "/periods/2026-10?scheme=aftersale-4crown",
        f"/agents/A001/scorecard?{Q}", f"/agents/A004/scorecard?{Q}", f"/agents/A001/lost?{Q}",
        f"/agents/A001/metrics/conversion_rate?{Q}", f"/agents/A001/metrics/reply_3min_rate?{Q}",
        f"/agents/A003/metrics/complaint_rate?{Q}", "/account",
        # a week and a range of days: the period's three forms fit too
        "/overview?week=2026-W40", "/heatmap?from=2026-10-01&to=2026-10-03")
ADMIN_TOUR = ("/admin/users", "/admin/audit")
# what pushes the page wider than the screen: elements reaching past its right edge
# that no scrolling box of their own holds
WIDER = """() => {
  const width = document.documentElement.clientWidth;
  const held = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if ((x === 'auto' || x === 'scroll' || x === 'hidden') && p.clientWidth <= width) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.querySelectorAll('main *, header *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !held(el))
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + Math.round(box.right));
  }
  return {page: document.documentElement.scrollWidth, width, wider: out.slice(0, 5)};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo shop (6 agents, 5 days of October 2026) imported, a manager and the admin."""
    from cskpi.data.demo import generate
    from cskpi.shop import Shop
    from cskpi.web.app import create_app
    from cskpi.web.db.engine import transaction
    from cskpi.web.services.accounts import create_user
    from cskpi.web.settings import make_settings

    root = tmp_path_factory.mktemp("layout")
    generate(root / "data", agents=6, days=5)
    Shop(root / "shop.duckdb").import_folder(root / "data")
    app = create_app(make_settings(root / "shop.duckdb", admin_password=PASSWORDS["admin"],
                                   environ={}))
    state = app.state.cskpi
    with transaction(state.sessions) as db:
        create_user(db, state.passwords, username="mgr", password=PASSWORDS["mgr"],
                    role="manager")
    with serving(app) as url:
        yield url


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
@pytest.mark.parametrize("width", [1366, 1400, 390])
def test_no_page_is_wider_than_the_screen(server: str, browser: Any, locale: str,
                                          width: int) -> None:
    wider = {}
    for user, tour in (("mgr", TOUR), ("admin", ADMIN_TOUR)):
        page = browser.new_page(locale=locale, viewport={"width": width, "height": 900})
        log_in(page, server, user, PASSWORDS[user])
        for path in tour:
            response = page.goto(server + path)
            page.wait_for_load_state("networkidle")
            assert response is not None and response.status == 200, path
            found = page.evaluate(WIDER)
            if found["page"] > found["width"] or found["wider"]:
                wider[path] = found
            if width == 390:
                SHOTS.mkdir(exist_ok=True)
                name = path.strip("/").split("?")[0].replace("/", "-")
                page.screenshot(path=str(SHOTS / f"phone-{locale}-{name}.png"))
        page.close()
    assert wider == {}
