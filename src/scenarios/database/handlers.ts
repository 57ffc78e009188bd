/**
 * Executor handlers for the database plan's `db.*` step kinds. Each sets a desired state and can observe it
 * (check) for crash-resume. The database URL comes from the service's config, never from the journal.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledDatabase } from '../../config/compile-database.js';
import { sameMigration } from '../../core/db-rollback/selection.js';
import {
  BackupDesired,
  ChecklistDesired,
  ChecklistEvidence,
  DB_STEP_KINDS,
  DownDesired,
  FreeLockDesired,
  RestoreRowsDesired,
  RestoreTablesDesired,
  VerifyDbDesired,
} from './steps.js';
import { RipcordError } from '../../core/errors.js';
import {
  StepFailedError,
  type StepContext,
  type StepHandler,
  type StepHandlers,
} from '../../core/executor.js';
import type { Journal } from '../../core/journal.js';
import type { PlanStep } from '../../core/plan.js';
import type { ProbePort } from '../../core/ports.js';
import type * as z from 'zod';
import {
  readBackup,
  restoreRows,
  restoreTables,
  tablesDiffering,
  takeBackup,
} from '../../adapters/postgres-migrations/backup.js';
import { dbError } from '../../adapters/postgres-migrations/errors.js';
import {
  describeTables,
  existingIndexes,
  migratorSessions,
  readMigrationState,
  tableChecksum,
} from '../../adapters/postgres-migrations/inspect.js';
import {
  forceFreeMigrationsLock,
  isLocked,
  migrateDown,
  recordedName,
} from '../../adapters/postgres-migrations/migrate-down.js';
import { openMigrationsDb, type MigrationsDb } from '../../adapters/postgres-migrations/migrations-db.js';

export interface DbHandlerDeps {
  service: string;
  /** The settings, or how to get them when a step first needs the database (the section compiles lazily). */
  database: CompiledDatabase | undefined | (() => CompiledDatabase | undefined);
  /** Opens the database; the ports' (which close it with the context) when given, else one closed by onClose. */
  connect?: (settings: CompiledDatabase) => MigrationsDb;
  journal: Journal;
  probe: ProbePort;
  onClose(fn: () => Promise<void>): void;
}

function parse<T extends z.ZodType>(schema: T, step: PlanStep): z.infer<T> {
  const r = schema.safeParse(step.desired);
  if (!r.success) throw new RipcordError('invalid', `step ${step.id}: bad desired state: ${r.error.message}`);
  return r.data;
}

/** One verification item, with what was expected and observed. */
export interface DbCheckItem {
  check: string;
  ok: boolean;
  expected: string;
  observed: string;
}

