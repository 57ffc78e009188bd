#!/usr/bin/env bash
# The README's test command: sets up the machine, then lint, typecheck, and every test suite (unit,
# integration on a private PostgreSQL, and end-to-end on the real sandbox). Nothing is skipped: a skipped or
# todo test fails the run (scripts/test-report.mjs), and `.only` is refused by vitest (allowOnly: false).
# The end-to-end half runs even when the unit + integration half failed; the run then fails if either did.
# It ends with a table of each phase's wall time and the ten slowest test files (scripts/ci-timings.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .ripcord/test-results
mkdir -p .ripcord/test-results
export RIPCORD_PHASES_FILE=$PWD/.ripcord/test-results/phases.tsv
# shellcheck source=lib/phase.sh
. scripts/lib/phase.sh
# The closing lines, printed even when a suite fails: the timing table, the skipped count, then
# "tests: N passed, N failed". The run fails when the report does (a failed or skipped test).
finish() {
  local rc=$? report_rc=0
  trap - EXIT
  node scripts/ci-timings.mjs "$RIPCORD_PHASES_FILE" .ripcord/test-results/*.json || true
  node scripts/test-report.mjs .ripcord/test-results/*.json || report_rc=$?
  if [ "$rc" -eq 0 ]; then rc=$report_rc; fi
  exit "$rc"
}
trap finish EXIT
bash scripts/setup.sh # builds dist/ too (npm ci's prepare, or npm run build)
phase lint npm run lint
phase typecheck npm run typecheck
r=0
phase "unit + integration" npm run -s test:unit-integration || r=1
phase "e2e" npm run -s test:e2e:all || r=1
exit "$r"
