#!/usr/bin/env bash
# The whole test suite, installing what it needs first: the default tier (unit, golden,
# QA, reports, docs: what a plain `pytest` runs, under two minutes on two cores), then the
# slow tier (`-m slow`: the web app, Spark, the browser, LibreOffice, PostgreSQL, fuzzing,
# large files, long replays of imports). Both must pass. Extra arguments go to pytest in both tiers, e.g.
#   ./test.sh tests/unit -x       (a tier with nothing selected there is not an error,
#                                  as long as the other tier ran something)
set -euo pipefail
cd "$(dirname "$0")"
# the test run installs every extra: spark (parity test), pdf (reports), web (the app)
CSKPI_EXTRAS=test,spark,pdf,web CSKPI_SYSTEM=test ./setup.sh --no-demo
set +e
# one worker per core (at most 4): the tests wait on DuckDB, Spark, a browser and child
# processes as much as on Python, so two workers on two cores take about 60 % of one
echo "== default tier" >&2
.venv/bin/python -m pytest -n auto --maxprocesses=4 "$@"
fast=$?
echo "== slow tier (-m slow)" >&2
.venv/bin/python -m pytest -n auto --maxprocesses=4 -m slow "$@"
slow=$?
set -e
if [ "$fast" -eq 5 ] && [ "$slow" -eq 5 ]; then
  echo "no tests were collected" >&2
  exit 1
fi
for code in "$fast" "$slow"; do
  if [ "$code" -ne 0 ] && [ "$code" -ne 5 ]; then
    exit "$code"
  fi
done
exit 0
