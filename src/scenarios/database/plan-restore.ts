/**
 * `ripcord db restore` as a plan: take the service's rollback lock, put the tables back to the backup's rows,
 * verify them against the manifest, release the lock. Pure: the manifest and what the database looks like now
 * in, a Plan out; the refusals (exit 3) happen here, before anything changes.
 */
import { acquireLockStep, releaseLockStep } from '../../core/steps/lock.js';
import { RipcordError } from '../../core/errors.js';
import type { Plan, PlanStep, RevisionRef } from '../../core/plan.js';
import type { BackupManifest, FkDependent, TableInfo } from '../../core/db-rollback/model.js';
import { dbLeaseSeconds, dbVerifyStep } from './plan.js';
import { DB_STEP_KINDS, type RestoreTablesDesired } from './steps.js';

export interface DbRestoreInput {
  service: {
    name: string;
    namespace: string;
    migrationsTable: string;
    healthUrl?: string;
    healthTimeoutMs: number;
    lockLeaseSeconds?: number;
  };
  backupDir: string;
  manifest: BackupManifest;
  /** --tables: a subset of the backup's tables; default all of them. */
  only?: readonly string[];
  /** The tables as they are now (absent = does not exist). */
  tables: Readonly<Record<string, TableInfo>>;
  /** Foreign keys referencing the tables to restore. */
  fkDependents: readonly FkDependent[];
  /** The Deployment's current revision, for the plan's from/to (a restore does not move the app). */
  revision: RevisionRef;
  now: Date;
  rtoTargetMs: number;
}

export function planDatabaseRestore(input: DbRestoreInput): Plan {
  const { manifest: m, service } = input;
  const tables = input.only ? [...input.only] : m.tables.map((t) => t.name);
  const unknown = tables.filter((t) => !m.tables.some((x) => x.name === t));
  if (unknown.length)
    throw new RipcordError('invalid', `--tables: backup ${m.id} has no ${unknown.join(', ')}`);
  const problems: string[] = [];
  for (const t of m.tables.filter((x) => tables.includes(x.name))) {
    const cur = input.tables[t.name];
    if (!cur) continue;
    const a = cur.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    const b = t.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    if (a !== b)
      problems.push(`${t.name} now has columns (${a}), the backup (${b}): roll its migration back first`);
  }
  for (const d of input.fkDependents.filter((x) => !tables.includes(x.table)))
    problems.push(`${d.table} references ${d.references} (${d.constraint}): include it with --tables`);
  if (problems.length)
    throw new RipcordError('refused', `cannot restore backup ${m.id}: ${problems.join('; ')}`);

  const expected = m.tables.filter((t) => tables.includes(t.name));
  const restore: PlanStep = {
    id: 'db-restore-tables',
    kind: DB_STEP_KINDS.restoreTables,
    description: `Restore ${tables.join(', ')} from backup ${m.id} (${m.createdAt})`,
    target: `database of ${service.name}`,
    why: `Runbook 2, dangerous migrations: "restore from backup". Existing tables are emptied and reloaded; missing ones are created from the backup's schema. Current rows: ${tables.map((t) => `${t} ${input.tables[t]?.rows ?? 'absent'}`).join(', ')}; backup rows: ${expected.map((t) => `${t.name} ${t.rows}`).join(', ')}.`,
    precondition:
      "the manifest and every file match their sha256, no file holds a psql meta-command; each existing table has the backup's columns",
    desired: {
      service: service.name,
      backupDir: input.backupDir,
      backupId: m.id,
      tables,
    } satisfies RestoreTablesDesired,
    postcondition: "each table's ordered-row checksum equals the backup's",
    danger: 'dangerous',
    expectedDurationMs: 10_000,
  };
  const verify = dbVerifyStep({
    description: `Verify ${tables.join(', ')} against the backup`,
    why: 'Runbook 2 step 4: tables and columns exist, row counts as in the backup, health reports the database.',
    precondition: 'the restore is done',
    postcondition: `row counts ${expected.map((t) => `${t.name}=${t.rows}`).join(', ')}`,
    desired: {
      service: service.name,
      migrationsTable: service.migrationsTable,
      tables: expected.map((t) => ({
        table: t.name,
        exists: true,
        columnsPresent: t.columns.map((c) => c.name),
        columnsAbsent: [],
      })),
      indexesPresent: [],
      indexesAbsent: [],
      counts: Object.fromEntries(tables.map((t) => [t, 'same'])),
      baselineStep: 'db-restore-tables',
      migrationsAbsent: [],
      ...(service.healthUrl ? { healthUrl: service.healthUrl } : {}),
      healthTimeoutMs: service.healthTimeoutMs,
      expectedRows: Object.fromEntries(expected.map((t) => [t.name, t.rows])),
    },
  });
  return {
    service: service.name,
    scenario: 'database',
    namespace: service.namespace,
    createdAt: input.now.toISOString(),
    from: input.revision,
    to: input.revision,
    changes: [],
    // The same Lease as every rollback of the service: a restore racing a rollback (or another restore) would
    // reload rows under a down() or a rolling Deployment.
    steps: [
      acquireLockStep(service.name, service.namespace, dbLeaseSeconds(service, input.rtoTargetMs)),
      restore,
      verify,
      releaseLockStep(service.name, service.namespace),
    ],
    rtoTargetMs: input.rtoTargetMs,
    warnings: [`restoring replaces the current rows of ${tables.join(', ')}`],
  };
}
