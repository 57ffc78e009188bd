import { isAbsolute, resolve } from 'node:path';
import type { CompiledJournal } from '../config/compile.js';
import type { Journal } from '../core/journal.js';
import { openPostgresJournal } from './postgres-journal.js';
import { openSqliteJournal } from './sqlite-journal.js';

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
    return openSqliteJournal({ path, ...opts });
  }
  return openPostgresJournal({ url: config.url, schema: config.schema, ...opts });
}
