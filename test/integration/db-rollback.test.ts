import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeBackup } from '../../src/adapters/postgres-migrations/backup.js';
import { RipcordError } from '../../src/core/errors.js';
import { dbCase, startPg, type DbCase, type PgServer } from './db-fixture.js';

// Each migration kind rolled back on a real PostgreSQL 15, asserting the schema and the rows afterwards.
let pg: PgServer;
beforeAll(async () => {
  pg = await startPg('db-rollback');
});
afterAll(async () => pg?.stop());

const CREATE_VENUES = `
export async function up(knex) {
  await knex.schema.createTable('venues', (t) => {
    t.increments('id');
    t.text('name').notNullable();
    t.text('city');
    t.integer('capacity');
  });
}
export async function down(knex) { await knex.schema.dropTable('venues'); }
`;

async function seeded(label: string): Promise<DbCase> {
  const c = await dbCase(pg, label);
  c.write('001_create_venues', CREATE_VENUES);
  await c.migrate();
  await c.knex('venues').insert([
    { name: 'Arena', city: 'Oslo', capacity: 100 },
    { name: 'Hall', city: 'Bergen', capacity: 50 },
    { name: 'Club', city: 'Oslo', capacity: null },
  ]);
  return c;
}

async function recorded(c: DbCase): Promise<string[]> {
  return ((await c.knex('knex_migrations').orderBy('id').select('name')) as { name: string }[]).map(
    (r) => r.name,
  );
}

const stepIds = (p: { steps: { id: string }[] }) => p.steps.map((s) => s.id);

