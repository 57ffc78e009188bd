import pg from 'pg';
import { RipcordError } from '../core/errors.js';
import type { Journal, RunClaim, RunRecord, RunStatus, StepRecord, StepStatus } from '../core/journal.js';
import { postgresMigrations, quoteIdent } from './postgres-schema.js';
import {
  checkLimit,
  clearsError,
  elapsedMs,
  toJsonText,
  toRunRecord,
  toStepRecord,
  type NewRun,
} from './records.js';

/** How to open a PostgreSQL journal. */
export interface PostgresJournalOptions {
  url: string;
  /** Schema holding the tables; created when missing. */
  schema?: string;
  now?: () => Date;
  /** Pool size; a CLI run needs one or two connections, the controller a few more. */
  maxConnections?: number;
}

// jsonb and timestamptz columns are read as text/Date here; JSON is selected as text so SQL NULL (absent)
// and JSON null stay apart, which pg's own jsonb parsing would merge.
const RUN_COLUMNS = `id, service, scenario, status, plan::text as plan, created_at, updated_at, owner, error,
  summary::text as summary`;
const STEP_COLUMNS = `run_id, step_id, idx, status, attempts, started_at, finished_at, duration_ms,
  evidence::text as evidence, error`;

/** Host, port and database of a URL, without the credentials, for error messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Maps PostgreSQL and socket failures onto Ripcord's error kinds: cannot connect → unreachable (retry may
 * help), bad credentials or privileges → forbidden, no such database → invalid configuration.
 */
