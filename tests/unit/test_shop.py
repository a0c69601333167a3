"""The core object (:class:`cskpi.shop.Shop`): one connection per ``with`` block, a folder
read once, schemes as names, texts or objects, and no SQL of its own."""

from __future__ import annotations

import ast
import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest

import cskpi.data.validate as validate_module
import cskpi.shop as shop_module
from cskpi.data.demo import generate
from cskpi.errors import UsageError
from cskpi.metrics.compute import MetricQuery
from cskpi.metrics.profiles import resolve
from cskpi.reports.data import gather_report
from cskpi.scoring.presets import preset_text
from cskpi.scoring.run import SchemeText, load
from cskpi.shop import Shop
from cskpi.store import workspace as store

FIRST, LAST = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
OCTOBER = MetricQuery(FIRST, LAST)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small demo shop: its data folder and the workspace it was imported into."""
    root = tmp_path_factory.mktemp("shop")
    generate(root / "data", agents=3, days=4)
    Shop(root / "shop.duckdb").import_folder(root / "data")
    return root / "data", root / "shop.duckdb"


def _count(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Count the calls of ``owner.name`` (still calling it)."""
    calls = [0]
    original = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


def test_a_with_block_opens_the_workspace_once(demo, monkeypatch) -> None:
    _, ws = demo
    opened = _count(monkeypatch, store.Workspace, "connect")
    shop = Shop(ws)
    with shop:
        first = shop.metrics(OCTOBER).rows
        by_shop = shop.metrics(MetricQuery(FIRST, LAST, by="shop")).rows
        scored = shop.score("presale-standard", "2026-10")
    assert opened[0] == 1  # three answers, one connection
    assert first and by_shop and scored.result.cards
    # outside a block every call opens (and closes) its own: other processes may write
    # the file between two calls
    shop.metrics(OCTOBER)
    shop.metrics(OCTOBER)
    assert opened[0] == 3
    # the block's answers are the same as one call's
    assert Shop(ws).metrics(OCTOBER).rows == first


def test_a_held_connection_is_its_threads_own(demo, monkeypatch) -> None:
    _, ws = demo
    opened = _count(monkeypatch, store.Workspace, "connect")
    shop = Shop(ws)
    other: list[Any] = []
    with shop:
        shop.metrics(OCTOBER)
        thread = threading.Thread(target=lambda: other.append(shop.metrics(OCTOBER).rows))
        thread.start()
        thread.join()
        shop.metrics(OCTOBER)
    # this thread's block: 1 connection; the other thread's call: its own
    assert opened[0] == 2
    assert other and other[0] == Shop(ws).metrics(OCTOBER).rows


def test_a_folder_is_read_once_per_block_and_again_when_sessions_are_cut_otherwise(
        demo, monkeypatch) -> None:
    data, ws = demo
    loads = _count(monkeypatch, shop_module, "load_folder")
    shop = Shop(data=data)
    with shop:
        agents = shop.metrics(OCTOBER).rows
        shop.metrics(MetricQuery(FIRST, LAST, by="shop"))
        shop.score("presale-standard", "2026-10")
        # a call without a profile reads the folder cut by the default rules, which are
        # the generic profile's (30 min): the same folder, not read again
        assert shop.imported_entries("2026-10") is not None
        assert loads[0] == 1
        # a profile that cuts sessions without ids by another gap reads the folder again
        # (the demo's messages have ids; the rules still take part in the reading)
        shop.metrics(MetricQuery(FIRST, LAST, profile=resolve(
            "generic", {"session_gap_min": "5"})))
        assert loads[0] == 2
    # the folder's figures are the workspace's
    assert agents == Shop(ws).metrics(OCTOBER, use_cache=False).rows


def test_a_folder_computed_on_is_not_digested_and_an_import_digests_every_file(
        demo, tmp_path, monkeypatch) -> None:
    """metrics --data stores nothing and logs no import: no file's SHA-256 is taken (the
    700 MB chat log's cost half a second of a core); an import still takes each."""
    data, _ = demo
    digests = _count(monkeypatch, validate_module, "file_sha256")
    files = len(list(data.glob("*.csv")))
    assert files == 13  # the demo's tables, every one a file
    assert Shop(data=data).metrics(OCTOBER).rows
    assert digests[0] == 0
    report = Shop(tmp_path / "new.duckdb").import_folder(data)
    assert digests[0] == files
    with duckdb.connect(str(tmp_path / "new.duckdb"), read_only=True) as con:
        logged = con.execute("SELECT count(*), count(DISTINCT sha256), "
                             "min(length(sha256)) FROM _imports").fetchone()
    assert report.added and logged == (files, files, 64)


def test_a_scheme_is_a_name_a_text_or_an_object(demo) -> None:
    _, ws = demo
    shop = Shop(ws)
    by_name = shop.score("presale-standard", "2026-10").result.cards
    assert by_name
    assert shop.score(load("presale-standard"), "2026-10").result.cards == by_name
    text = preset_text("presale-standard")
    assert shop.score(SchemeText(text, source="edited"), "2026-10").result.cards == by_name


def test_workspace_and_data_together_are_refused(demo) -> None:
    data, ws = demo
    with pytest.raises(UsageError) as exc:
        Shop(ws, data=data)
    assert exc.value.code == "workspace_or_data"
    with pytest.raises(UsageError) as exc:
        Shop().metrics(OCTOBER)
    assert exc.value.code == "workspace_or_data"
    with pytest.raises(UsageError) as exc:
        Shop(ws).validate()  # a folder's check needs the folder
    assert exc.value.code == "workspace_or_data"


def test_a_report_is_gathered_on_one_connection(demo, monkeypatch) -> None:
    _, ws = demo
    opened = _count(monkeypatch, store.Workspace, "connect")
    report = gather_report(Shop(ws), "presale-standard", "2026-10")
    # one for the figures (score, 3 metric queries, lost inquiries), one each for the
    # import log and its warnings
    assert opened[0] == 3
    assert report.cards and report.daily


def test_the_facade_writes_no_sql() -> None:
    """What reads a table is in cskpi.store and the engines, not in the core object: it
    imports neither DuckDB nor the SQL helpers, runs no statement and holds no SQL text."""
    tree = ast.parse(Path(shop_module.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not [a.name for a in node.names if a.name.startswith("duckdb")]
        if isinstance(node, ast.ImportFrom):
            assert node.module not in ("data.sql", "duckdb"), node.module
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in ("execute", "sql", "fetchall"), node.func.attr
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not re.search(r"\b(SELECT|SET|CREATE|INSERT|ATTACH)\b", node.value), \
                node.value
