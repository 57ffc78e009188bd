import type { Command } from 'commander';
import * as z from 'zod';
import { describeTables, fkDependents } from '../../adapters/postgres-migrations/inspect.js';
import { findBackup, newBackupId, readBackup } from '../../adapters/postgres-migrations/backup.js';
import type { MigrationsDb } from '../../adapters/postgres-migrations/migrations-db.js';
import { backupDirectory } from '../../config/compile-database.js';
import { loadCliConfig } from '../service-context.js';
import { rolloutHistory, revisionRef } from '../../core/app-rollback/history.js';
import { releaseTag } from '../../core/db-rollback/attribution.js';
import type { BackupManifest, BatchAttribution } from '../../core/db-rollback/model.js';
import { dbBackupStep, tablesTouched } from '../../scenarios/database/plan.js';
import { planDatabaseRestore } from '../../scenarios/database/plan-restore.js';
import { sameMigration } from '../../core/db-rollback/selection.js';
import { classifySql, describeEffect, losesData } from '../../core/db-rollback/sql-classify.js';
import { exitCodeFor, RipcordError } from '../../core/errors.js';
import type { Plan, PlanStep, RevisionRef } from '../../core/plan.js';
import type { DeploymentSnapshot } from '../../core/ports.js';
import { planText } from '../format/plan-text.js';
import { table } from '../format/table.js';
import { emit, progress, type GlobalOptions } from '../output.js';
import { confirmOrRefuse } from '../confirm.js';
import { action, globalOptions } from '../run-action.js';
import { contextDb, observeAttribution, requireDatabase } from '../../scenarios/database/scenario.js';
import { withServiceContext, type ServiceContext } from '../service-context.js';
import { newRunId, runPlan } from './rollback.js';
import { summary } from '../command-index.js';

/** `--tables a,b` (repeatable): table names as SQL knows them. */
const TablesFlag = z.array(
  z.string().regex(/^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?$/, { error: 'expected a table name' }),
);

