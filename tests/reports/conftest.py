"""Shared report fixtures: one demo workspace per session, its reports gathered once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cskpi.cli.output import to_json
from cskpi.data.demo import generate
from cskpi.reports import ReportData, gather_report
from cskpi.reports.fonts import FontFile, FontNotFound, cjk_font
from cskpi.shop import Shop
from tests.helpers.reports import PERIOD


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 demo agents over October 2026 (3 pre-sale, 2 after-sale, 1 lead), imported."""
    root = tmp_path_factory.mktemp("demo")
    generate(root / "data", agents=6, days=31, seed=3)
    Shop(root / "ws.duckdb").import_folder(root / "data")
    return root / "ws.duckdb"


@pytest.fixture(scope="session")
def presale(demo_workspace: Path) -> ReportData:
    return gather_report(demo_workspace, "presale-standard", PERIOD)


@pytest.fixture(scope="session")
def aftersale(demo_workspace: Path) -> ReportData:
    return gather_report(demo_workspace, "aftersale-4crown", PERIOD)


@pytest.fixture(scope="session")
def score_json(demo_workspace: Path) -> Any:
    """``score_period(...)`` cards as the JSON ``cskpi score --format json`` prints."""

    def cards(scheme: str) -> list[dict[str, Any]]:
        scored = Shop(demo_workspace).score(scheme, PERIOD)
        return json.loads(to_json([c.to_dict() for c in scored.result.cards]))

    return cards


@pytest.fixture(scope="session")
def system_cjk_font() -> FontFile:
    """The CJK font the PDF uses; skips when the system has none."""
    try:
        return cjk_font()
    except FontNotFound:
        pytest.skip("no CJK TrueType font: apt-get install fonts-wqy-microhei")


@pytest.fixture(scope="session")
def any_font() -> FontFile:
    """A CJK font when there is one, else reportlab's own Vera (layout tests still run)."""
    try:
        return cjk_font()
    except FontNotFound:
        import reportlab

        return FontFile(os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf"))
