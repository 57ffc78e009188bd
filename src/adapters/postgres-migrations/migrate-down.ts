/**
 * Rolls back one migration exactly as knex's migrator does it (Migrator._runBatch / _waterfallBatch): take
 * knex_migrations_lock (is_locked 0 → 1, refused when already 1), run the file's down() (in a transaction
 * unless the file sets `config.transaction = false`), delete its knex_migrations row, free the lock. One
 * difference, on purpose: with a transaction, the row is deleted inside it, so a crash can never leave a
 * reverted migration still recorded (knex deletes it after committing down()).
 */
import type { Knex } from 'knex';
import { formatDuration } from '../../core/duration.js';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';
import { sameMigration } from '../../core/db-rollback/selection.js';
import { dbError, LOCK_NOT_AVAILABLE, QUERY_CANCELED, sqlState } from './errors.js';
import { quoteName, tableExists } from './inspect.js';
import type { MigrationModule } from './migration-source.js';

/** The recorded name of `name` (knex may have recorded it with or without the extension), if present. */
export async function recordedName(knex: Knex, table: string, name: string): Promise<string | undefined> {
  if (!(await tableExists(knex, table))) return undefined;
  const rows = (await knex(table).select('name')) as { name: string }[];
  return rows.find((r) => sameMigration(r.name, name))?.name;
}

