/**
 * The runbook's section 2 as a plan: the pre-rollback checklist enforced (every down() present, affected tables
 * and their foreign-key dependents named, dangerous operations backed up first, the DBA told), the migrations
 * rolled back one step each in the order that harms least, the app rolled back, and the result verified.
 * Pure: observations in, a Plan out. Refusals (exit 3) happen here, before anything changes.
 */
import { acquireLockStep, isLockStep, LOCK_STEP_KINDS, releaseLockStep } from '../../core/steps/lock.js';
import { RipcordError } from '../../core/errors.js';
import { notifyStep } from '../../core/steps/notify.js';
import type { Plan, PlanStep, TemplateChange } from '../../core/plan.js';
import { expectedSchema, type SchemaExpectation } from './expected-schema.js';
import type {
  AppliedMigration,
  BackupSummary,
  BatchAttribution,
  FkDependent,
  MigrationFileInfo,
  MigrationLockState,
  TableInfo,
} from '../../core/db-rollback/model.js';
import { analyseMigration, decideOrder, type MigrationAnalysis, type OrderDecision } from './ordering.js';
import { sameMigration, selectMigrations, type Selection } from '../../core/db-rollback/selection.js';
import {
  classifySql,
  describeEffect,
  losesData,
  tableOf,
  type SqlEffect,
} from '../../core/db-rollback/sql-classify.js';
import {
  DB_STEP_KINDS,
  type BackupDesired,
  type ChecklistDesired,
  type CountExpectation,
  type DownDesired,
  type FreeLockDesired,
  type RestoreRowsDesired,
  type RestoreRowsTable,
  type VerifyDbDesired,
} from './steps.js';

export interface DbRollbackService {
  name: string;
  namespace: string;
  migrationsTable: string;
  /** Absolute directory backups go to (one folder per backup). */
  backupDir: string;
  dbaContact?: string;
  healthUrl?: string;
  healthTimeoutMs: number;
  /** lock.leaseSeconds; else derived from the RTO as the app plan does. */
  lockLeaseSeconds?: number;
}

export interface DbRollbackFlags {
  all?: boolean;
  to?: string;
  freeze?: boolean;
  forceUnlock?: boolean;
}

export interface DbRollbackInput {
  service: DbRollbackService;
  /** The running release (image tag): its migration files hold the down() functions to run. */
  release: string | undefined;
  applied: readonly AppliedMigration[];
  lock: MigrationLockState;
  /** The running release's migration files, with captured SQL. */
  files: readonly MigrationFileInfo[];
  /** Affected tables as they are now (absent = the table does not exist). */
  tables: Readonly<Record<string, TableInfo>>;
  fkDependents: readonly FkDependent[];
  backups: readonly BackupSummary[];
  attribution: readonly BatchAttribution[];
  /** The app rollback (planAppRollback): its steps are woven in. */
  appPlan: Plan;
  flags: DbRollbackFlags;
  now: Date;
  rtoTargetMs: number;
}

/** Tables the captured SQL of these files touches: what the adapter must describe before planning. */
export function tablesTouched(
  files: readonly MigrationFileInfo[],
  fns: ('up' | 'down')[] = ['up', 'down'],
): string[] {
  const out = new Set<string>();
  for (const f of files) {
    for (const fn of fns) {
      for (const e of f[fn].flatMap(classifySql)) {
        const t = tableOf(e);
        if (t) out.add(t);
      }
    }
  }
  return [...out].sort();
}

/** The selection the plan will use; the CLI calls it first to know which files to capture. */
export function selectionFor(
  input: Pick<DbRollbackInput, 'applied' | 'flags' | 'attribution' | 'release'>,
): Selection {
  return selectMigrations(input.applied, input.flags, input.attribution, input.release);
}

/** The lease a database plan takes when the app plan has none to lend: as the app plan computes it. */
export function dbLeaseSeconds(service: { lockLeaseSeconds?: number }, rtoTargetMs: number): number {
  return service.lockLeaseSeconds ?? Math.max(900, Math.ceil((3 * rtoTargetMs) / 1000));
}

