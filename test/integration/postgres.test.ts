import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, dropDatabase, passwordFile, startPostgres } from '../../src/sandbox/postgres.js';
import { isAlive, stopProcessGroup } from '../../src/sandbox/process.js';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('startPostgres: a private PostgreSQL 15 cluster', () => {
  let dir: string;
  let opts: { dataDir: string; socketDir: string; logFile: string };
  const pids: number[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ripcord-pg-'));
    opts = {
      dataDir: join(dir, 'pg', 'data'),
      socketDir: join(dir, 'pg', 'run'),
      logFile: join(dir, 'pg.log'),
    };
  });
  afterAll(async () => {
    for (const pid of pids) await stopProcessGroup(pid, 5000, 'SIGINT');
    rmSync(dir, { recursive: true, force: true });
  });

  it('initialises, starts, creates and drops a database, and stops', async () => {
    const started = await startPostgres(opts);
    pids.push(started.pid);
    expect(started.url).toMatch(/^postgres:\/\/postgres:[0-9a-f]+@127\.0\.0\.1:\d+\/postgres$/);
    expect(statSync(passwordFile(opts.dataDir)).mode & 0o777).toBe(0o600);

    const url = await createDatabase(started.url, 'ripcord_pg_test');
    expect(url).toBe(started.url.replace(/\/postgres$/, '/ripcord_pg_test'));
    // Creating it again (and concurrently) is not an error.
    await Promise.all([
      createDatabase(started.url, 'ripcord_pg_test'),
      createDatabase(started.url, 'ripcord_pg_test'),
    ]);
    await query(url, 'create table t (x int); insert into t values (41), (1)');
    expect(await query<{ s: number }>(url, 'select sum(x)::int as s from t')).toEqual([{ s: 42 }]);

    // TCP needs the password: scram-sha-256, not trust.
    await expect(query(started.url.replace(/:[0-9a-f]+@/, ':wrong@'), 'select 1')).rejects.toThrow(
      /password/,
    );
    await expect(createDatabase(started.url, 'Bad-Name')).rejects.toThrow(/must match/);

    await dropDatabase(started.url, 'ripcord_pg_test');
    const left = await query(started.url, "select 1 from pg_database where datname = 'ripcord_pg_test'");
    expect(left).toHaveLength(0);

    await stopProcessGroup(started.pid, 10_000, 'SIGINT');
    expect(isAlive(started.pid)).toBe(false);
  });

  it('reuses the data directory on the next start, keeping data and password', async () => {
    // How fast a warm start is belongs in bench/ (sandbox up); here: it starts, on the kept data.
    const again = await startPostgres(opts);
    pids.push(again.pid);
    const url = await createDatabase(again.url, 'kept');
    await query(url, 'create table k (x int)');
    await stopProcessGroup(again.pid, 10_000, 'SIGINT');

    const third = await startPostgres({ ...opts, port: again.port });
    pids.push(third.pid);
    expect(third.url).toBe(again.url);
    expect(await query(databaseUrlOf(third.url, 'kept'), 'select count(*)::int as n from k')).toEqual([
      { n: 0 },
    ]);
    await stopProcessGroup(third.pid, 10_000, 'SIGINT');
    expect(isAlive(third.pid)).toBe(false);
  });

  it('recovers from a lost password file by setting a new one over the socket', async () => {
    rmSync(passwordFile(opts.dataDir));
    const started = await startPostgres(opts);
    pids.push(started.pid);
    expect(await query(started.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    await stopProcessGroup(started.pid, 10_000, 'SIGINT');
  });
});

function databaseUrlOf(superUrl: string, db: string): string {
  return superUrl.replace(/\/postgres$/, `/${db}`);
}