/** lock_timeout and statement_timeout, in milliseconds (database.lockTimeout / database.statementTimeout). */
export interface DbTimeouts {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * SET LOCAL both timeouts in `trx`. The pool's sessions already start with them (migrations-db.ts), but a
 * caller's knex may not, and SET LOCAL keeps them scoped to this transaction whatever the session says.
 */
export async function setLocalTimeouts(trx: Knex.Transaction, t: DbTimeouts | undefined): Promise<void> {
  if (!t) return;
  // Integers in milliseconds, so nothing but digits reaches the SQL (SET takes no bind parameters).
  await trx.raw(`set local lock_timeout = '${Math.round(t.lockTimeoutMs)}ms'`);
  await trx.raw(`set local statement_timeout = '${Math.round(t.statementTimeoutMs)}ms'`);
}

async function takeLock(knex: Knex, table: string, timeouts: DbTimeouts | undefined): Promise<void> {
  const lock = `${table}_lock`;
  const updated = await knex.transaction(async (trx) => {
    await setLocalTimeouts(trx, timeouts);
    const n = (await trx(lock).where('is_locked', 0).update({ is_locked: 1 })) as number;
    if (n === 1) return n;
    const [count] = (await trx(lock).count({ n: '*' })) as { n: string }[];
    if (Number(count?.n ?? 0) === 0) {
      // knex's _ensureTable inserts the row the first time; an empty lock table means nobody holds it.
      await trx(lock).insert({ is_locked: 1 });
      return 1;
    }
    return 0;
  });
  if (updated !== 1) {
    throw new RipcordError(
      'failed',
      `${lock} is already locked: another migrator is running (or a stale lock: --force-unlock)`,
      {
        retryable: true,
      },
    );
  }
}

async function freeLock(knex: Knex, table: string): Promise<void> {
  await knex(`${table}_lock`).update({ is_locked: 0 });
}

export interface DownResult {
  ran: boolean;
  name: string;
  transaction: boolean;
}

/**
 * Sessions idle in a transaction right now, as evidence for a lock timeout: pid, how long, which application.
 * Never their query text (it can hold row values). Best effort: an error here must not hide the timeout.
 */
async function idleInTransaction(knex: Knex): Promise<string[]> {
  try {
    const r = (await knex.raw(
      `select pid, application_name as app, round(extract(epoch from now() - xact_start))::int as secs
         from pg_stat_activity
        where state like 'idle in transaction%' and pid <> pg_backend_pid() and datname = current_database()
        order by xact_start limit 5`,
    )) as { rows: { pid: number; app: string; secs: number }[] };
    return r.rows.map((x) => `pid ${x.pid}${x.app ? ` (${x.app})` : ''} idle in transaction for ${x.secs}s`);
  } catch {
    return [];
  }
}

/** The error of a down() that hit lock_timeout or statement_timeout: what, which limit, what state is left. */
async function timeoutError(
  knex: Knex,
  err: unknown,
  name: string,
  table: string,
  transaction: boolean,
  timeouts: DbTimeouts | undefined,
  lockFreed: boolean,
): Promise<RipcordError | undefined> {
  const code = sqlState(err);
  if (code !== LOCK_NOT_AVAILABLE && code !== QUERY_CANCELED) return undefined;
  const state = transaction
    ? 'its transaction was rolled back, so nothing of it is applied'
    : 'it runs without a transaction (transaction: false), so it may be half-applied: check the schema';
  const lock = lockFreed
    ? `${table}_lock was freed`
    : `${table}_lock could NOT be freed (ripcord rollback --force-unlock)`;
  if (code === LOCK_NOT_AVAILABLE) {
    const idle = await idleInTransaction(knex);
    const limit = timeouts ? ` after ${formatDuration(timeouts.lockTimeoutMs)}` : '';
    return new RipcordError(
      'failed',
      `down() of ${name} timed out waiting for a lock${limit} (lock_timeout, SQLSTATE 55P03 lock_not_available): ` +
        `another session holds a lock on a table it changes${idle.length ? ` (${idle.join('; ')})` : ''}; ` +
        `${state}; ${lock}. End or wait out that session, then resume the run (ripcord resume RUN)`,
      { cause: { code }, retryable: true },
    );
  }
  const limit = timeouts ? ` ${formatDuration(timeouts.statementTimeoutMs)}` : '';
  return new RipcordError(
    'failed',
    `down() of ${name} was canceled: a statement ran longer than statement_timeout${limit} (SQLSTATE 57014 query_canceled); ` +
      `${state}; ${lock}. Raise database.statementTimeout if it is legitimately slow, then resume the run`,
    { cause: { code }, retryable: true },
  );
}

/** How a run stops a down() in flight: its signal, and what cancels the statements of `knex`'s sessions. */
export interface DownAbort {
  signal: AbortSignal;
  cancelRunning(): Promise<number>;
}

export async function migrateDown(
  knex: Knex,
  table: string,
  name: string,
  mod: MigrationModule,
  transaction: boolean,
  timeouts?: DbTimeouts,
  abort?: DownAbort,
): Promise<DownResult> {
  const down = mod.down;
  if (!down) throw new RipcordError('refused', `${name} has no down() function`);
  const stopped = (): AbortedError | undefined =>
    abort?.signal.aborted
      ? new AbortedError(
          `aborted during down() of ${name}: ${abortReason(abort.signal)} (its statement cancelled; ` +
            (transaction
              ? `the transaction rolled back, ${name} still recorded: resume runs it again)`
              : `transaction: false, so what down() did before the cancel stays; ${name} still recorded)`),
        )
      : undefined;
  const early = stopped();
  if (early) throw early;
  // Ctrl-C or a lost lock during down(): cancel the statement on the server, as psql does, so the
  // migration's transaction rolls back now instead of running on unwatched (statement_timeout is minutes).
  // Not once the lock is being freed: a cancelled freeLock would leave every later migration refused.
  let cancellable = true;
  const onAbort = (): void => {
    if (cancellable) void abort?.cancelRunning();
  };
  abort?.signal.addEventListener('abort', onAbort, { once: true });
  let lockFreed = true;
  try {
    if (!(await recordedName(knex, table, name))) return { ran: false, name, transaction };
    if (!(await tableExists(knex, `${table}_lock`))) {
      throw new RipcordError(
        'failed',
        `${table}_lock does not exist; knex's migration tables are incomplete`,
      );
    }
    await takeLock(knex, table, timeouts);
    try {
      // Re-read under the lock: a concurrent migrator may have rolled it back meanwhile.
      const recorded = await recordedName(knex, table, name);
      if (!recorded) return { ran: false, name, transaction };
      if (transaction) {
        await knex.transaction(async (trx) => {
          await setLocalTimeouts(trx, timeouts);
          await down(trx);
          await trx(table).where({ name: recorded }).del();
        });
      } else {
        // transaction: false: no transaction to SET LOCAL in; the pool's sessions carry both timeouts.
        await down(knex);
        await knex(table).where({ name: recorded }).del();
      }
      return { ran: true, name: recorded, transaction };
    } finally {
      cancellable = false;
      // Always, also after a timeout: a lock left at 1 would make every later migration (and our resume)
      // refuse. A failure here is reported with the original error, not instead of it.
      try {
        await freeLock(knex, table);
      } catch {
        lockFreed = false;
      }
    }
  } catch (err) {
    throw (
      stopped() ??
      (await timeoutError(knex, err, name, table, transaction, timeouts, lockFreed)) ??
      dbError(err, `down() of ${name}`)
    );
  } finally {
    abort?.signal.removeEventListener('abort', onAbort);
  }
}

/** knex's forceFreeMigrationsLock: the lock row back to is_locked = 0. */
export async function forceFreeMigrationsLock(knex: Knex, table: string): Promise<void> {
  try {
    const lock = `${table}_lock`;
    if (!(await tableExists(knex, lock))) return;
    await knex.transaction(async (trx) => {
      await trx(lock).del();
      await trx(lock).insert({ is_locked: 0 });
    });
  } catch (err) {
    throw dbError(err, 'freeing the migration lock');
  }
}

/** is_locked of the lock table (false when it does not exist). */
export async function isLocked(knex: Knex, table: string): Promise<boolean> {
  const lock = `${table}_lock`;
  if (!(await tableExists(knex, lock))) return false;
  const rows = (await knex.raw(`select is_locked from ${quoteName(lock)}`)) as {
    rows: { is_locked: number }[];
  };
  return rows.rows.some((r) => Number(r.is_locked) === 1);
}
