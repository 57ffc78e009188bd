// Bundles the CLI (dist/src/cli/main.js, already compiled by tsc) into dist/cli/, so a command loads one file
// per chunk instead of ~1,000 modules: `@kubernetes/client-node` alone takes about 0.75 s to load from
// node_modules and about 0.2 s bundled (issue 16). Scenario modules stay lazy: their dynamic imports become
// chunks (splitting). Packages with native code or dynamic requires stay external and load from
// node_modules as before. Without esbuild (an install without devDependencies) nothing is bundled and
// bin/ripcord.js runs the tsc output.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('bundle-cli: esbuild not installed; bin/ripcord.js will run dist/src/cli/main.js');
  rmSync(outdir, { recursive: true, force: true });
  process.exit(0);
}
const entry = join(root, 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) throw new Error(`bundle-cli: ${entry} missing; run tsc first`);
rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { ripcord: entry },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons, and packages that require their own files by computed names (knex's dialects).
  external: ['better-sqlite3', 'knex', 'pg', 'pg-native', 'unleash-server', 'unleash-client'],
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire as __ripcordRequire } from 'node:module'; const require = __ripcordRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: false,
});
