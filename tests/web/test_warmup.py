"""The start-up warm-up fills the gateway's cache for the latest month."""

from __future__ import annotations

from pathlib import Path

from cskpi.web.services.gateway import DataGateway
from cskpi.web.services.warmup import start_warm_up, warm_up
from cskpi.web.settings import DEFAULT_SCHEMES


def test_warm_up_computes_the_latest_month_once(workspace: Path) -> None:
    gateway = DataGateway(workspace, schemes_by_role=DEFAULT_SCHEMES)
    done = warm_up(gateway)
    # the demo workspace holds October 2026; two schemes are configured by default
    # both presets score under the generic profile: one agent trend serves both
    assert done == ["metrics 2026-10 by agent", "metrics 2026-10 by team",
                    "metrics 2026-10 by shop", "trend 2026-10 by shop",
                    "scores 2026-10 presale-standard", "trend 2026-10 by agent (generic)",
                    "scores 2026-10 aftersale-4crown"]
    cached = dict(gateway._cache)
    # the pages' calls now hit the cache: the very same objects come back
    assert gateway.metrics("2026-10", "agent") is cached[("metrics", "2026-10", "agent")]
    assert len(gateway._cache) == len(cached)


def test_warm_up_of_an_empty_place_does_nothing(tmp_path: Path) -> None:
    gateway = DataGateway(tmp_path / "none.duckdb", schemes_by_role=DEFAULT_SCHEMES)
    thread = start_warm_up(gateway)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert warm_up(gateway) == []
    assert not (tmp_path / "none.duckdb").exists()  # nothing was created by looking
