import type { Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import * as m001 from '../migrations/001_create_venues.js';
import * as m002 from '../migrations/002_add_venue_capacity.js';
import * as m003 from '../migrations/003_index_venue_name.js';
import * as m004 from '../migrations/004_drop_venue_city.js';
import * as m005 from '../migrations/005_capacity_not_null.js';
import type { Release } from './releases.js';

/**
 * Every migration the service has ever shipped, by the name recorded in knex_migrations. Imported rather than
 * read from a directory so the names stay the same under tsx (.ts) and from dist/ (.js), and so each release
 * can be limited to the migrations it shipped.
 */
export const ALL_MIGRATIONS: Readonly<Record<string, Knex.Migration>> = {
  '001_create_venues': m001,
  '002_add_venue_capacity': m002,
  '003_index_venue_name': m003,
  '004_drop_venue_city': m004,
  '005_capacity_not_null': m005,
};

/** `file` is what `knex migrate:status` prints for pending migrations. */
interface MigrationRef {
  file: string;
}

/** A knex migration source holding exactly `names`, in that order (what one release's code contains). */
export function migrationSource(
  names: readonly string[] = Object.keys(ALL_MIGRATIONS),
): Knex.MigrationSource<MigrationRef> {
  for (const n of names) if (!ALL_MIGRATIONS[n]) throw new Error(`no migration named ${n}`);
  return {
    getMigrations: async () => names.map((file) => ({ file })),
    getMigrationName: (m) => m.file,
    getMigration: async (m) => {
      const found = ALL_MIGRATIONS[m.file];
      if (!found) throw new Error(`no migration named ${m.file}`);
      return found;
    },
  };
}

/**
 * Migrator settings for one release. disableMigrationsListValidation: an older release rolled back onto a
 * schema migrated by a newer one must still start (the runbook's situation), instead of knex calling the
 * migration directory "corrupt".
 */
export function migratorConfig(release: Pick<Release, 'migrations'>): Knex.MigratorConfig {
  return {
    migrationSource: migrationSource(release.migrations),
    tableName: 'knex_migrations',
    disableMigrationsListValidation: true,
  };
}

// Arbitrary but fixed: every replica of venue-service takes this advisory lock before migrating.
const MIGRATE_ADVISORY_LOCK = 0x76656e75;

export interface MigrateOptions {
  /** Give up waiting for another migrator after this long. */
  timeoutMs?: number;
  onWait?: (reason: string) => void;
}

function isLockHeld(err: unknown): boolean {
  return err instanceof Error && /already locked/i.test(err.message);
}

/**
 * Brings the schema up to `release` (knex migrate.latest with the release's own migrations) and returns the
 * names applied now.
 *
 * Replicas start together, and knex's own first-run setup is racy: two processes can both create
 * knex_migrations_lock's row, after which knex reports "already locked" forever. So replicas first queue on
 * a PostgreSQL advisory lock; knex's lock then only meets outside migrators (e.g. `knex migrate:rollback`
 * run by an operator), and we wait for those to finish.
 */
export async function migrateToRelease(
  db: Knex,
  release: Pick<Release, 'migrations'>,
  opts: MigrateOptions = {},
): Promise<string[]> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  return db.transaction(async (trx) => {
    await trx.raw(`set local lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    await trx.raw('select pg_advisory_xact_lock(?)', [MIGRATE_ADVISORY_LOCK]);
    for (;;) {
      try {
        const [, applied] = (await db.migrate.latest(migratorConfig(release))) as [number, string[]];
        return applied;
      } catch (err) {
        if (!isLockHeld(err) || Date.now() > deadline) throw err;
        opts.onWait?.('knex migration lock is held by another migrator');
        await sleep(250 + Math.random() * 250);
      }
    }
  });
}
