#!/usr/bin/env node
// Writes test/e2e/timeouts.json from vitest JSON reports of e2e runs (e.g. .ripcord/test-results/e2e.json):
// for each file, its slowest test (of these reports and the table so far) and a timeout of four times that,
// rounded up to 10 s, at least 150 s. CI's new machines ran a 24 s test past 60 s (twice a warm run's time was
// too tight), and on 2026-12-07 a crash-resume test measured at 18 s here past 90 s (two rollouts and a resume,
// two e2e files on two cores): only a hang should reach the timeout. A long test gets at most 5 min over its
// slowest, so a hang in the 3-minute watch tests still shows within 8 minutes. Files the reports do not cover keep their earlier entry. Read by test/support/e2e-timeouts.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test', 'e2e', 'timeouts.json');
const reports = process.argv.slice(2);
if (reports.length === 0) {
  console.error('usage: node scripts/e2e-timeouts.mjs REPORT.json...');
  process.exit(2);
}
const timeoutFor = (slowest) =>
  Math.max(
    150_000,
    Math.min(Math.ceil((4 * slowest) / 10_000) * 10_000, Math.ceil((slowest + 300_000) / 10_000) * 10_000),
  );
const table = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { files: {} };
for (const file of reports) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  for (const suite of report.testResults ?? []) {
    const durations = (suite.assertionResults ?? []).map((t) => t.duration ?? 0);
    if (durations.length === 0) continue;
    // The slower of this report and the table: one quick run on an idle machine must not shrink a timeout.
    const key = relative(root, suite.name);
    const slowest = Math.max(...durations, table.files[key]?.slowestTestMs ?? 0);
    table.files[key] = {
      slowestTestMs: Math.round(slowest),
      testTimeoutMs: timeoutFor(slowest),
    };
  }
}
table.measured = `${new Date().toISOString().slice(0, 10)}, 2-core machine, e2e files two at a time; slowest of every report`;
table.files = Object.fromEntries(Object.entries(table.files).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(out, `${JSON.stringify({ measured: table.measured, files: table.files }, null, 2)}\n`);
console.log(`wrote ${relative(root, out)}: ${Object.keys(table.files).length} files`);
