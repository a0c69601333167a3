"""Every metric on every combination of the inputs it can use (generated from the catalog).

A figure whose inputs are all present is computed, with its numerator and denominator;
otherwise it is null and its reason names each missing table or column.  The data is a
complete small shop (tests/helpers/partial_data.py) with tables and optional columns
taken away; the probes are rows where every figure has a basis when its inputs exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cskpi.metrics.catalog import METRICS, Metric
from cskpi.metrics.compute import MetricQuery, compute
from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.metrics.inputs import duckdb_inputs
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.common import write_folder
from tests.helpers.partial_data import FILES, OCT, expected_missing, restrict, subsets

SUBSETS = subsets()


@pytest.fixture(scope="module")
def full_inputs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("partial")
    data = write_folder(root / "data", FILES)
    ws = root / "ws.duckdb"
    Shop(ws).import_folder(data)
    with Workspace(ws).connect(read_only=True) as con:
        backend = duckdb_backend(con)
        inp = duckdb_inputs(backend, con, "Asia/Shanghai")
        yield backend, inp
        inp.release()


def probe(m: Metric, by: str) -> str:
    """The row that has a basis for ``m``: the after-sale agent for after-sale figures."""
    if by == "shop":
        return "shop"
    return "A2" if m.group == "aftersale" else "A1"


def check_row(m: Metric, row: dict[str, Any], present: frozenset[str], by: str) -> None:
    where = f"{m.key} on {sorted(present)} by {by}"
    value, reason = row[m.key], row["reasons"].get(m.key, "")
    if m.scope == "shop" and by != "shop":
        assert value is None and "shop-level" in reason, where
        return
    missing = expected_missing(m, present, by=by, aftersale_agent=row.get("role") == "aftersale")
    if missing:
        assert value is None, f"{where}: {value!r} without {missing}"
        for name in missing:
            assert name in reason, f"{where}: reason {reason!r} does not name {name}"
        return
    assert value is not None, f"{where}: null ({reason})"
    if m.is_rate:
        assert row[f"{m.key}_num"] is not None and row[f"{m.key}_den"], where


@pytest.mark.parametrize("present", SUBSETS, ids=lambda s: "+".join(sorted(s)) or "agents")
def test_every_metric_is_computed_exactly_when_its_inputs_are_present(full_inputs, present):
    backend, inp = full_inputs
    for by in ("agent", "shop"):
        part = restrict(inp, present)
        try:
            rows = compute(backend, part, MetricQuery(*OCT, by=by)).rows
        finally:
            part.release()
        key = "agent_id" if by == "agent" else "shop"
        by_group = {r[key]: r for r in rows}
        for m in METRICS:
            check_row(m, by_group[probe(m, by)], present, by)


def test_the_matrix_covers_every_table_and_column_a_metric_can_use():
    from tests.helpers.partial_data import ALL_ATOMS

    covered = set().union(*SUBSETS)
    assert covered == set(ALL_ATOMS)
    # the seven tables and the optional columns the catalog names today
    assert {"sessions", "messages", "orders", "refunds", "orders.agent_id", "refunds.cost",
            "targets"} <= covered
    assert len(SUBSETS) > 40


def test_generator_fixture_is_complete(tmp_path: Path):
    """Every file of the fixture is read (a typo in a header would silently drop a column)."""
    d = write_folder(tmp_path / "d", FILES)
    issues = Shop(data=d).validate()
    assert not issues, issues


def test_every_family_names_the_module_of_its_query():
    """A newcomer finds a metric's query from its catalog entry (docs/metrics.md)."""
    import cskpi.metrics.families as families
    from cskpi.docs import FAMILY_MODULES

    folder = Path(families.__file__).parent
    for m in METRICS:
        assert (folder / f"{FAMILY_MODULES[m.family]}.py").is_file(), m.key
