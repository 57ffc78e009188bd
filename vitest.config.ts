import { defineConfig } from 'vitest/config';

// Three projects: unit tests are pure and fast; integration tests start the real server they need; e2e tests
// share one real sandbox started by the global setup (or reuse the one named by RIPCORD_SANDBOX_DIR), and each
// test file works in its own namespace.
// allowOnly: false (at the root and in every project: inline projects do not inherit it): a focused test
// (`.only`) left in a file fails the run instead of silently skipping the rest (vitest's default allows it
// outside CI). Skipped and todo tests are counted and refused by scripts/test-report.mjs.
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
      {
        test: {
          name: 'e2e',
          allowOnly: false,
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
