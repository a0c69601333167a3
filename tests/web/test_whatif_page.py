"""The what-if simulator: a month's baseline (the overview's sales of the month), changes as
in ``cskpi whatif --change`` with the conversion's unit chosen, the same figures as the
CLI, the model stated; a bad field is refused beside it (422) with what was typed."""

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


def _figures(page: str) -> dict[str, tuple[str, str]]:
    """row key -> (baseline, simulated) as shown."""
    table = page.split('id="whatif"')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-key="(\w+)".*?data-value="base">([^<]*)</td>\s*'
                      r'<td class="num" data-value="new">([^<]*)</td>', table, flags=re.DOTALL)
    return {key: (base, new) for key, base, new in rows}


def _number(text: str) -> Decimal:
    return Decimal(text.replace("¥", "").replace(",", "").replace("%", ""))


def _model(page: str) -> str:
    return html.unescape(page.split('id="model"')[1].split("</section>")[0])


def test_the_baseline_is_the_overviews_sales_of_the_month(
        client_for: Callable[..., TestClient]) -> None:
    mgr = client_for("mgr")
    overview = mgr.get("/overview", params={"period": PERIOD}).text
    card = overview.split('data-metric="sales"')[1].split('<div class="value">')[1]
    shown = _number(card.split("</div>")[0])
    page = mgr.get("/whatif", params={"period": PERIOD})
    assert page.status_code == 200
    # the same month, scope (credited sales of the shop) and cents: the demo's October
    # has a buyer who did not inquire in it, whom inquiring × conversion × AOV left out
    assert _number(_figures(page.text)["sales"][0]) == shown
    assert shown > 0


