/**
 * Loads a CommonJS bundle with V8's code cache, what `require` would do minus the compile (issue 16). Node 20
 * has no module compile cache (module.enableCompileCache came in 22.1): every start re-read, decoded and
 * compiled the CLI's 3 MB of bundled code, 150-200 ms of `ripcord status`'s 0.6 s. Here the compiled code of
 * the previous run is handed back to V8 (vm.Script cachedData), as v8-compile-cache does for `require`.
 *
 * The cache sits next to the bundle, named by its size and mtime (V8 checks the source's length and its own
 * version and flags, not the content: a rebuilt bundle of the same length must not meet an old cache). It is
 * written at exit when there was none or V8 rejected it (another Node, other flags), to a temporary file
 * renamed into place, so a process running beside it reads a whole cache or none. Unwritable (a read-only
 * install): the bundle still loads, compiled as usual.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { LENT_IMPORT, type LentImport } from '../core/lent-import.js';

export interface CodeCacheLoad {
  exports: unknown;
  /** none: no cache yet; used: V8 took it; rejected: V8 refused it (rewritten at exit). */
  cache: 'none' | 'used' | 'rejected';
  cacheFile: string;
}

/** The cache file of `file` as it is now on disk. */
export function cacheFileFor(file: string): string {
  const st = statSync(file);
  return `${file}.${st.size}-${Math.floor(st.mtimeMs)}.v8cache`;
}

export function codeCacheRequire(file: string): CodeCacheLoad {
  const cacheFile = cacheFileFor(file);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  // import() inside a vm.Script needs an experimental flag on Node 20: the bundle borrows this module's.
  (globalThis as Record<symbol, LentImport>)[LENT_IMPORT] ??= (url) => import(url);
  const cache = !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  if (cache !== 'used') process.once('exit', () => writeCache(cacheFile, () => script.createCachedData()));
  const mod = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const fn = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: unknown,
    filename: string,
    dirname: string,
  ) => void;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  return { exports: mod.exports, cache, cacheFile };
}

function writeCache(cacheFile: string, data: () => Buffer): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data());
    renameSync(tmp, cacheFile);
  } catch {
    // Read-only install or a full disk: the next run compiles again, nothing else changes.
  }
}