function parseTables(raw: string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw
    .flatMap((r) => r.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const parsed = TablesFlag.safeParse(list);
  if (!parsed.success)
    throw new RipcordError('invalid', `--tables: ${parsed.error.issues[0]?.message ?? 'bad value'}`);
  return parsed.data;
}

async function snapshotOrNote(
  ctx: ServiceContext,
): Promise<{ snapshot?: DeploymentSnapshot; note?: string }> {
  try {
    return { snapshot: await ctx.kube.snapshot(ctx.service.kube.namespace, ctx.service.deployment) };
  } catch (err) {
    return {
      note: `deployment not readable (${(err as Error).message}): batches cannot be attributed to releases`,
    };
  }
}

const EMPTY_SNAPSHOT: DeploymentSnapshot = { deployment: {}, replicaSets: [] };

/** What `ripcord db status` reports. */
export interface DbStatus {
  service: string;
  database: string;
  migrationsTable: string;
  release?: string;
  source?: string;
  tableExists: boolean;
  lock: {
    tableExists: boolean;
    isLocked: boolean;
    migratorRunning: boolean;
    stale: boolean;
    evidence: string[];
  };
  batches: Array<
    BatchAttribution & { migrations: Array<{ name: string; migratedAt: string; file: boolean }> }
  >;
  pending: Array<{ name: string; dangerous: string[] }>;
  missingFiles: string[];
  notes: string[];
}

async function dbStatus(ctx: ServiceContext, db: MigrationsDb): Promise<DbStatus> {
  const { snapshot, note } = await snapshotOrNote(ctx);
  const { state, attribution, current } = await observeAttribution(ctx, db, snapshot ?? EMPTY_SNAPSHOT);
  const notes = note ? [note] : [];
  let files: Awaited<ReturnType<MigrationsDb['releaseFiles']>> | undefined;
  if (current) {
    try {
      files = await db.releaseFiles(current);
    } catch (err) {
      notes.push(`migration files of ${current}: ${(err as Error).message}`);
    }
  }
  const fileNames = files?.files ?? [];
  const batches = attribution.map((a) => ({
    ...a,
    migrations: state.applied
      .filter((m) => m.batch === a.batch)
      .map((m) => ({
        name: m.name,
        migratedAt: m.migrationTime,
        file: fileNames.some((f) => sameMigration(f.name, m.name)),
      })),
  }));
  return {
    service: ctx.service.name,
    database: new URL(db.url).pathname.slice(1),
    migrationsTable: db.table,
    ...(current ? { release: current } : {}),
    ...(files ? { source: files.loaded.source } : {}),
    tableExists: state.tableExists,
    lock: { ...state.lock, stale: state.lock.isLocked && !state.lock.migratorRunning },
    batches,
    pending: fileNames
      .filter((f) => !state.applied.some((a) => sameMigration(a.name, f.name)))
      .map((f) => ({
        name: f.name,
        dangerous: f.up.flatMap(classifySql).filter(losesData).map(describeEffect),
      })),
    missingFiles: files
      ? state.applied.filter((a) => !fileNames.some((f) => sameMigration(f.name, a.name))).map((a) => a.name)
      : [],
    notes,
  };
}

function statusText(s: DbStatus): string {
  const out = [
    `Database of ${s.service}: ${s.database}, table ${s.migrationsTable}${s.tableExists ? '' : ' (absent: nothing ever migrated)'}`,
    `  running release: ${s.release ?? 'unknown'}${s.source ? `, files from ${s.source}` : ''}`,
    `  lock: ${s.lock.tableExists ? (s.lock.isLocked ? (s.lock.stale ? 'LOCKED, stale (no migrator running): ripcord rollback --force-unlock frees it' : 'locked by a running migrator') : 'free') : 'no lock table'}`,
  ];
  if (s.lock.evidence.length && s.lock.isLocked) out.push(`    ${s.lock.evidence.join('; ')}`);
  out.push('', 'Applied:');
  const rows = s.batches.flatMap((b) =>
    b.migrations.map((m) => [
      String(b.batch),
      m.name,
      m.migratedAt,
      b.release ?? '?',
      b.method,
      m.file ? '' : 'MISSING FILE',
    ]),
  );
  out.push(rows.length ? table(['BATCH', 'MIGRATION', 'MIGRATED AT', 'RELEASE', 'HOW', ''], rows) : '  none');
  out.push('', 'Pending:');
  out.push(
    ...(s.pending.length
      ? s.pending.map(
          (p) => `  ${p.name}${p.dangerous.length ? `  [dangerous: ${p.dangerous.join('; ')}]` : ''}`,
        )
      : ['  none']),
  );
  if (s.missingFiles.length) out.push('', `Missing from the release's files: ${s.missingFiles.join(', ')}`);
  for (const b of s.batches) out.push(`batch ${b.batch}: ${b.detail}`);
  for (const n of s.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

function revisionNow(snapshot: DeploymentSnapshot | undefined): RevisionRef {
  const cur = snapshot ? rolloutHistory(snapshot).find((h) => h.current) : undefined;
  return cur ? revisionRef(cur) : { revision: 0, images: [] };
}

function dbPlan(
  ctx: ServiceContext,
  snapshot: DeploymentSnapshot | undefined,
  steps: PlanStep[],
  warnings: string[] = [],
): Plan {
  const rev = revisionNow(snapshot);
  return {
    service: ctx.service.name,
    scenario: 'database',
    namespace: ctx.service.kube.namespace,
    createdAt: ctx.clock.now().toISOString(),
    from: rev,
    to: rev,
    changes: [],
    steps,
    rtoTargetMs: ctx.service.rtoMs.database,
    warnings,
  };
}

/** With no --tables: what the release's pending dangerous migrations touch. */
async function tablesToBackUp(
  ctx: ServiceContext,
  db: MigrationsDb,
  release: string | undefined,
): Promise<{ tables: string[]; why: string }> {
  if (!release)
    throw new RipcordError(
      'invalid',
      '--release: the running release is unknown; name the release being deployed',
    );
  const { files } = await db.releaseFiles(release);
  const state = await db.state();
  const pending = files.filter((f) => !state.applied.some((a) => sameMigration(a.name, f.name)));
  const dangerous = pending.filter((f) => f.up.flatMap(classifySql).some(losesData));
  const touched = tablesTouched(dangerous, ['up']);
  const present = Object.keys(await describeTables(db.knex(), touched));
  return {
    tables: present,
    why: dangerous.length
      ? `pending dangerous migrations of ${release}: ${dangerous.map((f) => `${f.name} (${f.up.flatMap(classifySql).filter(losesData).map(describeEffect).join('; ')})`).join(', ')}`
      : `no pending migration of ${release} is dangerous`,
  };
}

const confirmText = (question: string): Promise<void> => confirmOrRefuse(question, 'go ahead');

function finish(
  g: GlobalOptions,
  plan: Plan,
  result: Awaited<ReturnType<typeof runPlan>>,
  text: () => string,
): void {
  const { error, ...rest } = result;
  emit(g, { ...rest, ...(error ? { error: error.message } : {}), plan }, text);
  if (result.status !== 'succeeded')
    process.exitCode = exitCodeFor(error ?? new RipcordError('failed', result.status));
}

/** Restore plan (plan-restore.ts): the lock, the tables back to the backup's rows, verified, the lock released. */
async function restorePlan(
  ctx: ServiceContext,
  db: MigrationsDb,
  dir: string,
  m: BackupManifest,
  only?: string[],
): Promise<Plan> {
  const tables = only ?? m.tables.map((t) => t.name);
  const k = db.knex();
  const settings = requireDatabase(ctx);
  const { snapshot } = await snapshotOrNote(ctx);
  return planDatabaseRestore({
    service: {
      name: ctx.service.name,
      namespace: ctx.service.kube.namespace,
      migrationsTable: settings.migrations.table,
      ...(ctx.service.healthUrl ? { healthUrl: ctx.service.healthUrl } : {}),
      healthTimeoutMs: ctx.service.health.timeoutMs,
      lockLeaseSeconds: ctx.service.lock.leaseSeconds,
    },
    backupDir: dir,
    manifest: m,
    ...(only ? { only } : {}),
    tables: await describeTables(k, tables),
    fkDependents: await fkDependents(k, tables),
    revision: revisionNow(snapshot),
    now: ctx.clock.now(),
    rtoTargetMs: ctx.service.rtoMs.database,
  });
}

/** Backup directories of every service with a database, for finding a backup by id. */
async function allBackupDirs(g: GlobalOptions): Promise<string[]> {
  const config = await loadCliConfig(g);
  return Object.values(config.services).flatMap((s) =>
    s.database ? [backupDirectory(s.database, config.baseDir)] : [],
  );
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description(summary('db'));

  db.command('status <service>')
    .description('applied migrations by batch and release, pending ones, missing files, the lock; read-only')
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const s = await dbStatus(ctx, contextDb(ctx));
          emit(g, s, () => statusText(s));
        });
      }),
    );

  db.command('backup <service>')
    .description("pg_dump the schema and the affected tables' data, with checksums, journaled")
    .option('--tables <names...>', 'tables to back up (default: what pending dangerous migrations touch)')
    .option(
      '--release <tag>',
      'the release about to be deployed (records which batch it will apply); default: the running one',
    )
    .action(
      action(async (name: string, o: { tables?: string[]; release?: string }, cmd: Command) => {
        const g = globalOptions(cmd);
        const tablesFlag = parseTables(o.tables);
        await withServiceContext(g, name, async (ctx) => {
          const settings = requireDatabase(ctx);
          const mdb = contextDb(ctx);
          const { snapshot } = await snapshotOrNote(ctx);
          const release = o.release ?? (snapshot ? releaseTag(revisionNow(snapshot).images[0]) : undefined);
          const chosen = tablesFlag
            ? { tables: tablesFlag, why: '--tables' }
            : await tablesToBackUp(ctx, mdb, release);
          if (chosen.tables.length === 0) {
            emit(
              g,
              { status: 'skipped', message: `nothing to back up: ${chosen.why}` },
              () => `nothing to back up: ${chosen.why}`,
            );
            return;
          }
          const id = newBackupId(ctx.clock.now());
          // Read-only for the database: no rollback lock (a pipeline's pre-deploy backup must not wait on one).
          const step = dbBackupStep(
            {
              service: ctx.service.name,
              migrationsTable: settings.migrations.table,
              directory: backupDirectory(settings, ctx.config.baseDir),
              tables: chosen.tables,
              ...(release ? { release } : {}),
              reason: chosen.why,
              id,
            },
            `Runbook 2, dangerous migrations: always have a backup before deploying (${chosen.why}).`,
          );
          const plan = dbPlan(ctx, snapshot, [step]);
          const result = await runPlan(ctx, plan, newRunId(ctx.clock.now()), false);
          const ev = result.steps[0]?.evidence as
            { dir?: string; tables?: Array<{ name: string; rows: number }> } | undefined;
          finish(g, plan, result, () =>
            result.status === 'succeeded'
              ? `backup ${id} of ${chosen.tables.join(', ')} (${ev?.tables?.map((t) => `${t.name}: ${t.rows} rows`).join(', ')})\n  ${ev?.dir}\n  run ${result.runId}`
              : `backup failed: ${result.error?.message ?? result.status}`,
          );
        });
      }),
    );

  db.command('restore <backup>')
    .description('restore the tables of a backup (a directory or an id), with a plan and confirmation')
    .option('--tables <names...>', 'only these tables of the backup')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan and change nothing')
    .action(
      action(async (ref: string, o: { tables?: string[]; yes?: boolean; dryRun?: boolean }, cmd: Command) => {
        const g = globalOptions(cmd);
        const only = parseTables(o.tables);
        const dir = findBackup(ref, await allBackupDirs(g));
        const manifest = readBackup(dir);
        await withServiceContext(g, manifest.service, async (ctx) => {
          const plan = await restorePlan(ctx, contextDb(ctx), dir, manifest, only);
          if (o.dryRun) {
            emit(g, { dryRun: true, plan }, () => `${planText(plan)}\n\ndry run: nothing was changed`);
            return;
          }
          if (!o.yes) {
            progress(planText(plan));
            await confirmText(
              `Restore ${manifest.tables.map((t) => t.name).join(', ')} of ${manifest.service} from ${manifest.id}?`,
            );
          }
          const result = await runPlan(ctx, plan, newRunId(ctx.clock.now()), false);
          finish(g, plan, result, () =>
            result.status === 'succeeded'
              ? `restored from ${manifest.id}; checksums match the backup (run ${result.runId})`
              : `restore failed: ${result.error?.message ?? result.status} (run ${result.runId})`,
          );
        });
      }),
    );
}