export function createDbHandlers(deps: DbHandlerDeps): StepHandlers {
  let db: MigrationsDb | undefined;
  const open = (service: string): MigrationsDb => {
    if (service !== deps.service)
      throw new RipcordError('invalid', `step is for service ${service}, not ${deps.service}`);
    if (db) return db;
    const settings = typeof deps.database === 'function' ? deps.database() : deps.database;
    if (!settings) throw new RipcordError('invalid', `services.${deps.service}.database is not configured`);
    if (deps.connect) db = deps.connect(settings);
    else {
      const opened = openMigrationsDb(settings);
      deps.onClose(() => opened.close());
      db = opened;
    }
    return db;
  };

  const verify = async (step: PlanStep, ctx: StepContext): Promise<DbCheckItem[]> => {
    const d = parse(VerifyDbDesired, step);
    const m = open(d.service);
    const k = m.knex();
    const items: DbCheckItem[] = [];
    const info = await describeTables(
      k,
      d.tables.map((t) => t.table),
    );
    for (const t of d.tables) {
      const cur = info[t.table];
      const cols = new Set(cur?.columns.map((c) => c.name) ?? []);
      if (!t.exists) {
        items.push({
          check: `table ${t.table}`,
          ok: !cur,
          expected: 'absent',
          observed: cur ? 'exists' : 'absent',
        });
        continue;
      }
      const missing = t.columnsPresent.filter((c) => !cols.has(c));
      const extra = t.columnsAbsent.filter((c) => cols.has(c));
      items.push({
        check: `table ${t.table}`,
        ok: cur !== undefined && missing.length === 0 && extra.length === 0,
        expected: `columns ${t.columnsPresent.join(', ')}${t.columnsAbsent.length ? `; not ${t.columnsAbsent.join(', ')}` : ''}`,
        observed: cur ? `columns ${[...cols].join(', ')}` : 'absent',
      });
    }
    const idx = await existingIndexes(k, [...d.indexesPresent, ...d.indexesAbsent]);
    for (const i of d.indexesAbsent) {
      items.push({
        check: `index ${i}`,
        ok: !idx.includes(i),
        expected: 'absent',
        observed: idx.includes(i) ? 'exists' : 'absent',
      });
    }
    for (const i of d.indexesPresent) {
      items.push({
        check: `index ${i}`,
        ok: idx.includes(i),
        expected: 'exists',
        observed: idx.includes(i) ? 'exists' : 'absent',
      });
    }
    for (const name of d.migrationsAbsent) {
      const rec = await recordedName(k, d.migrationsTable, name);
      items.push({
        check: `migration ${name}`,
        ok: !rec,
        expected: `not in ${d.migrationsTable}`,
        observed: rec ? 'recorded' : 'not recorded',
      });
    }
    const baseline = d.expectedRows ?? (await baselineOf(deps.journal, ctx.runId, d.baselineStep));
    for (const [table, how] of Object.entries(d.counts)) {
      const after = (await tableChecksum(k, table))?.rows ?? null;
      const before = baseline[table] ?? null;
      const diff = before !== null && after !== null ? after - before : undefined;
      let ok: boolean;
      if (how === 'absent') ok = after === null;
      else if (how === 'same') ok = before === null || after === before;
      else if (how === 'may-increase') ok = after !== null && (before === null || after >= before);
      else ok = after !== null;
      items.push({
        check: `rows of ${table}`,
        ok,
        expected:
          how === 'same' ? `${before ?? 'unknown'} (unchanged)` : `${how} (baseline ${before ?? 'none'})`,
        observed:
          after === null ? 'table absent' : `${after}${diff ? ` (${diff > 0 ? '+' : ''}${diff})` : ''}`,
      });
    }
    if (d.healthUrl) items.push(await healthItem(deps.probe, d.healthUrl, d.healthTimeoutMs));
    return items;
  };

  return sanitized({
    [DB_STEP_KINDS.checklist]: {
      async apply(step) {
        const d = parse(ChecklistDesired, step);
        const m = open(d.service);
        const state = await readMigrationState(m.knex(), d.migrationsTable, m.advisoryLock);
        if (state.lock.migratorRunning) {
          throw new RipcordError('refused', `a migrator is running: ${state.lock.evidence.join('; ')}`);
        }
        if (state.lock.isLocked && !d.expectStaleLock) {
          throw new RipcordError(
            'refused',
            `${d.migrationsTable}_lock became locked after planning; plan again`,
          );
        }
        const baseline: Record<string, number | null> = {};
        for (const t of d.tables) baseline[t] = (await tableChecksum(m.knex(), t))?.rows ?? null;
        return {
          baseline,
          order: d.order,
          reason: d.reason,
          applied: state.applied
            .filter((a) => d.migrations.some((n) => sameMigration(n, a.name)))
            .map((a) => a.name),
        };
      },
      // Read-only: if it was in flight when the process died, take the baseline again (nothing changed yet).
      check: async () => false,
    },
    [DB_STEP_KINDS.freeLock]: {
      async apply(step) {
        const d = parse(FreeLockDesired, step);
        const m = open(d.service);
        const running = await migratorSessions(m.knex(), d.migrationsTable, m.advisoryLock);
        if (running.length > 0)
          throw new RipcordError(
            'refused',
            `not freeing the lock: a migrator is running (${running.join('; ')})`,
          );
        const was = await isLocked(m.knex(), d.migrationsTable);
        await forceFreeMigrationsLock(m.knex(), d.migrationsTable);
        return { wasLocked: was, isLocked: false };
      },
      async check(step) {
        const d = parse(FreeLockDesired, step);
        return !(await isLocked(open(d.service).knex(), d.migrationsTable));
      },
    },
    [DB_STEP_KINDS.backup]: {
      async apply(step, ctx) {
        const d = parse(BackupDesired, step);
        const m = open(d.service);
        ctx.progress(`pg_dump ${d.tables.join(', ')}`);
        const manifest = await takeBackup(m.knex(), m.url, {
          directory: d.directory,
          id: d.id ?? `${ctx.runId}-backup`,
          service: d.service,
          tables: d.tables,
          ...(d.release ? { release: d.release } : {}),
          reason: d.reason,
          migrationsTable: d.migrationsTable,
          timeouts: m.timeouts,
          signal: ctx.signal,
        });
        return {
          backupId: manifest.id,
          dir: join(d.directory, manifest.id),
          maxBatch: manifest.maxBatch,
          tables: manifest.tables.map((t) => ({ name: t.name, rows: t.rows, checksum: t.checksum })),
          files: manifest.files,
        };
      },
      async check(step, ctx) {
        const d = parse(BackupDesired, step);
        const dir = join(d.directory, d.id ?? `${ctx.runId}-backup`);
        if (!existsSync(join(dir, 'manifest.json'))) return false;
        readBackup(dir);
        return true;
      },
    },
    [DB_STEP_KINDS.down]: {
      async apply(step, ctx) {
        const d = parse(DownDesired, step);
        const m = open(d.service);
        const { files, loaded } = await m.releaseFiles(d.release);
        const found = loaded.migrations.find((x) => sameMigration(x.name, d.name));
        const info = files.find((x) => sameMigration(x.name, d.name));
        if (!found)
          throw new RipcordError(
            'refused',
            `${d.release}'s migration files (${loaded.source}) have no ${d.name}`,
          );
        ctx.progress(`down() of ${d.name}`);
        const res = await migrateDown(
          m.knex(),
          d.migrationsTable,
          d.name,
          found.module,
          d.transaction,
          m.timeouts,
          { signal: ctx.signal, cancelRunning: () => m.cancelRunning() },
        );
        return { ...res, file: found.file, sql: info?.down ?? [] };
      },
      async check(step) {
        const d = parse(DownDesired, step);
        return (await recordedName(open(d.service).knex(), d.migrationsTable, d.name)) === undefined;
      },
    },
    [DB_STEP_KINDS.restoreRows]: {
      async apply(step, ctx) {
        const d = parse(RestoreRowsDesired, step);
        const m = open(d.service);
        ctx.progress(`restoring rows from backup ${d.backupId}`);
        return {
          backupId: d.backupId,
          ...(await restoreRows(m.knex(), m.url, d.backupDir, d.tables, m.timeouts, ctx.signal)),
        };
      },
      // Merging by primary key is idempotent (updates to equal values are skipped, present rows not inserted),
      // so a step in flight at a crash is simply applied again.
      check: async () => false,
    },
    [DB_STEP_KINDS.restoreTables]: {
      async apply(step, ctx) {
        const d = parse(RestoreTablesDesired, step);
        const m = open(d.service);
        ctx.progress(`restoring ${d.tables.join(', ')} from backup ${d.backupId}`);
        const res = await restoreTables(m.knex(), m.url, d.backupDir, d.tables, m.timeouts, ctx.signal);
        const differing = await tablesDiffering(m.knex(), readBackup(d.backupDir), d.tables);
        if (differing.length) {
          throw new StepFailedError(`after restore, ${differing.join(', ')} still differ from the backup`, {
            differing,
          });
        }
        return { ...res, checksumsMatch: true };
      },
      async check(step) {
        const d = parse(RestoreTablesDesired, step);
        const m = open(d.service);
        return (await tablesDiffering(m.knex(), readBackup(d.backupDir), d.tables)).length === 0;
      },
    },
    [DB_STEP_KINDS.verify]: {
      async apply(step, ctx) {
        const items = await verify(step, ctx);
        const failed = items.filter((i) => !i.ok);
        if (failed.length) {
          throw new StepFailedError(
            `database verification failed: ${failed.map((f) => `${f.check}: expected ${f.expected}, observed ${f.observed}`).join('; ')}`,
            { items },
          );
        }
        return { items };
      },
      async check(step, ctx) {
        try {
          return (await verify(step, ctx)).every((i) => i.ok);
        } catch {
          return false;
        }
      },
    },
  });
}

