import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ripcord } from '../support/cli.js';

// The SQLite journal file as the CLI meets it (`ripcord runs --config <yaml>`): created private, a damaged or
// locked file reported with its path and exit 2, and a file that is not a Ripcord journal never written to.
const root = mkdtempSync(join(tmpdir(), 'ripcord-journal-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A ripcord.yaml whose journal is `journalPath` (relative to the config's directory, or absolute). */
function configFor(journalPath: string): { dir: string; config: string; journal: string } {
  const dir = join(root, `case-${++n}`);
  const config = join(dir, 'ripcord.yaml');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    config,
    [
      'version: 1',
      `journal: { driver: sqlite, path: ${journalPath} }`,
      'services:',
      '  venue-service:',
      '    kube: { namespace: tickettoken }',
      '    healthUrl: http://127.0.0.1:9/api/venues/health',
      '',
    ].join('\n'),
  );
  return { dir, config, journal: join(dir, journalPath) };
}

const runs = (config: string) => ripcord(['runs', '--config', config]);
const mode = (path: string) => statSync(path).mode & 0o777;

describe('the SQLite journal file', () => {
  it('is created 0600 (and its -wal/-shm), in a .ripcord directory created 0700', async () => {
    const { config, dir } = configFor('.ripcord/journal.db');
    const res = await runs(config);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(mode(join(dir, '.ripcord'))).toBe(0o700);
    const journal = join(dir, '.ripcord', 'journal.db');
    expect(mode(journal)).toBe(0o600);
    // The WAL and shared-memory files exist while a connection is open; SQLite gives them the db file's mode.
    const db = new Database(journal);
    db.prepare('select count(*) from runs').get();
    for (const suffix of ['-wal', '-shm']) {
      expect(existsSync(journal + suffix), `${suffix} exists while open`).toBe(true);
      expect({ file: suffix, mode: mode(journal + suffix) }).toEqual({ file: suffix, mode: 0o600 });
    }
    db.close();
  });

  it('an existing journal written 0644 by an older ripcord is tightened to 0600', async () => {
    const { config, journal } = configFor('journal.db');
    expect((await runs(config)).code).toBe(0);
    chmodSync(journal, 0o644);
    expect((await runs(config)).code).toBe(0);
    expect(mode(journal)).toBe(0o600);
  });

  it.each([
    ['a one-byte text file', Buffer.from('x')],
    ['a text file', Buffer.from('deploy notes: do not delete\n')],
    ['a file with the first bytes of a SQLite header only', Buffer.from('SQLite format')],
  ])(
    '%s at the journal path is refused (exit 2, naming the file) and left byte for byte',
    async (_name, bytes) => {
      const { config, journal } = configFor('journal.db');
      writeFileSync(journal, bytes);
      const res = await runs(config);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(journal);
      expect(res.stderr).toMatch(/not a Ripcord journal \(not a SQLite database/);
      expect(readFileSync(journal).equals(bytes)).toBe(true);
      expect(existsSync(journal + '-wal')).toBe(false);
    },
  );

  it("another application's SQLite database is refused (exit 2) and its bytes are unchanged", async () => {
    const { config, journal } = configFor('app.db');
    const other = new Database(journal);
    other.exec(
      "create table invoices (id integer primary key, total text); insert into invoices values (1, '9.99')",
    );
    other.close();
    // Readable by its group, as the other application left it: refusing must not chmod it to 0600 first.
    chmodSync(journal, 0o640);
    const before = readFileSync(journal);
    const res = await runs(config);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(journal);
    expect(res.stderr).toContain('is a SQLite database but not a Ripcord journal (tables: invoices)');
    expect(readFileSync(journal).equals(before)).toBe(true);
    expect(statSync(journal).mode & 0o777).toBe(0o640);
    expect(existsSync(journal + '-wal')).toBe(false);
  });

  it('an empty file or an empty SQLite database becomes a journal', async () => {
    const empty = configFor('empty.db');
    writeFileSync(empty.journal, '');
    expect((await runs(empty.config)).code).toBe(0);
    const blank = configFor('blank.db');
    const made = new Database(blank.journal);
    made.exec('create table scratch (x); drop table scratch'); // a written SQLite header, zero tables
    made.close();
    expect(readFileSync(blank.journal).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
    const res = await runs(blank.config);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const db = new Database(blank.journal, { readonly: true });
    expect(db.prepare("select name from sqlite_master where name = 'runs'").pluck().get()).toBe('runs');
    db.close();
  });

  it('a corrupted journal is reported with its path and what is wrong, exit 2', async () => {
    const { config, journal } = configFor('journal.db');
    expect((await runs(config)).code).toBe(0);
    // Fill the journal with enough rows to span many pages, then overwrite pages 2.. with garbage.
    const db = new Database(journal);
    db.pragma('journal_mode = DELETE');
    const insert = db.prepare(
      "insert into runs (id, service, scenario, status, plan, created_at, updated_at) values (?, 's', 'app', 'succeeded', ?, 'x', 'x')",
    );
    for (let i = 0; i < 200; i++) insert.run(`run-${i}`, 'p'.repeat(500));
    db.close();
    const bytes = readFileSync(journal);
    const pageSize = bytes.readUInt16BE(16);
    bytes.fill(0xa5, pageSize, Math.min(bytes.length, pageSize * 6));
    writeFileSync(journal, bytes);
    const res = await runs(config);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`journal ${journal}: is corrupted`);
  });

  it('a journal whose header is damaged is reported as not a SQLite database and left as it was', async () => {
    const { config, journal } = configFor('journal.db');
    expect((await runs(config)).code).toBe(0);
    const bytes = readFileSync(journal);
    bytes.write('garbage!', 0, 'latin1');
    writeFileSync(journal, bytes);
    const res = await runs(config);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`journal ${journal}: is not a Ripcord journal (not a SQLite database`);
    expect(readFileSync(journal).equals(bytes)).toBe(true);
  });

  it('a journal locked by another process beyond the busy timeout: path, "locked", exit 2', async () => {
    const { config, journal } = configFor('journal.db');
    expect((await runs(config)).code).toBe(0);
    // Another process holds the write lock (BEGIN EXCLUSIVE) until told to stop.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const Database = require('better-sqlite3');
         const db = new Database(process.argv[1]);
         db.pragma('locking_mode = EXCLUSIVE');
         db.exec('begin exclusive');
         db.prepare("insert into schema_version values (999, 'held')").run();
         process.stdout.write('locked\\n');
         process.stdin.on('data', () => { db.exec('rollback'); db.close(); process.exit(0); });`,
        journal,
      ],
      { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      holder.on('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
    });
    try {
      const res = await runs(config);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`journal ${journal}: is locked by another process (SQLITE_BUSY`);
    } finally {
      holder.stdin.write('done\n');
      await new Promise((resolve) => holder.on('exit', resolve));
    }
    // Released: the same journal opens again.
    expect((await runs(config)).code).toBe(0);
  });
});
