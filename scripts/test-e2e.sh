#!/usr/bin/env bash
# `npm run test:e2e -- FILE...`: the named end-to-end files against a sandbox kept up between runs, so a
# second run of one file costs only that file. The sandbox lives in $RIPCORD_SANDBOX_DIR (default
# .ripcord/dev-sandbox); it is started here when it is not running, and left running afterwards
# (`npx ripcord --sandbox-dir .ripcord/dev-sandbox sandbox down` stops it). Each file makes its own namespace.
# Rebuilds dist/ first: the tests run the CLI as users do (bin/ripcord.js).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  echo 'usage: npm run test:e2e -- FILE... (e.g. test/e2e/app-rollback.test.ts); all of them: npm run test:e2e:all' >&2
  exit 2
fi
for f in "$@"; do
  [ -f "$f" ] || { echo "test:e2e: no such file: $f" >&2; exit 2; }
done
export RIPCORD_SANDBOX_DIR=${RIPCORD_SANDBOX_DIR:-$PWD/.ripcord/dev-sandbox}
mkdir -p .ripcord/test-results
export RIPCORD_PHASES_FILE=$PWD/.ripcord/test-results/e2e-phases.tsv
rm -f "$RIPCORD_PHASES_FILE"
# shellcheck source=lib/phase.sh
. scripts/lib/phase.sh
trap 'node scripts/ci-timings.mjs "$RIPCORD_PHASES_FILE"' EXIT
phase build npm run -s build
# The tests need a 1 s CrashLoopBackOff base and a 3 s Argo CD resync (test/support/global-setup.ts): a sandbox
# started by hand without them is restarted rather than reused (its slower timings fail tests, not the code).
started_for_tests() {
  node -e '
    const t = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).timings ?? {};
    process.exit(t.crashBackoffBaseMs === 1000 && t.argocdResyncMs === 3000 ? 0 : 1);
  ' "$RIPCORD_SANDBOX_DIR/state.json" 2>/dev/null
}
if node bin/ripcord.js --sandbox-dir "$RIPCORD_SANDBOX_DIR" sandbox status >/dev/null 2>&1 && ! started_for_tests; then
  echo 'test:e2e: the running sandbox was started without --crash-backoff 1s --argocd-resync 3s: restarting it' >&2
  node bin/ripcord.js --sandbox-dir "$RIPCORD_SANDBOX_DIR" sandbox down >/dev/null 2>&1 || true
fi
if ! node bin/ripcord.js --sandbox-dir "$RIPCORD_SANDBOX_DIR" sandbox status >/dev/null 2>&1; then
  node bin/ripcord.js --sandbox-dir "$RIPCORD_SANDBOX_DIR" sandbox down >/dev/null 2>&1 || true
  # A 1 s CrashLoopBackOff base, as the CI sandbox uses (test/support/global-setup.ts).
  phase "sandbox up" node bin/ripcord.js --sandbox-dir "$RIPCORD_SANDBOX_DIR" sandbox up --crash-backoff 1s --argocd-resync 3s
fi
# The JSON report feeds `node scripts/e2e-timeouts.mjs .ripcord/test-results/e2e-dev.json` (per-file timeouts).
phase "e2e files" npx vitest run --project e2e-solo --project e2e --maxWorkers=2 \
  --reporter=default --reporter=json --outputFile.json=.ripcord/test-results/e2e-dev.json "$@"