/**
 * The app plan's lock steps when it has them (same Lease, same ids), else new ones from the same factories:
 * a database plan always starts by taking the service's lock and ends by releasing it.
 */
function lockSteps_(
  appSteps: readonly PlanStep[],
  service: DbRollbackService,
  rtoTargetMs: number,
): { acquire: PlanStep[]; release: PlanStep[] } {
  const acquire = appSteps.filter((s) => s.kind === LOCK_STEP_KINDS.acquire);
  const release = appSteps.filter((s) => s.kind === LOCK_STEP_KINDS.release);
  return {
    acquire: acquire.length
      ? acquire
      : [acquireLockStep(service.name, service.namespace, dbLeaseSeconds(service, rtoTargetMs))],
    release: release.length ? release : [releaseLockStep(service.name, service.namespace)],
  };
}

/** The `db-backup` step (rollback plans and `ripcord db backup`): pg_dump in one snapshot, with checksums. */
export function dbBackupStep(desired: BackupDesired, why: string = desired.reason): PlanStep {
  return {
    id: 'db-backup',
    kind: DB_STEP_KINDS.backup,
    description: `Back up ${desired.tables.join(', ')} (pg_dump schema + data in one snapshot, checksums)`,
    target: desired.directory,
    why,
    precondition: 'pg_dump is installed; the directory is writable',
    desired,
    postcondition: 'a backup of these tables exists with a manifest whose sha256 checksums match its files',
    danger: 'safe',
    expectedDurationMs: 10_000,
  };
}

/** The `db-verify` step (rollback and restore plans): schema, row counts, health. */
export function dbVerifyStep(o: {
  description: string;
  why: string;
  precondition: string;
  postcondition: string;
  desired: VerifyDbDesired;
}): PlanStep {
  return {
    id: 'db-verify',
    kind: DB_STEP_KINDS.verify,
    description: o.description,
    target: `database of ${o.desired.service}`,
    why: o.why,
    precondition: o.precondition,
    desired: o.desired,
    postcondition: o.postcondition,
    danger: 'safe',
    expectedDurationMs: 2_000,
  };
}

