#!/usr/bin/env bash
# `npm run test:quick`: the loop for a change that does not need the sandbox: lint, typecheck, unit and
# integration tests (these start their own PostgreSQL, Prometheus and Alertmanager). Prints each step's time.
# For the sandbox's end-to-end files you touched: `npm run test:e2e -- FILE...`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .ripcord/test-results
export RIPCORD_PHASES_FILE=$PWD/.ripcord/test-results/quick-phases.tsv
rm -f "$RIPCORD_PHASES_FILE"
# shellcheck source=lib/phase.sh
. scripts/lib/phase.sh
trap 'node scripts/ci-timings.mjs "$RIPCORD_PHASES_FILE"' EXIT
phase lint npm run -s lint
phase typecheck npm run -s typecheck
phase "unit + integration" npx vitest run --project unit --project integration
