"""Fuzzing the import with broken files (issue #15): no input crashes it or half-imports it.

Valid CSV, XLSX and Parquet exports of a small demo shop are mutated (bytes flipped,
inserted, deleted, cut; text re-encoded, delimiters changed, quotes unbalanced, rows
made very wide, NULs; workbook parts damaged; Parquet columns given hostile names) and
imported into a workspace made by a first valid import.  Whatever the input:

- ``cskpi import`` exits 0, 1 or 2, and never with a traceback;
- on 1, every error names a file of the folder (or the folder);
- a refused import leaves the workspace file byte for byte as it was.

The whole module is in the slow tier (``pytest -m slow``; ``./test.sh`` and CI run it):
a fixed set of 40 inputs, then 300 new ones each run, with a printed tally (``-s`` shows
it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cskpi.cli.main import app
from cskpi.data import demo

pytestmark = pytest.mark.slow  # fuzzing: hundreds of imports

FUZZED = ("agents", "sessions", "messages", "orders", "ratings")
FORMATS = ("csv", "xlsx", "parquet")
TALLY: Counter[str] = Counter()


# --- the valid files, once -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A demo folder, a workspace made by importing it, and each fuzzed table in every format."""
    root = tmp_path_factory.mktemp("fuzz")
    data = root / "data"
    demo.generate(data, agents=3, days=2, messages=200)
    ws = root / "ws.duckdb"
    result = CliRunner().invoke(app, ["import", str(data), "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    valid = {}
    for table in FUZZED:
        text = (data / f"{table}.csv").read_bytes()
        records = list(csv.reader(io.StringIO(text.decode("utf-8"), newline="")))
        valid[table] = {"csv": text, "xlsx": _xlsx(table, records),
                        "parquet": _parquet(records)}
    return {"root": root, "data": data, "ws": ws, "ws_sha": _sha(ws), "valid": valid}


def _xlsx(table: str, records: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = table
    for record in records:
        ws.append(record)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _parquet(records: list[list[str]]) -> bytes:
    header, rows = records[0], records[1:]
    columns = [pa.array([r[i] if r[i] != "" else None for r in rows], pa.string())
               for i in range(len(header))]
    out = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(columns, names=header), out)
    return out.getvalue()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- mutations ---------------------------------------------------------------------------------

Mutation = Callable[[bytes, st.DataObject], bytes]


def _at(data: bytes, draw: st.DataObject) -> int:
    return draw.draw(st.integers(0, max(len(data) - 1, 0)), label="at")


def flip(data: bytes, draw: st.DataObject) -> bytes:
    if not data:
        return data
    at = _at(data, draw)
    return data[:at] + bytes([data[at] ^ draw.draw(st.integers(1, 255))]) + data[at + 1:]


def insert(data: bytes, draw: st.DataObject) -> bytes:
    at = _at(data, draw)
    junk = draw.draw(st.binary(min_size=1, max_size=16) | st.sampled_from(
        [b'"', b'""', b"\x00", b"\r", b"\n", b",", b";", b"\t", b"\xff", b"\xef\xbb\xbf",
         b"\xe4\xb8", b"'", b"\\", "名".encode()]), label="junk")
    return data[:at] + junk + data[at:]


def delete(data: bytes, draw: st.DataObject) -> bytes:
    at = _at(data, draw)
    return data[:at] + data[at + draw.draw(st.integers(1, 64)):]


def truncate(data: bytes, draw: st.DataObject) -> bytes:
    return data[:_at(data, draw)]


def nuls(data: bytes, draw: st.DataObject) -> bytes:
    at = _at(data, draw)
    return data[:at] + b"\x00" * draw.draw(st.integers(1, 8)) + data[at:]


def reencode(data: bytes, draw: st.DataObject) -> bytes:
    encoding = draw.draw(st.sampled_from(["gbk", "gb18030", "big5", "utf-16", "utf-16-le",
                                          "utf-16-be", "utf-8-sig", "latin-1", "shift_jis"]))
    return data.decode("utf-8", errors="replace").encode(encoding, errors="replace")


def delimiter(data: bytes, draw: st.DataObject) -> bytes:
    new = draw.draw(st.sampled_from([b";", b"\t", b"|", b" ", b",,", b""]))
    if draw.draw(st.booleans(), label="everywhere"):
        return data.replace(b",", new)
    at = _at(data, draw)
    return data[:at] + data[at:].replace(b",", new, draw.draw(st.integers(1, 5)))


def quote(data: bytes, draw: st.DataObject) -> bytes:
    at = _at(data, draw)
    return data[:at] + b'"' + data[at:]


def wide_row(data: bytes, draw: st.DataObject) -> bytes:
    fields = draw.draw(st.integers(2, 5000), label="fields")
    row = b",".join([b"x"] * fields) + b"\n"
    at = data.find(b"\n", _at(data, draw)) + 1 or len(data)
    return data[:at] + row * draw.draw(st.integers(1, 3)) + data[at:]


def long_field(data: bytes, draw: st.DataObject) -> bytes:
    at = _at(data, draw)
    return data[:at] + b"y" * draw.draw(st.sampled_from([1000, 140_000, 2_200_000])) + data[at:]


def line_endings(data: bytes, draw: st.DataObject) -> bytes:
    return data.replace(b"\n", draw.draw(st.sampled_from([b"\r", b"\r\n", b"\n\n", b"\r\r"])))


BYTES: list[Mutation] = [flip, insert, delete, truncate, nuls]
TEXT: list[Mutation] = [*BYTES, reencode, delimiter, quote, wide_row, long_field, line_endings]


def xlsx_part(data: bytes, draw: st.DataObject) -> bytes:
    """Damage one part of the package, or leave it out, or give it a DTD."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src:
            for name in src.namelist():
                src.read(name)
    except Exception:  # noqa: BLE001 - damaged by an earlier mutation: damage it more
        return flip(data, draw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        target = draw.draw(st.sampled_from(names), label="part")
        how = draw.draw(st.sampled_from(["mutate", "drop", "dtd", "text"]), label="how")
        for name in names:
            part = src.read(name)
            if name == target:
                if how == "drop":
                    continue
                if how == "dtd":
                    part = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>' + \
                        part.split(b"?>", 1)[-1]
                elif how == "text":
                    part = draw.draw(st.sampled_from(TEXT))(part, draw)
                else:
                    part = draw.draw(st.sampled_from(BYTES))(part, draw)
            dst.writestr(name, part)
    return out.getvalue()


HOSTILE_NAMES = ['x"y', "a'b", 'agent_id" AS c0, 1 AS "x', "file_row_number", "", " ",
                 "名字\n", "c0", "_row", "a" * 2000, "\x00"]


def parquet_names(data: bytes, draw: st.DataObject) -> bytes:
    """Rename, duplicate or add columns (Parquet keeps any name)."""
    try:
        table = pq.read_table(io.BytesIO(data))
        # a flipped byte in the footer can leave a column name that is not UTF-8, which
        # pyarrow reads and fails to name
        names = list(table.column_names)
    except Exception:  # noqa: BLE001 - damaged by an earlier mutation: damage it more
        return flip(data, draw)
    i = draw.draw(st.integers(0, len(names) - 1), label="column")
    how = draw.draw(st.sampled_from(["rename", "duplicate", "widen"]), label="how")
    if how == "rename":
        names[i] = draw.draw(st.sampled_from(HOSTILE_NAMES) | st.text(max_size=30))
        table = table.rename_columns(names)
    elif how == "duplicate":
        table = table.append_column(names[i], table.column(i))
    else:
        n = draw.draw(st.integers(1, 1500), label="columns")
        for j in range(n):
            table = table.append_column(f"extra{j}", table.column(i))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


MUTATIONS: dict[str, list[Mutation]] = {
    "csv": TEXT,
    "xlsx": [*BYTES, xlsx_part, xlsx_part, xlsx_part],
    "parquet": [*BYTES, parquet_names, parquet_names],
}


# --- the property ------------------------------------------------------------------------------


def import_mutated(shop: dict[str, Any], draw: st.DataObject, tmp: Path) -> str:
    table = draw.draw(st.sampled_from(FUZZED), label="table")
    fmt = draw.draw(st.sampled_from(FORMATS), label="format")
    content = shop["valid"][table][fmt]
    for _ in range(draw.draw(st.integers(1, 3), label="mutations")):
        content = draw.draw(st.sampled_from(MUTATIONS[fmt]), label="mutation")(content, draw)
    fresh = draw.draw(st.booleans(), label="fresh workspace")

    folder = tmp / "data"
    shutil.copytree(shop["data"], folder)
    (folder / f"{table}.csv").unlink()
    name = f"{table}.{fmt}"
    (folder / name).write_bytes(content)
    ws = tmp / "ws.duckdb"
    if not fresh:
        shutil.copyfile(shop["ws"], ws)

    result = CliRunner().invoke(app, ["import", str(folder), "--workspace", str(ws),
                                      "--format", "json"])
    TALLY["inputs"] += 1
    crash = None if isinstance(result.exception, SystemExit | None) else result.exception
    if crash is not None:
        TALLY["crash"] += 1
    assert crash is None, "".join(traceback.format_exception(crash))
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    TALLY[f"exit {result.exit_code}"] += 1
    if result.exit_code == 0:
        return "imported"
    if result.exit_code == 1 and result.stdout.startswith("{"):
        errors = [i for i in json.loads(result.stdout)["issues"] if i["level"] == "error"]
        assert errors
        files = {p.name for p in folder.iterdir()} | {str(folder)}
        assert all(i["file"] in files for i in errors), errors
        TALLY.update(f"{i['code']}" for i in errors if i["file"] == name)
        # the problems no reader names more precisely: each kind once in the tally
        TALLY.update({f"  {i['code']}: {i['message'][:90]}" for i in errors
                      if i["code"].startswith("unreadable_")})
    else:
        assert result.output.strip()
    # refused: the workspace is exactly as it was (or still absent)
    unchanged = (not ws.exists()) if fresh else _sha(ws) == shop["ws_sha"]
    if not unchanged:
        TALLY["partial import"] += 1
    assert unchanged, "a refused import changed the workspace"
    assert not Path(f"{ws}.wal").exists()
    return "refused"


def _run(shop: dict[str, Any], data: st.DataObject,
         tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("example")
    try:
        import_mutated(shop, data, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# (no shrinking: an import takes a fraction of a second, and shrinking one failure took
# more than five minutes; the draws of the failing input are printed as they were)
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                phases=PHASES, suppress_health_check=list(HealthCheck))


@FAST
@given(data=st.data())
def test_broken_files_never_crash_nor_half_import(shop: dict[str, Any], data: st.DataObject,
                                                 tmp_path_factory: pytest.TempPathFactory
                                                 ) -> None:
    _run(shop, data, tmp_path_factory)


@settings(max_examples=300, deadline=None, phases=PHASES,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_broken_files_never_crash_nor_half_import_long(
        shop: dict[str, Any], data: st.DataObject,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    _run(shop, data, tmp_path_factory)


def teardown_module() -> None:
    if TALLY:
        print("\nfuzz tally:", dict(sorted(TALLY.items(), key=lambda kv: -kv[1])))