/**
 * The edge where database errors become step failures: anything a handler lets through that is not already a
 * RipcordError (a knex/pg error from an inspection query, say) is mapped by dbError, which sanitizes its text,
 * so no row value or SQL literal reaches the journal, `-o json` or a notification.
 */
function sanitized(handlers: StepHandlers): StepHandlers {
  const out: Record<string, StepHandler> = {};
  for (const [kind, h] of Object.entries(handlers)) {
    out[kind] = {
      apply: (step, ctx) => h.apply(step, ctx).catch((err: unknown) => Promise.reject(dbError(err, step.id))),
      check: (step, ctx) => h.check(step, ctx).catch((err: unknown) => Promise.reject(dbError(err, step.id))),
    };
  }
  return out;
}

async function baselineOf(
  journal: Journal,
  runId: string,
  stepId: string,
): Promise<Record<string, number | null>> {
  const run = await journal.getRun(runId);
  const rec = run?.steps.find((s) => s.stepId === stepId && s.status === 'done');
  const parsed = ChecklistEvidence.safeParse(rec?.evidence);
  return parsed.success ? parsed.data.baseline : {};
}

/** Health 200, and when the body reports the database (`db`/`database`), it must say ok. */
async function healthItem(probe: ProbePort, url: string, timeoutMs: number): Promise<DbCheckItem> {
  try {
    const r = await probe.get(url, { timeoutMs });
    let dbField: unknown;
    try {
      const body = JSON.parse(r.body) as Record<string, unknown>;
      dbField = body.db ?? body.database;
    } catch {
      dbField = undefined;
    }
    const dbOk =
      dbField === undefined ||
      dbField === true ||
      (typeof dbField === 'string' && /^(ok|up|healthy|connected)$/i.test(dbField));
    return {
      check: 'health reports the database',
      ok: r.status === 200 && dbOk,
      expected: '200 with db ok',
      observed: `${r.status}${dbField !== undefined ? ` db=${String(dbField)}` : ' (no db field)'}`,
    };
  } catch (err) {
    return {
      check: 'health reports the database',
      ok: false,
      expected: '200 with db ok',
      observed: (err as Error).message,
    };
  }
}
