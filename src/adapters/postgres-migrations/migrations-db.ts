/**
 * One service's database as the migration rollback sees it: a knex pool opened on first use (never when
 * built, so handlers can be created for a resume without connecting), the release's migration files with the
 * SQL of their functions captured, and read-only inspection.
 */
import knexFactory, { type Knex } from 'knex';
import type { CompiledDatabase } from '../../config/compile-database.js';
import type { MigrationFileInfo } from '../../core/db-rollback/model.js';
import { createSqlCapturer } from './capture-sql.js';
import { readMigrationState, type MigrationState } from './inspect.js';
import type { DbTimeouts } from './migrate-down.js';
import { loadReleaseMigrations, type LoadedRelease } from './migration-source.js';

export interface ReleaseFiles {
  loaded: LoadedRelease;
  files: MigrationFileInfo[];
}

export interface MigrationsDb {
  readonly url: string;
  readonly table: string;
  readonly advisoryLock?: number;
  /** lock_timeout / statement_timeout of every session of the pool, and what down() sets with SET LOCAL. */
  readonly timeouts: DbTimeouts;
  knex(): Knex;
  state(): Promise<MigrationState>;
  /** The release's migration files, each function's SQL captured without executing it. Cached per release. */
  releaseFiles(release: string): Promise<ReleaseFiles>;
  close(): Promise<void>;
}

export function openMigrationsDb(db: CompiledDatabase): MigrationsDb {
  let k: Knex | undefined;
  const cache = new Map<string, Promise<ReleaseFiles>>();
  const timeouts: DbTimeouts = {
    lockTimeoutMs: db.lockTimeoutMs,
    statementTimeoutMs: db.statementTimeoutMs,
  };
  // Sent in the startup packet (node-postgres passes lock_timeout/statement_timeout through), so every session
  // starts with them: a transaction: false down() (which runs on whichever pooled session knex picks) is
  // bounded as well as a transactional one. knex's types do not list them, hence the widened type.
  const connection: Knex.PgConnectionConfig & { lock_timeout: number; statement_timeout: number } = {
    connectionString: db.url,
    connectionTimeoutMillis: 5_000,
    lock_timeout: timeouts.lockTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
  };
  const knex = (): Knex => {
    k ??= knexFactory({
      client: 'pg',
      connection,
      pool: { min: 0, max: 2 },
      acquireConnectionTimeout: 10_000,
    });
    return k;
  };
  return {
    url: db.url,
    table: db.migrations.table,
    timeouts,
    ...(db.migrations.advisoryLock !== undefined ? { advisoryLock: db.migrations.advisoryLock } : {}),
    knex,
    state: () => readMigrationState(knex(), db.migrations.table, db.migrations.advisoryLock),
    releaseFiles(release) {
      let p = cache.get(release);
      if (!p) {
        p = captureRelease(db, release);
        cache.set(release, p);
      }
      return p;
    },
    async close() {
      await k?.destroy();
      k = undefined;
    },
  };
}

async function captureRelease(db: CompiledDatabase, release: string): Promise<ReleaseFiles> {
  const loaded = await loadReleaseMigrations(db, release);
  const capturer = createSqlCapturer();
  try {
    const files: MigrationFileInfo[] = [];
    for (const m of loaded.migrations) {
      const transaction = m.module.config?.transaction ?? true;
      const up = await capturer.capture(m.module.up, transaction);
      const down = m.module.down ? await capturer.capture(m.module.down, transaction) : { statements: [] };
      const captureError = {
        ...(up.error !== undefined ? { up: up.error } : {}),
        ...(down.error !== undefined ? { down: down.error } : {}),
      };
      files.push({
        name: m.name,
        file: m.file,
        hasDown: m.module.down !== undefined,
        transaction,
        up: up.statements,
        down: down.statements,
        ...(Object.keys(captureError).length ? { captureError } : {}),
      });
    }
    return { loaded, files };
  } finally {
    await capturer.close();
  }
}
