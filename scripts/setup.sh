#!/usr/bin/env bash
# Everything a fresh machine needs before Ripcord's demo or tests: Debian packages, node modules (which
# compile Ripcord into dist/ via `prepare`), and the control-plane binaries (built once, then cached).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build
fi
bash scripts/build-kube.sh
