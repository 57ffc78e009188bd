#!/usr/bin/env bash
# The README's test command: sets up the machine, then lint, typecheck, and every test suite (unit,
# integration on a private PostgreSQL, and end-to-end on the real sandbox). Nothing is skipped: a skipped or
# todo test fails the run (scripts/test-report.mjs), and `.only` is refused by vitest (allowOnly: false).
# `npm test` runs the end-to-end half even when the unit + integration half failed, then fails if either did.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .ripcord/test-results
# The closing lines from vitest's JSON reports, printed even when a suite fails: the skipped count, then
# "tests: N passed, N failed". The run fails when the report does (a failed or skipped test).
finish() {
  local rc=$? report_rc=0
  trap - EXIT
  node scripts/test-report.mjs .ripcord/test-results/*.json || report_rc=$?
  if [ "$rc" -eq 0 ]; then rc=$report_rc; fi
  exit "$rc"
}
trap finish EXIT
bash scripts/setup.sh
npm run lint
npm run typecheck
npm test