export function planDatabaseRollback(input: DbRollbackInput): Plan {
  const { service, flags, appPlan } = input;
  const selection = selectionFor(input);
  const base: Plan = {
    ...appPlan,
    scenario: 'database',
    createdAt: input.now.toISOString(),
    rtoTargetMs: input.rtoTargetMs,
    steps: [],
    warnings: [...appPlan.warnings],
    changes: [...appPlan.changes],
  };
  delete base.noop;
  if (selection.migrations.length === 0 && !flags.freeze) {
    return { ...base, noop: `nothing to roll back: ${selection.reason}` };
  }

  const release = input.release ?? 'unknown release';
  const files = requireFiles(selection.migrations, input.files, release);
  const warnings = base.warnings;
  const lockSteps = lockPlan(input, warnings);
  const liveColumns = (t: string) => input.tables[t]?.columns;
  const analyses = files.map((f) => analyseMigration(f, liveColumns));
  const decision = decideOrder(analyses, flags.freeze === true);
  for (const a of analyses) warnings.push(...a.notes.map((n) => `${a.name}: ${n}`));

  const affected = [
    ...new Set(analyses.flatMap((a) => [...a.up, ...a.down].map(tableOf).filter((t): t is string => !!t))),
  ].sort();
  const dependents = input.fkDependents.filter(
    (d) => affected.includes(d.references) && !affected.includes(d.table),
  );
  const batches = [...new Set(selection.migrations.map((m) => m.batch))].sort((a, b) => a - b);
  const attributionLines = batches.map((b) => {
    const a = input.attribution.find((x) => x.batch === b);
    return `batch ${b}: ${a?.release ?? 'unknown release'} (${a?.detail ?? 'no attribution'})`;
  });
  for (const b of batches) {
    const a = input.attribution.find((x) => x.batch === b);
    if (input.release && a?.release && a.release !== input.release) {
      warnings.push(
        `batch ${b} was applied by ${a.release} (${a.method}), not by the running release ${input.release}; ` +
          `the down() functions come from ${input.release}'s files`,
      );
    }
  }

  const downEffects = decision.order === 'freeze' ? [] : analyses.flatMap((a) => a.down);
  const expectation = expectedSchema(input.tables, affected, downEffects);
  const restore =
    decision.order === 'down-first' ? restorePlan(input, analyses, batches, warnings) : undefined;
  const backup = decision.order === 'freeze' ? undefined : backupPlan(input, analyses, batches, warnings);
  const counts = countExpectations(affected, expectation, analyses, restore, decision);

  for (const d of dependents) {
    warnings.push(
      `${d.table} references ${d.references} (${d.constraint}): rows there depend on the rolled-back table`,
    );
  }
  if (decision.order === 'down-first') {
    warnings.push(
      `brief incompatibility: between down() and the app rollback, ${input.appPlan.from.images.join(', ') || 'the running app'} ` +
        'runs on the older schema; a pod of it that restarts then would migrate up again',
    );
  }
  const nonTx = analyses.filter((a) => !a.transaction);
  for (const a of nonTx) {
    warnings.push(
      `${a.name} sets transaction: false: its down() runs outside a transaction and can half-apply`,
    );
  }

  const db = { service: service.name, migrationsTable: service.migrationsTable };
  const checklist: PlanStep = {
    id: 'db-checklist',
    kind: DB_STEP_KINDS.checklist,
    description: `Pre-rollback checklist for ${selection.migrations.length} migration(s) of ${release}; ${decision.order}`,
    target: `database of ${service.name}`,
    why:
      `Runbook 2, pre-rollback checklist. Migrations: ${selection.reason}. Order: ${decision.reason}. ` +
      `Attribution: ${attributionLines.join('; ')}. Affected tables: ${affected.join(', ') || 'none'}` +
      (dependents.length
        ? `; dependents: ${dependents.map((d) => `${d.table} (${d.constraint})`).join(', ')}`
        : '') +
      '.',
    precondition: 'every migration to roll back has a down(); no migrator is running',
    desired: {
      ...db,
      order: decision.order,
      reason: decision.reason,
      migrations: selection.migrations.map((m) => m.name),
      tables: affected,
      expectStaleLock: lockSteps.length > 0,
    } satisfies ChecklistDesired,
    postcondition:
      'the checklist holds and the row counts of the affected tables are recorded as the baseline',
    danger: 'safe',
    expectedDurationMs: 1_000,
  };
  const notify = notifyStep(
    'notify-dba',
    {
      service: service.name,
      to: 'dba',
      ...(service.dbaContact ? { contact: service.dbaContact } : {}),
      text:
        decision.order === 'freeze'
          ? `${service.name}: rolling the app back from ${release} and leaving the schema (--freeze): ${files.map((f) => f.name).join(', ')} stay applied`
          : `${service.name}: rolling back migrations ${files.map((f) => f.name).join(', ')} of ${release} (${decision.order}); tables ${affected.join(', ') || 'none'}`,
    },
    'Runbook 2, pre-rollback checklist: notify the on-call DBA.',
  );

  const downSteps: PlanStep[] =
    decision.order === 'freeze'
      ? []
      : analyses.map((a) => ({
          id: `db-down-${a.name}`,
          kind: DB_STEP_KINDS.down,
          description: `Run down() of ${a.name} and remove it from ${service.migrationsTable}`,
          target: `${service.migrationsTable} row ${a.name}`,
          why:
            `Runbook 2 step 2 (knex migrate:rollback), one migration per step: ${a.down.map(describeEffect).join('; ') || 'no SQL'}. ` +
            `The down() is ${release}'s, the release being rolled back (older releases lack this file).`,
          precondition: `${a.name} is recorded in ${service.migrationsTable}; the knex lock is free`,
          desired: {
            ...db,
            name: a.name,
            release,
            file: a.file,
            transaction: a.transaction,
          } satisfies DownDesired,
          postcondition: `${a.name} is not in ${service.migrationsTable}`,
          danger: a.downRisk === 'dangerous' ? 'dangerous' : 'caution',
          expectedDurationMs: 5_000,
        }));

  const restoreStep: PlanStep[] = restore
    ? [
        {
          id: 'db-restore-rows',
          kind: DB_STEP_KINDS.restoreRows,
          description: `Bring back from backup ${restore.backupId} what down() cannot: ${restore.tables
            .map((t) => (t.columns.length ? `${t.table}.(${t.columns.join(', ')})` : `${t.table} rows`))
            .join('; ')}`,
          target: restore.tables.map((t) => t.table).join(', '),
          why:
            'down() gives the schema back but not the data the release dropped; the pre-deploy backup has it. ' +
            'Merged by primary key, so rows written since the deploy are kept.',
          precondition: 'the backup checksums match its manifest; down() has restored the columns/tables',
          desired: restore,
          postcondition:
            "the backup's values are present in the restored columns and rows (re-applying is a no-op)",
          danger: 'caution',
          expectedDurationMs: 5_000,
        },
      ]
    : [];

  const backupStep: PlanStep[] = backup ? [dbBackupStep(backup)] : [];

  const appSteps = appPlan.noop ? [] : appPlan.steps;
  if (appPlan.noop) warnings.push(`the app is not rolled back: ${appPlan.noop}`);
  const appCore = appSteps.filter((s) => !isLockStep(s));
  // The per-service lock is taken whether or not the app moves: down() and a restore change the service as
  // much as a new template does, and two of them (or one and an app rollback) must never interleave.
  const { acquire, release: release_ } = lockSteps_(appSteps, service, input.rtoTargetMs);

  const verify = dbVerifyStep({
    description: `Verify the schema, row counts and health of ${service.name}`,
    why: 'Runbook 2 step 4: tables and columns as expected (\\d), row counts, the service reports its database.',
    precondition: 'the migrations and the app are rolled back',
    desired: {
      ...db,
      ...expectation,
      counts,
      baselineStep: 'db-checklist',
      migrationsAbsent: decision.order === 'freeze' ? [] : selection.migrations.map((m) => m.name),
      ...(service.healthUrl ? { healthUrl: service.healthUrl } : {}),
      healthTimeoutMs: service.healthTimeoutMs,
    },
    postcondition: verifyPostcondition(expectation, counts),
  });

  const middle =
    decision.order === 'app-first'
      ? [...appCore, ...downSteps]
      : decision.order === 'down-first'
        ? [...downSteps, ...restoreStep, ...appCore]
        : appCore;
  const steps = [...acquire, checklist, notify, ...lockSteps, ...backupStep, ...middle, verify, ...release_];
  return {
    ...base,
    steps,
    changes: [...base.changes, ...schemaChanges(input.tables, expectation)],
    warnings,
  };
}

