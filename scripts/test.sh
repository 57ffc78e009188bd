#!/usr/bin/env bash
# The README's test command: sets up the machine, then lint, typecheck, and every test suite (unit,
# integration on a private PostgreSQL, and end-to-end on the real sandbox). Nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run lint
npm run typecheck
npm test
