#!/usr/bin/env bash
# Everything a fresh machine needs before Ripcord's demo or tests: Debian packages, node modules (which
# compile Ripcord into dist/ via `prepare`), and the control-plane binaries (built once, then cached).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/phase.sh
. scripts/lib/phase.sh
phase "apt (system packages)" bash scripts/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  phase "npm ci (+ build)" npm ci --no-audit --no-fund
else
  phase "build" npm run build
fi
phase "control-plane build" bash scripts/build-kube.sh