function requireFiles(
  selected: readonly AppliedMigration[],
  files: readonly MigrationFileInfo[],
  release: string,
): MigrationFileInfo[] {
  const problems: string[] = [];
  const found: MigrationFileInfo[] = [];
  for (const m of selected) {
    const f = files.find((x) => sameMigration(x.name, m.name));
    if (!f) {
      problems.push(
        `${m.name} is recorded in knex_migrations but ${release}'s migration files have no such file`,
      );
      continue;
    }
    if (!f.hasDown) problems.push(`${f.file} has no down() function`);
    found.push({ ...f, name: m.name });
  }
  if (problems.length > 0) {
    throw new RipcordError(
      'refused',
      `cannot roll back: ${problems.join('; ')}. Nothing was changed; restore from a backup instead (ripcord db restore)`,
    );
  }
  return found;
}

function lockPlan(input: DbRollbackInput, warnings: string[]): PlanStep[] {
  const { lock, flags, service } = input;
  if (!lock.isLocked) return [];
  if (lock.migratorRunning) {
    throw new RipcordError(
      'refused',
      `${service.migrationsTable}_lock is held by a running migrator (${lock.evidence.join('; ')}); wait for it to finish`,
    );
  }
  if (!flags.forceUnlock) {
    throw new RipcordError(
      'refused',
      `${service.migrationsTable}_lock is locked but no migrator is running (a stale lock: a migration stopped ` +
        'half-way?); check the schema, then pass --force-unlock to free it (knex migrate:unlock)',
    );
  }
  const pending = input.files.filter((f) => !input.applied.some((a) => sameMigration(a.name, f.name)));
  for (const p of pending) {
    const created = p.up
      .flatMap(classifySql)
      .filter((e): e is Extract<SqlEffect, { op: 'create-table' }> => e.op === 'create-table')
      .filter((e) => input.tables[e.table] !== undefined);
    if (created.length > 0) {
      warnings.push(
        `${p.name} is not recorded but ${created.map((e) => e.table).join(', ')} it creates exist: it was ` +
          'partially applied; its leftovers are not undone by this plan',
      );
    }
  }
  return [
    {
      id: 'db-free-lock',
      kind: DB_STEP_KINDS.freeLock,
      description: `Free the stale ${service.migrationsTable}_lock (knex forceFreeMigrationsLock)`,
      target: `${service.migrationsTable}_lock`,
      why:
        `--force-unlock: the lock is held but no migrator is running (${lock.evidence.join('; ') || 'no session found'}); ` +
        'knex refuses every migration until it is freed.',
      precondition: 'still no migrator running (re-checked)',
      desired: { service: service.name, migrationsTable: service.migrationsTable } satisfies FreeLockDesired,
      postcondition: `${service.migrationsTable}_lock.is_locked = 0`,
      danger: 'caution',
      expectedDurationMs: 500,
    },
  ];
}

