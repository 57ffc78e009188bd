import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  manifestChecksum,
  readBackup,
  restoreTables,
  tablesDiffering,
  takeBackup,
} from '../../src/adapters/postgres-migrations/backup.js';
import {
  describeTables,
  fkDependents,
  tableChecksum,
} from '../../src/adapters/postgres-migrations/inspect.js';
import type { BackupManifest } from '../../src/core/db-rollback/model.js';
import { planDatabaseRestore } from '../../src/scenarios/database/plan-restore.js';
import { RipcordError } from '../../src/core/errors.js';
import { ripcord } from '../support/cli.js';
import { cliConfigFor, dbCase, startPg, type DbCase, type PgServer } from './db-fixture.js';

// Backups that verify under load and that cannot be turned into something else: one snapshot for every table and
// its counts, a manifest that binds every file and itself, and no psql meta-command ever reaching psql.
let server: PgServer;
beforeAll(async () => {
  server = await startPg('db-backup-safety');
});
afterAll(async () => server?.stop());

const backupOf = (c: DbCase, id: string, tables: string[]) =>
  takeBackup(c.knex, c.url, {
    directory: c.backups,
    id,
    service: 'svc',
    tables,
    reason: 'test',
    migrationsTable: 'knex_migrations',
  });

/** Rows in a pg_dump --data-only file: the lines between `COPY ... FROM stdin;` and `\.`. */
function copyRows(file: string): number {
  let inCopy = false;
  let n = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (inCopy && line === '\\.') inCopy = false;
    else if (inCopy) n++;
    else if (/^COPY .* FROM stdin;$/.test(line)) inCopy = true;
  }
  return n;
}

/** Rewrites one file of a backup and re-seals the manifest (file sha256 + manifest checksum), as an attacker would. */
function reseal(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, name), text);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
  const files = m.files.map((f) =>
    f.name === name
      ? { name, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') }
      : f,
  );
  const body = { ...m, files };
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({ ...body, checksum: manifestChecksum(body) }, null, 2),
  );
}

async function rowsOf(c: DbCase, table: string): Promise<unknown[]> {
  return c.knex(table).orderBy('id').select('*');
}

