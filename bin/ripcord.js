#!/usr/bin/env node
// Thin launcher. `npm run build` (run by `prepare` on `npm ci`) compiles to dist/ with tsc, then bundles the CLI
// into dist/cli/ (scripts/bundle-cli.mjs): its entry (commander and the command index) and, loaded when a
// command runs, every command in one file read through V8's code cache. Without the bundle (no esbuild, e.g.
// an install without devDependencies) it runs the tsc output.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// `ripcord --version` alone is answered here, before the CLI's modules load (a version check in a script or an
// incident should not cost the CLI's start-up); with other arguments the CLI's own --version answers the same.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}

const bundled = new URL('../dist/cli/ripcord.cjs', import.meta.url);
if (existsSync(bundled)) createRequire(import.meta.url)(bundled.pathname);
else await import(new URL('../dist/src/cli/main.js', import.meta.url).href);