describe('database rollback on real PostgreSQL, per migration kind', () => {
  it('additive (nullable column + index): app first, then down(); a backup of the column first; rows intact', async () => {
    const c = await seeded('additive');
    c.write(
      '002_add_note',
      `export async function up(knex) { await knex.schema.alterTable('venues', (t) => { t.text('note'); t.index(['name'], 'venues_name_idx'); }); }
       export async function down(knex) { await knex.schema.alterTable('venues', (t) => { t.dropIndex(['name'], 'venues_name_idx'); t.dropColumn('note'); }); }`,
    );
    await c.migrate();
    await c.knex('venues').where({ name: 'Arena' }).update({ note: 'written under v2' });
    const plan = await c.plan();
    const checklist = plan.steps.find((s) => s.id === 'db-checklist');
    expect((checklist?.desired as { order: string }).order).toBe('app-first');
    expect(checklist?.why).toMatch(/only add/);
    expect(stepIds(plan)).toEqual([
      'acquire-lock',
      'db-checklist',
      'notify-dba',
      'db-backup',
      'db-down-002_add_note.mjs',
      'db-verify',
      'release-lock',
    ]);

    const res = await c.run(plan);
    expect(res.status, res.error?.message).toBe('succeeded');
    expect(await c.columns('venues')).toEqual(['id', 'name', 'city', 'capacity']);
    const idx = await c.knex.raw("select 1 from pg_indexes where indexname = 'venues_name_idx'");
    expect(idx.rows).toHaveLength(0);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs']);
    expect(await c.knex('venues').orderBy('id').select('name', 'city')).toEqual([
      { name: 'Arena', city: 'Oslo' },
      { name: 'Hall', city: 'Bergen' },
      { name: 'Club', city: 'Oslo' },
    ]);
    // The value down() dropped is in the backup taken first.
    const backup = res.steps.find((s) => s.stepId === 'db-backup')?.evidence as {
      tables: { name: string; rows: number }[];
      dir: string;
    };
    expect(backup.tables).toEqual([expect.objectContaining({ name: 'venues', rows: 3 })]);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${backup.dir}/table-venues.data.sql`, 'utf8')).toContain('written under v2');
    await c.close();
  });

  it('destructive (drop column): down() first, then the column values back from the pre-deploy backup', async () => {
    const c = await seeded('destructive');
    // The pipeline's pre-deploy step: ripcord db backup --release v2 (records that v2 applies the next batch).
    await takeBackup(c.knex, c.url, {
      directory: c.backups,
      id: 'b-predeploy',
      service: 'svc',
      tables: ['venues'],
      release: 'v2',
      reason: 'pre-deploy',
      migrationsTable: 'knex_migrations',
    });
    c.write(
      '002_drop_city',
      `export async function up(knex) { await knex.schema.alterTable('venues', (t) => { t.dropColumn('city'); }); }
       export async function down(knex) { await knex.schema.alterTable('venues', (t) => { t.text('city'); }); }`,
    );
    await c.migrate();
    await c.knex('venues').insert({ name: 'New since deploy', capacity: 10 });
    const plan = await c.plan();
    const checklist = plan.steps.find((s) => s.id === 'db-checklist');
    expect((checklist?.desired as { order: string }).order).toBe('down-first');
    expect(checklist?.why).toMatch(/drop column venues\.city/);
    expect(checklist?.why).toMatch(/batch 2: v2 \(recorded by backup b-predeploy/);
    expect(stepIds(plan)).toEqual([
      'acquire-lock',
      'db-checklist',
      'notify-dba',
      'db-down-002_drop_city.mjs',
      'db-restore-rows',
      'db-verify',
      'release-lock',
    ]);
    expect(plan.warnings.join('\n')).toMatch(/brief incompatibility/);

    const res = await c.run(plan);
    expect(res.status, res.error?.message).toBe('succeeded');
    expect(await c.columns('venues')).toEqual(['id', 'name', 'capacity', 'city']);
    expect(await c.knex('venues').orderBy('id').select('name', 'city', 'capacity')).toEqual([
      { name: 'Arena', city: 'Oslo', capacity: 100 },
      { name: 'Hall', city: 'Bergen', capacity: 50 },
      { name: 'Club', city: 'Oslo', capacity: null },
      { name: 'New since deploy', city: null, capacity: 10 },
    ]);
    expect(res.steps.find((s) => s.stepId === 'db-restore-rows')?.evidence).toMatchObject({
      updated: { venues: 3 },
    });
    expect(await recorded(c)).toEqual(['001_create_venues.mjs']);
    // Resuming the finished run changes nothing (every step is journaled done).
    const again = await c.run(plan, { resume: true, runId: res.runId });
    expect(again.status).toBe('succeeded');
    expect(await c.knex('venues').count({ n: '*' })).toEqual([{ n: '4' }]);
    await c.close();
  });

  it('type change: down-first, the type back, values kept; the plan says type changes are not restored from backup', async () => {
    const c = await seeded('typechange');
    c.write(
      '002_capacity_text',
      `export async function up(knex) { await knex.schema.alterTable('venues', (t) => { t.text('capacity').alter(); }); }
       export async function down(knex) { await knex.raw('alter table venues alter column capacity type integer using capacity::integer'); }`,
    );
    await c.migrate();
    const plan = await c.plan();
    expect((plan.steps.find((s) => s.id === 'db-checklist')?.desired as { order: string }).order).toBe(
      'down-first',
    );
    expect(plan.warnings.join('\n')).toMatch(
      /change type of venues\.capacity to text is not undone from a backup/,
    );
    const res = await c.run(plan);
    expect(res.status, res.error?.message).toBe('succeeded');
    const t = await c.knex.raw(
      "select data_type from information_schema.columns where table_name = 'venues' and column_name = 'capacity'",
    );
    expect(t.rows[0].data_type).toBe('integer');
    expect(await c.knex('venues').orderBy('id').pluck('capacity')).toEqual([100, 50, null]);
    await c.close();
  });

  it('data delete: the deleted rows come back from the pre-deploy backup by primary key', async () => {
    const c = await seeded('delete');
    await takeBackup(c.knex, c.url, {
      directory: c.backups,
      id: 'b-before-delete',
      service: 'svc',
      tables: ['venues'],
      release: 'v2',
      reason: 'pre-deploy',
      migrationsTable: 'knex_migrations',
    });
    c.write(
      '002_purge_oslo',
      `export async function up(knex) { await knex('venues').where({ city: 'Oslo' }).del(); }
       export async function down() { /* the rows are gone; only a backup has them */ }`,
    );
    await c.migrate();
    expect(await c.knex('venues').count({ n: '*' })).toEqual([{ n: '1' }]);
    const plan = await c.plan();
    const checklist = plan.steps.find((s) => s.id === 'db-checklist');
    expect(checklist?.why).toMatch(/delete rows from venues/);
    const res = await c.run(plan);
    expect(res.status, res.error?.message).toBe('succeeded');
    expect(await c.knex('venues').orderBy('id').select('id', 'name', 'city')).toEqual([
      { id: 1, name: 'Arena', city: 'Oslo' },
      { id: 2, name: 'Hall', city: 'Bergen' },
      { id: 3, name: 'Club', city: 'Oslo' },
    ]);
    // Announced as "may increase", so the count change is not a failure; the evidence shows it.
    const verify = res.steps.find((s) => s.stepId === 'db-verify')?.evidence as {
      items: { check: string; observed: string }[];
    };
    expect(verify.items.find((i) => i.check === 'rows of venues')?.observed).toBe('3 (+2)');
    await c.close();
  });

  it('raw SQL doing a drop and a delete is classified dangerous from the captured SQL, and rolled back', async () => {
    const c = await seeded('rawsql');
    c.write(
      '002_raw',
      `export async function up(knex) { await knex.raw('ALTER TABLE venues DROP COLUMN capacity; DELETE FROM venues WHERE city IS NULL'); }
       export async function down(knex) { await knex.raw('ALTER TABLE venues ADD COLUMN capacity integer'); }`,
    );
    await c.migrate();
    const plan = await c.plan();
    const checklist = plan.steps.find((s) => s.id === 'db-checklist');
    expect((checklist?.desired as { order: string }).order).toBe('down-first');
    expect(checklist?.why).toMatch(/drop column venues\.capacity; delete rows from venues/);
    expect(plan.warnings.join('\n')).toMatch(/no backup taken before batch 2 has venues/);
    const res = await c.run(plan);
    expect(res.status, res.error?.message).toBe('succeeded');
    expect(await c.columns('venues')).toEqual(['id', 'name', 'city', 'capacity']);
    expect(await c.knex('venues').count({ n: '*' })).toEqual([{ n: '3' }]);
    await c.close();
  });

  it('a migration without down() is refused (exit 3) naming the file, before anything changes', async () => {
    const c = await seeded('nodown');
    c.write(
      '002_backfill',
      `export async function up(knex) { await knex('venues').whereNull('capacity').update({ capacity: 0 }); }`,
    );
    // knex itself refuses files without down(); the service's own source skips that check, so record it by hand.
    await c.knex.raw('update venues set capacity = 0 where capacity is null');
    await c
      .knex('knex_migrations')
      .insert({ name: '002_backfill.mjs', batch: 2, migration_time: new Date() });
    const before = await c.knex('venues').orderBy('id').select();
    const err = await c.plan().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('refused');
    expect((err as Error).message).toMatch(/002_backfill\.mjs has no down\(\) function/);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs', '002_backfill.mjs']);
    expect(await c.knex('venues').orderBy('id').select()).toEqual(before);
    await c.close();
  });

  it('partially applied (transaction: false, migrator killed) with a stale lock: refused without --force-unlock; freed and rolled back with it', async () => {
    const c = await seeded('stale');
    c.write(
      '002_add_tags',
      `export async function up(knex) { await knex.schema.createTable('tags', (t) => { t.increments('id'); t.text('label'); }); }
       export async function down(knex) { await knex.schema.dropTable('tags'); }`,
    );
    await c.migrate();
    // 003 runs outside a transaction and the migrator is SIGKILLed half-way: table created, row not recorded,
    // the lock left set (what knex leaves behind when its process dies mid-migration).
    c.write(
      '003_split',
      `export const config = { transaction: false };
       export async function up(knex) {
         await knex.schema.createTable('venue_stats', (t) => { t.integer('venue_id'); });
         await knex.raw('select pg_sleep(60)');
       }
       export async function down(knex) { await knex.schema.dropTableIfExists('venue_stats'); }`,
    );
    const { spawn } = await import('node:child_process');
    const { pathToFileURL } = await import('node:url');
    const { createRequire } = await import('node:module');
    const knexUrl = pathToFileURL(createRequire(import.meta.url).resolve('knex')).href;
    const child = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `const { default: knex } = await import(${JSON.stringify(knexUrl)});
       const k = knex({ client: 'pg', connection: ${JSON.stringify(c.url)} });
       await k.migrate.latest({ directory: ${JSON.stringify(c.migrations)}, loadExtensions: ['.mjs'] });`,
    ]);
    for (let i = 0; i < 100; i++) {
      const r = await c.knex.raw("select to_regclass('venue_stats') is not null as ok");
      if (r.rows[0].ok) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    // The server notices the dead client and ends its session (pg_sleep is interrupted).
    await c.knex.raw(
      "select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()",
    );
    expect((await c.knex('knex_migrations_lock').first()).is_locked).toBe(1);

    const refused = await c.plan().catch((e: unknown) => e);
    expect((refused as RipcordError).kind).toBe('refused');
    expect((refused as Error).message).toMatch(/stale lock.*--force-unlock/);

    const plan = await c.plan({ forceUnlock: true });
    // down() drops tags, so it is backed up first (even empty: rows may have been written since).
    expect(stepIds(plan)).toEqual([
      'acquire-lock',
      'db-checklist',
      'notify-dba',
      'db-free-lock',
      'db-backup',
      'db-down-002_add_tags.mjs',
      'db-verify',
      'release-lock',
    ]);
    expect(plan.warnings.join('\n')).toMatch(
      /003_split\.mjs is not recorded but venue_stats it creates exist: it was partially applied/,
    );
    const res = await c.run(plan);
    expect(res.status, res.error?.message).toBe('succeeded');
    expect((await c.knex('knex_migrations_lock').first()).is_locked).toBe(0);
    expect(await recorded(c)).toEqual(['001_create_venues.mjs']);
    expect((await c.knex.raw("select to_regclass('tags') is null as gone")).rows[0].gone).toBe(true);
    expect(await c.knex('venues').count({ n: '*' })).toEqual([{ n: '3' }]);
    await c.close();
  });

  it('--freeze is refused when the migrations removed something the old app needs', async () => {
    const c = await seeded('freeze');
    c.write(
      '002_drop_city',
      `export async function up(knex) { await knex.schema.alterTable('venues', (t) => { t.dropColumn('city'); }); }
       export async function down(knex) { await knex.schema.alterTable('venues', (t) => { t.text('city'); }); }`,
    );
    await c.migrate();
    const err = await c.plan({ freeze: true }).catch((e: unknown) => e);
    expect((err as RipcordError).kind).toBe('refused');
    expect((err as Error).message).toMatch(/--freeze: .*drop column venues\.city/);
    await c.close();
  });
});
