// Bundles the CLI (dist/src/cli/*, already compiled by tsc) into dist/cli/, so a command loads two files instead
// of ~1,000 modules (issue 16): ripcord.cjs (commander and the command index: all `--help` reads) and
// commands.cjs (every command, each behind a lazy initializer), which src/cli/code-cache-require.ts loads with
// V8's code cache. Packages with native code or dynamic requires stay external and load from node_modules as
// before. Without esbuild (an install without devDependencies) nothing is bundled and bin/ripcord.js runs the
// tsc output.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Resolves the package `name` to a file of scripts/bundle-shims/ (each says why it is safe). */
function shim(name, file) {
  return {
    name: `shim-${name}`,
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${name}$`) }, () => ({
        path: join(root, 'scripts', 'bundle-shims', file),
      }));
    },
  };
}
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
const index = join(root, 'dist', 'src', 'cli', 'command-index.js');
if (!existsSync(entry)) throw new Error(`bundle-cli: ${entry} missing; run tsc first`);
rmSync(outdir, { recursive: true, force: true });

// CommonJS, not ESM: only a classic script can take V8's code cache on Node 20 (src/cli/code-cache-require.ts).
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Native addons, and packages that require their own files by computed names (knex's dialects).
  external: ['better-sqlite3', 'knex', 'pg', 'pg-native', 'unleash-server', 'unleash-client'],
  // import.meta has no meaning in CommonJS: the bundle's own file URL stands in (version.ts and the lazy
  // drivers resolve from it, as they did from their module).
  define: { 'import.meta.url': '__ripcordImportMetaUrl' },
  banner: { js: "const __ripcordImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: 'linked',
  logLevel: 'warning',
  // Minified: Node reads, decodes and compiles every byte at a cold start; `ripcord status` 0.82 -> 0.57 s.
  // Names kept for stack traces and `.name` checks.
  minify: true,
  keepNames: true,
  plugins: [shim('whatwg-url', 'whatwg-url.cjs')],
};

// Every command module in one file, dist/cli/commands.cjs, each behind a function that loads it.
const modules = [
  ...readFileSync(index, 'utf8').matchAll(/import\(['"]\.\/commands\/([a-z-]+)\.js['"]\)/g),
].map((m) => m[1]);
if (modules.length === 0) throw new Error(`bundle-cli: no command modules found in ${index}`);
await esbuild.build({
  ...common,
  stdin: {
    // require(), not import: esbuild wraps each module in a lazy initializer, so a command evaluates its own
    // modules only (status never runs the sandbox's or the controller's top-level code).
    contents: modules.map((m) => `exports.${ident(m)} = () => require('./commands/${m}.js');`).join('\n'),
    resolveDir: join(root, 'dist', 'src', 'cli'),
    loader: 'js',
    sourcefile: 'commands-bundle-entry.js',
  },
  outfile: join(outdir, 'commands.cjs'),
});

// The entry (commander, the command index): each `import('./commands/X.js')` of the index reads X from
// commands.cjs, which is loaded on the first such import.
const shimFile = join(root, 'scripts', 'bundle-shims', 'commands-bundle.cjs');
await esbuild.build({
  ...common,
  entryPoints: [entry],
  outfile: join(outdir, 'ripcord.cjs'),
  plugins: [
    ...common.plugins,
    {
      name: 'commands-bundle',
      setup(build) {
        build.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (a) =>
          a.importer === index ? { path: a.path, namespace: 'ripcord-commands' } : undefined,
        );
        build.onLoad({ filter: /.*/, namespace: 'ripcord-commands' }, (a) => ({
          contents: `module.exports = require(${JSON.stringify(shimFile)}).commandsBundle().${ident(/([a-z-]+)\.js$/.exec(a.path)[1])}();`,
          resolveDir: root,
          loader: 'js',
        }));
      },
    },
  ],
});

function ident(name) {
  return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}
