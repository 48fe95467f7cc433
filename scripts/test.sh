#!/usr/bin/env bash
# Set up (idempotent) and run the test suite; the exit code is pytest's, and "no tests collected" counts as failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "[test] setup failed" >&2; exit 1; }
# Two test processes by default (pytest-xdist; each module stays in one process, since its browser and sites are
# module fixtures). WEBAGENT_TEST_WORKERS=N for another count, 0 to run in this process.
WORKERS="${WEBAGENT_TEST_WORKERS:-2}"
if [ "$WORKERS" = 0 ]; then
  .venv/bin/python -m pytest -q "$@"
else
  .venv/bin/python -m pytest -q -n "$WORKERS" --dist loadfile "$@"
fi
rc=$?
if [ "$rc" = 5 ]; then echo "[test] pytest collected no tests: failing" >&2; exit 1; fi
exit "$rc"
