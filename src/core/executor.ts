/**
 * Runs a plan step by step with the journal as the source of truth. Before a step: intent. After: outcome,
 * evidence and duration. On resume, steps the journal calls done are skipped and every other step's
 * postcondition is checked first: already true means done ("already satisfied"), false means run it again.
 * That is correct only because steps set desired state (see plan.ts); handlers must keep it so.
 *
 * Secrets: events, evidence and error texts are built from names, counts and statuses only. Handlers never
 * put a value (env, Secret, token) into evidence, so nothing here needs redacting.
 */
import { formatDuration } from './duration.js';
import { RipcordError } from './errors.js';
import type { RunStatus, StepRecord } from './journal.js';
import type { Plan, PlanStep } from './plan.js';
import type { Clock, Journal } from './ports.js';

/** What a handler gets besides its step. */
export interface StepContext {
  runId: string;
  signal: AbortSignal;
  clock: Clock;
  /** A progress line for the UI (e.g. kubectl's rollout status message). */
  progress(message: string): void;
}

/** Binds a step kind to the outside world: `apply` sets the desired state, `check` observes the postcondition. */
export interface StepHandler {
  /** Sets the step's desired state; returns evidence (what was observed). Must be safe to repeat. */
  apply(step: PlanStep, ctx: StepContext): Promise<unknown>;
  /** True when the postcondition already holds. */
  check(step: PlanStep, ctx: StepContext): Promise<boolean>;
}

/** Handlers by step kind. */
export type StepHandlers = Readonly<Record<string, StepHandler>>;

/** A failure that carries what was observed (e.g. the failed verification checklist). */
export class StepFailedError extends RipcordError {
  readonly evidence: unknown;
  constructor(message: string, evidence: unknown, opts: { cause?: unknown } = {}) {
    super('failed', message, opts);
    this.name = 'StepFailedError';
    this.evidence = evidence;
  }
}

/** How a step came to be done. */
export type DoneHow = 'applied' | 'already satisfied' | 'journal';

/** Progress events, for the CLI's live output and the server's stream. */
export type ExecutorEvent =
  | { type: 'run-start'; runId: string; resumed: boolean; steps: number }
  | { type: 'step-start'; runId: string; stepId: string; index: number; description: string }
  | { type: 'step-progress'; runId: string; stepId: string; message: string }
  | { type: 'step-done'; runId: string; stepId: string; index: number; durationMs: number; how: DoneHow }
  | { type: 'step-failed'; runId: string; stepId: string; index: number; durationMs: number; error: string }
  | { type: 'run-done'; runId: string; status: RunStatus; durationMs: number };

export interface StepOutcome {
  stepId: string;
  index: number;
  status: 'done' | 'failed' | 'not-run';
  how?: DoneHow;
  durationMs?: number;
  evidence?: unknown;
  error?: string;
}

export interface ExecuteResult {
  runId: string;
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'refused'>;
  startedAt: string;
  finishedAt: string;
  steps: StepOutcome[];
  /** The error that stopped the run, kept whole (kind, retryable, cause) for exit-code mapping. */
  error?: Error;
  summary: RunSummary;
}

export interface ExecuteOptions {
  plan: Plan;
  runId: string;
  journal: Journal;
  handlers: StepHandlers;
  clock: Clock;
  signal?: AbortSignal;
  onEvent?: (event: ExecutorEvent) => void;
  /** Continue a run the journal already has (after a crash or a failure). */
  resume?: boolean;
  /** host:pid of this process, recorded as the run's owner. */
  owner?: string;
}

