import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { RipcordError } from '../../src/core/errors.js';
import { openJournal } from '../../src/store/open-journal.js';
import { openSqliteJournal, SqliteJournal } from '../../src/store/sqlite-journal.js';
import { journalContract, samplePlan } from '../support/journal-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'ripcord-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One file for the whole contract suite; each open() is a separate connection to it, as two processes would be.
const shared = join(dir, 'contract', '.ripcord', 'journal.db');
journalContract('sqlite', () => openSqliteJournal({ path: shared }));

describe('SqliteJournal', () => {
  it('creates the parent directory, uses WAL, and records the schema version', async () => {
    const path = join(dir, 'a', 'b', 'journal.db');
    const journal = await openSqliteJournal({ path });
    expect(existsSync(path)).toBe(true);
    expect(journal.schemaVersion()).toBe(1);
    await journal.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' order by name")
      .pluck()
      .all();
    expect(tables).toEqual(['runs', 'schema_version', 'steps']);
    db.close();
  });

  it('keeps its data across reopen without migrating again', async () => {
    const path = join(dir, 'reopen.db');
    const first = await openSqliteJournal({ path });
    await first.createRun({ id: 'r1', service: 'venue-service', scenario: 'app', plan: samplePlan() });
    await first.close();
    const second = await openSqliteJournal({ path });
    expect(second.schemaVersion()).toBe(1);
    expect((await second.listRuns()).map((r) => r.id)).toEqual(['r1']);
    await second.close();
  });

  it('is readable by a separate OS process', async () => {
    const path = join(dir, 'cross-process.db');
    const journal = await openSqliteJournal({ path });
    await journal.createRun({ id: 'r-x', service: 'venue-service', scenario: 'app', plan: samplePlan() });
    await journal.recordIntent('r-x', 'set-template', 0, new Date());
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(process.argv[1], { readonly: true });
      const row = db.prepare("select r.status, s.status as step from runs r join steps s on s.run_id = r.id").get();
      process.stdout.write(JSON.stringify(row));
    `;
    const out = execFileSync(process.execPath, ['-e', script, path], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ status: 'planned', step: 'intent' });
    await journal.close();
  });

  it('refuses a journal written by a newer ripcord', async () => {
    const path = join(dir, 'newer.db');
    await (await openSqliteJournal({ path })).close();
    const db = new Database(path);
    db.prepare("insert into schema_version (version, applied_at) values (99, 'x')").run();
    db.close();
    const err = await openSqliteJournal({ path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('invalid');
    expect((err as Error).message).toMatch(/schema version 99, newer than this ripcord knows \(1\)/);
  });

  it('stamps runs with the injected clock', async () => {
    const journal = await openSqliteJournal({
      path: join(dir, 'clock.db'),
      now: () => new Date('2025-02-03T04:05:06.789Z'),
    });
    await journal.createRun({ id: 'c', service: 's', scenario: 'app', plan: samplePlan() });
    expect((await journal.getRun('c'))?.run.createdAt).toBe('2025-02-03T04:05:06.789Z');
    await journal.close();
  });

  it('reports an unusable path as invalid configuration', async () => {
    // A regular file where the directory should be.
    writeFileSync(join(dir, 'not-a-dir'), '');
    const err = await openSqliteJournal({ path: join(dir, 'not-a-dir', 'journal.db') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('invalid');
  });

  it('openJournal resolves a relative sqlite path against the config directory', async () => {
    const base = join(dir, 'project');
    const journal = await openJournal({ driver: 'sqlite', path: '.ripcord/journal.db' }, base);
    expect(journal).toBeInstanceOf(SqliteJournal);
    expect((journal as SqliteJournal).path).toBe(join(base, '.ripcord', 'journal.db'));
    expect(existsSync(join(base, '.ripcord', 'journal.db'))).toBe(true);
    await journal.close();
  });
});
