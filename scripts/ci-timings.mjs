#!/usr/bin/env node
// Where .ci/run's time went: each phase's wall time (written by scripts/lib/phase.sh) and the ten slowest test
// files from vitest's JSON reports, printed at the end of every run so the CI budget (45 minutes from a new
// 2-core machine) is watched by numbers. Usage: ci-timings.mjs PHASES.tsv [REPORT.json...]. Never fails the
// run: a missing file only shortens the table.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [phasesFile, ...reports] = process.argv.slice(2);
const fmt = (s) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`);

const phases =
  phasesFile && existsSync(phasesFile)
    ? readFileSync(phasesFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [name, secs, rc] = l.split('\t');
          return { name, secs: Number(secs), rc };
        })
    : [];
if (phases.length > 0) {
  console.log('\nwhere the time went');
  console.log('| phase | wall time | exit |');
  console.log('|---|---|---|');
  for (const p of phases) console.log(`| ${p.name} | ${fmt(p.secs)} | ${p.rc} |`);
  console.log(`| total | ${fmt(phases.reduce((a, p) => a + p.secs, 0))} | |`);
}

const files = [];
for (const file of reports.filter((f) => !f.includes('*') && existsSync(f))) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    for (const suite of report.testResults ?? []) {
      if (typeof suite.startTime === 'number' && typeof suite.endTime === 'number') {
        files.push({
          name: relative(process.cwd(), suite.name),
          secs: (suite.endTime - suite.startTime) / 1000,
        });
      }
    }
  } catch {
    // test-report.mjs names an unreadable report; the table just leaves it out.
  }
}
if (files.length > 0) {
  files.sort((a, b) => b.secs - a.secs);
  console.log('\nthe ten slowest test files');
  console.log('| file | wall time |');
  console.log('|---|---|');
  for (const f of files.slice(0, 10)) console.log(`| ${f.name} | ${fmt(f.secs)} |`);
}
console.log('');