/** Executes (or resumes) a plan. Never throws for a step failure: the result carries it. */
export async function executePlan(opts: ExecuteOptions): Promise<ExecuteResult> {
  const { plan, runId, journal, handlers, clock } = opts;
  const signal = opts.signal ?? new AbortController().signal;
  const emit = (e: ExecutorEvent): void => opts.onEvent?.(e);

  for (const step of plan.steps) {
    if (!handlers[step.kind])
      throw new RipcordError('invalid', `no handler for step kind "${step.kind}" (step ${step.id})`);
  }

  const existing = await journal.getRun(runId);
  let done = new Map<string, StepRecord>();
  if (opts.resume) {
    if (!existing) throw new RipcordError('invalid', `no run ${runId} to resume`);
    const planned = existing.run.plan.steps.map((s) => s.id).join(',');
    if (planned !== plan.steps.map((s) => s.id).join(',')) {
      throw new RipcordError(
        'invalid',
        `run ${runId} was planned with other steps; resume it with its own plan`,
      );
    }
    done = new Map(
      existing.steps.filter((s) => s.status === 'done' || s.status === 'skipped').map((s) => [s.stepId, s]),
    );
  } else if (!existing) {
    await journal.createRun({
      id: runId,
      service: plan.service,
      scenario: plan.scenario,
      plan,
      ...owner(opts),
    });
  } else if (existing.steps.length > 0) {
    throw new RipcordError('invalid', `run ${runId} has already started; resume it instead`);
  }

  const started = clock.now();
  const runStartedAt = opts.resume ? (earliest(existing?.steps ?? []) ?? started) : started;
  await journal.setRunStatus(runId, 'running', owner(opts));
  emit({ type: 'run-start', runId, resumed: opts.resume === true, steps: plan.steps.length });

  const outcomes: StepOutcome[] = plan.steps.map((s, index) => ({ stepId: s.id, index, status: 'not-run' }));
  let failure: Error | undefined;

  for (const [index, step] of plan.steps.entries()) {
    const handler = handlers[step.kind] as StepHandler;
    const outcome = outcomes[index] as StepOutcome;
    const ctx: StepContext = {
      runId,
      signal,
      clock,
      progress: (message) => emit({ type: 'step-progress', runId, stepId: step.id, message }),
    };
    const journaled = done.get(step.id);
    // A lapsing state (a Lease) is re-checked only while a later step still needs it: once every later step
    // is done, re-taking it would hold a lock that nothing releases.
    const recheck = step.recheckOnResume === true && plan.steps.slice(index + 1).some((s) => !done.has(s.id));
    if (journaled && !recheck) {
      Object.assign(outcome, { status: 'done', how: 'journal', durationMs: journaled.durationMs ?? 0 });
      emit({ type: 'step-done', runId, stepId: step.id, index, durationMs: 0, how: 'journal' });
      continue;
    }
    if (signal.aborted) {
      failure = new RipcordError('failed', `aborted before step ${step.id}`);
      break;
    }
    emit({ type: 'step-start', runId, stepId: step.id, index, description: step.description });
    const t0 = clock.now();
    try {
      if (opts.resume && (await handler.check(step, ctx))) {
        await journal.recordIntent(runId, step.id, index, t0);
        await journal.recordOutcome(runId, step.id, {
          status: 'done',
          at: clock.now(),
          evidence: 'already satisfied',
        });
        const durationMs = clock.now().getTime() - t0.getTime();
        Object.assign(outcome, {
          status: 'done',
          how: 'already satisfied',
          durationMs,
          evidence: 'already satisfied',
        });
        emit({ type: 'step-done', runId, stepId: step.id, index, durationMs, how: 'already satisfied' });
        continue;
      }
      await journal.recordIntent(runId, step.id, index, t0);
      const evidence = await handler.apply(step, ctx);
      const t1 = clock.now();
      const durationMs = t1.getTime() - t0.getTime();
      await journal.recordOutcome(runId, step.id, {
        status: 'done',
        at: t1,
        evidence: { ...asObject(evidence), durationMs },
      });
      Object.assign(outcome, { status: 'done', how: 'applied', durationMs, evidence });
      emit({ type: 'step-done', runId, stepId: step.id, index, durationMs, how: 'applied' });
    } catch (err) {
      const t1 = clock.now();
      const durationMs = t1.getTime() - t0.getTime();
      const error = err instanceof Error ? err : new Error(String(err));
      const evidence = err instanceof StepFailedError ? err.evidence : undefined;
      await journal.recordOutcome(runId, step.id, {
        status: 'failed',
        at: t1,
        error: error.message,
        ...(evidence !== undefined ? { evidence } : {}),
      });
      Object.assign(outcome, {
        status: 'failed',
        durationMs,
        error: error.message,
        ...(evidence !== undefined ? { evidence } : {}),
      });
      emit({ type: 'step-failed', runId, stepId: step.id, index, durationMs, error: error.message });
      failure = error;
      break;
    }
  }

  const finished = clock.now();
  const status: ExecuteResult['status'] = !failure
    ? 'succeeded'
    : failure instanceof RipcordError && failure.kind === 'refused'
      ? 'refused'
      : 'failed';
  const summary = summarizeRun({
    startedAt: runStartedAt,
    finishedAt: finished,
    rtoTargetMs: plan.rtoTargetMs,
    steps: outcomes,
  });
  await journal.setRunStatus(runId, status, {
    ...(failure ? { error: failure.message } : {}),
    summary,
  });
  emit({ type: 'run-done', runId, status, durationMs: summary.measuredMs });
  return {
    runId,
    status,
    startedAt: runStartedAt.toISOString(),
    finishedAt: finished.toISOString(),
    steps: outcomes,
    ...(failure ? { error: failure } : {}),
    summary,
  };
}

