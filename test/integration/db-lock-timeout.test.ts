import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBackup, takeBackup } from '../../src/adapters/postgres-migrations/backup.js';
import { describeTables, tableChecksum } from '../../src/adapters/postgres-migrations/inspect.js';
import { planDatabaseRestore } from '../../src/scenarios/database/plan-restore.js';
import { dbCase, startPg, type DbCase, type PgServer } from './db-fixture.js';

// A down() behind another session's lock, on a real PostgreSQL 15: it must give up after database.lockTimeout
// with a message that says so, leave knex_migrations_lock free and the migration still recorded, and the same run
// must finish on resume once the blocker is gone. Without a lock_timeout the run waits forever (the test times out).
let pg_: PgServer;
beforeAll(async () => {
  pg_ = await startPg('db-lock-timeout');
});
afterAll(async () => pg_?.stop());

const CREATE_VENUES = `
export async function up(knex) {
  await knex.schema.createTable('venues', (t) => { t.increments('id'); t.text('name').notNullable(); });
}
export async function down(knex) { await knex.schema.dropTable('venues'); }
`;

async function seeded(label: string, secondMigration: string): Promise<DbCase> {
  const c = await dbCase(pg_, label, { lockTimeout: '1s' });
  c.write('001_create_venues', CREATE_VENUES);
  await c.migrate();
  await c.knex('venues').insert([{ name: 'Arena' }, { name: 'Hall' }]);
  c.write('002_add_note', secondMigration);
  await c.migrate();
  return c;
}

/**
 * A session that updates a row (or takes `lock`) and then sits idle in its transaction, holding the table's
 * ROW EXCLUSIVE (or that) lock.
 */
async function idleInTransactionBlocker(
  url: string,
  lock?: string,
): Promise<{ pid: number; release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, application_name: 'blocker' });
  await client.connect();
  await client.query('begin');
  await client.query(lock ?? "update venues set name = name where name = 'Arena'");
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  const pid = rows[0]?.pid ?? 0;
  return {
    pid,
    release: async () => {
      await client.query('rollback');
      await client.end();
    },
  };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  deadlineMs = 60_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function lockRow(c: DbCase): Promise<number[]> {
  return ((await c.knex('knex_migrations_lock').select('is_locked')) as { is_locked: number }[]).map((r) =>
    Number(r.is_locked),
  );
}

async function recorded(c: DbCase): Promise<string[]> {
  return ((await c.knex('knex_migrations').orderBy('id').select('name')) as { name: string }[]).map(
    (r) => r.name,
  );
}

