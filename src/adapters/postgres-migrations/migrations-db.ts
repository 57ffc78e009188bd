/**
 * One service's database as the migration rollback sees it: a knex pool opened on first use (never when
 * built, so handlers can be created for a resume without connecting), the release's migration files with the
 * SQL of their functions captured, and read-only inspection.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { knexFactory, pgDriver } from './lazy-drivers.js';
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
  /**
   * Cancels every statement this pool's sessions are running (pg_cancel_backend, from a session of its own:
   * the pool's may all be busy), as psql does on Ctrl-C. A transaction in progress is then rolled back by its
   * caller. Resolves to how many were cancelled; never throws (best effort on the way out of an abort).
   */
  cancelRunning(): Promise<number>;
  close(): Promise<void>;
}

/** Connect and statement timeout of the session that sends a cancel. */
const CANCEL_TIMEOUT_MS = 5_000;

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
  // application_name marks this pool's sessions in pg_stat_activity, so an abort cancels exactly them.
  const applicationName = `ripcord-migrations-${randomBytes(6).toString('hex')}`;
  const connection: Knex.PgConnectionConfig & {
    lock_timeout: number;
    statement_timeout: number;
    application_name: string;
  } = {
    connectionString: db.url,
    connectionTimeoutMillis: 5_000,
    lock_timeout: timeouts.lockTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    application_name: applicationName,
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
    async cancelRunning() {
      if (!k) return 0;
      const client = new (pgDriver().Client)({
        connectionString: db.url,
        connectionTimeoutMillis: CANCEL_TIMEOUT_MS,
        statement_timeout: CANCEL_TIMEOUT_MS,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const res = await client.query<{ cancelled: boolean }>(
          `select pg_cancel_backend(pid) as cancelled from pg_stat_activity
            where application_name = $1 and pid <> pg_backend_pid() and state <> 'idle'`,
          [applicationName],
        );
        return res.rows.filter((r) => r.cancelled).length;
      } catch {
        return 0;
      } finally {
        await client.end().catch(() => undefined);
      }
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
