"""Every drill-down the catalog offers lists exactly the rows of its figure: generated from
the catalog, on the demo workspace (issue #20 item 4).

For each metric an agent's figure exists for (every metric but the shop-level ones), the
page is opened for the agent with the largest basis (and, for a rate whose numerator is
0 there, also for the one with the largest numerator, so a numerator is listed): the counts the
rows give, shown beside the figure, equal the figure's ``_num`` and ``_den`` (its value for
a count, sum or quantile); on a single page the ✓ of the flag columns and the rows are
counted in the HTML itself; every column has a header in words.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cskpi.locale import Translator
from cskpi.metrics.catalog import METRICS
from cskpi.metrics.populations import FIELDS
from cskpi.web.services.gateway import DataGateway
from tests.helpers.web import PERIOD, drilldown_table

DRILLABLE = [m for m in METRICS if m.scope != "shop"]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the app database: SQLite only."""
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


def _basis(row: dict[str, Any], key: str, rate: bool) -> float:
    value = row.get(f"{key}_den") if rate else row.get(key)
    return float(value or 0)


def _cases(rows: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(metric, agent): the agent with the largest basis; for a rate whose numerator is 0
    there, also the agent with the largest numerator (so a numerator is really listed)."""
    cases = []
    for m in DRILLABLE:
        agent = max(rows, key=lambda r, m=m: (_basis(r, m.key, m.is_rate), r["agent_id"]))
        cases.append((m.key, agent))
        if m.is_rate and not agent.get(f"{m.key}_num"):
            most = max(rows, key=lambda r, m=m: (float(r.get(f"{m.key}_num") or 0),
                                                 r["agent_id"]))
            if most.get(f"{m.key}_num"):
                cases.append((m.key, most))
    return cases


def _attr(html: str, element: str, name: str) -> str:
    found = re.search(rf'id="{element}"[^>]*\b{name}="([^"]*)"', html)
    assert found, f"no {name} on #{element}"
    return html_lib.unescape(found.group(1))


def _same(shown: str, figure: Any) -> bool:
    if figure is None:
        return shown in ("", "None")
    return abs(Decimal(shown) - Decimal(str(figure))) <= Decimal("1e-6") * max(
        1, abs(Decimal(str(figure))))


def test_the_rows_listed_give_the_figures_numerator_and_denominator(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    """One app and one login for every case (an app per case took a minute)."""
    client = client_for("mgr")
    cases = _cases(gateway.metrics(PERIOD, "agent"))
    checked = [_check(client, metric, agent) for metric, agent in cases]
    assert sorted(set(checked)) == sorted(m.key for m in DRILLABLE)
    assert ("complaint_rate", "A003") in [(k, a["agent_id"]) for k, a in cases]


def _check(client: TestClient, metric: str, agent: dict[str, Any]) -> str:
    m = next(x for x in DRILLABLE if x.key == metric)
    page = client.get(f"/agents/{agent['agent_id']}/metrics/{metric}"
                                 f"?period={PERIOD}")
    assert page.status_code == 200, page.text[:300]
    html = page.text
    assert 'id="disagree"' not in html
    total = int(_attr(html, "row-count", "data-total"))
    if m.is_rate:
        num, den = agent[f"{metric}_num"], agent[f"{metric}_den"]
        assert _same(_attr(html, "numerator", "data-listed"), num), (metric, num)
        assert _same(_attr(html, "denominator", "data-listed"), den), (metric, den)
    else:
        num, den = agent[metric], None
        assert _same(_attr(html, "counted", "data-listed"), num), (metric, num)
    if not total or 'rel="next"' in html:
        return metric  # the counts above are of every page; the flags are counted on one page
    header, rows = drilldown_table(html)
    assert len(rows) == total
    t = Translator("en")
    flags = {name: [r[header.index(t(f"web.drill.col.{name}"))] for r in rows]
             for name in ("numerator", "denominator") if t(f"web.drill.col.{name}") in header}
    if set(flags) == {"numerator"}:
        # the denominator's rows, the numerator's among them marked
        assert (flags["numerator"].count("✓"), len(rows)) == (num, den), metric
    elif set(flags) == {"numerator", "denominator"} and isinstance(num, int) \
            and isinstance(den, int):
        # two populations side by side (orders paid, orders refunded), each marked
        assert (flags["numerator"].count("✓"), flags["denominator"].count("✓")) == (
            num, den), metric
    elif m.combine == "mean":
        assert len(rows) == den, metric  # a mean: over every row listed
    elif not m.is_rate and FIELDS[m.value or ""].how == "count":
        assert len(rows) == num, metric  # a count lists exactly what it counts
    return metric


def test_every_column_of_every_drilldown_has_a_header_in_words(
        client_for: Callable[..., TestClient], gateway: DataGateway) -> None:
    """A column named by its key (``credited_to``) would be a raw key on the page: each
    column the core gives has a label in both languages."""
    from cskpi.locale import catalog

    client = client_for("mgr")
    rows = gateway.metrics(PERIOD, "agent")
    seen: set[str] = set()
    for metric, agent in _cases(rows):
        html = client.get(f"/agents/{agent['agent_id']}/metrics/{metric}"
                          f"?period={PERIOD}").text
        if 'id="rows"' in html:
            seen.update(re.findall(r'<th data-column="([^"]+)"', html))
    assert {"customer_id", "order_id", "session_id", "numerator"} <= seen
    for lang in ("en", "zh_CN"):
        missing = sorted(c for c in seen if f"web.drill.col.{c}" not in catalog(lang))
        assert missing == [], lang


def test_coded_values_read_in_words_on_the_page_and_in_its_download(
        client_for: Callable[..., TestClient]) -> None:
    """A001's paid orders (AOV): each order's credit and status in words, the same in the
    CSV download as on the page (the core gives explicit/attributed and paid)."""
    import csv
    import io

    client = client_for("mgr")
    path = f"/agents/A001/metrics/aov?period={PERIOD}"
    header, rows = drilldown_table(client.get(path, headers={"accept-language": "zh-CN"}).text)
    credit, status = header.index("归属方式"), header.index("状态")
    assert {r[credit] for r in rows} <= {"订单客服列", "按会话归属"} and rows
    assert {r[status] for r in rows} == {"已付款"}
    download = client.get(f"{path}&format=csv&table=rows", headers={"accept-language": "zh-CN"})
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    head = next(r for r in table if "归属方式" in r)
    body = table[table.index(head) + 1:]
    assert sorted(r[head.index("归属方式")] for r in body) == sorted(r[credit] for r in rows)
    assert {r[head.index("状态")] for r in body} == {"已付款"}
