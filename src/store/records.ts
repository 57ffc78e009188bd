/**
 * Rows as both stores read them back, validated at the edge (a journal written by another ripcord version, or
 * edited by hand, is outside data), and turned into the core's records.
 */
import * as z from 'zod';
import type { Plan } from '../core/plan.js';
import type { Journal } from '../core/journal.js';
import type { RunRecord, RunStatus, StepRecord, StepStatus } from '../core/journal.js';

const RUN_STATUSES = [
  'planned',
  'running',
  'succeeded',
  'failed',
  'refused',
  'aborted',
] as const satisfies readonly RunStatus[];
const STEP_STATUSES = ['intent', 'done', 'failed', 'skipped'] as const satisfies readonly StepStatus[];

/** SQLite keeps ISO text; pg hands back Date objects for timestamptz. */
const Timestamp = z
  .union([z.string(), z.date()])
  .transform((v) => (typeof v === 'string' ? v : v.toISOString()));
const JsonText = z.string().nullable();

/** A `runs` row, with JSON columns still as text. */
export const RunRow = z.object({
  id: z.string(),
  service: z.string(),
  scenario: z.string(),
  status: z.enum(RUN_STATUSES),
  plan: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  owner: z.string().nullable(),
  error: z.string().nullable(),
  summary: JsonText,
});
export type RunRow = z.infer<typeof RunRow>;

/** A `steps` row, with JSON columns still as text. */
export const StepRow = z.object({
  run_id: z.string(),
  step_id: z.string(),
  idx: z.number().int(),
  status: z.enum(STEP_STATUSES),
  attempts: z.number().int(),
  started_at: Timestamp,
  finished_at: Timestamp.nullable(),
  duration_ms: z.number().nullable(),
  evidence: JsonText,
  error: z.string().nullable(),
});
export type StepRow = z.infer<typeof StepRow>;

/** JSON text for a column; `undefined` becomes SQL NULL so it reads back as absent, while `null` stays null. */
export function toJsonText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function fromJsonText(text: string | null, what: string): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`journal: ${what} is not valid JSON`, { cause: err });
  }
}

/** Validates a raw `runs` row and turns it into a RunRecord. */
export function toRunRecord(raw: unknown): RunRecord {
  const row = RunRow.parse(raw);
  const plan = fromJsonText(row.plan, `plan of run ${row.id}`);
  if (plan === null || typeof plan !== 'object')
    throw new Error(`journal: plan of run ${row.id} is not an object`);
  const run: RunRecord = {
    id: row.id,
    service: row.service,
    scenario: row.scenario,
    status: row.status,
    plan: plan as Plan,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.owner !== null) run.owner = row.owner;
  if (row.error !== null) run.error = row.error;
  const summary = fromJsonText(row.summary, `summary of run ${row.id}`);
  if (summary !== undefined) run.summary = summary;
  return run;
}

/** Validates a raw `steps` row and turns it into a StepRecord. */
export function toStepRecord(raw: unknown): StepRecord {
  const row = StepRow.parse(raw);
  const step: StepRecord = {
    runId: row.run_id,
    stepId: row.step_id,
    index: row.idx,
    status: row.status,
    attempts: row.attempts,
    startedAt: row.started_at,
  };
  if (row.finished_at !== null) step.finishedAt = row.finished_at;
  if (row.duration_ms !== null) step.durationMs = row.duration_ms;
  const evidence = fromJsonText(row.evidence, `evidence of step ${row.step_id} of run ${row.run_id}`);
  if (evidence !== undefined) step.evidence = evidence;
  if (row.error !== null) step.error = row.error;
  return step;
}

/** Elapsed milliseconds between two ISO timestamps; never negative, whatever the clocks did. */
export function elapsedMs(startedAt: string, finishedAt: Date): number {
  return Math.max(0, finishedAt.getTime() - Date.parse(startedAt));
}

/** `limit` must be a positive whole number when given; absent means every run. */
export function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`journal: limit must be a positive integer, got ${limit}`);
  return limit;
}

/** A run that succeeds without a new error drops the one an earlier failed attempt left. */
export function clearsError(status: RunStatus, extra: { error?: string }): boolean {
  return status === 'succeeded' && extra.error === undefined;
}

/** What both journals' createRun take. */
export type NewRun = Parameters<Journal['createRun']>[0];
