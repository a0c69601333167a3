#!/usr/bin/env bash
# One command on a fresh machine: create .venv, install cskpi with its test extras,
# then run the main job on embedded defaults (cskpi demo). No server is needed.
#   ./setup.sh            set up and run the demo
#   ./setup.sh --no-demo  set up only
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "cskpi needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))" >&2
  exit 2
fi

scripts/system-packages.sh "${CSKPI_SYSTEM:-run}"

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Re-install only when the project's requirements changed since the last install.
stamp=.venv/.cskpi-installed
extras="${CSKPI_EXTRAS:-test,pdf,web}"
want=$( (cat pyproject.toml setup.sh; echo "$extras") | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
  echo "$want" > "$stamp"
fi

if [ "${1:-}" != "--no-demo" ]; then
  .venv/bin/cskpi demo
fi
