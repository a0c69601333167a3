"""Chat QA benchmark: the whole QA check of a month beside a hand-written DuckDB scan.

    python bench/qa_bench.py [--messages 2000000] [--repeat 3] [--unique-text] [--incremental]

On a generated demo month of about ``--messages`` messages (imported into a workspace
under bench/out, the metrics' facts cache warmed first, as ``cskpi metrics --qa`` has
it), it prints, each measured in its own process and alternating (median of
``--repeat`` runs with their range, wall and CPU seconds; a shared 2-core machine varies
by a third and more):

  - the reference: a hand-written DuckDB query selecting the agent messages that match
    every phrase of the rules as one ``regexp_matches`` alternation (the rows, as Arrow);
    and the same query written with ``regexp_full_match(text, '(?s:.*)(?:…)(?s:.*)')``,
    as the QA engine writes its matches (see :mod:`cskpi.qa.engine`);
  - the QA check (as :meth:`cskpi.shop.Shop.qa_check` runs it for ``cskpi qa hits``) with no
    results kept from before (the workspace's QA tables dropped first): every rule kind
    of the bench rules — the taobao-basic preset padded with generated phrases and
    patterns to >= 300 phrases and >= 10 patterns, so phrases, patterns, the required
    greeting and the unsoothed complaints (jieba loaded in the run) — to every hit (as
    Python rows) and every session's score (summed per agent in DuckDB, as the metrics
    read them), the results stored for the next check.  cskpi's modules are imported
    before the clock starts, as the libraries are (they are not the check).

``--incremental`` measures instead, on a workspace that imported the month's last day
separately (its sessions, their messages and ratings; the facts cache brought up to date
after each import, and the QA results kept after the first), the check after that
import — it reads the chat log of the new sessions alone — beside a full check of the
same workspace (its QA tables dropped first), each on a fresh copy of the file.

``--unique-text`` appends a random order number to most messages first (in a copy of the
workspace): the demo's vocabulary is small, real chats are not.
Target (issue #21): the QA check <= 2x the reference, on a 10M-message month.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
from pathlib import Path

import duckdb
from common import OUT, ROOT, demo_folder, run_child

PHRASE_CHARS = ("的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会"
                "那后能对着事其里所去行过家十用发天如然作方成者多日都三小二无同么经法当起与好看学进")
EXTRA_PATTERNS = [
    "￥[A-Za-z0-9]{11}￥",  # a 淘口令 (another shop's token)
    "(?i)https?://[a-z0-9.-]+\\\\.[a-z]{2,}",  # any link
    "[1-9][0-9]{5}(19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx]",  # an ID number
    "[A-Za-z0-9._-]+@[A-Za-z0-9-]+\\\\.[A-Za-z]{2,}",  # an e-mail address
    "(银行卡|卡号)[:：]?\\\\s*[0-9]{12,19}",  # a bank card
    "(?i)(alipay|支付宝)[:：]\\\\s*[a-z0-9@._-]{5,}",  # an Alipay account
]


def bench_rules(path: Path, phrases: int = 320) -> list[str]:
    """taobao-basic padded to ``phrases`` phrases and >= 10 patterns; its phrases."""
    from cskpi.qa import load
    from cskpi.qa.loader import preset_text

    base = load("taobao-basic")
    have = [p for r in base.rules if r.kind == "phrases" for p in r.phrases]
    rng = random.Random(21)
    extra: set[str] = set()
    while len(have) + len(extra) < phrases:
        extra.add("".join(rng.choice(PHRASE_CHARS) for _ in range(rng.randint(3, 5))))
    text = preset_text("taobao-basic").replace("qa: taobao-basic", "qa: bench")
    text += ("  - key: bench_words\n    label: 违禁词 (生成)\n    kind: phrases\n"
             f"    phrases: [{', '.join(sorted(extra))}]\n    points: -2\n")
    for k, pattern in enumerate(EXTRA_PATTERNS):
        text += (f"  - {{key: bench_pattern_{k}, label: 生成规则 {k}, kind: pattern, "
                 f"pattern: \"{pattern}\", points: -5}}\n")
    path.write_text(text, encoding="utf-8")
    rules = load(str(path))
    patterns = sum(1 for r in rules.rules if r.kind == "pattern")
    words = [p for r in rules.rules if r.kind == "phrases" for p in r.phrases]
    assert len(words) >= 300 and patterns >= 10, (len(words), patterns)
    return words


REFERENCE = """
import json, re, sys, time, duckdb
words = json.loads(open(sys.argv[2], encoding="utf-8").read())
alternation = "|".join(re.escape(w) for w in words)
con = duckdb.connect(sys.argv[1], read_only=True)
if sys.argv[3] == "full_match":
    where = "regexp_full_match(text, ?)"
    alternation = "(?s:.*)(?:" + alternation + ")(?s:.*)"