def test_conversion_and_aov_up_20_percent_as_the_cli_says(
        client_for: Callable[..., TestClient], workspace: Path, cli: Callable[..., Any]) -> None:
    # a link without the unit reads as the command line: +20% is of the rate
    page = client_for("mgr").get("/whatif", params={"period": PERIOD, "conversion": "+20%",
                                                    "aov": "+20%"})
    assert page.status_code == 200
    shown = _figures(page.text)
    out = cli("whatif", "-w", workspace, "--period", PERIOD, "--change", "conversion=+20%",
              "--change", "aov=+20%", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    base, new = data["base"], data["new"]
    # new sales = (customers × conversion × 1.2 + other buyers) × AOV × 1.2: the other
    # buyers keep their number, so less than 1.44 × the baseline when there are any
    expected = (Decimal(str(base["inquiring_customers"])) * Decimal(str(base["conversion"]))
                * Decimal("1.2") + Decimal(str(base["other_buyers"]))) * Decimal(
        str(base["aov"])) * Decimal("1.2")
    assert abs(_number(shown["sales"][1]) - expected) <= Decimal("0.01")
    assert (_number(shown["sales"][0]), _number(shown["sales"][1])) == (
        Decimal(str(base["sales"])), Decimal(str(new["sales"])))
    assert shown["agents"][0] == shown["agents"][1]  # headcount and demand unchanged
    assert shown["customers"][0] == shown["customers"][1]
    assert 'value="rel" selected' in page.text  # the unit it was read in, shown
    assert "--change conversion=+20% --change aov=+20%" in page.text
    assert "Model: sales = (inquiring customers × conversion + other buyers)" in _model(
        page.text)


@pytest.mark.parametrize(("unit", "change"), [("pp", "conversion=+5pp"),
                                               ("rel", "conversion=+5%")])
def test_the_conversion_changes_in_points_or_of_the_rate_as_chosen(
        client_for: Callable[..., TestClient], unit: str, change: str) -> None:
    page = client_for("mgr").get("/whatif", params={"period": PERIOD, "conversion": "+5",
                                                    "conversion_unit": unit})
    assert page.status_code == 200
    base, new = (_number(v) for v in _figures(page.text)["conversion"])
    if unit == "pp":
        # 5 points: both shown to 2 decimals from rates exactly 0.05 apart
        assert new - base == Decimal("5.00")
    else:
        # 5 % of the rate: new = base × 1.05, each rounded to 0.005 points at most
        assert abs(new - base * Decimal("1.05")) <= Decimal("0.011")
        assert new - base < Decimal("2.5")  # not 5 points (the demo's rate is below 50 %)
    assert f'value="{unit}" selected' in page.text
    assert f"--change {change}" in page.text
    assert "percentage points" in _model(page.text) and "of the rate" in _model(page.text)


def test_more_agents_share_the_same_customers_and_sell_the_same(
        client_for: Callable[..., TestClient]) -> None:
    page = client_for("mgr").get("/whatif", params={"period": PERIOD, "agents": "+2"})
    shown = _figures(page.text)
    base, new = (_number(v) for v in shown["agents"])
    assert new == base + 2
    assert shown["customers"][0] == shown["customers"][1]  # demand: the shop's
    assert shown["sales"][0] == shown["sales"][1]  # not +2/base more sales
    load_base, load_new = (_number(v) for v in shown["inquiries"])
    # customers / agents / days: the load falls by base / (base + 2), to the rounding
    assert abs(load_new - load_base * base / (base + 2)) <= Decimal("0.01")
    assert "(+0.0%)" in page.text.split('id="delta"')[1]
    assert "sales do not change with headcount" in _model(page.text)


def test_the_model_reads_in_chinese(client_for: Callable[..., TestClient]) -> None:
    page = client_for("mgr").get("/whatif", params={"period": PERIOD, "agents": "+2",
                                                    "conversion": "+5",
                                                    "conversion_unit": "pp"},
                                 headers={"Accept-Language": "zh-CN"})
    model = _model(page.text)
    assert "模型：销售额 =（询单人数 × 转化率 + 其他买家）× 客单价。" in model
    assert "销售额不随人数变化" in model and "+5 个百分点" in model
    assert "± 百分点" in page.text  # the unit list
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", model)  # no English sentence


def test_the_form_is_a_bookmarkable_get_form_on_the_latest_month(
        client_for: Callable[..., TestClient]) -> None:
    page = client_for("mgr").get("/whatif").text
    assert re.search(r'<form method="get" action="/whatif"', page)
    assert 'name="period" value="2026-10"' in page  # the demo's latest month
    assert 'value="pp" selected' in page  # points: as people read "+5" of a rate
    shown = _figures(page)
    assert all(base == new for base, new in shown.values())  # no change, no difference


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"conversion": "lots"}, "conversion", "'lots' is not a change"),
    ({"aov": "-200%"}, "aov", "'-200%' would make this negative"),
    ({"agents": "1e9"}, "agents", "'1e9' is not a change"),
    ({"conversion": "+101", "conversion_unit": "pp"}, "conversion", "more than 100%"),
    ({"conversion": "120", "conversion_unit": "set"}, "conversion", "more than 100%"),
    ({"conversion": "20"}, "conversion", "say how it reads"),  # a link without the unit
    ({"conversion": "+20%", "conversion_unit": "pp"}, "conversion",
     "not a number of percentage points"),
    ({"conversion": "+5", "conversion_unit": "points"}, "conversion", "say how it reads"),
    ({"agents": "0"}, "agents", "a whole number from 1 to 10,000"),
    ({"agents": "+0.5"}, "agents", "a whole number from 1 to 10,000"),
    ({"agents": "20000"}, "agents", "a whole number from 1 to 10,000"),
    ({"aov": "+5pp"}, "aov", "percentage points are for the conversion only"),
    ({"inquiries": "1.2.3"}, "inquiries", "'1.2.3' is not a change"),
    ({"period": "2026-13"}, "period", "'2026-13' is not a month"),
    ({"period": "2020-01"}, "period", "has no inquiries with orders"),
])
def test_a_bad_input_is_refused_next_to_its_field_and_kept(
        client_for: Callable[..., TestClient], params: dict[str, str], field: str,
        message: str) -> None:
    page = client_for("mgr").get("/whatif", params=params)
    assert page.status_code == 422
    error = page.text.split(f'id="error-{field}"')[1].split("</span>")[0]
    assert message in html.unescape(error)
    assert 'id="whatif"' not in page.text  # no result from bad inputs
    typed = params[field]
    assert f'name="{field}" value="{html.escape(typed)}"' in page.text  # as typed


def test_agents_may_not_simulate(client_for: Callable[..., TestClient]) -> None:
    assert client_for("a001").get("/whatif?conversion=%2B20%25").status_code == 403


def test_the_command_line_names_the_apps_profile() -> None:
    from cskpi.web.services.whatif import Simulation, cli_command

    sim = Simulation("2026-10", {"conversion": "+5"}, changes=["conversion=+5pp"])
    assert cli_command(sim) == "cskpi whatif -w WORKSPACE --period 2026-10 --change " \
                               "conversion=+5pp"
    # the app's figures are computed under its profile: the command says which
    assert cli_command(sim, "taobao") == "cskpi whatif -w WORKSPACE --period 2026-10 " \
                                         "--profile taobao --change conversion=+5pp"
