/**
 * Rolls back one migration exactly as knex's migrator does it (Migrator._runBatch / _waterfallBatch): take
 * knex_migrations_lock (is_locked 0 → 1, refused when already 1), run the file's down() (in a transaction
 * unless the file sets `config.transaction = false`), delete its knex_migrations row, free the lock. One
 * difference, on purpose: with a transaction, the row is deleted inside it, so a crash can never leave a
 * reverted migration still recorded (knex deletes it after committing down()).
 */
import type { Knex } from 'knex';
import { RipcordError } from '../../core/errors.js';
import { sameMigration } from '../../core/db-rollback/selection.js';
import { dbError } from './errors.js';
import { quoteName, tableExists } from './inspect.js';
import type { MigrationModule } from './migration-source.js';

/** The recorded name of `name` (knex may have recorded it with or without the extension), if present. */
export async function recordedName(knex: Knex, table: string, name: string): Promise<string | undefined> {
  if (!(await tableExists(knex, table))) return undefined;
  const rows = (await knex(table).select('name')) as { name: string }[];
  return rows.find((r) => sameMigration(r.name, name))?.name;
}

async function takeLock(knex: Knex, table: string): Promise<void> {
  const lock = `${table}_lock`;
  const updated = await knex.transaction(async (trx) => {
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

export async function migrateDown(
  knex: Knex,
  table: string,
  name: string,
  mod: MigrationModule,
  transaction: boolean,
): Promise<DownResult> {
  const down = mod.down;
  if (!down) throw new RipcordError('refused', `${name} has no down() function`);
  try {
    if (!(await recordedName(knex, table, name))) return { ran: false, name, transaction };
    if (!(await tableExists(knex, `${table}_lock`))) {
      throw new RipcordError(
        'failed',
        `${table}_lock does not exist; knex's migration tables are incomplete`,
      );
    }
    await takeLock(knex, table);
    try {
      // Re-read under the lock: a concurrent migrator may have rolled it back meanwhile.
      const recorded = await recordedName(knex, table, name);
      if (!recorded) return { ran: false, name, transaction };
      if (transaction) {
        await knex.transaction(async (trx) => {
          await down(trx);
          await trx(table).where({ name: recorded }).del();
        });
      } else {
        await down(knex);
        await knex(table).where({ name: recorded }).del();
      }
      return { ran: true, name: recorded, transaction };
    } finally {
      await freeLock(knex, table);
    }
  } catch (err) {
    throw dbError(err, `down() of ${name}`);
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
