#!/usr/bin/env bash
# Set up (idempotent) and run the test suite; the exit code is pytest's, and "no tests collected" counts as failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "[test] setup failed" >&2; exit 1; }
.venv/bin/python -m pytest -q "$@"
rc=$?
if [ "$rc" = 5 ]; then echo "[test] pytest collected no tests: failing" >&2; exit 1; fi
exit "$rc"
