import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { AbortedError, exitCodeFor, RipcordError } from '../../core/errors.js';
import { executePlan, type ExecuteResult, type ExecutorEvent } from '../../core/executor.js';
import type { Plan } from '../../core/plan.js';
import { autoRecord } from '../config-records.js';
import { planText } from '../format/plan-text.js';
import { eventLine, runSummaryText } from '../format/run-text.js';
import { emit, progress, type GlobalOptions } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { requireRun, withServiceContext, type ServiceContext } from '../service-context.js';
import { addScenarioOptions, allHandlers, makePlan, type ScenarioFlags } from '../scenarios/index.js';
import { markSecurityIncident, withRunNotifications } from '../notify-run.js';

/** `r-20261127-194501-3f9a`: sortable, readable in a Slack message, unique enough per service. */
export function newRunId(now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `r-${t}-${randomBytes(2).toString('hex')}`;
}

/**
 * Test-only failpoint (like etcd's gofail): RIPCORD_FAILPOINT=kill-after:<stepId> makes the process SIGKILL
 * itself right after that step's outcome is journaled, so tests can prove crash-safe resume at every boundary.
 */
function failpoint(e: ExecutorEvent): void {
  const fp = process.env.RIPCORD_FAILPOINT;
  if (!fp || e.type !== 'step-done') return;
  if (fp === `kill-after:${e.stepId}`) process.kill(process.pid, 'SIGKILL');
}

async function confirm(plan: Plan): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new RipcordError(
      'refused',
      'not confirmed: stdin is not a terminal; pass --yes to roll back without asking',
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Roll back ${plan.service} to revision ${plan.to.revision}? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim()))
      throw new RipcordError('refused', 'not confirmed: nothing was changed');
  } finally {
    rl.close();
  }
}

/**
 * Gives back the Leases a run still holds when it ends without succeeding (failed, refused, aborted), so a retry
 * need not wait for the lease to lapse; returns what it did, for the journal. A succeeded run released its own.
 */
async function releaseOnTheWayOut(ctx: ServiceContext, status: ExecuteResult['status']): Promise<string[]> {
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

/**
 * Executes (or resumes) a plan with live progress. SIGINT/SIGTERM stop it through the context's AbortSignal:
 * the step in flight is cancelled (its Kubernetes calls and waits honour the signal), the run is journaled
 * `aborted`, its lock given back, and `ripcord resume RUN` continues it.
 */
export async function runPlan(
  ctx: ServiceContext,
  plan: Plan,
  runId: string,
  resume: boolean,
  opts: { force?: boolean } = {},
): Promise<ExecuteResult> {
  const run = ctx.newRun();
  const onSignal = (signal: NodeJS.Signals) => (): void => {
    progress(
      `${signal}: stopping the run after cancelling the step in flight (ripcord resume ${runId} continues it)`,
    );
    run.abort(new AbortedError(`interrupted by ${signal}`));
  };
  const onSigint = onSignal('SIGINT');
  const onSigterm = onSignal('SIGTERM');
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  try {
    return await withRunNotifications(ctx, plan, runId, { resume }, (notify) =>
      executePlan({
        plan,
        runId,
        journal: ctx.journal,
        handlers: allHandlers(ctx),
        clock: ctx.clock,
        signal: run.signal,
        resume,
        owner: ctx.owner,
        ...(opts.force ? { force: true } : {}),
        beforeFinish: (status) => releaseOnTheWayOut(ctx, status),
        onEvent: (e) => {
          const line = eventLine(e);
          if (line) progress(line);
          notify(e);
          failpoint(e);
        },
      }),
    );
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    // A long-lived context (watch, controller) goes on after this run: its next calls need a live signal.
    ctx.newRun();
  }
}

/** Prints the summary and sets the exit code from the run's outcome (mapped in core/errors.ts). */
function report(g: GlobalOptions, plan: Plan, result: ExecuteResult): void {
  const { error, ...rest } = result;
  emit(g, { ...rest, ...(error ? { error: error.message } : {}), from: plan.from, to: plan.to }, () =>
    runSummaryText(plan, result),
  );
  if (result.status !== 'succeeded') {
    process.exitCode = exitCodeFor(error ?? new RipcordError('failed', result.status));
  }
}

type RollbackFlags = ScenarioFlags & { yes?: boolean; dryRun?: boolean; security?: boolean; force?: boolean };

export function registerRollbackCommands(program: Command): void {
  addScenarioOptions(
    program
      .command('rollback <service>')
      .description('plan and execute the rollback, wait for the rollout, verify, and print the summary'),
  )
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--security', 'a security incident: the security contact is told first (kept for resume)')
    .option('--force', 'act even if the target changed since the plan was made (the override is journaled)')
    .action(
      action(async (name: string, o: RollbackFlags, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          // Planning validates every flag and changes nothing, so bad input writes nothing, records included.
          const planned = await makePlan(ctx, o);
          // Before rolling away from the current revision: --with-config may want to come back to it.
          await autoRecord(ctx);
          const plan = o.security ? markSecurityIncident(planned, ctx.service.contacts) : planned;
          if (plan.noop) {
            emit(g, { status: 'skipped', message: plan.noop, plan }, () => plan.noop ?? '');
            return;
          }
          if (o.dryRun) {
            emit(g, { dryRun: true, plan }, () => `${planText(plan)}\n\ndry run: nothing was changed`);
            return;
          }
          if (!o.yes) {
            progress(planText(plan));
            await confirm(plan);
          }
          const runId = newRunId(ctx.clock.now());
          report(g, plan, await runPlan(ctx, plan, runId, false, { force: o.force === true }));
        });
      }),
    );

  program
    .command('resume <run>')
    .description('continue an interrupted run from its journal; steps already done are not repeated')
    .option('--force', 'act even if the target changed since the plan was made (the override is journaled)')
    .action(
      action(async (runId: string, o: { force?: boolean }, cmd: Command) => {
        const g = globalOptions(cmd);
        const found = await requireRun(g, runId);
        await withServiceContext(g, found.run.service, async (ctx) => {
          const result = await runPlan(ctx, found.run.plan, runId, true, { force: o.force === true });
          report(g, found.run.plan, result);
        });
      }),
    );
}