function backupPlan(
  input: DbRollbackInput,
  analyses: readonly MigrationAnalysis[],
  batches: readonly number[],
  warnings: string[],
): BackupDesired | undefined {
  const tables = [
    ...new Set(
      analyses.flatMap((a) =>
        a.down
          .filter(losesData)
          .map(tableOf)
          .filter((t): t is string => t !== undefined && input.tables[t] !== undefined),
      ),
    ),
  ].sort();
  if (tables.length === 0) return undefined;
  const top = Math.max(...batches);
  const existing = input.backups.find(
    (b) => b.maxBatch >= top && tables.every((t) => b.tables.some((bt) => bt.name === t)),
  );
  if (existing) {
    warnings.push(
      `no new backup: ${existing.id} (${existing.createdAt}) already covers ${tables.join(', ')} since batch ${top}`,
    );
    return undefined;
  }
  const lossy = analyses.flatMap((a) =>
    a.down.filter(losesData).map((e) => `${a.name}: ${describeEffect(e)}`),
  );
  return {
    service: input.service.name,
    migrationsTable: input.service.migrationsTable,
    directory: input.service.backupDir,
    tables,
    ...(input.release ? { release: input.release } : {}),
    reason: `Runbook 2, dangerous migrations: down() can lose data written since the deploy (${lossy.join('; ')}); back it up first.`,
  };
}

/** Data the release's up() destroyed, brought back from the newest backup taken before its first batch. */
function restorePlan(
  input: DbRollbackInput,
  analyses: readonly MigrationAnalysis[],
  batches: readonly number[],
  warnings: string[],
): RestoreRowsDesired | undefined {
  const first = Math.min(...batches);
  const wanted = new Map<string, { columns: Set<string>; insertMissing: boolean; why: string[] }>();
  for (const a of analyses) {
    for (const e of a.up) {
      const entry = (t: string) => {
        let w = wanted.get(t);
        if (!w) wanted.set(t, (w = { columns: new Set(), insertMissing: false, why: [] }));
        w.why.push(`${a.name}: ${describeEffect(e)}`);
        return w;
      };
      if (e.op === 'drop-column') entry(e.table).columns.add(e.column);
      else if (e.op === 'drop-table' || e.op === 'delete' || e.op === 'truncate')
        entry(e.table).insertMissing = true;
      else if (e.op === 'update' || e.op === 'alter-type') {
        warnings.push(
          `${a.name}: ${describeEffect(e)} is not undone from a backup automatically (values edited since would be lost); compare with a backup by hand`,
        );
      }
    }
  }
  if (wanted.size === 0) return undefined;
  const candidates = input.backups
    .filter((b) => b.maxBatch < first)
    .sort((a, b) => b.maxBatch - a.maxBatch || b.createdAt.localeCompare(a.createdAt));
  const tables: RestoreRowsTable[] = [];
  let used: BackupSummary | undefined;
  for (const [table, w] of wanted) {
    const b = candidates.find((c) => c.tables.some((t) => t.name === table));
    const bt = b?.tables.find((t) => t.name === table);
    if (!b || !bt) {
      warnings.push(
        `${w.why.join('; ')}: no backup taken before batch ${first} has ${table}, so down() brings the schema back without that data ` +
          '(take one in the pre-deploy step: ripcord db backup SERVICE --release TAG)',
      );
      continue;
    }
    if (used && used.id !== b.id) {
      warnings.push(`${table}: in backup ${b.id}, not ${used.id}; only ${used.id} is used by this plan`);
      continue;
    }
    if (bt.primaryKey.length === 0) {
      warnings.push(
        `${table} has no primary key in backup ${b.id}: rows cannot be matched, its data is not restored`,
      );
      continue;
    }
    if (b.maxBatch < first - 1) {
      warnings.push(`backup ${b.id} was taken at batch ${b.maxBatch}, before batch ${first - 1} too`);
    }
    used = b;
    const backedUp = new Set(bt.columns.map((c) => c.name));
    tables.push({
      table,
      key: bt.primaryKey,
      columns: [...w.columns].filter((c) => backedUp.has(c)).sort(),
      insertMissing: w.insertMissing,
    });
  }
  if (!used || tables.length === 0) return undefined;
  return { service: input.service.name, backupDir: used.dir, backupId: used.id, tables };
}

