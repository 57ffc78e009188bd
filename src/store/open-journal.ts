import { isAbsolute, resolve } from 'node:path';
import type { CompiledJournal } from '../config/compile.js';
import type { Journal } from '../core/journal.js';

/**
 * Opens the journal the configuration names. A relative SQLite path is relative to `baseDir` (the config
 * file's directory), so a run from a subdirectory finds the same journal.
 */
export async function openJournal(
  config: CompiledJournal,
  baseDir: string,
  opts: { now?: () => Date } = {},
): Promise<Journal> {
  if (config.driver === 'sqlite') {
    const path = isAbsolute(config.path) ? config.path : resolve(baseDir, config.path);
    // Each driver loads with its journal only: better-sqlite3 or pg, never both, and neither for --help.
    const { openSqliteJournal } = await import('./sqlite-journal.js');
    return openSqliteJournal({ path, ...opts });
  }
  const { openPostgresJournal } = await import('./postgres-journal.js');
  return openPostgresJournal({ url: config.url, schema: config.schema, ...opts });
}
