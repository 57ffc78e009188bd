import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RipcordError } from '../../src/core/errors.js';
import { createDatabase, startPostgres } from '../../src/sandbox/postgres.js';
import { stopProcessGroup } from '../../src/sandbox/process.js';
import { openJournal } from '../../src/store/open-journal.js';
import { openPostgresJournal, PostgresJournal } from '../../src/store/postgres-journal.js';
import { journalContract, samplePlan } from '../support/journal-contract.js';

// A private cluster for this file, and a fresh database in it (nothing else ever used it).
let dir: string;
let pid: number | undefined;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-journal-pg-'));
  const started = await startPostgres({
    dataDir: join(dir, 'data'),
    socketDir: join(dir, 'run'),
    logFile: join(dir, 'postgres.log'),
  });
  pid = started.pid;
  url = await createDatabase(started.url, 'journal_test');
});

afterAll(async () => {
  if (pid !== undefined) await stopProcessGroup(pid, 10_000, 'SIGINT');
  rmSync(dir, { recursive: true, force: true });
});

journalContract('postgres', () => openPostgresJournal({ url }));

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe('PostgresJournal', () => {
  it('creates its tables in the ripcord schema, with jsonb columns, at schema version 1', async () => {
    const journal = await openPostgresJournal({ url });
    expect(await journal.schemaVersion()).toBe(1);
    await journal.close();
    const columns = await query<{ table_name: string; column_name: string }>(
      `select table_name, column_name from information_schema.columns
       where table_schema = 'ripcord' and data_type = 'jsonb' order by table_name, column_name`,
    );
    expect(columns.map((c) => `${c.table_name}.${c.column_name}`)).toEqual([
      'runs.plan',
      'runs.summary',
      'steps.evidence',
    ]);
  });

  it('opens concurrently from many connections without tripping over schema creation', async () => {
    const journals = await Promise.all(
      Array.from({ length: 6 }, () => openPostgresJournal({ url, schema: 'race' })),
    );
    expect(await journals[0]?.schemaVersion()).toBe(1);
    expect(await query('select count(*)::int as n from race.schema_version')).toEqual([{ n: 1 }]);
    await Promise.all(journals.map((j) => j.close()));
  });

  it('keeps journals in different schemas apart', async () => {
    const a = await openPostgresJournal({ url, schema: 'team_a' });
    const b = await openPostgresJournal({ url, schema: 'team_b' });
    await a.createRun({ id: 'same-id', service: 'venue-service', scenario: 'app', plan: samplePlan() });
    await b.createRun({ id: 'same-id', service: 'venue-service', scenario: 'flag', plan: samplePlan() });
    expect((await a.getRun('same-id'))?.run.scenario).toBe('app');
    expect((await b.getRun('same-id'))?.run.scenario).toBe('flag');
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a journal written by a newer ripcord', async () => {
    await (await openPostgresJournal({ url, schema: 'future' })).close();
    await query('insert into future.schema_version (version, applied_at) values (99, now())');
    const err = await openPostgresJournal({ url, schema: 'future' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('invalid');
    expect((err as Error).message).toMatch(/version 99, newer than this ripcord knows \(1\)/);
  });

  it('says unreachable when nothing listens, and forbidden on a wrong password, without printing it', async () => {
    const closed = new URL(url);
    closed.port = '1';
    const down = await openPostgresJournal({ url: closed.toString() }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(RipcordError);
    expect((down as RipcordError).kind).toBe('unreachable');
    expect((down as RipcordError).retryable).toBe(true);

    const wrong = new URL(url);
    wrong.password = 'not-the-password';
    const denied = await openPostgresJournal({ url: wrong.toString() }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(RipcordError);
    expect((denied as RipcordError).kind).toBe('forbidden');
    expect((denied as Error).message).not.toContain('not-the-password');
    expect((denied as Error).message).toContain(`127.0.0.1:${wrong.port}/journal_test`);
  });

  it('says invalid when the database does not exist', async () => {
    const missing = new URL(url);
    missing.pathname = '/no_such_db';
    const err = await openPostgresJournal({ url: missing.toString() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('invalid');
  });

  it('openJournal opens the postgres driver from config', async () => {
    const journal = await openJournal({ driver: 'postgres', url, schema: 'from_config' }, '/nowhere');
    expect(journal).toBeInstanceOf(PostgresJournal);
    await journal.createRun({ id: 'cfg', service: 's', scenario: 'app', plan: samplePlan() });
    expect(await query('select id from from_config.runs')).toEqual([{ id: 'cfg' }]);
    await journal.close();
  });
});
