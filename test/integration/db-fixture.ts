/**
 * A private PostgreSQL for one test file, fresh databases in it, migration files written per test, knex's own
 * migrator to apply them (as a service would), and Ripcord's planner + executor to roll them back.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { listBackups } from '../../src/adapters/postgres-migrations/backup.js';
import { createDbHandlers } from '../../src/scenarios/database/handlers.js';
import { openMigrationsDb, type MigrationsDb } from '../../src/adapters/postgres-migrations/migrations-db.js';
import { planFromDatabase } from '../../src/scenarios/database/scenario.js';
import { compileDatabase, type CompiledDatabase } from '../../src/config/compile-database.js';
import { APP_STEP_KINDS } from '../../src/scenarios/app/plan.js';
import { attributeBatches } from '../../src/core/db-rollback/attribution.js';
import type { DbRollbackFlags } from '../../src/scenarios/database/plan.js';
import { executePlan, type ExecuteResult } from '../../src/core/executor.js';
import type { Plan } from '../../src/core/plan.js';
import { createDatabase, startPostgres } from '../../src/sandbox/postgres.js';
import { stopProcessGroup } from '../../src/sandbox/process.js';
import { createMemoryJournal, type MemoryJournal } from '../support/memory-journal.js';

export interface PgServer {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startPg(prefix: string): Promise<PgServer> {
  const dir = mkdtempSync(join(tmpdir(), `ripcord-${prefix}-`));
  const started = await startPostgres({
    dataDir: join(dir, 'data'),
    socketDir: join(dir, 'run'),
    logFile: join(dir, 'postgres.log'),
  });
  return {
    url: started.url,
    dir,
    stop: async () => {
      await stopProcessGroup(started.pid, 10_000, 'SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One database with its own migrations directory and backups directory. */
