import { chmodSync, closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { RipcordError } from '../core/errors.js';
import type { Journal, RunClaim, RunRecord, RunStatus, StepRecord, StepStatus } from '../core/journal.js';
import {
  checkLimit,
  clearsError,
  elapsedMs,
  toJsonText,
  toRunRecord,
  toStepRecord,
  type NewRun,
} from './records.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';

/** How to open a SQLite journal. */
export interface SqliteJournalOptions {
  /** The database file; its directory is created when missing. */
  path: string;
  /** Stamps createdAt/updatedAt; injectable so tests can order runs. */
  now?: () => Date;
  /** How long to wait for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
}

/**
 * The default journal: one SQLite file under .ripcord/. better-sqlite3 is synchronous, which suits a journal
 * (each write is durable when the call returns); the Promise-returning methods only satisfy the port.
 */
export class SqliteJournal implements Journal {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly now: () => Date;

  constructor(opts: SqliteJournalOptions) {
    this.path = resolve(opts.path);
    this.now = opts.now ?? (() => new Date());
    const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
    // Refuse before SQLite touches the file: opening a file that is not a journal would rewrite it (an empty
    // or tiny file becomes a new database), and setting WAL mode rewrites the header of one that is SQLite.
    const existed = inspectJournalFile(this.path);
    try {
      if (!existed) {
        // 0700/0600 from the start: the journal holds plans, evidence and error text about production.
        // SQLite creates the -wal and -shm files with the database file's mode, so they are 0600 as well.
        mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
        createPrivateFile(this.path);
      }
      this.db = new Database(this.path, { timeout: busyTimeoutMs, fileMustExist: true });
    } catch (err) {
      throw journalError(this.path, 'cannot open', err, busyTimeoutMs);
    }
    try {
      if (existed) {
        // Refuse first, touch nothing: another application's database keeps even its file mode.
        this.refuseForeignDatabase();
        tightenMode(this.path);
      }
      // WAL lets `ripcord status` read while a rollback writes; FULL sync because the intent written before a
      // step must survive the machine dying mid-step, and journal writes are few.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      if (existed) this.checkIntegrity();
      this.migrate();
      for (const suffix of ['-wal', '-shm']) tightenMode(this.path + suffix);
    } catch (err) {
      this.db.close();
      throw err instanceof RipcordError ? err : journalError(this.path, 'cannot use', err, busyTimeoutMs);
    }
  }

  /**
   * An existing SQLite file is only used when it is a Ripcord journal (it has `schema_version`) or holds no
   * table at all; another application's database is left exactly as it was.
   */
  private refuseForeignDatabase(): void {
    const names = this.db
      .prepare("select name from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%'")
      .pluck()
      .all() as string[];
    if (names.length > 0 && !names.includes('schema_version')) {
      throw new RipcordError(
        'invalid',
        `journal ${this.path}: is a SQLite database but not a Ripcord journal (tables: ${names.slice(0, 5).join(', ')}` +
          `${names.length > 5 ? ', ...' : ''}); refusing to use or overwrite it: point journal.path at a new file`,
      );
    }
  }

  /** A damaged journal is reported at open, naming the file, not later as a bare SQLite message. */
  private checkIntegrity(): void {
    const problems = this.db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
    const bad = problems.map((r) => r.quick_check).filter((m) => m !== 'ok');
    if (bad.length > 0) {
      throw new RipcordError(
        'invalid',
        `journal ${this.path}: is corrupted (SQLite quick_check: ${bad.join('; ')}); ` +
          'move it aside and restore it from a backup, or point journal.path at a new file',
      );
    }
  }

  /** The schema version this file is at. */
  schemaVersion(): number {
    const row = this.db.prepare('select max(version) as v from schema_version').get() as { v: number | null };
    return row.v ?? 0;
  }

  private migrate(): void {
    // IMMEDIATE takes the write lock before reading the version, so two processes opening a new file at once
    // cannot both apply migration 1.
    this.db
      .transaction(() => {
        this.db.exec(
          'create table if not exists schema_version (version integer primary key, applied_at text not null)',
        );
        const current = this.schemaVersion();
        if (current > SQLITE_MIGRATIONS.length) {
          throw new RipcordError(
            'invalid',
            `journal ${this.path} has schema version ${current}, newer than this ripcord knows ` +
              `(${SQLITE_MIGRATIONS.length}); upgrade ripcord to read it`,
          );
        }
        const insert = this.db.prepare('insert into schema_version (version, applied_at) values (?, ?)');
        for (let v = current + 1; v <= SQLITE_MIGRATIONS.length; v++) {
          this.db.exec(SQLITE_MIGRATIONS[v - 1] as string);
          insert.run(v, this.now().toISOString());
        }
      })
      .immediate();
  }

  async createRun(run: NewRun): Promise<void> {
    const at = this.now().toISOString();
    this.db
      .transaction(() => {
        if (this.db.prepare('select 1 from runs where id = ?').get(run.id)) {
          throw new Error(`journal: run "${run.id}" already exists`);
        }
        this.db
          .prepare(
            `insert into runs (id, service, scenario, status, plan, created_at, updated_at, owner)
             values (?, ?, ?, 'planned', ?, ?, ?, ?)`,
          )
          .run(run.id, run.service, run.scenario, JSON.stringify(run.plan), at, at, run.owner ?? null);
      })
      .immediate();
  }

  async setRunStatus(
    runId: string,
    status: RunStatus,
    extra: { error?: string; summary?: unknown; owner?: string } = {},
  ): Promise<void> {
    // Fields left out of `extra` keep their value: a status change alone must not wipe an earlier summary.
    // The exception is an earlier error once the run succeeds (after a resume): it no longer describes the run.
    const result = this.db
      .prepare(
        `update runs set status = ?, updated_at = ?,
           error = case when ? then null else coalesce(?, error) end,
           summary = coalesce(?, summary), owner = coalesce(?, owner)
         where id = ?`,
      )
      .run(
        status,
        this.now().toISOString(),
        clearsError(status, extra) ? 1 : 0,
        extra.error ?? null,
        toJsonText(extra.summary),
        extra.owner ?? null,
        runId,
      );
    if (result.changes === 0) throw new Error(`journal: no run "${runId}"`);
  }

  async recordIntent(runId: string, stepId: string, index: number, at: Date): Promise<void> {
    this.db
      .transaction(() => {
        this.touch(runId);
        // A step run again after a resume starts a new attempt: fresh start time, last outcome cleared.
        this.db
          .prepare(
            `insert into steps (run_id, step_id, idx, status, attempts, started_at)
             values (?, ?, ?, 'intent', 1, ?)
             on conflict (run_id, step_id) do update set
               idx = excluded.idx, status = 'intent', attempts = steps.attempts + 1,
               started_at = excluded.started_at, finished_at = null, duration_ms = null, evidence = null, error = null`,
          )
          .run(runId, stepId, index, at.toISOString());
      })
      .immediate();
  }

  async recordOutcome(
    runId: string,
    stepId: string,
    outcome: { status: Exclude<StepStatus, 'intent'>; at: Date; evidence?: unknown; error?: string },
  ): Promise<void> {
    this.db
      .transaction(() => {
        const step = this.db
          .prepare('select started_at from steps where run_id = ? and step_id = ?')
          .get(runId, stepId) as { started_at: string } | undefined;
        if (!step) throw new Error(`journal: no intent recorded for step "${stepId}" of run "${runId}"`);
        this.touch(runId);
        this.db
          .prepare(
            `update steps set status = ?, finished_at = ?, duration_ms = ?, evidence = ?, error = ?
             where run_id = ? and step_id = ?`,
          )
          .run(
            outcome.status,
            outcome.at.toISOString(),
            elapsedMs(step.started_at, outcome.at),
            toJsonText(outcome.evidence),
            outcome.error ?? null,
            runId,
            stepId,
          );
      })
      .immediate();
  }

  async claimRun(runId: string, claim: RunClaim): Promise<boolean> {
    if (claim.from.length === 0) return false;
    // One UPDATE with the comparison in its WHERE: SQLite serialises writers, so of two processes claiming at
    // once exactly one sees changes() == 1.
    const marks = claim.from.map(() => '?').join(', ');
    const result = this.db
      .prepare(
        `update runs set status = ?, owner = ?, updated_at = ?
         where id = ? and status in (${marks}) and (? = 0 or owner is ?)`,
      )
      .run(
        claim.to ?? 'running',
        claim.owner,
        this.now().toISOString(),
        runId,
        ...claim.from,
        claim.fromOwner === undefined ? 0 : 1,
        claim.fromOwner ?? null,
      );
    return result.changes === 1;
  }

  async getRun(runId: string): Promise<{ run: RunRecord; steps: StepRecord[] } | undefined> {
    // One read transaction, so the run and its steps come from the same moment even while another process writes.
    return this.db
      .transaction(() => {
        const row = this.db.prepare('select * from runs where id = ?').get(runId);
        if (!row) return undefined;
        const steps = this.db
          .prepare('select * from steps where run_id = ? order by idx, started_at, step_id')
          .all(runId)
          .map(toStepRecord);
        return { run: toRunRecord(row), steps };
      })
      .deferred();
  }

  async listRuns(filter: { service?: string; limit?: number } = {}): Promise<RunRecord[]> {
    const limit = checkLimit(filter.limit) ?? -1;
    // rowid breaks ties between runs created in the same millisecond: later insert, newer run.
    const rows = this.db
      .prepare(
        `select * from runs where (@service is null or service = @service) order by created_at desc, rowid desc limit @limit`,
      )
      .all({ service: filter.service ?? null, limit });
    return rows.map(toRunRecord);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private touch(runId: string): void {
    const result = this.db
      .prepare('update runs set updated_at = ? where id = ?')
      .run(this.now().toISOString(), runId);
    if (result.changes === 0) throw new Error(`journal: no run "${runId}"`);
  }
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Whether `path` already holds a file, after checking that it can be a journal: a directory, or a non-empty
 * file that does not start with SQLite's header, is refused with its path and never written to. An empty file
 * counts as new.
 */
function inspectJournalFile(path: string): boolean {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw journalError(path, 'cannot open', err, 0);
  }
  if (!stat.isFile()) {
    throw new RipcordError('invalid', `journal ${path}: is not a regular file; point journal.path at a file`);
  }
  if (stat.size === 0) return true;
  const head = Buffer.alloc(SQLITE_HEADER.length);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    readSync(fd, head, 0, head.length, 0);
  } catch (err) {
    throw journalError(path, 'cannot read', err, 0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) {
    throw new RipcordError(
      'invalid',
      `journal ${path}: is not a Ripcord journal (not a SQLite database, ${stat.size} bytes); ` +
        'refusing to overwrite it: point journal.path at a new file, or restore the journal from a backup',
    );
  }
  return true;
}

/** An empty 0600 file; another process creating it at the same moment is fine (both then open it). */
function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** 0600 on an existing journal file or its -wal/-shm (written by an older ripcord as 0644); best effort. */
function tightenMode(path: string): void {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  } catch {
    // Missing (no WAL yet) or owned by someone else: nothing to tighten from here.
  }
}

/** A SQLite or file-system failure as a RipcordError naming the journal file and what is wrong (exit 2). */
function journalError(path: string, what: string, err: unknown, busyTimeoutMs: number): RipcordError {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message;
  let detail: string;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    detail =
      `is locked by another process (${code} after waiting ${busyTimeoutMs} ms); ` +
      'another ripcord may be writing it: retry when it is done';
  } else if (code.startsWith('SQLITE_NOTADB')) {
    detail = `is not a SQLite database (${message}); point journal.path at a new file, or restore it from a backup`;
  } else if (code.startsWith('SQLITE_CORRUPT')) {
    detail = `is corrupted (${message}); move it aside and restore it from a backup, or point journal.path at a new file`;
  } else {
    detail = `${what}: ${message}${code ? ` (${code})` : ''}`;
  }
  return new RipcordError('invalid', `journal ${path}: ${detail}`, { cause: err });
}

/** Opens (creating when needed) the SQLite journal at `path`. */
export async function openSqliteJournal(opts: SqliteJournalOptions): Promise<SqliteJournal> {
  return new SqliteJournal(opts);
}
