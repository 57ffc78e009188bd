#!/usr/bin/env bash
# The README's test command: sets up the machine, then lint, typecheck, and every test suite (unit,
# integration on a private PostgreSQL, and end-to-end on the real sandbox). Nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .ripcord/test-results
# A plain closing line ("N passed, N failed") from vitest's JSON reports, printed even when a suite fails.
summary() {
  local files=(.ripcord/test-results/*.json)
  [ -e "${files[0]}" ] || return 0
  jq -rs '"tests: \(map(.numPassedTests) | add) passed, \(map(.numFailedTests) | add) failed"' "${files[@]}"
}
trap summary EXIT
bash scripts/setup.sh
npm run lint
npm run typecheck
npm test
