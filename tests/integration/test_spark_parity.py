"""The same metric definitions on DuckDB and on PySpark give the same figures."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from cskpi.metrics.compute import MetricQuery, compute
from cskpi.metrics.ibis_adapter import duckdb_backend
from cskpi.metrics.inputs import export_parquet, spark_inputs
from cskpi.metrics.profiles import resolve
from cskpi.shop import Shop
from cskpi.store.workspace import Workspace
from tests.helpers.common import write_folder
from tests.helpers.golden import AGENTS
from tests.helpers.golden_sales import ORDERS, REFUNDS, SESSIONS

# slow tier: each test starts a JVM (a local Spark session), about a minute of CPU
pytestmark = pytest.mark.slow

pyspark = pytest.importorskip("pyspark", reason="the [spark] extra is not installed")
if shutil.which("java") is None:  # pragma: no cover - CI has Java 17
    pytest.skip("Spark needs Java (17) on the PATH", allow_module_level=True)

MESSAGES = """\
session_id,ts,sender,agent_id,customer_id,event
P1,2026-10-01 10:00:00,customer,,C1,
P1,2026-10-01 10:00:40,agent,A1,,
P1,2026-10-01 10:05:00,customer,,C1,
P2,2026-10-02 07:59:00,customer,,C1,
P2,2026-10-02 08:00:30,bot,,,
P2,2026-10-02 08:01:00,system,,,transfer
P2,2026-10-02 08:03:00,agent,A2,,
P3,2026-10-03 10:00:00,customer,,C2,
P3,2026-10-03 10:00:00,agent,A1,,
P3,2026-10-03 10:04:00,customer,,C2,
P3,2026-10-03 10:04:00.5,customer,,C2,
P3,2026-10-03 10:06:00,agent,A1,,
P4,2026-10-05 23:59:30,customer,,C3,
P4,2026-10-06 00:01:30,agent,A2,,
AS1,2026-10-08 10:00:00,customer,,C1,
AS1,2026-10-08 10:02:00,agent,B1,,
"""


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("cskpi-test")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    yield session
    session.stop()


@pytest.mark.parametrize(("by", "grain", "profile"), [("agent", None, "taobao"),
                                                      ("shop", "week", "douyin")])
def test_every_figure_matches_on_duckdb_and_spark(spark, tmp_path: Path, by, grain, profile):
    import ibis

    d = write_folder(tmp_path / "d", {
        "agents.csv": AGENTS, "sessions.csv": SESSIONS, "orders.csv": ORDERS,
        "refunds.csv": REFUNDS, "messages.csv": MESSAGES,
        "ratings.csv": "session_id,score\nP1,5\nP3,2\nP4,4\n",
        "online.csv": "agent_id,start_ts,end_ts\nA1,2026-10-03 09:00,2026-10-03 12:00\n"
                      "A1,2026-10-03 11:00,2026-10-03 13:00\nA2,2026-10-04 23:00,2026-10-05 01:00\n",
        "attendance.csv": "agent_id,date,status\nA1,2026-10-02,late\nB1,2026-10-03,absent\n",
        "complaints.csv": "complaint_id,ts,agent_id,verified\nK1,2026-10-09 10:00,B1,true\n",
        "reviews.csv": "order_id,ts,rating\nO2,2026-10-10 10:00,bad\n",
        "targets.csv": "period,scope,metric,value\n2026-10,agent:A1,sales,100\n",
    })
    ws = tmp_path / "ws.duckdb"
    Workspace(ws).import_folder(d)
    q = MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31), by=by, grain=grain,
                    profile=resolve(profile))
    on_duckdb = Shop(ws).metrics(q, use_cache=False).rows
    con = duckdb.connect(str(ws), read_only=True)
    try:
        export_parquet(con, tmp_path / "parquet")
    finally:
        con.close()
    backend = ibis.pyspark.connect(spark)
    on_spark = compute(backend, spark_inputs(backend, spark, tmp_path / "parquet",
                                             "Asia/Shanghai"), q).rows
    assert len(on_duckdb) == len(on_spark) > 0
    # the data exercise real figures (not only nulls) on both engines
    assert any(r["reply_3min_rate_den"] for r in on_duckdb)
    assert any(r.get("sales") for r in on_duckdb)
    for a, b in zip(on_duckdb, on_spark, strict=True):
        for key, value in a.items():
            other = b[key]
            if isinstance(value, float) and isinstance(other, float):
                assert other == pytest.approx(value, rel=1e-12, abs=1e-9), (key, a)
            else:
                assert other == value, (key, a.get("agent_id", a.get("period_start")))


def _same_rows(on_duckdb: list[dict], on_spark: list[dict]) -> None:
    assert len(on_duckdb) == len(on_spark) > 0
    for a, b in zip(on_duckdb, on_spark, strict=True):
        assert set(a) == set(b)
        for key, value in a.items():
            other = b[key]
            if isinstance(value, float) and isinstance(other, float):
                assert other == pytest.approx(value, rel=1e-12, abs=1e-9), (key, a)
            else:
                assert other == value, (key, a.get("agent_id", a.get("shop")))


# the partial shops real users have (tests/helpers/partial_data.py): the full shop, no
# chat log, orders and refunds without their optional columns, sessions without messages
PARTIAL = {
    "chat-less": {"orders", "orders.agent_id", "orders.amount", "refunds", "refunds.agent_id",
                  "refunds.cost", "refunds.completed_ts", "complaints", "attendance",
                  "targets"},
    "bare-columns": {"sessions", "messages", "orders", "refunds", "reviews"},
    "no-messages": {"sessions", "ratings", "orders", "orders.amount", "online"},
}


def test_partial_shops_match_on_duckdb_and_spark(spark, tmp_path: Path):
    """Every family on both engines, on the full shop and on partial ones: the same
    figures, and the same nulls with the same reasons."""
    import ibis

    from cskpi.metrics.inputs import duckdb_inputs
    from tests.helpers.partial_data import ALL_ATOMS, FILES, OCT, restrict

    ws = tmp_path / "ws.duckdb"
    Workspace(ws).import_folder(write_folder(tmp_path / "d", FILES))
    con = duckdb.connect(str(ws), read_only=True)
    try:
        export_parquet(con, tmp_path / "parquet")
    finally:
        con.close()
    backend = ibis.pyspark.connect(spark)
    spark_full = spark_inputs(backend, spark, tmp_path / "parquet", "Asia/Shanghai")
    cases = {"full": set(ALL_ATOMS), **PARTIAL}
    with Workspace(ws).connect(read_only=True) as con:
        duck = duckdb_backend(con)
        duck_full = duckdb_inputs(duck, con, "Asia/Shanghai")
        for name, present in cases.items():
            for by in ("agent", "shop") if name == "full" else ("agent",):
                q = MetricQuery(*OCT, by=by)
                part = restrict(duck_full, frozenset(present))
                on_duckdb = compute(duck, part, q).rows
                part.release()
                on_spark = compute(backend, restrict(spark_full, frozenset(present)), q).rows
                _same_rows(on_duckdb, on_spark)
                if name != "full":  # the partial shops have nulls with reasons
                    assert any(r["reasons"] for r in on_spark), name
        duck_full.release()


def test_cli_runs_the_catalog_on_spark_from_a_parquet_export(tmp_path: Path):
    """cskpi export --parquet, then cskpi metrics --engine spark: the JSON of DuckDB."""
    import json

    from typer.testing import CliRunner

    from cskpi.cli.main import app
    from tests.helpers.partial_data import FILES

    runner = CliRunner()
    ws = tmp_path / "ws.duckdb"
    Workspace(ws).import_folder(write_folder(tmp_path / "d", FILES))
    lake = tmp_path / "lake"
    done = runner.invoke(app, ["export", "--parquet", str(lake), "-w", str(ws)])
    assert done.exit_code == 0, done.output
    meta = json.loads((lake / "cskpi.json").read_text())
    assert meta["timezone"] == "Asia/Shanghai" and "messages" in meta["tables"]
    args = ["--period", "2026-10", "--format", "json", "--by", "team"]
    on_duckdb = runner.invoke(app, ["metrics", "-w", str(ws), *args])
    on_spark = runner.invoke(app, ["metrics", "--engine", "spark", "--parquet", str(lake),
                                   "--spark-master", "local[1]", *args])
    assert on_spark.exit_code == 0, on_spark.output
    assert json.loads(on_spark.stdout) == json.loads(on_duckdb.stdout)
    # an export never overwrites a folder
    again = runner.invoke(app, ["export", "--parquet", str(lake), "-w", str(ws)])
    assert again.exit_code == 2 and "not an empty folder" in again.output
