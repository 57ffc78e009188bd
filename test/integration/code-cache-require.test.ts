/**
 * src/cli/code-cache-require.ts in new processes (the cache is written at exit): a bundle loads without a
 * cache and leaves one; the next process runs it from V8's cache; a changed bundle gets a cache of its own; a
 * cache V8 refuses is rewritten and the bundle still runs; a dynamic import() inside the bundle (a user's
 * migration file) reaches Node's ESM loader; an unwritable directory only costs the cache.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const loader = pathToFileURL(join(import.meta.dirname, '../../dist/src/cli/code-cache-require.js')).href;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) {
    chmodSync(d, 0o755);
    rmSync(d, { recursive: true, force: true });
  }
});

function bundleDir(source: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-code-cache-'));
  dirs.push(dir);
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, source);
  return { dir, file };
}

/** Loads `file` in a new process; prints the cache state and what the bundle's `answer()` resolves to. */
function load(file: string): { cache: string; answer: string; stderr: string } {
  const script = `
    const { codeCacheRequire } = await import(${JSON.stringify(loader)});
    const r = codeCacheRequire(${JSON.stringify(file)});
    console.log(JSON.stringify({ cache: r.cache, answer: await r.exports.answer() }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as { cache: string; answer: string }), stderr: r.stderr };
}

const caches = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.v8cache'));
const BUNDLE = `
  const { basename } = require('node:path');
  function work(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }
  exports.answer = async () => basename(__filename) + ':' + work(1000) + ':' + typeof module.exports.answer;`;

describe('codeCacheRequire', () => {
  it('no cache: runs and leaves one; the next process uses it; both give the same answer', () => {
    const { dir, file } = bundleDir(BUNDLE);
    const first = load(file);
    expect(first).toMatchObject({ cache: 'none', answer: 'bundle.cjs:499500:function' });
    expect(caches(dir)).toHaveLength(1);
    const second = load(file);
    expect(second).toMatchObject({ cache: 'used', answer: 'bundle.cjs:499500:function' });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a changed bundle does not meet the old cache; a cache V8 refuses is rewritten and the bundle still runs', () => {
    const { dir, file } = bundleDir(BUNDLE);
    load(file);
    const [old] = caches(dir);
    // Same length, other content, later mtime: a cache of its own.
    writeFileSync(file, BUNDLE.replace('1000', '2000'));
    expect(load(file)).toMatchObject({ cache: 'none', answer: 'bundle.cjs:1999000:function' });
    expect(caches(dir)).toHaveLength(2);
    const current = caches(dir).find((f) => f !== old) ?? '';
    writeFileSync(join(dir, current), 'not a V8 code cache');
    expect(load(file)).toMatchObject({ cache: 'rejected', answer: 'bundle.cjs:1999000:function' });
    expect(load(file)).toMatchObject({ cache: 'used', answer: 'bundle.cjs:1999000:function' });
  });

  it("the lent import() inside the bundle loads an ES module through Node's loader", () => {
    const { dir, file } = bundleDir(
      // As migration-source.ts does it: the lent import() (core/lent-import.ts).
      `exports.answer = async () => (await globalThis[Symbol.for('ripcord.lent-import')](require('node:url').pathToFileURL(require('node:path').join(__dirname, 'm.mjs')).href)).value;`,
    );
    writeFileSync(join(dir, 'm.mjs'), 'export const value = "from an ES module";');
    expect(load(file).answer).toBe('from an ES module');
    expect(load(file)).toMatchObject({ cache: 'used', answer: 'from an ES module' });
  });

  it('an unwritable directory: the bundle runs, no cache, nothing on stderr', () => {
    const { dir, file } = bundleDir(BUNDLE);
    chmodSync(dir, 0o555);
    const r = load(file);
    expect(r).toMatchObject({ cache: 'none', answer: 'bundle.cjs:499500:function' });
    expect(r.stderr).toBe('');
    // root ignores the mode bits: only assert where the mode holds.
    if (process.getuid?.() !== 0) expect(caches(dir)).toEqual([]);
    expect(existsSync(file)).toBe(true);
  });
});
