/**
 * `npm run bench`: every benchmark in turn, each printing ratios against its named peer, then one summary of
 * every goal the benches judge (issue 16's and the traffic rollback's) with met / not met. A bench that fails
 * does not stop the others; it shows in the summary as not run and the command exits 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GOALS_FILE_ENV, goalTable, readGoals } from './support/goals.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ripcord-bench-goals-'));
const goalsFile = join(dir, 'goals.jsonl');
const failed: string[] = [];
for (const bench of [
  'app-rollback',
  'detection',
  'recovery',
  'flag-config-rollback',
  'db-rollback',
  'traffic-rollback',
  'argocd-rollback',
  'cli-start',
]) {
  const r = spawnSync(process.execPath, [join(here, `${bench}.js`), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [GOALS_FILE_ENV]: goalsFile },
  });
  if (r.status !== 0) failed.push(bench);
}
console.log(`\nnpm run bench ${new Date().toISOString()}: every goal in one table`);
console.log(goalTable(readGoals(goalsFile), failed));
rmSync(dir, { recursive: true, force: true });
process.exitCode = failed.length ? 1 : 0;
