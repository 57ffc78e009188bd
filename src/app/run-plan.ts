/**
 * Running a plan, for every entry point: the handlers from the registry, the run's notifications, the journal,
 * and the locks given back when the run ends without succeeding. It takes the stop switch (an AbortSignal) and
 * an event sink from its caller; wiring SIGINT or printing is the caller's business (the CLI's, the controller's).
 */
import { randomBytes } from 'node:crypto';
import { executePlan, type ExecuteResult, type ExecutorEvent } from '../core/executor.js';
import type { Plan } from '../core/plan.js';
import { verdictOf } from '../core/steps/checklist.js';
import { handlersFor } from './handlers.js';
import { withRunNotifications, type RunContext } from './notify-run.js';

/** `r-20261127-194501-3f9a`: sortable, readable in a Slack message, unique enough per service. */
export function newRunId(now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r-${t}-${randomBytes(2).toString('hex')}`;
}

export interface RunOptions {
  resume: boolean;
  /** --force: act even though a target changed since planning (each step records the override). */
  force?: boolean;
  /** Stops the run: the step in flight is cancelled, the run journaled `aborted`. */
  signal: AbortSignal;
  onEvent?: (e: ExecutorEvent) => void;
}

/**
 * Gives back the Leases a run still holds when it ends without succeeding (failed, refused, aborted), so a retry
 * need not wait for the lease to lapse; returns what it did, for the journal. A succeeded run released its own.
 */
async function releaseOnTheWayOut(ctx: RunContext, status: ExecuteResult['status']): Promise<string[]> {
  const held = ctx.locks.held();
  ctx.locks.stop();
  if (status === 'succeeded') return [];
  const notes: string[] = [];
  for (const l of held) {
    try {
      await ctx.kube.releaseLock(l.namespace, l.lockName, l.holder);
      notes.push(`lock ${l.namespace}/${l.lockName} released on the way out (run ${status})`);
    } catch (err) {
      notes.push(
        `lock ${l.namespace}/${l.lockName} NOT released (${(err as Error).message}); it lapses by itself`,
      );
    }
  }
  return notes;
}

/** Executes (or resumes) `plan` as run `runId`, with its notifications. */
export async function runPlan(
  ctx: RunContext,
  plan: Plan,
  runId: string,
  opts: RunOptions,
): Promise<ExecuteResult> {
  const handlers = await handlersFor(ctx, plan);
  return withRunNotifications(ctx, plan, runId, { resume: opts.resume }, (notify) =>
    executePlan({
      plan,
      runId,
      journal: ctx.journal,
      handlers,
      clock: ctx.clock,
      signal: opts.signal,
      resume: opts.resume,
      owner: ctx.owner,
      ...(opts.force ? { force: true } : {}),
      beforeFinish: (status) => releaseOnTheWayOut(ctx, status),
      verdict: (steps) => verdictOf(plan, steps),
      onEvent: (e) => {
        opts.onEvent?.(e);
        notify(e);
      },
    }),
  );
}
