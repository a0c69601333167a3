"""No raw key on a page a user reads, in either language (issue #20 item 8): metrics by
their labels (not ``conversion_rate``), grades as 优/良/中/差 (not "grade C"), event
kinds and coded values in words, scheme items by their names.

The text of every page of a tour is read as a browser shows it: attributes, URLs, scripts
and ``<code>``/``<pre>``/``<textarea>`` (a scheme's source, keys shown as keys on purpose)
are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cskpi.metrics.catalog import METRICS, QA_METRICS
from cskpi.metrics.profiles import SETTINGS
from cskpi.scheme.models import DEFAULT_EVENT_KINDS
from tests.helpers.web import PERIOD

Q = f"period={PERIOD}"
TOUR = (f"/overview?{Q}", f"/leaderboard?{Q}", f"/funnel?{Q}", f"/grades?{Q}", f"/qa?{Q}",
        f"/whatif?{Q}", f"/heatmap?{Q}", f"/reviews?{Q}", f"/grades/grid?{Q}", "/appeals",
        "/qa/rules", "/data", "/schemes", "/schemes/presale-standard",
        "/schemes/aftersale-4crown", "/periods", f"/periods/{PERIOD}?scheme=aftersale-4crown",
        f"/agents/A001/scorecard?{Q}", f"/agents/A004/scorecard?{Q}",
        f"/agents/A001/lost?{Q}", "/account",
        *(f"/agents/A001/metrics/{m}?{Q}" for m in (
            "conversion_rate", "aov", "response_s", "reply_3min_rate", "sales")),
        *(f"/agents/A004/metrics/{m}?{Q}" for m in ("refund_rate", "complaint_rate")),
        f"/agents/A003/metrics/complaint_rate?{Q}", f"/agents/A006/metrics/leave?{Q}")
ADMIN_TOUR = ("/admin/users", "/admin/audit")
# keys a reader must never see: metrics, event kinds, profile settings and attribution
# models spelled with an underscore (plain-word keys, "sales", read as the word)
RAW = sorted({m.key for m in (*METRICS, *QA_METRICS)} | set(DEFAULT_EVENT_KINDS)
             | set(SETTINGS) | {"last_touch", "first_touch"}, key=len, reverse=True)
RAW_WORDS = re.compile(r"(?<![\w/.=-])(" + "|".join(k for k in RAW if "_" in k) + r")(?![\w/])")
# a grade by its letter alone: English names it too ("grade C (fair)"), Chinese 优/良/中/差
BARE_GRADE = re.compile(r"\bgrade [ABCD]\b(?! \()|评级 [ABCD]")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


class _Text(HTMLParser):
    """The text a browser shows a reader: no attributes, scripts, code, form text, nor what
    is marked ``translate="no"`` (a scheme's source, shown as written)."""

    HIDDEN = ("script", "style", "code", "pre", "textarea")
    VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr")

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, bool]] = []  # open elements: (tag, hides its text)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.open.append((tag, tag in self.HIDDEN or ("translate", "no") in attrs))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass  # an element left open (<li>, <p>) ends with its parent

    def handle_data(self, data: str) -> None:
        if data.strip() and not any(hides for _, hides in self.open):
            self.parts.append(data.strip())


def shown_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def raw_keys(html: str) -> list[tuple[str, str]]:
    """(key, the text around it) of every raw key a reader would see."""
    found = []
    for text in shown_text(html):
        for match in (*RAW_WORDS.finditer(text), *BARE_GRADE.finditer(text)):
            found.append((match.group(0), text[:160]))
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    page = ("<p>conversion_rate = 3 / 4</p><td>grade C → 10</td><td>评级 B → 15</td>"
            "<td>low_quality_review · -5</td><a href='/agents/A1/metrics/aov_x'>x</a>"
            "<code>response_s</code><td data-metric='refund_rate'>grade C (fair) → 10</td>"
            "<table translate='no'><tr><td>metric: refund_rate</td></tr></table><p>aov_x</p>")
    assert [k for k, _ in raw_keys(page)] == [
        "conversion_rate", "grade C", "评级 B", "low_quality_review"]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_no_page_shows_a_raw_key(client_for: Callable[..., TestClient], lang: str) -> None:
    seen = {}
    for user, tour in (("mgr", TOUR), ("admin", ADMIN_TOUR)):
        client = client_for(user)
        for path in tour:
            page = client.get(path, headers={"accept-language": lang})
            assert page.status_code == 200, (path, page.status_code)
            found = raw_keys(page.text)
            if found:
                seen[path] = found
    assert seen == {}


@pytest.mark.parametrize(("lang", "names", "rule"), [
    # English pages: the shop's label, glossed by the metric's English label or the key
    ("en", {"cooperation": "配合度 (cooperation)", "refund_rate": "退款率 (Refund rate)"},
     r"grade [ABCD] \((?:excellent|good|fair|poor)\) → \d+ \(by A006\)"),
    ("zh-CN", {"cooperation": "配合度", "refund_rate": "退款率"},
     r"评级 [优良中差] → \d+（评分人：A006）"),
])
def test_the_scorecard_names_items_and_grades_for_its_reader(
        client_for: Callable[..., TestClient], lang: str, names: dict[str, str],
        rule: str) -> None:
    """A004's after-sale card (aftersale-4crown): 配合度 is a grade the demo imports."""
    html = client_for("mgr").get(f"/agents/A004/scorecard?{Q}",
                                 headers={"accept-language": lang}).text
    rows = dict(re.findall(r'<tr data-item="([^"]+)">\s*<td>([^<]*)</td>', html))
    assert {k: rows[k] for k in names} == names
    cooperation = html.split('<tr data-item="cooperation">')[1].split("</tr>")[0]
    assert re.search(rf'<td class="rule">{rule}</td>', cooperation), cooperation
    # the month's grades are listed by the items' names, not their keys
    grades = dict(re.findall(r'<td data-item="([^"]+)">([^<]*)</td>', html))
    assert grades["cooperation"] == names["cooperation"]
