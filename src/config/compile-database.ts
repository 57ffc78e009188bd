/**
 * Compiles `services.<name>.database`: defaults filled, paths made absolute. `{release}` in a path or knexfile
 * env value stays as written; the migration source resolves it per release (the release being rolled back).
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { BUILTIN_DEFAULTS as D } from './defaults.js';
import type { DatabaseSettings, KnexfileSettings, MigrationSourceSettings } from './schema.js';

/**
 * Defaults of `database.lockTimeout` / `database.statementTimeout`. Without a lock_timeout, a down() behind an
 * idle-in-transaction session waits forever while holding knex's migration lock; 10 s is long enough for
 * ordinary row locks to clear and short enough to be back on a human's screen. 5 min bounds one statement
 * (an index build on a large table) well inside the database RTO of 30 min.
 */
export const DB_TIMEOUT_DEFAULTS = { lockTimeout: '10s', statementTimeout: '5m' } as const;

/** A knexfile, compiled. */
export interface CompiledKnexfile {
  path: string;
  environment?: string;
  env: Record<string, string>;
}

/** Where one release's migration files are. */
export interface CompiledMigrationSource {
  directory?: string;
  knexfile?: CompiledKnexfile;
}

/** The service's database settings with defaults filled; unknown keys are kept for later features. */
export interface CompiledDatabase {
  url: string;
  migrations: {
    table: string;
    directory?: string;
    knexfile?: CompiledKnexfile;
    /** Per release (image tag), overriding directory/knexfile. */
    releases?: Record<string, CompiledMigrationSource>;
    advisoryLock?: number;
    [key: string]: unknown;
  };
  /** PostgreSQL lock_timeout for every session Ripcord opens on this database (SET LOCAL in down()). */
  lockTimeoutMs: number;
  /** PostgreSQL statement_timeout, likewise. */
  statementTimeoutMs: number;
  /** Absent when the file says nothing: see backupDirectory() for the default. */
  backups?: { directory: string };
  [key: string]: unknown;
}

function resolvePath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function compileKnexfile(k: KnexfileSettings, baseDir: string): CompiledKnexfile {
  if (typeof k === 'string') return { path: resolvePath(k, baseDir), env: {} };
  return {
    path: resolvePath(k.path, baseDir),
    ...(k.environment !== undefined ? { environment: k.environment } : {}),
    env: { ...k.env },
  };
}

function compileSource(s: MigrationSourceSettings, baseDir: string): CompiledMigrationSource {
  return {
    ...(s.directory !== undefined ? { directory: resolvePath(s.directory, baseDir) } : {}),
    ...(s.knexfile !== undefined ? { knexfile: compileKnexfile(s.knexfile, baseDir) } : {}),
  };
}

export function compileDatabase(db: DatabaseSettings, baseDir: string): CompiledDatabase {
  const { migrations, backups, lockTimeout, statementTimeout, ...rest } = db;
  const m = migrations ?? {};
  const { table, directory, knexfile, releases, advisoryLock, ...otherMigrationKeys } = m;
  return {
    ...rest,
    url: db.url,
    lockTimeoutMs: parseDuration(lockTimeout ?? DB_TIMEOUT_DEFAULTS.lockTimeout, 'database.lockTimeout'),
    statementTimeoutMs: parseDuration(
      statementTimeout ?? DB_TIMEOUT_DEFAULTS.statementTimeout,
      'database.statementTimeout',
    ),
    migrations: {
      ...otherMigrationKeys,
      table: table ?? D.migrationsTable,
      ...(directory !== undefined ? { directory: resolvePath(directory, baseDir) } : {}),
      ...(knexfile !== undefined ? { knexfile: compileKnexfile(knexfile, baseDir) } : {}),
      ...(releases !== undefined
        ? {
            releases: Object.fromEntries(
              Object.entries(releases).map(([tag, s]) => [tag, compileSource(s, baseDir)]),
            ),
          }
        : {}),
      ...(advisoryLock !== undefined ? { advisoryLock } : {}),
    },
    ...(backups?.directory !== undefined
      ? { backups: { directory: resolvePath(backups.directory, baseDir) } }
      : {}),
  };
}

/** Where backups go: the configured directory, else `.ripcord/backups` beside the config file. */
export function backupDirectory(db: CompiledDatabase, baseDir: string): string {
  return db.backups?.directory ?? resolve(baseDir, D.backupsDirectory);
}
