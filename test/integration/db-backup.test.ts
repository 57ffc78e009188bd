import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  manifestChecksum,
  readBackup,
  restoreRows,
  restoreTables,
  takeBackup,
} from '../../src/adapters/postgres-migrations/backup.js';
import { RipcordError } from '../../src/core/errors.js';
import {
  describeTables,
  readMigrationState,
  tableChecksum,
} from '../../src/adapters/postgres-migrations/inspect.js';
import { planDatabaseRestore } from '../../src/scenarios/database/plan-restore.js';
import { ripcord } from '../support/cli.js';
import { cliConfigFor as configFor, dbCase, startPg, type PgServer } from './db-fixture.js';

let pg: PgServer;
beforeAll(async () => {
  pg = await startPg('db-backup');
});
afterAll(async () => pg?.stop());

describe('backups on real PostgreSQL', () => {
  it('backup → drop → restore leaves both tables identical (ordered-row checksums), sequences included', async () => {
    const c = await dbCase(pg, 'roundtrip');
    await c.knex.raw(`
      create table artists (id serial primary key, name text not null, born date);
      create table gigs (id bigserial primary key, artist_id int not null references artists(id), at timestamptz, fee numeric(10,2), tags text[], info jsonb);
      insert into artists (name, born) values ('A', '1970-01-02'), ('B ''quoted''', null), (E'C\\ttab', '2000-02-29');
      insert into gigs (artist_id, at, fee, tags, info) values
        (1, '2026-01-01T20:00:00Z', 100.5, '{rock,live}', '{"a": 1}'),
        (2, null, null, null, null),
        (3, '2026-03-03T03:03:03Z', 0, '{}', '{"nested": {"x": [1,2]}}');
    `);
    const before = {
      artists: await tableChecksum(c.knex, 'artists'),
      gigs: await tableChecksum(c.knex, 'gigs'),
    };
    const m = await takeBackup(c.knex, c.url, {
      directory: c.backups,
      id: 'b-roundtrip',
      service: 'svc',
      tables: ['gigs', 'artists'],
      reason: 'test',
      migrationsTable: 'knex_migrations',
    });
    // Parents first, so the data loads under the foreign key; checksums recorded; every file hashed.
    expect(m.tables.map((t) => t.name)).toEqual(['artists', 'gigs']);
    expect(m.tables.map((t) => t.checksum)).toEqual([before.artists?.checksum, before.gigs?.checksum]);
    expect(m.files.map((f) => f.name)).toContain('schema.sql');
    expect(readBackup(join(c.backups, 'b-roundtrip')).id).toBe('b-roundtrip');

    await c.knex.raw('drop table gigs; drop table artists');
    await restoreTables(c.knex, c.url, join(c.backups, 'b-roundtrip'), ['artists', 'gigs']);
    expect(await tableChecksum(c.knex, 'artists')).toEqual(before.artists);
    expect(await tableChecksum(c.knex, 'gigs')).toEqual(before.gigs);
    // The sequence continues after the restored ids, and the foreign key is back.
    const [next] = await c.knex('artists').insert({ name: 'D' }).returning('id');
    expect(next.id).toBe(4);
    await expect(c.knex('gigs').insert({ artist_id: 99 })).rejects.toThrow(/foreign key/);

    // Restoring over changed contents (same columns) also gives the backup's rows back.
    await c.knex('gigs').del();
    await c.knex('artists').where('id', '>', 3).del();
    await restoreTables(c.knex, c.url, join(c.backups, 'b-roundtrip'), ['artists', 'gigs']);
    expect(await tableChecksum(c.knex, 'gigs')).toEqual(before.gigs);

    // A tampered file is refused.
    writeFileSync(join(c.backups, 'b-roundtrip', 'table-gigs.data.sql'), '-- changed\n');
    expect(() => readBackup(join(c.backups, 'b-roundtrip'))).toThrow(/sha256/);
    await c.close();
  });

  it('a manifest whose column type was rewritten into SQL (checksum recomputed) is refused; nothing runs', async () => {
    const c = await dbCase(pg, 'tampered_type');
    await c.knex.raw(`
      create table venues (id serial primary key, name text not null, capacity numeric(10,2), tags text[]);
      insert into venues (name, capacity, tags) values ('Hall', 1200.5, '{a,b}');
    `);
    const dir = join(c.backups, 'b-tampered');
    await takeBackup(c.knex, c.url, {
      directory: c.backups,
      id: 'b-tampered',
      service: 'svc',
      tables: ['venues'],
      reason: 'test',
      migrationsTable: 'knex_migrations',
    });
    // The unmodified backup merges back through the catalog's type names (numeric(10,2) -> numeric, text[]).
    await c.knex('venues').update({ name: 'changed' });
    const ok = await restoreRows(c.knex, c.url, dir, [
      { table: 'venues', key: ['id'], columns: ['name'], insertMissing: false },
    ]);
    expect(ok.updated).toEqual({ venues: 1 });
    expect((await c.knex('venues').first()).name).toBe('Hall');

    // Someone who can write the backup directory rewrites a type and recomputes the unkeyed checksum.
    const file = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8')) as Parameters<typeof manifestChecksum>[0];
    const col = m.tables[0]?.columns.find((x) => x.name === 'name');
    if (!col) throw new Error('no name column in the manifest');
    col.type = 'text); CREATE TABLE pwned (x int); --';
    writeFileSync(file, JSON.stringify({ ...m, checksum: manifestChecksum(m) }));
    expect(readBackup(dir).tables[0]?.columns.find((x) => x.name === 'name')?.type).toContain('pwned');
    const err = await restoreRows(c.knex, c.url, dir, [
      { table: 'venues', key: ['id'], columns: ['name'], insertMissing: false },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).message).toMatch(
      /^backup b-tampered: column venues\.name has a type PostgreSQL does not know .*nothing was restored$/,
    );
    const made = await c.knex.raw("select to_regclass('pwned') as t");
    expect(made.rows[0].t).toBeNull();
    await c.close();
  });

  it('db status is read-only: on a database never migrated, knex tables are not created', async () => {
    const c = await dbCase(pg, 'status');
    const state = await readMigrationState(c.knex, 'knex_migrations');
    expect(state).toMatchObject({
      tableExists: false,
      applied: [],
      lock: { tableExists: false, isLocked: false },
    });
    c.write(
      '001_a',
      'export async function up(knex) { await knex.schema.createTable("a", (t) => t.increments()); }\nexport async function down(knex) { await knex.schema.dropTable("a"); }',
    );
    const config = configFor(c.url, c.migrations, c.backups);
    const res = await ripcord(['--config', config, 'db', 'status', 'svc', '-o', 'json'], {}, 60_000);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { tableExists: boolean; notes: string[]; pending: unknown[] };
    expect(out.tableExists).toBe(false);
    expect(out.notes.join(' ')).toMatch(/deployment not readable/);
    const tables = await c.knex.raw(
      "select to_regclass('knex_migrations') as a, to_regclass('knex_migrations_lock') as b",
    );
    expect(tables.rows[0]).toEqual({ a: null, b: null });
    await c.close();
  });

  it('ripcord db backup --tables and db restore through the CLI, journaled; the restore needs the rollback lock first', async () => {
    const c = await dbCase(pg, 'cli');
    await c.knex.raw(
      "create table venues (id serial primary key, name text); insert into venues (name) values ('x'), ('y')",
    );
    const before = await tableChecksum(c.knex, 'venues');
    const config = configFor(c.url, c.migrations, c.backups);
    const b = await ripcord(
      ['--config', config, 'db', 'backup', 'svc', '--tables', 'venues', '-o', 'json'],
      {},
      60_000,
    );
    expect(b.code, b.stderr).toBe(0);
    const backup = JSON.parse(b.stdout) as {
      runId: string;
      steps: { evidence: { backupId: string; dir: string } }[];
    };
    const id = backup.steps[0]?.evidence.backupId ?? '';
    expect(id).toMatch(/^b-/);
    await c.knex('venues').del();
    const refused = await ripcord(['--config', config, 'db', 'restore', id], {}, 60_000);
    expect(refused.code).toBe(3); // no terminal, no --yes: nothing changed
    expect(await c.knex('venues').count({ n: '*' })).toEqual([{ n: '0' }]);
    // The restore takes the service's rollback Lease first: with the Kubernetes API unreachable it stops
    // there (exit 4) and the table is untouched.
    const noLock = await ripcord(
      ['--config', config, 'db', 'restore', id, '--yes', '-o', 'json'],
      {},
      60_000,
    );
    expect(noLock.code, noLock.stderr + noLock.stdout).toBe(4);
    const out = JSON.parse(noLock.stdout) as { steps: { stepId: string; status: string }[] };
    expect(out.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['acquire-lock', 'failed'],
      ['db-restore-tables', 'not-run'],
      ['db-verify', 'not-run'],
      ['release-lock', 'not-run'],
    ]);
    expect(await c.knex('venues').count({ n: '*' })).toEqual([{ n: '0' }]);
    // With the lock available (here the fixture's Lease double), the same restore plan gives the rows back.
    const dir = backup.steps[0]?.evidence.dir ?? '';
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
    const restored = await c.run(plan);
    expect(restored.status, restored.error?.message).toBe('succeeded');
    expect(await tableChecksum(c.knex, 'venues')).toEqual(before);
    const runs = await ripcord(['--config', config, 'runs', '-o', 'json'], {}, 60_000);
    expect(runs.stdout).toContain(backup.runId);
    await c.close();
  });
});