export interface DbCase {
  url: string;
  knex: Knex;
  migrations: string;
  backups: string;
  settings: CompiledDatabase;
  /** Writes migration `name` (an .mjs file) with these bodies. */
  write(name: string, body: string): void;
  /** knex migrate.latest, as the service does at start: one new batch. */
  migrate(): Promise<string[]>;
  plan(flags?: DbRollbackFlags, release?: string): Promise<Plan>;
  run(plan: Plan, opts?: { resume?: boolean; runId?: string; signal?: AbortSignal }): Promise<ExecuteResult>;
  journal: MemoryJournal;
  /** The per-service lock as the plan used it: who holds it now, and every take/release in order. */
  lease: LeaseDouble;
  columns(table: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The rollback Lease without Kubernetes (these tests have no apiserver; the Lease itself is tested on a real one
 * in test/e2e/k8s-lease-lock.test.ts): held by one run at a time, refused to another, as the real handler does.
 */
export interface LeaseDouble {
  holder: string | undefined;
  events: string[];
}

function leaseHandlers(lease: LeaseDouble) {
  return {
    [APP_STEP_KINDS.acquireLock]: {
      apply: async (_step: unknown, ctx: { runId: string }) => {
        if (lease.holder && lease.holder !== ctx.runId) throw new Error(`lock held by ${lease.holder}`);
        lease.holder = ctx.runId;
        lease.events.push(`acquire ${ctx.runId}`);
        return { holder: ctx.runId };
      },
      check: async (_step: unknown, ctx: { runId: string }) => lease.holder === ctx.runId,
    },
    [APP_STEP_KINDS.releaseLock]: {
      apply: async (_step: unknown, ctx: { runId: string }) => {
        if (lease.holder === ctx.runId) lease.holder = undefined;
        lease.events.push(`release ${ctx.runId}`);
        return { released: true };
      },
      check: async (_step: unknown, ctx: { runId: string }) => lease.holder !== ctx.runId,
    },
  };
}

export interface DbCaseOptions {
  /** database.lockTimeout / database.statementTimeout as written in ripcord.yaml. */
  lockTimeout?: string;
  statementTimeout?: string;
}

export async function dbCase(server: PgServer, label: string, opts: DbCaseOptions = {}): Promise<DbCase> {
  const name = `${label}_${randomBytes(3).toString('hex')}`;
  const url = await createDatabase(server.url, name);
  const root = join(server.dir, name);
  const migrations = join(root, 'migrations');
  const backups = join(root, 'backups');
  mkdirSync(migrations, { recursive: true });
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 3 } });
  const settings = compileDatabase(
    {
      url,
      migrations: { directory: migrations },
      backups: { directory: backups },
      ...(opts.lockTimeout ? { lockTimeout: opts.lockTimeout } : {}),
      ...(opts.statementTimeout ? { statementTimeout: opts.statementTimeout } : {}),
    },
    root,
  );
  const lease: LeaseDouble = { holder: undefined, events: [] };
  const journal = createMemoryJournal();
  const opened: MigrationsDb[] = [];
  const closers: (() => Promise<void>)[] = [];
  const c: DbCase = {
    url,
    knex,
    migrations,
    backups,
    settings,
    journal,
    lease,
    write(file, body) {
      writeFileSync(join(migrations, `${file}.mjs`), body);
    },
    async migrate() {
      const [, applied] = (await knex.migrate.latest({
        directory: migrations,
        loadExtensions: ['.mjs'],
      })) as [number, string[]];
      return applied;
    },
    async plan(flags = {}, release = 'v2') {
      const db = openMigrationsDb(settings);
      opened.push(db);
      const state = await db.state();
      const backups = listBackups(settings.backups?.directory ?? '', 'svc');
      const now = new Date();
      const empty = { revision: 1, images: [`svc:${release}`] };
      return planFromDatabase({
        db,
        settings,
        service: {
          name: 'svc',
          namespace: 'test',
          migrationsTable: 'knex_migrations',
          backupDir: settings.backups?.directory ?? '',
          dbaContact: '@dba',
          healthTimeoutMs: 1000,
        },
        release,
        state,
        attribution: attributeBatches(state.applied, [], backups),
        backups,
        appPlan: {
          service: 'svc',
          scenario: 'app',
          namespace: 'test',
          createdAt: now.toISOString(),
          from: empty,
          to: empty,
          changes: [],
          steps: [],
          rtoTargetMs: 60_000,
          warnings: [],
          noop: 'no Deployment in this test',
        },
        flags,
        now,
        rtoTargetMs: 1_800_000,
      });
    },
    async run(plan, opts = {}) {
      const handlers = {
        ...createDbHandlers({
          service: 'svc',
          database: settings,
          journal,
          probe: { get: async () => ({ status: 200, body: '{"db":"ok"}', ms: 1 }) },
          onClose: (fn) => void closers.push(fn),
        }),
        'notify.message': { apply: async () => ({ delivered: ['test'] }), check: async () => false },
        ...leaseHandlers(lease),
      };
      return executePlan({
        plan,
        runId: opts.runId ?? `r-${randomBytes(3).toString('hex')}`,
        journal,
        handlers,
        clock: { now: () => new Date() },
        ...(opts.resume ? { resume: true } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    },
    async columns(table) {
      const r = (await knex.raw(
        'select column_name from information_schema.columns where table_name = ? and table_schema = current_schema() order by ordinal_position',
        [table],
      )) as { rows: { column_name: string }[] };
      return r.rows.map((x) => x.column_name);
    },
    async close() {
      for (const d of opened) await d.close();
      for (const fn of closers) await fn();
      await knex.destroy();
    },
  };
  return c;
}

/** A ripcord.yaml for the CLI whose Kubernetes API refuses connections at once (db status/backup need none). */
export function cliConfigFor(url: string, migrations: string, backups: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-dbcfg-'));
  writeFileSync(
    join(dir, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: none, cluster: { server: "https://127.0.0.1:1" } }]',
      'users: [{ name: none, user: { token: x } }]',
      'contexts: [{ name: none, context: { cluster: none, user: none } }]',
      'current-context: none',
    ].join('\n'),
  );
  const file = join(dir, 'ripcord.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'journal: { driver: sqlite, path: journal.db }',
      'services:',
      '  svc:',
      `    kube: { namespace: test, kubeconfig: ${join(dir, 'kubeconfig')} }`,
      '    database:',
      `      url: ${url}`,
      `      migrations: { directory: ${migrations} }`,
      `      backups: { directory: ${backups} }`,
      '',
    ].join('\n'),
  );
  return file;
}
