/** `npm run bench`: every benchmark in turn, each printing ratios against its named peer. */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const bench of [
  'app-rollback.js',
  'detection.js',
  'recovery.js',
  'flag-config-rollback.js',
  'db-rollback.js',
  'traffic-rollback.js',
  'argocd-rollback.js',
  'cli-start.js',
]) {
  execFileSync(process.execPath, [join(here, bench), ...process.argv.slice(2)], { stdio: 'inherit' });
}