describe('down() behind an idle-in-transaction session (lock_timeout)', () => {
  it('fails after lockTimeout naming the migration and the blocker, frees knex_migrations_lock, and resumes once the blocker is gone', async () => {
    const c = await seeded(
      'tx',
      `export async function up(knex) { await knex.schema.alterTable('venues', (t) => { t.integer('capacity'); }); }
       export async function down(knex) { await knex.schema.alterTable('venues', (t) => { t.dropColumn('capacity'); }); }`,
    );
    const plan = await c.plan();
    const blocker = await idleInTransactionBlocker(c.url);
    await waitFor('the blocker to be idle in transaction', async () => {
      const r = await c.knex.raw('select state from pg_stat_activity where pid = ?', [blocker.pid]);
      return (r.rows as { state: string }[])[0]?.state === 'idle in transaction' ? true : undefined;
    });

    const runId = 'r-lock-timeout';
    const failed = await c.run(plan, { runId });
    expect(failed.status).toBe('failed');
    const message = failed.error?.message ?? '';
    expect(message).toMatch(/down\(\) of 002_add_note\.mjs timed out waiting for a lock after 1\.0s/);
    expect(message).toMatch(/lock_timeout, SQLSTATE 55P03 lock_not_available/);
    expect(message).toContain(`pid ${blocker.pid} (blocker) idle in transaction`);
    expect(message).toMatch(/nothing of it is applied; knex_migrations_lock was freed/);
    expect(failed.error).toMatchObject({ kind: 'failed', retryable: true });
    // The journal has the same clear failure, on the down step.
    const run = await c.journal.getRun(runId);
    const rec = run?.steps.find((s) => s.stepId === 'db-down-002_add_note.mjs');
    expect(rec?.status).toBe('failed');
    expect(JSON.stringify(rec)).toMatch(/timed out waiting for a lock/);
    // Nothing applied, knex's lock free, the migration still recorded.
    expect(await lockRow(c)).toEqual([0]);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs', '002_add_note.mjs']);
    expect(await c.columns('venues')).toEqual(['id', 'name', 'capacity']);

    await blocker.release();
    const resumed = await c.run(plan, { runId, resume: true });
    expect(resumed.status, resumed.error?.message).toBe('succeeded');
    expect(await c.columns('venues')).toEqual(['id', 'name']);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs']);
    expect(await c.knex('venues').orderBy('id').pluck('name')).toEqual(['Arena', 'Hall']);
    expect(await lockRow(c)).toEqual([0]);
    expect(c.lease.holder).toBeUndefined();
    await c.close();
  });

  it('a transaction: false down() is bounded too (the session carries lock_timeout)', async () => {
    const c = await seeded(
      'notx',
      `export const config = { transaction: false };
       export async function up(knex) { await knex.schema.alterTable('venues', (t) => { t.integer('capacity'); }); }
       export async function down(knex) { await knex.schema.alterTable('venues', (t) => { t.dropColumn('capacity'); }); }`,
    );
    const plan = await c.plan();
    const blocker = await idleInTransactionBlocker(c.url);
    const runId = 'r-notx';
    const failed = await c.run(plan, { runId });
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/down\(\) of 002_add_note\.mjs timed out waiting for a lock/);
    expect(failed.error?.message).toMatch(/transaction: false\), so it may be half-applied/);
    expect(await lockRow(c)).toEqual([0]);
    expect(await recorded(c)).toContain('002_add_note.mjs');
    await blocker.release();
    const resumed = await c.run(plan, { runId, resume: true });
    expect(resumed.status, resumed.error?.message).toBe('succeeded');
    expect(await c.columns('venues')).toEqual(['id', 'name']);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs']);
    await c.close();
  });

  it('a down() statement running past statementTimeout is canceled (57014), the lock freed, the migration kept', async () => {
    const c = await dbCase(pg_, 'stmt', { statementTimeout: '300ms' });
    c.write('001_create_venues', CREATE_VENUES);
    await c.migrate();
    c.write(
      '002_slow',
      `export async function up(knex) { await knex.schema.alterTable('venues', (t) => { t.integer('capacity'); }); }
       export async function down(knex) { await knex.raw('select pg_sleep(30)'); await knex.schema.alterTable('venues', (t) => { t.dropColumn('capacity'); }); }`,
    );
    await c.migrate();
    const res = await c.run(await c.plan());
    expect(res.status).toBe('failed');
    expect(res.error?.message).toMatch(
      /down\(\) of 002_slow\.mjs was canceled: a statement ran longer than statement_timeout/,
    );
    expect(res.error?.message).toMatch(/SQLSTATE 57014 query_canceled/);
    expect(await lockRow(c)).toEqual([0]);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs', '002_slow.mjs']);
    expect(await c.columns('venues')).toEqual(['id', 'name', 'capacity']);
    await c.close();
  });

  it('Ctrl-C during a long down(): its statement is cancelled on the server at once, the transaction rolled back, the lock freed; resume finishes', async () => {
    // The default statement_timeout (5 min): only the abort can end this down() early.
    const c = await dbCase(pg_, 'abort');
    c.write('001_create_venues', CREATE_VENUES);
    await c.migrate();
    c.write(
      '002_slow',
      `export async function up(knex) { await knex.schema.alterTable('venues', (t) => { t.integer('capacity'); }); }
       export async function down(knex) {
         await knex.schema.alterTable('venues', (t) => { t.dropColumn('capacity'); });
         if (!process.env.DOWN_FAST) await knex.raw('select pg_sleep(120)');
       }`,
    );
    await c.migrate();
    const plan = await c.plan();
    const ac = new AbortController();
    const runId = 'r-abort-down';
    const sleeping = async () =>
      (
        (await c.knex.raw(
          "select pid from pg_stat_activity where query like 'select pg_sleep(120)%' and state = 'active'",
        )) as { rows: { pid: number }[] }
      ).rows;
    const running = c.run(plan, { runId, signal: ac.signal });
    await waitFor('down() to be in its pg_sleep', async () =>
      (await sleeping()).length > 0 ? true : undefined,
    );
    const t0 = Date.now();
    ac.abort(new Error('SIGINT'));
    const res = await running;
    const took = Date.now() - t0;
    expect(res.status).toBe('aborted');
    expect(res.error?.message).toMatch(
      /aborted during down\(\) of 002_slow\.mjs: SIGINT \(its statement cancelled; the transaction rolled back, 002_slow\.mjs still recorded: resume runs it again\)/,
    );
    // Cancelled on the server, not abandoned there: no pg_sleep left running, nothing of down() applied.
    expect(took).toBeLessThan(10_000);
    expect(await sleeping()).toEqual([]);
    expect(await c.columns('venues')).toEqual(['id', 'name', 'capacity']);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs', '002_slow.mjs']);
    expect(await lockRow(c)).toEqual([0]);

    process.env.DOWN_FAST = '1';
    try {
      const resumed = await c.run(plan, { runId, resume: true });
      expect(resumed.status, resumed.error?.message).toBe('succeeded');
    } finally {
      delete process.env.DOWN_FAST;
    }
    expect(await c.columns('venues')).toEqual(['id', 'name']);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs']);
    await c.close();
  });

  it('a restore behind an idle-in-transaction session fails on its TRUNCATE after lockTimeout, changes nothing, and resumes', async () => {
    const c = await dbCase(pg_, 'restore', { lockTimeout: '1s' });
    await c.knex.raw(
      "create table venues (id serial primary key, name text); insert into venues (name) values ('Arena'), ('Hall')",
    );
    await takeBackup(c.knex, c.url, {
      directory: c.backups,
      id: 'b-1',
      service: 'svc',
      tables: ['venues'],
      reason: 'test',
      migrationsTable: 'knex_migrations',
    });
    const dir = join(c.backups, 'b-1');
    const backedUp = await tableChecksum(c.knex, 'venues');
    await c.knex('venues').insert({ name: 'Club' });
    const plan = planDatabaseRestore({
      service: { name: 'svc', namespace: 'test', migrationsTable: 'knex_migrations', healthTimeoutMs: 1000 },
      backupDir: dir,
      manifest: readBackup(dir),
      tables: await describeTables(c.knex, ['venues']),
      fkDependents: [],
      revision: { revision: 1, images: [] },
      now: new Date(),
      rtoTargetMs: 1_800_000,
    });
    const blocker = await idleInTransactionBlocker(c.url);
    const runId = 'r-restore';
    const failed = await c.run(plan, { runId });
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(
      /psql failed: .*ERROR: {2}55P03: canceling statement due to lock timeout/,
    );
    expect(await c.knex('venues').orderBy('id').pluck('name')).toEqual(['Arena', 'Hall', 'Club']);
    await blocker.release();
    const resumed = await c.run(plan, { runId, resume: true });
    expect(resumed.status, resumed.error?.message).toBe('succeeded');
    expect(await tableChecksum(c.knex, 'venues')).toEqual(backedUp);
    expect(c.lease.holder).toBeUndefined();
    await c.close();
  });

  it('a backup behind an ACCESS EXCLUSIVE lock fails after lockTimeout instead of hanging, and leaves no partial backup', async () => {
    const c = await dbCase(pg_, 'dumplock', { lockTimeout: '1s' });
    await c.knex.raw(
      "create table venues (id serial primary key, name text); insert into venues (name) values ('Arena')",
    );
    const blocker = await idleInTransactionBlocker(c.url, 'lock table venues in access exclusive mode');
    const err = await takeBackup(c.knex, c.url, {
      directory: c.backups,
      id: 'b-blocked',
      service: 'svc',
      tables: ['venues'],
      reason: 'test',
      migrationsTable: 'knex_migrations',
      timeouts: { lockTimeoutMs: 1000, statementTimeoutMs: 60_000 },
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await blocker.release();
    expect(err?.message).toMatch(/lock timeout/);
    expect(existsSync(join(c.backups, 'b-blocked'))).toBe(false);
    expect(readdirSync(c.backups)).toEqual([]);
    await c.close();
  });
});