function owner(opts: ExecuteOptions): { owner?: string } {
  return opts.owner ? { owner: opts.owner } : {};
}

function asObject(evidence: unknown): Record<string, unknown> {
  if (evidence === undefined || evidence === null) return {};
  if (typeof evidence === 'object' && !Array.isArray(evidence)) return evidence as Record<string, unknown>;
  return { result: evidence };
}

function earliest(steps: readonly StepRecord[]): Date | undefined {
  const times = steps.map((s) => Date.parse(s.startedAt)).filter((t) => !Number.isNaN(t));
  return times.length > 0 ? new Date(Math.min(...times)) : undefined;
}

/** Measured time against the RTO target, for the report and `ripcord explain`. */
export interface RunSummary {
  measuredMs: number;
  rtoTargetMs: number;
  withinRto: boolean;
  /** Target minus measured: negative when the target was missed. */
  marginMs: number;
  steps: Array<{ stepId: string; durationMs: number }>;
  /** e.g. "1m35s against an RTO target of 5m: met, 3m25s to spare". */
  line: string;
}

/**
 * Computes the run's measured time (first step start to the end) against the runbook's RTO target. A resumed
 * run counts from its first attempt: the outage did not pause while nobody ran it.
 */
export function summarizeRun(input: {
  startedAt: Date | string;
  finishedAt: Date | string;
  rtoTargetMs: number;
  steps?: ReadonlyArray<{ stepId: string; durationMs?: number }>;
}): RunSummary {
  const measuredMs = Math.max(0, new Date(input.finishedAt).getTime() - new Date(input.startedAt).getTime());
  const marginMs = input.rtoTargetMs - measuredMs;
  const withinRto = marginMs >= 0;
  const target = formatDuration(input.rtoTargetMs);
  return {
    measuredMs,
    rtoTargetMs: input.rtoTargetMs,
    withinRto,
    marginMs,
    steps: (input.steps ?? []).map((s) => ({ stepId: s.stepId, durationMs: s.durationMs ?? 0 })),
    line: withinRto
      ? `${formatDuration(measuredMs)} against an RTO target of ${target}: met, ${formatDuration(marginMs)} to spare`
      : `${formatDuration(measuredMs)} against an RTO target of ${target}: missed by ${formatDuration(-marginMs)}`,
  };
}
