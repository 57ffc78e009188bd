import { createDbHandlers } from './handlers.js';
import { planServiceOf } from '../plan-service.js';
import { describeTables, fkDependents } from '../../adapters/postgres-migrations/inspect.js';
import { listBackups } from '../../adapters/postgres-migrations/backup.js';
import type { MigrationsDb } from '../../adapters/postgres-migrations/migrations-db.js';
import { backupDirectory, type CompiledDatabase } from '../../config/compile-database.js';
import { sectionOf } from '../../config/sections.js';
import { rtoTargetMs } from '../../config/services.js';
import { rolloutHistory, revisionRef } from '../../core/app-rollback/history.js';
import { planAppRollback } from '../app/plan.js';
import { attributeBatches, releasesFromHistory, releaseTag } from '../../core/db-rollback/attribution.js';
import type { BackupSummary, BatchAttribution, ReleaseRevision } from '../../core/db-rollback/model.js';
import {
  planDatabaseRollback,
  selectionFor,
  tablesTouched,
  type DbRollbackFlags,
  type DbRollbackService,
} from './plan.js';
import { sameMigration } from '../../core/db-rollback/selection.js';
import { RipcordError } from '../../core/errors.js';
import type { Plan } from '../../core/plan.js';
import type { DeploymentSnapshot } from '../../core/ports.js';
import type { OptionValues, ScenarioContext, ScenarioModule } from '../types.js';
import type { databaseOptions } from './entry.js';
import { setTemplateHandlers } from '../app/handlers.js';

/** The service's database settings, or 'invalid' naming the missing key. */
export function requireDatabase(ctx: ScenarioContext): CompiledDatabase {
  const db = sectionOf(ctx.service, 'database');
  if (!db) {
    throw new RipcordError(
      'invalid',
      `services.${ctx.service.name}.database: not configured (url and migrations are needed for a database rollback)`,
    );
  }
  return db;
}

/** Opens the database lazily and closes it with the context. */
export function contextDb(ctx: ScenarioContext): MigrationsDb {
  return ctx.ports.database(requireDatabase(ctx));
}

/** The Deployment's releases (image tags per revision) and the running one. */
export function releasesOf(snapshot: DeploymentSnapshot): { releases: ReleaseRevision[]; current?: string } {
  const history = rolloutHistory(snapshot);
  const current = history.find((h) => h.current);
  const tag = releaseTag(current?.images[0] ?? snapshot.deployment.spec?.template.spec?.containers[0]?.image);
  return { releases: releasesFromHistory(history), ...(tag ? { current: tag } : {}) };
}

/** Attribution of every knex batch to a release: recorded (pre-deploy backups) else inferred. */
export async function observeAttribution(
  ctx: ScenarioContext,
  db: MigrationsDb,
  snapshot: DeploymentSnapshot,
): Promise<{
  state: Awaited<ReturnType<MigrationsDb['state']>>;
  attribution: BatchAttribution[];
  backups: ReturnType<typeof listBackups>;
  current?: string;
}> {
  const state = await db.state();
  const backups = listBackups(backupDirectory(requireDatabase(ctx), ctx.config.baseDir), ctx.service.name);
  const { releases, current } = releasesOf(snapshot);
  return {
    state,
    backups,
    attribution: attributeBatches(state.applied, releases, backups),
    ...(current ? { current } : {}),
  };
}

/** The app part; a Deployment without a previous revision yields a plan with no app steps, and says why. */
function appPart(ctx: ScenarioContext, snapshot: DeploymentSnapshot): Plan {
  const { service } = ctx;
  try {
    return planAppRollback(planServiceOf(service), snapshot, {
      rtoTargetMs: rtoTargetMs(service, 'app'),
      now: ctx.clock.now(),
    });
  } catch (err) {
    if (!(err instanceof RipcordError) || err.kind !== 'invalid') throw err;
    const cur = rolloutHistory(snapshot).find((h) => h.current);
    const ref = cur ? revisionRef(cur) : { revision: 0, images: [] };
    return {
      service: service.name,
      scenario: 'app',
      namespace: service.kube.namespace,
      createdAt: ctx.clock.now().toISOString(),
      from: ref,
      to: ref,
      changes: [],
      steps: [],
      rtoTargetMs: rtoTargetMs(service, 'app'),
      warnings: [],
      noop: err.message,
    };
  }
}

