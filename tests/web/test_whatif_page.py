"""The what-if simulator: a month's baseline, changes as in ``cskpi whatif --change``, and
the same figures as the CLI; a bad field gets a message beside it."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers.web import PERIOD


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The simulator reads the workspace only: SQLite is enough."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _figures(html: str) -> dict[str, tuple[str, str]]:
    """row key -> (baseline, simulated) as shown."""
    table = html.split('id="whatif"')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-key="(\w+)".*?data-value="base">([^<]*)</td>\s*'
                      r'<td class="num" data-value="new">([^<]*)</td>', table, flags=re.DOTALL)
    return {key: (base, new) for key, base, new in rows}


def _money(text: str) -> Decimal:
    return Decimal(text.replace("¥", "").replace(",", ""))


def test_conversion_and_aov_up_20_percent_multiply_sales_by_1_44(
        client_for: Callable[..., TestClient], workspace: Path, cli: Callable[..., Any]) -> None:
    page = client_for("mgr").get("/whatif", params={"period": PERIOD, "conversion": "+20%",
                                                    "aov": "+20%"})
    assert page.status_code == 200
    shown = _figures(page.text)
    base, new = (_money(v) for v in shown["sales"])
    # sales = agents × inquiries × conversion × AOV × days: 1.2 × 1.2 = 1.44 × the baseline.
    # Both sides are shown rounded to cents: |new − 1.44 × base| ≤ 0.005 + 1.44 × 0.005
    assert abs(new - base * Decimal("1.44")) <= Decimal("0.0122")
    assert shown["agents"][0] == shown["agents"][1]  # headcount and inquiries unchanged
    assert shown["inquiries"][0] == shown["inquiries"][1]
    assert "(+44.0%)" in page.text.split('id="delta"')[1]
    # the same figures as the CLI for the same inputs
    out = cli("whatif", "-w", workspace, "--period", PERIOD, "--change", "conversion=+20%",
              "--change", "aov=+20%", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (float(base), float(new)) == (data["base"]["sales"], data["new"]["sales"])
    assert _money(shown["aov"][1]) == Decimal(str(data["new"]["aov"])).quantize(Decimal("0.01"))
    assert "--change conversion=+20% --change aov=+20%" in page.text


def test_the_form_is_a_bookmarkable_get_form_on_the_latest_month(
        client_for: Callable[..., TestClient]) -> None:
    page = client_for("mgr").get("/whatif").text
    assert re.search(r'<form method="get" action="/whatif"', page)
    assert 'name="period" value="2026-10"' in page  # the demo's latest month
    shown = _figures(page)
    assert all(base == new for base, new in shown.values())  # no change, no difference


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"conversion": "lots"}, "conversion", "'lots' is not a change"),
    ({"aov": "-200%"}, "aov", "'-200%' would make this negative"),
    ({"agents": "1e9"}, "agents", "'1e9' is not a change"),
    ({"conversion": "20"}, "conversion", "more than 100%"),
    ({"inquiries": "1.2.3"}, "inquiries", "'1.2.3' is not a change"),
    ({"period": "2026-13"}, "period", "'2026-13' is not a month"),
    ({"period": "2020-01"}, "period", "has no inquiries with orders"),
])
def test_a_bad_input_gets_a_message_next_to_its_field(
        client_for: Callable[..., TestClient], params: dict[str, str], field: str,
        message: str) -> None:
    page = client_for("mgr").get("/whatif", params=params)
    assert page.status_code == 200
    error = page.text.split(f'id="error-{field}"')[1].split("</span>")[0]
    assert message in html.unescape(error)
    assert 'id="whatif"' not in page.text  # no result from bad inputs


def test_agents_may_not_simulate(client_for: Callable[..., TestClient]) -> None:
    assert client_for("a001").get("/whatif?conversion=%2B20%25").status_code == 403
