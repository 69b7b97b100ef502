#!/usr/bin/env bash
# Runs the whole test suite. Under CI=true, tests that need PostgreSQL or
# Chromium run (and fail if those are missing) instead of skipping.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${CI:-}" = "true" ] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  # the machine's PostgreSQL may have been stopped; start it if we can
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
.venv/bin/python -m pytest "$@"
status=$?
if [ $status -eq 5 ]; then
  echo "test: pytest collected no tests" >&2
  exit 1
fi
exit $status
