/**
 * Per-file test timeouts for the e2e suite, read from test/e2e/timeouts.json: four times the file's slowest
 * measured test (at least 150 s), instead of one blanket 240 s for every test. A test that hangs is then
 * reported in the time its file's tests really take. Regenerate the table from a run's JSON report with
 * `node scripts/e2e-timeouts.mjs .ripcord/test-results/e2e.json`. A file not in the table keeps the config's
 * default; a test that passes its own timeout keeps it. Hooks keep the config's hookTimeout (not measured).
 * A CLI command still running just before its test's timeout is killed, and the test fails on its output.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { z } from 'zod';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { setTestDeadline } from './cli.js';

const Table = z.object({
  measured: z.string(),
  files: z.record(
    z.string(),
    z.object({ slowestTestMs: z.number(), testTimeoutMs: z.number().int().positive() }),
  ),
});

const path = expect.getState().testPath;
if (path) {
  const table = Table.parse(
    JSON.parse(readFileSync(join(repoRoot(), 'test', 'e2e', 'timeouts.json'), 'utf8')),
  );
  const entry = table.files[relative(repoRoot(), path)];
  if (entry) vi.setConfig({ testTimeout: entry.testTimeoutMs });
}

// A CLI command a test runs ends before the test's timeout (its own or the file's; test/support/cli.ts), so a
// hang names its command.
beforeEach((ctx) => {
  const ms = ctx.task.timeout;
  setTestDeadline(ms > 0 ? Date.now() + ms : undefined);
});
afterEach(() => setTestDeadline(undefined));
