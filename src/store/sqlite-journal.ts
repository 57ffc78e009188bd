import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { RipcordError } from '../core/errors.js';
import type { Journal, RunRecord, RunStatus, StepRecord, StepStatus } from '../core/journal.js';
import type { Plan } from '../core/plan.js';
import { checkLimit, clearsError, elapsedMs, toJsonText, toRunRecord, toStepRecord } from './records.js';
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
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.db = new Database(this.path, { timeout: opts.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw new RipcordError('invalid', `journal ${this.path}: cannot open: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      // WAL lets `ripcord status` read while a rollback writes; FULL sync because the intent written before a
      // step must survive the machine dying mid-step, and journal writes are few.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    } catch (err) {
      this.db.close();
      throw err;
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

  async createRun(run: {
    id: string;
    service: string;
    scenario: string;
    plan: Plan;
    owner?: string;
  }): Promise<void> {
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

/** Opens (creating when needed) the SQLite journal at `path`. */
export async function openSqliteJournal(opts: SqliteJournalOptions): Promise<SqliteJournal> {
  return new SqliteJournal(opts);
}