describe('backups under load and restores that refuse tampering, on real PostgreSQL', () => {
  it('concurrent INSERTs during the backup: every table dumped in one snapshot, manifest counts = the dump, restore verifies', async () => {
    const c = await dbCase(server, 'load');
    await c.knex.raw(`
      create table orders (id bigserial primary key, note text);
      create table order_lines (id bigserial primary key, order_id bigint not null references orders(id), qty int);
      insert into orders (note) select 'seed ' || g from generate_series(1, 2000) g;
      insert into order_lines (order_id, qty) select id, 1 from orders;
    `);
    // Another session writes an order and its line in one transaction, as fast as it can, all through the backup.
    const writer = new pg.Client(c.url);
    await writer.connect();
    let written = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        await writer.query(
          "with o as (insert into orders (note) values ('during backup') returning id) insert into order_lines (order_id, qty) select id, 2 from o",
        );
        written++;
      }
    })();
    const writtenBefore = await (async () => {
      while (written < 20) await new Promise((r) => setTimeout(r, 10));
      return written;
    })();
    const m = await backupOf(c, 'b-load', ['orders', 'order_lines']);
    const writtenAfter = written;
    stop = true;
    await loop;
    await writer.end();
    // The writer really ran while the backup did.
    expect(writtenAfter).toBeGreaterThan(writtenBefore);

    const dir = join(c.backups, 'b-load');
    const [orders, lines] = [
      m.tables.find((t) => t.name === 'orders'),
      m.tables.find((t) => t.name === 'order_lines'),
    ];
    // One snapshot: each manifest count is exactly what its dump holds, and the two tables agree with each other
    // (every order has its line), which separate dumps taken at different moments would not.
    expect(orders?.rows).toBe(copyRows(join(dir, orders?.dataFile ?? '')));
    expect(lines?.rows).toBe(copyRows(join(dir, lines?.dataFile ?? '')));
    expect(orders?.rows).toBe(lines?.rows);
    expect(orders?.rows).toBeGreaterThanOrEqual(2000 + writtenBefore);

    // Restore (through the restore plan, lock and all) gives back exactly the manifest's rows and checksums.
    const tables = ['orders', 'order_lines'];
    const plan = planDatabaseRestore({
      service: { name: 'svc', namespace: 'test', migrationsTable: 'knex_migrations', healthTimeoutMs: 1000 },
      backupDir: dir,
      manifest: readBackup(dir),
      tables: await describeTables(c.knex, tables),
      fkDependents: await fkDependents(c.knex, tables),
      revision: { revision: 1, images: [] },
      now: new Date(),
      rtoTargetMs: 1_800_000,
    });
    const res = await c.run(plan);
    expect(res.status, res.error?.message).toBe('succeeded');
    expect(c.lease.events).toEqual([`acquire ${res.runId}`, `release ${res.runId}`]);
    expect(await tablesDiffering(c.knex, m, tables)).toEqual([]);
    expect((await tableChecksum(c.knex, 'orders'))?.rows).toBe(orders?.rows);
    expect((await tableChecksum(c.knex, 'order_lines'))?.checksum).toBe(lines?.checksum);
    await c.close();
  });

  it('a dump with `\\! touch FILE` inserted (checksums re-sealed) is refused before anything runs: exit 3, no file, no change', async () => {
    const c = await dbCase(server, 'meta');
    await c.knex.raw(
      "create table venues (id serial primary key, name text); insert into venues (name) values ('a'), ('b')",
    );
    await backupOf(c, 'b-meta', ['venues']);
    const dir = join(c.backups, 'b-meta');
    const marker = join(tmpdir(), `ripcord-meta-${randomBytes(4).toString('hex')}`);
    const dataFile = 'table-venues.data.sql';
    const original = readFileSync(join(dir, dataFile), 'utf8');
    // Before pg_dump's own `\restrict` line, so psql's restricted mode would not stop it: only our check can.
    expect(original).toMatch(/^\\restrict [A-Za-z0-9]+$/m);
    reseal(dir, dataFile, `\\! touch ${marker}\n${original}`);
    await c.knex('venues').where({ name: 'a' }).del();
    const before = await rowsOf(c, 'venues');

    const config = cliConfigFor(c.url, c.migrations, c.backups);
    const r = await ripcord(['--config', config, 'db', 'restore', 'b-meta', '--yes'], {}, 60_000);
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.stderr).toMatch(/table-venues\.data\.sql line 1: "\\\\!" is not something pg_dump writes/);
    // The same refusal from the restore itself (the step's handler path), before psql is started.
    await expect(restoreTables(c.knex, c.url, dir, ['venues'])).rejects.toMatchObject({ kind: 'refused' });
    expect(existsSync(marker)).toBe(false);
    expect(await rowsOf(c, 'venues')).toEqual(before);
    const runs = await ripcord(['--config', config, 'runs', '-o', 'json'], {}, 60_000);
    expect(JSON.parse(runs.stdout)).toEqual([]);

    // Hidden in a string psql would close early, or mid-line: still found (psql runs meta-commands anywhere
    // outside quotes).
    for (const trick of [
      `SELECT 'x';  \\! touch ${marker}\n`,
      `SET standard_conforming_strings = off;\nSELECT 'a\\'' \\! touch ${marker}';\n`,
      `\\i /etc/passwd\n`,
      `\\connect other\n`,
      `\\copy venues to program 'touch ${marker}'\n`,
    ]) {
      reseal(dir, dataFile, `${trick}${original}`);
      expect(() => readBackup(dir)).toThrow(RipcordError);
    }
    // pg_dump's own output (with \restrict/\unrestrict and the COPY terminator `\.`) passes.
    reseal(dir, dataFile, original);
    expect(readBackup(dir).id).toBe('b-meta');
    expect(existsSync(marker)).toBe(false);
    rmSync(marker, { force: true });
    await c.close();
  });

  it('a missing or edited file, or an edited manifest, is refused with exit 3 before anything runs', async () => {
    const c = await dbCase(server, 'tamper');
    await c.knex.raw(
      "create table venues (id serial primary key, name text); insert into venues (name) values ('a')",
    );
    await backupOf(c, 'b-tamper', ['venues']);
    const dir = join(c.backups, 'b-tamper');
    await c.knex('venues').del();
    const config = cliConfigFor(c.url, c.migrations, c.backups);
    const restore = () => ripcord(['--config', config, 'db', 'restore', 'b-tamper', '--yes'], {}, 60_000);

    const manifestText = readFileSync(join(dir, 'manifest.json'), 'utf8');
    writeFileSync(join(dir, 'manifest.json'), manifestText.replace('"rows": 1', '"rows": 2'));
    let r = await restore();
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/manifest\.json does not match its own checksum/);
    writeFileSync(join(dir, 'manifest.json'), manifestText);

    const data = readFileSync(join(dir, 'table-venues.data.sql'));
    writeFileSync(join(dir, 'table-venues.data.sql'), Buffer.concat([data, Buffer.from('-- x\n')]));
    r = await restore();
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/table-venues\.data\.sql does not match its sha256/);

    rmSync(join(dir, 'table-venues.data.sql'));
    r = await restore();
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/table-venues\.data\.sql is missing/);

    expect(await c.knex('venues').count({ n: '*' })).toEqual([{ n: '0' }]);
    const runs = await ripcord(['--config', config, 'runs', '-o', 'json'], {}, 60_000);
    expect(JSON.parse(runs.stdout)).toEqual([]);
    await c.close();
  });
});