function classify(err: unknown, where: string): unknown {
  if (err instanceof RipcordError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const message = `journal ${where}: ${e.message ?? String(err)}`;
  if (
    code.startsWith('08') ||
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH'].includes(code)
  )
    return new RipcordError('unreachable', message, { cause: err });
  if (/timeout exceeded when trying to connect|Connection terminated/i.test(e.message ?? ''))
    return new RipcordError('unreachable', message, { cause: err });
  if (code === '28P01' || code === '28000' || code === '42501')
    return new RipcordError('forbidden', message, { cause: err });
  if (code === '3D000') return new RipcordError('invalid', message, { cause: err });
  return err;
}

/** The team journal: the same tables as SQLite, in a PostgreSQL schema, with jsonb for plans and evidence. */
export class PostgresJournal implements Journal {
  private readonly pool: pg.Pool;
  private readonly s: string;
  private readonly now: () => Date;
  private readonly where: string;
  private closed = false;

  private constructor(opts: PostgresJournalOptions) {
    this.s = quoteIdent(opts.schema ?? 'ripcord');
    this.now = opts.now ?? (() => new Date());
    this.where = describeUrl(opts.url);
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.maxConnections ?? 4,
      connectionTimeoutMillis: 10_000,
      application_name: 'ripcord',
    });
    // An idle connection dropped by the server emits 'error' on the pool; unhandled, that would crash the
    // process mid-rollback. The next query gets a fresh connection or a real error.
    this.pool.on('error', () => undefined);
  }

  /** Connects and brings the schema up to date; safe to run from several processes at once. */
  static async open(opts: PostgresJournalOptions): Promise<PostgresJournal> {
    const journal = new PostgresJournal(opts);
    try {
      await journal.migrate(opts.schema ?? 'ripcord');
    } catch (err) {
      await journal.pool.end().catch(() => undefined);
      throw classify(err, journal.where);
    }
    return journal;
  }

  /** The schema version the database is at. */
  async schemaVersion(): Promise<number> {
    const r = await this.query<{ v: number | null }>(
      `select max(version) as v from ${this.s}.schema_version`,
    );
    return r.rows[0]?.v ?? 0;
  }

  private async migrate(schema: string): Promise<void> {
    const migrations = postgresMigrations(schema);
    await this.tx(async (c) => {
      // CREATE ... IF NOT EXISTS is not safe against a concurrent identical CREATE (unique violation on the
      // catalog), so opening processes take turns.
      await c.query('select pg_advisory_xact_lock(hashtext($1))', [`ripcord-journal-schema:${schema}`]);
      await c.query(`create schema if not exists ${this.s}`);
      await c.query(
        `create table if not exists ${this.s}.schema_version (version integer primary key, applied_at timestamptz not null)`,
      );
      const r = await c.query<{ v: number | null }>(`select max(version) as v from ${this.s}.schema_version`);
      const current = r.rows[0]?.v ?? 0;
      if (current > migrations.length) {
        throw new RipcordError(
          'invalid',
          `journal ${this.where} schema ${schema} has version ${current}, newer than this ripcord knows ` +
            `(${migrations.length}); upgrade ripcord to read it`,
        );
      }
      for (let v = current + 1; v <= migrations.length; v++) {
        await c.query(migrations[v - 1] as string);
        await c.query(`insert into ${this.s}.schema_version (version, applied_at) values ($1, $2)`, [
          v,
          this.now().toISOString(),
        ]);
      }
    });
  }

  async createRun(run: NewRun): Promise<void> {
    const at = this.now().toISOString();
    try {
      await this.query(
        `insert into ${this.s}.runs (id, service, scenario, status, plan, created_at, updated_at, owner)
         values ($1, $2, $3, 'planned', $4::jsonb, $5, $5, $6)`,
        [run.id, run.service, run.scenario, JSON.stringify(run.plan), at, run.owner ?? null],
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new Error(`journal: run "${run.id}" already exists`);
      throw err;
    }
  }

  async setRunStatus(
    runId: string,
    status: RunStatus,
    extra: { error?: string; summary?: unknown; owner?: string } = {},
  ): Promise<void> {
    // Fields left out of `extra` keep their value: a status change alone must not wipe an earlier summary.
    // The exception is an earlier error once the run succeeds (after a resume): it no longer describes the run.
    const r = await this.query(
      `update ${this.s}.runs set status = $2, updated_at = $3,
         error = case when $7::boolean then null else coalesce($4, error) end,
         summary = coalesce($5::jsonb, summary), owner = coalesce($6, owner)
       where id = $1`,
      [
        runId,
        status,
        this.now().toISOString(),
        extra.error ?? null,
        toJsonText(extra.summary),
        extra.owner ?? null,
        clearsError(status, extra),
      ],
    );
    if (r.rowCount === 0) throw new Error(`journal: no run "${runId}"`);
  }

  async recordIntent(runId: string, stepId: string, index: number, at: Date): Promise<void> {
    await this.tx(async (c) => {
      await this.touch(c, runId);
      // A step run again after a resume starts a new attempt: fresh start time, last outcome cleared.
      await c.query(
        `insert into ${this.s}.steps as s (run_id, step_id, idx, status, attempts, started_at)
         values ($1, $2, $3, 'intent', 1, $4)
         on conflict (run_id, step_id) do update set
           idx = excluded.idx, status = 'intent', attempts = s.attempts + 1,
           started_at = excluded.started_at, finished_at = null, duration_ms = null, evidence = null, error = null`,
        [runId, stepId, index, at.toISOString()],
      );
    });
  }

  async recordOutcome(
    runId: string,
    stepId: string,
    outcome: { status: Exclude<StepStatus, 'intent'>; at: Date; evidence?: unknown; error?: string },
  ): Promise<void> {
    await this.tx(async (c) => {
      const found = await c.query<{ started_at: Date }>(
        `select started_at from ${this.s}.steps where run_id = $1 and step_id = $2 for update`,
        [runId, stepId],
      );
      const step = found.rows[0];
      if (!step) throw new Error(`journal: no intent recorded for step "${stepId}" of run "${runId}"`);
      await this.touch(c, runId);
      await c.query(
        `update ${this.s}.steps set status = $3, finished_at = $4, duration_ms = $5, evidence = $6::jsonb, error = $7
         where run_id = $1 and step_id = $2`,
        [
          runId,
          stepId,
          outcome.status,
          outcome.at.toISOString(),
          elapsedMs(step.started_at.toISOString(), outcome.at),
          toJsonText(outcome.evidence),
          outcome.error ?? null,
        ],
      );
    });
  }

  async claimRun(runId: string, claim: RunClaim): Promise<boolean> {
    // One UPDATE whose WHERE is the comparison: the row lock makes a concurrent claimer wait, re-check the
    // WHERE on the committed row (READ COMMITTED), and match nothing, so RETURNING tells exactly one winner.
    const r = await this.query(
      `update ${this.s}.runs set status = $2, owner = $3, updated_at = $4
       where id = $1 and status = any($5::text[])
         and (not $6::boolean or owner is not distinct from $7)
       returning id`,
      [
        runId,
        claim.to ?? 'running',
        claim.owner,
        this.now().toISOString(),
        [...claim.from],
        claim.fromOwner !== undefined,
        claim.fromOwner ?? null,
      ],
    );
    return r.rowCount === 1;
  }

  async getRun(runId: string): Promise<{ run: RunRecord; steps: StepRecord[] } | undefined> {
    // REPEATABLE READ: the run and its steps come from one snapshot even while another process writes.
    return this.tx(async (c) => {
      const run = await c.query(`select ${RUN_COLUMNS} from ${this.s}.runs where id = $1`, [runId]);
      if (run.rows.length === 0) return undefined;
      const steps = await c.query(
        `select ${STEP_COLUMNS} from ${this.s}.steps where run_id = $1 order by idx, started_at, step_id`,
        [runId],
      );
      return { run: toRunRecord(run.rows[0]), steps: steps.rows.map(toStepRecord) };
    }, 'begin isolation level repeatable read read only');
  }

  async listRuns(filter: { service?: string; limit?: number } = {}): Promise<RunRecord[]> {
    const limit = checkLimit(filter.limit) ?? null;
    const r = await this.query(
      `select ${RUN_COLUMNS} from ${this.s}.runs where ($1::text is null or service = $1)
       order by created_at desc, seq desc limit $2`,
      [filter.service ?? null, limit],
    );
    return r.rows.map(toRunRecord);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async touch(c: pg.PoolClient, runId: string): Promise<void> {
    const r = await c.query(`update ${this.s}.runs set updated_at = $2 where id = $1`, [
      runId,
      this.now().toISOString(),
    ]);
    if (r.rowCount === 0) throw new Error(`journal: no run "${runId}"`);
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw classify(err, this.where);
    }
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>, begin = 'begin'): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw classify(err, this.where);
    }
    try {
      await client.query(begin);
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw classify(err, this.where);
    } finally {
      client.release();
    }
  }
}

/** Opens the PostgreSQL journal, creating its schema and tables when missing. */
export async function openPostgresJournal(opts: PostgresJournalOptions): Promise<PostgresJournal> {
  return PostgresJournal.open(opts);
}