function countExpectations(
  affected: readonly string[],
  expectation: SchemaExpectation,
  analyses: readonly MigrationAnalysis[],
  restore: RestoreRowsDesired | undefined,
  decision: OrderDecision,
): Record<string, CountExpectation> {
  const counts: Record<string, CountExpectation> = {};
  for (const t of affected) {
    const exp = expectation.tables.find((x) => x.table === t);
    if (exp && !exp.exists) {
      counts[t] = 'absent';
      continue;
    }
    if (decision.order === 'freeze') {
      counts[t] = 'same';
      continue;
    }
    const changesRows = analyses.some((a) =>
      a.down.some(
        (e) => tableOf(e) === t && ['delete', 'truncate', 'update', 'insert', 'unknown'].includes(e.op),
      ),
    );
    const restores = restore?.tables.some((r) => r.table === t && r.insertMissing);
    counts[t] = changesRows ? 'may-change' : restores ? 'may-increase' : 'same';
  }
  return counts;
}

function verifyPostcondition(e: SchemaExpectation, counts: Record<string, CountExpectation>): string {
  const parts = e.tables.map((t) =>
    t.exists
      ? `${t.table} has ${t.columnsPresent.join(', ') || 'its columns'}${t.columnsAbsent.length ? ` and not ${t.columnsAbsent.join(', ')}` : ''}`
      : `${t.table} is absent`,
  );
  if (e.indexesAbsent.length) parts.push(`no index ${e.indexesAbsent.join(', ')}`);
  if (e.indexesPresent.length) parts.push(`index ${e.indexesPresent.join(', ')}`);
  const counted = Object.entries(counts).map(([t, c]) => `${t}: ${c}`);
  return `${parts.join('; ')}; row counts vs baseline (${counted.join(', ')}); health reports the database`;
}

function schemaChanges(now: Readonly<Record<string, TableInfo>>, e: SchemaExpectation): TemplateChange[] {
  const out: TemplateChange[] = [];
  for (const t of e.tables) {
    const cur = now[t.table];
    if (!cur && t.exists) out.push({ field: `table ${t.table}`, change: 'added' });
    if (cur && !t.exists) out.push({ field: `table ${t.table}`, change: 'removed' });
    if (!cur || !t.exists) continue;
    const names = new Set(cur.columns.map((c) => c.name));
    for (const c of t.columnsPresent)
      if (!names.has(c)) out.push({ field: `column ${t.table}.${c}`, change: 'added' });
    for (const c of t.columnsAbsent)
      if (names.has(c)) out.push({ field: `column ${t.table}.${c}`, change: 'removed' });
  }
  for (const i of e.indexesAbsent) out.push({ field: `index ${i}`, change: 'removed' });
  for (const i of e.indexesPresent) out.push({ field: `index ${i}`, change: 'added' });
  return out;
}
