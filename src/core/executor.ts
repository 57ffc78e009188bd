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
import { AbortedError, abortReason, LockHeldError, RipcordError } from './errors.js';
import type { RunStatus, StepRecord } from './journal.js';
import type { ChecklistVerdict } from './verify/verdict.js';
import type { Plan, PlanStep } from './plan.js';
import type { Clock, Journal } from './ports.js';

/** What a handler gets besides its step. */
export interface StepContext {
  runId: string;
  signal: AbortSignal;
  clock: Clock;
  /** This process (host:pid:nonce): with runId, the identity a step takes locks under. */
  owner?: string;
  /** --force: act even though the target changed since the plan was made (the step records the override). */
  force?: boolean;
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
  status: Extract<RunStatus, 'succeeded' | 'failed' | 'refused' | 'aborted'>;
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
  /** host:pid:nonce of this process, recorded as the run's owner. */
  owner?: string;
  /** --force: passed to every step (see StepContext.force). */
  force?: boolean;
  /**
   * Runs after the last step and before the final status is journaled (e.g. giving a failed run's lock back);
   * the lines it returns are journaled in the run's summary as `notes`.
   */
  beforeFinish?: (status: ExecuteResult['status']) => Promise<string[]>;
  /** The run's verification verdict from its steps' outcomes, journaled in the summary (core/steps/checklist.ts). */
  verdict?: (steps: readonly StepOutcome[]) => ChecklistVerdict | undefined;
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
  const ctxFor = (step: PlanStep): StepContext => ({
    runId,
    signal,
    clock,
    owner: opts.owner ?? 'local',
    force: opts.force === true,
    progress: (message) => emit({ type: 'step-progress', runId, stepId: step.id, message }),
  });

  // A resume takes the run's lock before it writes anything: if another process holds it (a second `resume` of
  // the same run, or the first one still alive), this one must leave the journal as that process keeps it.
  let lockTakenEarly: { index: number; evidence: unknown; durationMs: number; how: DoneHow } | undefined;
  if (opts.resume) {
    const index = plan.steps.findIndex((s) => s.recheckOnResume === true);
    const step = plan.steps[index];
    // Whatever comes before the lock step (a --security plan notifies first): two resumes of one run must not
    // both notify and write the journal before one of them finds the lock held.
    if (step && plan.steps.slice(index + 1).some((s) => !done.has(s.id))) {
      const t0 = clock.now();
      const handler = handlers[step.kind] as StepHandler;
      try {
        const held = await handler.check(step, ctxFor(step));
        const evidence = held ? 'already satisfied' : await handler.apply(step, ctxFor(step));
        lockTakenEarly = {
          index,
          evidence,
          durationMs: clock.now().getTime() - t0.getTime(),
          how: held ? 'already satisfied' : 'applied',
        };
      } catch (err) {
        if (err instanceof LockHeldError) return untouched(runId, plan, runStartedAt, clock, err);
        throw err;
      }
    }
  }

  await journal.setRunStatus(runId, 'running', owner(opts));
  emit({ type: 'run-start', runId, resumed: opts.resume === true, steps: plan.steps.length });

  const outcomes: StepOutcome[] = plan.steps.map((s, index) => ({ stepId: s.id, index, status: 'not-run' }));
  let failure: Error | undefined;

  for (const [index, step] of plan.steps.entries()) {
    const handler = handlers[step.kind] as StepHandler;
    const outcome = outcomes[index] as StepOutcome;
    const ctx = ctxFor(step);
    if (lockTakenEarly?.index === index) {
      const { evidence, durationMs, how } = lockTakenEarly;
      emit({ type: 'step-start', runId, stepId: step.id, index, description: step.description });
      await journal.recordIntent(runId, step.id, index, started);
      await journal.recordOutcome(runId, step.id, {
        status: 'done',
        at: clock.now(),
        evidence: how === 'applied' ? { ...asObject(evidence), durationMs } : evidence,
      });
      Object.assign(outcome, { status: 'done', how, durationMs, evidence });
      emit({ type: 'step-done', runId, stepId: step.id, index, durationMs, how });
      continue;
    }
    const journaled = done.get(step.id);
    // A lapsing state (a Lease) is re-checked only while a later step still needs it: once every later step
    // is done, re-taking it would hold a lock that nothing releases.
    const recheck = step.recheckOnResume === true && plan.steps.slice(index + 1).some((s) => !done.has(s.id));
    if (journaled && !recheck) {
      // The journaled evidence comes along: what a step proved before a crash (a verify step's checklist) still
      // counts in the resumed run's verdict.
      Object.assign(outcome, {
        status: 'done',
        how: 'journal',
        durationMs: journaled.durationMs ?? 0,
        ...(journaled.evidence !== undefined ? { evidence: journaled.evidence } : {}),
      });
      emit({ type: 'step-done', runId, stepId: step.id, index, durationMs: 0, how: 'journal' });
      continue;
    }
    if (signal.aborted) {
      failure = new AbortedError(`aborted before step ${step.id}: ${abortReason(signal)}`);
      break;
    }
    emit({ type: 'step-start', runId, stepId: step.id, index, description: step.description });
    const t0 = clock.now();
    let intent = false;
    try {
      if (opts.resume) {
        // Intent first: a check that fails is then journaled as this step's failure, with its own error.
        await journal.recordIntent(runId, step.id, index, t0);
        intent = true;
      }
      if (opts.resume && (await handler.check(step, ctx))) {
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
      if (!intent) await journal.recordIntent(runId, step.id, index, t0);
      intent = true;
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
      const raw = err instanceof Error ? err : new Error(String(err));
      // A step that failed because the run was stopped (SIGINT, lost lock) reports the stop, not a symptom.
      const error =
        signal.aborted && !(raw instanceof AbortedError)
          ? new AbortedError(`${raw.message} (${abortReason(signal)})`, { cause: raw })
          : raw;
      const evidence = err instanceof StepFailedError ? err.evidence : undefined;
      if (!intent) await journal.recordIntent(runId, step.id, index, t0);
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

  const status: ExecuteResult['status'] = !failure
    ? 'succeeded'
    : failure instanceof AbortedError
      ? 'aborted'
      : failure instanceof RipcordError && failure.kind === 'refused'
        ? 'refused'
        : 'failed';
  const notes = opts.beforeFinish ? await opts.beforeFinish(status).catch((e: Error) => [e.message]) : [];
  const finished = clock.now();
  const summary: RunSummary = {
    ...summarizeRun({
      startedAt: runStartedAt,
      finishedAt: finished,
      rtoTargetMs: plan.rtoTargetMs,
      steps: outcomes,
    }),
    ...(notes.length > 0 ? { notes } : {}),
  };
  const verification = opts.verdict?.(outcomes);
  if (verification) summary.verification = verification;
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

/** The result of a resume refused before it wrote anything: the journal stays the other process's. */
function untouched(runId: string, plan: Plan, startedAt: Date, clock: Clock, error: Error): ExecuteResult {
  const finishedAt = clock.now();
  return {
    runId,
    status: 'refused',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    steps: plan.steps.map((s, index) => ({ stepId: s.id, index, status: 'not-run' })),
    error,
    summary: summarizeRun({ startedAt, finishedAt, rtoTargetMs: plan.rtoTargetMs }),
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
  /** What happened on the way out (e.g. "lock ns/ripcord-x released"). */
  notes?: string[];
  /** The verification checklist's verdict: passed, failed and not-checked counts, and what blocks "verified". */
  verification?: ChecklistVerdict;
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
