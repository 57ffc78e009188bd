import { defineConfig } from 'vitest/config';

// Three projects: unit tests are pure and fast; integration tests start the real server they need; e2e tests
// share one real sandbox started by the global setup (or reuse the one named by RIPCORD_SANDBOX_DIR), and each
// test file works in its own namespace.
// allowOnly: false (at the root and in every project: inline projects do not inherit it): a focused test
// (`.only`) left in a file fails the run instead of silently skipping the rest (vitest's default allows it
// outside CI). Skipped and todo tests are counted and refused by scripts/test-report.mjs.
// Named one by one: a watch file whose verdict is the error rate alone (watch-approve, -controller, -handover,
// -prometheus-outage, release-by-ksm: `latency: { ratio: 100 }`) runs in the parallel group.
const E2E_SOLO = [
  'test/e2e/safety-faults.test.ts',
  'test/e2e/sandbox-watchdog.test.ts',
  'test/e2e/watch-detect.test.ts',
  'test/e2e/watch-false-alarms.test.ts',
  'test/e2e/watch-traffic.test.ts',
];
const E2E = {
  allowOnly: false,
  globalSetup: ['test/support/global-setup.ts'],
  // Per file: four times its slowest measured test (150 s to slowest + 5 min; test/e2e/timeouts.json); 240 s for a file not measured.
  setupFiles: ['test/support/e2e-timeouts.ts'],
  testTimeout: 240_000,
  hookTimeout: 300_000,
};

export default defineConfig({
  test: {
    allowOnly: false,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], allowOnly: false } },
      {
        // Real PostgreSQL, Prometheus and Alertmanager started by each file, no Kubernetes.
        test: {
          name: 'integration',
          allowOnly: false,
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      // e2e in two groups on one shared sandbox. Most files only wait on the cluster (rollouts, verify windows)
      // and have their own namespace, so they run two at a time. The solo group runs one file at a time: the
      // file that breaks a shared part on purpose (safety-faults kills the kube-apiserver), the one that starts a
      // second sandbox (sandbox-watchdog), and the watch files whose latency and false-alarm verdicts compare
      // P50s across windows and must not see another file's CPU load as a regression.
      {
        test: {
          name: 'e2e-solo',
          include: E2E_SOLO,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          ...E2E,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: E2E_SOLO,
          fileParallelism: true,
          sequence: { groupOrder: 2 },
          ...E2E,
        },
      },
    ],
  },
});