else:
    where = "regexp_matches(text, ?)"
t, c = time.perf_counter(), time.process_time()
hits = con.execute("SELECT session_id, ts, text FROM messages WHERE sender = 'agent' "
                   "AND " + where, [alternation]).to_arrow_table()
print(json.dumps({"wall_s": time.perf_counter() - t, "cpu_s": time.process_time() - c,
                  "rows": hits.num_rows}))
"""

QA = """
import datetime as dt, json, sys, time
import duckdb, ibis.backends.duckdb, pandas, pyarrow, re2
from cskpi.shop import Shop
import cskpi.metrics.cache, cskpi.qa.cache, cskpi.qa.engine, cskpi.qa.loader  # (not timed)
if sys.argv[3] == "full":  # no results kept from before
    con = duckdb.connect(sys.argv[1])
    for table in ("_qa_found", "_qa_days", "_qa_state"):
        con.execute("DROP TABLE IF EXISTS " + table)
    con.close()


def run(backend, inputs, con):
    # as cskpi.shop.Shop.qa_check (cskpi qa hits) runs it, and the scores grouped per agent
    # as the metrics read them
    from cskpi.metrics.cache import cached
    from cskpi.metrics.profiles import resolve
    from cskpi.qa import load
    from cskpi.qa.engine import HIT_COLUMNS, check, rows

    rules = load(sys.argv[2])
    if con is not None:
        inputs.memo["facts"] = cached(backend, con, inputs, resolve("generic")).facts
    result = check(backend, inputs, rules, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    hits = rows(backend, result.hits, (*HIT_COLUMNS, "kind", "kept", "counted"))
    s = result.sessions
    per_agent = backend.to_pyarrow(s.group_by("agent_id").agg(n=s.count(), score=s.score.sum()))
    return len(hits), int(pyarrow.compute.sum(per_agent["n"]).as_py()), result.scanned


t, c = time.perf_counter(), time.process_time()
hits, sessions, scanned = Shop(sys.argv[1])._with_inputs(run, writable=True)
wall, cpu = time.perf_counter() - t, time.process_time() - c
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "rows": hits, "sessions": scanned,
                  "scored": sessions}))
