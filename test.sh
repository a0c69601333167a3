#!/usr/bin/env bash
# The whole test suite (slow tests included), installing what it needs first.
# Extra arguments go to pytest, e.g. ./test.sh -m "not slow" -x
set -euo pipefail
cd "$(dirname "$0")"
# the test run installs every extra: spark (parity test), pdf (reports), web (the app)
CSKPI_EXTRAS=test,spark,pdf,web CSKPI_SYSTEM=test ./setup.sh --no-demo
set +e
# one worker per core (at most 4): the tests wait on DuckDB, Spark, a browser and child
# processes as much as on Python, so two workers on two cores take about 60 % of one
.venv/bin/python -m pytest -n auto --maxprocesses=4 "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "no tests were collected" >&2
  exit 1
fi
exit "$code"
