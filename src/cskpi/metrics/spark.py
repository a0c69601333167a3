"""The metric catalog on PySpark: the same definitions as on DuckDB, for a cluster.

A workspace's tables are written as Parquet (``cskpi export --parquet DIR``): one
``TABLE.parquet`` (a file, or a folder of part files as Spark writes them) per table,
timestamps as naive UTC, and ``cskpi.json`` saying the shop's time zone and the data
contract's version.  :func:`compute_on_parquet` reads such a folder into a Spark session
(``local[*]`` unless a master URL is given) and computes the catalog exactly as DuckDB
does (tests/integration/test_spark_parity.py).
"""

from __future__ import annotations

import json
import shutil
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..data.schema import CONTRACT_VERSION, TABLES
from ..errors import UsageError

META_FILE = "cskpi.json"


def write_meta(folder: Path, timezone: str, tables: list[str]) -> None:
    """Say what a Parquet export holds, so that another engine reads it the same way."""
    meta = {"timezone": timezone, "contract_version": CONTRACT_VERSION, "tables": tables}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def read_meta(folder: Path) -> dict[str, Any]:
    """The export's time zone and tables; a folder without them is refused, not guessed."""
    path = folder / META_FILE
    if not folder.is_dir():
        raise UsageError(code="parquet_not_a_folder", params={"folder": str(folder)})
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(code="parquet_no_meta", params={"folder": str(folder)}) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UsageError(code="parquet_bad_meta",
                         params={"file": str(path), "error": str(exc)}) from None
    tz = meta.get("timezone") if isinstance(meta, dict) else None
    version = meta.get("contract_version") if isinstance(meta, dict) else None
    if not isinstance(tz, str) or tz not in zoneinfo.available_timezones():
        raise UsageError(code="parquet_bad_meta",
                         params={"file": str(path), "error": f"timezone {tz!r}"})
    if version != CONTRACT_VERSION:
        raise UsageError(code="parquet_contract_version",
                         params={"file": str(path), "found": version,
                                 "expected": CONTRACT_VERSION})
    if not any((folder / f"{name}.parquet").exists() for name in TABLES):
        raise UsageError(code="parquet_no_tables", params={"folder": str(folder)})
    return meta


def _require_spark() -> Any:
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(code="spark_missing") from None
    if shutil.which("java") is None:
        import os

        if not os.environ.get("JAVA_HOME"):
            raise UsageError(code="java_missing")
    return SparkSession


@contextmanager
def spark_session(master: str | None) -> Iterator[Any]:
    """A Spark session on ``master`` (``local[*]`` by default), timestamps in UTC."""
    session_class = _require_spark()
    master = master or "local[*]"
    builder = (session_class.builder.master(master).appName("cskpi")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if master.startswith("local"):
        # a laptop's few cores: the default 200 shuffle partitions only cost overhead
        builder = builder.config("spark.sql.shuffle.partitions", "4")
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - py4j and Spark raise many kinds
        raise UsageError(code="spark_start_failed",
                         params={"master": master, "error": str(exc).splitlines()[0][:300]}
                         ) from None
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def compute_on_parquet(query: Any, folder: Path, master: str | None = None) -> Any:
    """The catalog for ``query`` on the Parquet export in ``folder``, on Spark."""
    import ibis

    from .compute import compute
    from .inputs import spark_inputs

    meta = read_meta(folder)
    with spark_session(master) as spark:
        backend = ibis.pyspark.connect(spark)
        return compute(backend, spark_inputs(backend, spark, folder, meta["timezone"]), query)
