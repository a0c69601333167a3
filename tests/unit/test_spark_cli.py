"""The Spark engine's command line refuses what it cannot read, without starting Spark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cskpi.errors import UsageError
from cskpi.metrics.spark import read_meta, write_meta


def test_a_parquet_folder_without_its_time_zone_is_refused(tmp_path: Path):
    (tmp_path / "agents.parquet").write_bytes(b"PAR1")
    with pytest.raises(UsageError) as err:
        read_meta(tmp_path)
    assert err.value.code == "parquet_no_meta" and "cskpi export" in err.value.hint


@pytest.mark.parametrize("meta", [{"timezone": "Mars/Olympus", "contract_version": 1},
                                  {"timezone": "Asia/Shanghai", "contract_version": 99},
                                  "not an object"])
def test_a_bad_cskpi_json_is_refused(tmp_path: Path, meta):
    (tmp_path / "agents.parquet").write_bytes(b"PAR1")
    (tmp_path / "cskpi.json").write_text(json.dumps(meta))
    with pytest.raises(UsageError) as err:
        read_meta(tmp_path)
    assert err.value.code in ("parquet_bad_meta", "parquet_contract_version")


def test_meta_round_trip(tmp_path: Path):
    (tmp_path / "orders.parquet").write_bytes(b"PAR1")
    write_meta(tmp_path, "Europe/Berlin", ["orders"])
    assert read_meta(tmp_path)["timezone"] == "Europe/Berlin"


def test_cli_options_of_the_other_engine_are_refused(cli, tmp_path: Path):
    result = cli("metrics", "--parquet", tmp_path, "--period", "2026-10")
    assert result.exit_code == 2 and "--engine spark" in result.output
    both = cli("metrics", "--engine", "spark", "--parquet", tmp_path, "-w", tmp_path / "x",
               "--period", "2026-10")
    assert both.exit_code == 2 and "exactly one of" in both.output
