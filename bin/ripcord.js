#!/usr/bin/env node
// Thin launcher. `npm run build` (run by `prepare` on `npm ci`) compiles to dist/ with tsc, then bundles the CLI
// into dist/cli/ (scripts/bundle-cli.mjs): one file per chunk loads in a fraction of the time ~1,000 modules do.
// Without the bundle (no esbuild, e.g. an install without devDependencies) it runs the tsc output.
import { existsSync } from 'node:fs';

const bundled = new URL('../dist/cli/ripcord.js', import.meta.url);
await import(existsSync(bundled) ? bundled.href : new URL('../dist/src/cli/main.js', import.meta.url).href);