/** Runbook section 2: migration down() + app rollback, in the order that harms least. */
export const databaseScenario: ScenarioModule = {
  name: 'database',
  async plan(ctx, options) {
    const flags = options as OptionValues<typeof databaseOptions>;
    const settings = requireDatabase(ctx);
    const { service } = ctx;
    const snapshot = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
    const db = contextDb(ctx);
    const { state, attribution, backups, current } = await observeAttribution(ctx, db, snapshot);
    if (!current)
      throw new RipcordError(
        'invalid',
        `cannot tell the running release of deployment/${service.deployment}`,
      );
    const dbFlags = {
      ...(flags.all ? { all: true } : {}),
      ...(flags.to !== undefined ? { to: flags.to } : {}),
      ...(flags.freeze ? { freeze: true } : {}),
      ...(flags.forceUnlock ? { forceUnlock: true } : {}),
    };
    return planFromDatabase({
      db,
      settings,
      service: {
        name: service.name,
        namespace: service.kube.namespace,
        migrationsTable: settings.migrations.table,
        backupDir: backupDirectory(settings, ctx.config.baseDir),
        ...(service.contacts.dba ? { dbaContact: service.contacts.dba } : {}),
        ...(service.healthUrl ? { healthUrl: service.healthUrl } : {}),
        healthTimeoutMs: service.health.timeoutMs,
        lockLeaseSeconds: service.lock.leaseSeconds,
      },
      release: current,
      state,
      attribution,
      backups,
      appPlan: appPart(ctx, snapshot),
      flags: dbFlags,
      now: ctx.clock.now(),
      rtoTargetMs: rtoTargetMs(service, 'database'),
    });
  },
  // A database plan ends with the app rollback's steps.
  handlers: (ctx) => ({
    ...setTemplateHandlers(ctx.kube),
    ...createDbHandlers({
      service: ctx.service.name,
      database: () => sectionOf(ctx.service, 'database'),
      connect: (settings) => ctx.ports.database(settings),
      journal: ctx.journal,
      probe: ctx.probe,
      onClose: (fn) => ctx.onClose(fn),
    }),
  }),
};

/** Everything the planner needs that comes from the database, then the plan (shared by the CLI and tests). */
export async function planFromDatabase(input: {
  db: MigrationsDb;
  settings: CompiledDatabase;
  service: DbRollbackService;
  release: string;
  state: Awaited<ReturnType<MigrationsDb['state']>>;
  attribution: BatchAttribution[];
  backups: BackupSummary[];
  appPlan: Plan;
  flags: DbRollbackFlags;
  now: Date;
  rtoTargetMs: number;
}): Promise<Plan> {
  const { db, state } = input;
  const selection = selectionFor({
    applied: state.applied,
    flags: input.flags,
    attribution: input.attribution,
    release: input.release,
  });
  const { files } = await db.releaseFiles(input.release);
  const selected = files.filter((f) => selection.migrations.some((m) => sameMigration(m.name, f.name)));
  const pending = files.filter((f) => !state.applied.some((a) => sameMigration(a.name, f.name)));
  const affected = [...new Set([...tablesTouched(selected), ...tablesTouched(pending, ['up'])])];
  const k = db.knex();
  const tables = await describeTables(k, affected);
  const dependents = await fkDependents(k, affected);
  return planDatabaseRollback({
    service: input.service,
    release: input.release,
    applied: state.applied,
    lock: state.lock,
    files,
    tables,
    fkDependents: dependents,
    backups: input.backups,
    attribution: input.attribution,
    appPlan: input.appPlan,
    flags: input.flags,
    now: input.now,
    rtoTargetMs: input.rtoTargetMs,
  });
}
