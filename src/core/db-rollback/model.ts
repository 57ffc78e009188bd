/**
 * What the database rollback plan is built from: the knex_migrations rows, the lock, the migration files of the
 * release being rolled back (with the SQL their up()/down() would issue), the affected tables as they are now,
 * and the backups that exist. Adapters observe these; the planner is pure.
 */
import * as z from 'zod';

/** A row of knex_migrations. */
export interface AppliedMigration {
  id: number;
  name: string;
  batch: number;
  /** ISO time the migrator recorded (knex writes the migrating process's clock). */
  migrationTime: string;
}

/** The knex_migrations_lock row and whether anything is migrating right now. */
export interface MigrationLockState {
  /** False when knex's tables were never created (nothing ever migrated). */
  tableExists: boolean;
  isLocked: boolean;
  /** A session holding the service's advisory migration lock, or running a query on the migrations table. */
  migratorRunning: boolean;
  /** What was observed to decide `migratorRunning` (pids, queries shortened), for the plan and the journal. */
  evidence: string[];
}

/** One migration file of a release, with the SQL its functions would issue (captured, not executed). */
export interface MigrationFileInfo {
  /** The name knex_migrations records for it. */
  name: string;
  /** Where it came from, for messages: a path, or `knexfile:<path>#<name>`. */
  file: string;
  hasDown: boolean;
  /** knex's `config.transaction` of the file (false = runs outside a transaction, may half-apply). */
  transaction: boolean;
  up: string[];
  down: string[];
  /** When running a function against the capturing client threw: its SQL is then unknown (dangerous). */
  captureError?: { up?: string; down?: string };
}

export interface ColumnInfo {
  name: string;
  /** information_schema data_type, e.g. `integer`, `text`. */
  type: string;
  nullable: boolean;
}

/** An affected table as it is now. */
export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  primaryKey: string[];
  indexes: string[];
  rows: number;
}

/** A foreign key into an affected table (from pg_catalog): rows there depend on rows here. */
export interface FkDependent {
  /** The referencing table. */
  table: string;
  constraint: string;
  /** The affected table it references. */
  references: string;
}

/** A ReplicaSet of the Deployment, as a release: for attributing batches to releases. */
export interface ReleaseRevision {
  /** The first container's image tag, e.g. `v1.4.0`. */
  release: string;
  revision: number;
  createdAt: string;
  current: boolean;
}

/** One backed-up table in a manifest. */
export const BackupTable = z.object({
  name: z.string().min(1),
  rows: z.int().min(0),
  /** md5 over the table's rows as text, ordered: equal checksums = identical contents. */
  checksum: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean() })),
  primaryKey: z.array(z.string()),
  schemaFile: z.string(),
  dataFile: z.string(),
});
export type BackupTable = z.infer<typeof BackupTable>;

/** manifest.json beside the dump files: what was backed up, when, for which release, with checksums. */
export const BackupManifest = z.object({
  /** 2: the manifest carries `checksum`; version 1 manifests (without it) are not trusted for a restore. */
  version: z.literal(2),
  id: z.string().min(1),
  service: z.string().min(1),
  createdAt: z.string(),
  /** The release this backup belongs to: the one about to be deployed (pre-deploy) or being rolled back. */
  release: z.string().optional(),
  /** Highest knex batch applied when the backup was taken (0 = none): batches above it came later. */
  maxBatch: z.int().min(0),
  reason: z.string(),
  /** Database name and host, never the password. */
  database: z.string(),
  tables: z.array(BackupTable),
  files: z.array(z.object({ name: z.string(), bytes: z.int().min(0), sha256: z.string().length(64) })),
  /** sha256 over the rest of the manifest (keys sorted): a manifest edited by hand is refused. */
  checksum: z.string().length(64),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** A backup found in the backup directory. */
export interface BackupSummary {
  id: string;
  dir: string;
  createdAt: string;
  release?: string;
  maxBatch: number;
  tables: BackupTable[];
}

/** Which release a knex batch belongs to, and how we know. */
export interface BatchAttribution {
  batch: number;
  release?: string;
  revision?: number;
  /** recorded: a pre-deploy backup named the release; inferred: migration_time vs ReplicaSet creation. */
  method: 'recorded' | 'inferred' | 'unknown';
  detail: string;
}
