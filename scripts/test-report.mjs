#!/usr/bin/env node
// The closing lines of `scripts/test.sh`, from vitest's JSON reports (one per half: unit + integration, e2e).
// Prints the skipped count (numPendingTests + numTodoTests: `.skip`, `.todo`, `skipIf` that fired) and then
// `tests: N passed, N failed`. Exits 1 when a test failed, a test was skipped, or a report is unreadable, so a
// suite that quietly skips a proof does not pass CI. With no report at all (setup failed before the tests ran)
// it prints nothing and exits 0: the step that failed has already set the exit code.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2).filter((f) => !f.includes('*'));
if (files.length === 0) process.exit(0);
let passed = 0;
let failed = 0;
let skipped = 0;
let bad = false;
const skippedNames = [];
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`tests: cannot read the report ${file}: ${err.message}`);
    bad = true;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.success === false && (report.numFailedTests ?? 0) === 0) {
    // A suite that failed to load (e.g. an `.only` refused by allowOnly: false) counts no failed test.
    failed += report.numFailedTestSuites || 1;
  }
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') {
        skippedNames.push(`${suite.name} › ${t.fullName ?? t.title}`);
      }
    }
  }
}
for (const name of skippedNames) console.log(`skipped: ${name}`);
console.log(`skipped: ${skipped} (must be 0)`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(bad || failed > 0 || skipped > 0 ? 1 : 0);
