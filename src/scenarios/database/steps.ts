/**
 * The database plan's step kinds and their desired states. Handlers parse `desired` with these schemas,
 * because on resume it comes back from the journal.
 */
import * as z from 'zod';

export const DB_STEP_KINDS = {
  checklist: 'db.checklist',
  freeLock: 'db.free-lock',
  backup: 'db.backup',
  down: 'db.migrate-down',
  restoreRows: 'db.restore-rows',
  restoreTables: 'db.restore-tables',
  verify: 'db.verify',
} as const;

/** Where the service's database is: the service name; the URL itself is read from config, never journaled. */
const Db = { service: z.string().min(1), migrationsTable: z.string().min(1) };

/** db.checklist: re-checks at run time what the plan assumed, and records the row-count baseline. */
export const ChecklistDesired = z.object({
  ...Db,
  order: z.enum(['app-first', 'down-first', 'freeze']),
  reason: z.string(),
  migrations: z.array(z.string()),
  tables: z.array(z.string()),
  /** The plan frees a stale lock later: a locked table is expected then, a live migrator never is. */
  expectStaleLock: z.boolean(),
});
export type ChecklistDesired = z.infer<typeof ChecklistDesired>;

/** db.free-lock: knex_migrations_lock.is_locked = 0 (knex's forceFreeMigrationsLock). */
export const FreeLockDesired = z.object({ ...Db });
export type FreeLockDesired = z.infer<typeof FreeLockDesired>;

/** db.backup: a backup of `tables` exists under `directory` (its id is derived from the run). */
export const BackupDesired = z.object({
  service: z.string().min(1),
  migrationsTable: z.string().min(1),
  directory: z.string().min(1),
  tables: z.array(z.string()).min(1),
  release: z.string().optional(),
  reason: z.string(),
  /** Fixed id (restore plans, pipelines); else `<runId>-backup`, stable across resume. */
  id: z.string().optional(),
});
export type BackupDesired = z.infer<typeof BackupDesired>;

/** db.migrate-down: migration `name` is not in knex_migrations (its down() ran, as knex runs it). */
export const DownDesired = z.object({
  ...Db,
  name: z.string().min(1),
  release: z.string(),
  file: z.string(),
  transaction: z.boolean(),
});
export type DownDesired = z.infer<typeof DownDesired>;

/** One table's part of a row restore from a pre-deploy backup, merged by primary key. */
export const RestoreRowsTable = z.object({
  table: z.string().min(1),
  key: z.array(z.string()).min(1),
  /** Columns down() brought back empty: filled from the backup where the key matches. */
  columns: z.array(z.string()),
  /** Rows the release deleted (or a table it dropped): inserted back where the key is missing. */
  insertMissing: z.boolean(),
});
export type RestoreRowsTable = z.infer<typeof RestoreRowsTable>;

/** db.restore-rows: the backup's values are back in the rows and columns down() could not restore. */
export const RestoreRowsDesired = z.object({
  service: z.string().min(1),
  backupDir: z.string().min(1),
  backupId: z.string().min(1),
  tables: z.array(RestoreRowsTable).min(1),
});
export type RestoreRowsDesired = z.infer<typeof RestoreRowsDesired>;

/** db.restore-tables: each table holds exactly the backup's rows (checksums equal). */
export const RestoreTablesDesired = z.object({
  service: z.string().min(1),
  backupDir: z.string().min(1),
  backupId: z.string().min(1),
  tables: z.array(z.string()).min(1),
});
export type RestoreTablesDesired = z.infer<typeof RestoreTablesDesired>;

export const TableExpectationSchema = z.object({
  table: z.string(),
  exists: z.boolean(),
  columnsPresent: z.array(z.string()),
  columnsAbsent: z.array(z.string()),
});

/** How a table's row count may change, as the plan announced it. */
export const CountExpectation = z.enum(['same', 'absent', 'may-increase', 'may-change']);
export type CountExpectation = z.infer<typeof CountExpectation>;

/** db.verify: the schema, the row counts against the checklist's baseline, and health reporting the DB. */
export const VerifyDbDesired = z.object({
  ...Db,
  tables: z.array(TableExpectationSchema),
  indexesPresent: z.array(z.string()),
  indexesAbsent: z.array(z.string()),
  counts: z.record(z.string(), CountExpectation),
  /** Step whose evidence holds the baseline counts (`db-checklist`). */
  baselineStep: z.string(),
  migrationsAbsent: z.array(z.string()),
  healthUrl: z.string().optional(),
  healthTimeoutMs: z.int().positive(),
  /** Fixed expected counts (restore plans); else the baseline step's. */
  expectedRows: z.record(z.string(), z.int()).optional(),
});
export type VerifyDbDesired = z.infer<typeof VerifyDbDesired>;

/** Evidence of db.checklist: the baseline verification compares against. */
export const ChecklistEvidence = z.object({
  baseline: z.record(z.string(), z.int().nullable()),
});
export type ChecklistEvidence = z.infer<typeof ChecklistEvidence>;