"""

WARM = """
import datetime as dt, json, sys
from cskpi.shop import Shop
from cskpi.metrics.compute import MetricQuery
Shop(sys.argv[1]).metrics(MetricQuery(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
print(json.dumps({}))
"""


def workspace_for(messages: int, unique_text: bool) -> Path:
    from cskpi.shop import Shop

    ws = OUT / f"qa-ws-{messages}.duckdb"
    if not ws.exists():
        tmp = ws.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        Shop(tmp).import_folder(demo_folder(messages))
        tmp.rename(ws)
    if not unique_text:
        return ws
    unique = OUT / f"qa-ws-{messages}-unique.duckdb"
    if not unique.exists():
        tmp = unique.with_suffix(".tmp")
        shutil.copyfile(ws, tmp)
        con = duckdb.connect(str(tmp))
        con.execute("UPDATE messages SET text = text || ' 订单' || "
                    "CAST((random() * 1e12)::BIGINT AS VARCHAR) WHERE random() < 0.8")
        con.close()
        tmp.rename(unique)
    return unique


def split_last_day(folder: Path, out: Path) -> tuple[Path, Path]:
    """The demo folder as two imports: everything but the last day's sessions (with
    their messages and ratings), then those."""
    first, last = out / "first", out / "last"
    if (out / ".complete").exists():
        return first, last
    for d in (first, last):
        d.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*.csv"):
        if f.name not in ("sessions.csv", "messages.csv", "ratings.csv"):
            shutil.copyfile(f, first / f.name)
    con = duckdb.connect()
    src = str(folder).replace("'", "''")
    con.execute(f"CREATE TABLE s AS SELECT * FROM read_csv('{src}/sessions.csv', "
                "all_varchar = true)")
    day = con.execute("SELECT max(start_ts[:10]) FROM s").fetchone()[0]
    con.execute("CREATE TABLE late AS SELECT session_id FROM s WHERE start_ts[:10] = ?", [day])
    for name in ("sessions", "messages", "ratings"):
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('{src}/{name}.csv', "
                    "all_varchar = true)")
        for target, test in ((first, "NOT IN"), (last, "IN")):
            path = str(target / f"{name}.csv").replace("'", "''")
            con.execute(f"COPY (SELECT * FROM t WHERE session_id {test} "
                        f"(SELECT session_id FROM late)) TO '{path}' (HEADER)")
    con.close()
    (out / ".complete").write_text("ok")
    return first, last


def incremental_workspace(messages: int, rules: Path) -> Path:
    """A workspace that imported the month without its last day, was checked, then
    imported the last day (the facts cache warmed after each import)."""
    from cskpi.shop import Shop

    ws = OUT / f"qa-incr-{messages}.duckdb"
    if ws.exists():
        return ws
    first, last = split_last_day(demo_folder(messages), OUT / f"qa-incr-{messages}")
    tmp = ws.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    Shop(tmp).import_folder(first)
    run_child(WARM, str(tmp))
    run_child(QA, str(tmp), str(rules), "cached")
    Shop(tmp).import_folder(last)
    run_child(WARM, str(tmp))
    tmp.rename(ws)
    return ws


def summary(name: str, runs: list[dict]) -> str:
    walls = [r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] for r in runs]
    return (f"{name:34s} median {statistics.median(walls):6.3f} s "
            f"(range {min(walls):.3f}-{max(walls):.3f}), CPU {statistics.median(cpus):6.3f} s, "
            f"rows {runs[0]['rows']:,}"
            + (f", sessions checked {runs[0]['sessions']:,}" if "sessions" in runs[0] else "")
            + (f", scored {runs[0]['scored']:,}" if "scored" in runs[0] else ""))


def ratio(a: list[dict], b: list[dict], key: str = "wall_s") -> float:
    return statistics.median(r[key] for r in a) / statistics.median(r[key] for r in b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unique-text", action="store_true")
    parser.add_argument("--incremental", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rules = OUT / "qa-bench-rules.yaml"
    words = bench_rules(rules)
    if args.incremental:
        incremental(args, rules)
        return
    ws = workspace_for(args.messages, args.unique_text)
    words_file = OUT / "qa-bench-words.json"
    import json

    words_file.write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    run_child(WARM, str(ws))  # the facts cache, as cskpi metrics --qa has it
    con = duckdb.connect(str(ws), read_only=True)
    n = con.execute("SELECT count(*), count(*) FILTER (WHERE sender = 'agent') "
                    "FROM messages").fetchone()
    con.close()
    print(f"workspace {ws.name}: {n[0]:,} messages, {n[1]:,} agent messages; "
          f"rules: {len(words)} phrases + patterns ({rules.relative_to(ROOT)})")
    ref, full_ref, ours = [], [], []
    for _ in range(args.repeat):
        ref.append(run_child(REFERENCE, str(ws), str(words_file), "matches"))
        full_ref.append(run_child(REFERENCE, str(ws), str(words_file), "full_match"))
        ours.append(run_child(QA, str(ws), str(rules), "full"))
    print(summary("reference regexp_matches scan", ref))
    print(summary("reference, regexp_full_match", full_ref))
    print(summary("QA check (all rules, full)", ours))
    print(f"ratio QA check / regexp_matches reference: {ratio(ours, ref):.2f} wall, "
          f"{ratio(ours, ref, 'cpu_s'):.2f} CPU (target <= 2)")
    print(f"ratio QA check / regexp_full_match reference: {ratio(ours, full_ref):.2f} wall, "
          f"{ratio(ours, full_ref, 'cpu_s'):.2f} CPU")


def incremental(args: argparse.Namespace, rules: Path) -> None:
    snapshot = incremental_workspace(args.messages, rules)
    con = duckdb.connect(str(snapshot), read_only=True)
    n, late = con.execute("SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM "
                          "messages WHERE _import_id = 2)").fetchone()
    con.close()
    print(f"workspace {snapshot.name}: {n:,} messages, {late:,} of them imported with the "
          f"last day")
    work = OUT / "qa-incr-run.duckdb"
    incr, full = [], []
    try:
        for _ in range(args.repeat):
            for mode, runs in (("cached", incr), ("full", full)):
                shutil.copyfile(snapshot, work)
                runs.append(run_child(QA, str(work), str(rules), mode))
    finally:
        work.unlink(missing_ok=True)
    print(summary("QA check after the import (kept)", incr))
    print(summary("QA check, full", full))
    print(f"ratio kept / full: {ratio(incr, full):.2f} wall, {ratio(incr, full, 'cpu_s'):.2f} CPU")


if __name__ == "__main__":
    main()
