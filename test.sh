#!/usr/bin/env bash
# The whole test suite (slow tests included), installing what it needs first.
# Extra arguments go to pytest, e.g. ./test.sh -m "not slow" -x
set -euo pipefail
cd "$(dirname "$0")"
# the test run installs every extra: spark (parity test), pdf (reports), web (the app)
CSKPI_EXTRAS=test,spark,pdf,web CSKPI_SYSTEM=test ./setup.sh --no-demo
set +e
.venv/bin/python -m pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "no tests were collected" >&2
  exit 1
fi
exit "$code"
