import type { Command } from 'commander';
import { AbortedError, EXIT_NOT_VERIFIED, exitCodeFor, RipcordError } from '../../core/errors.js';
import type { ExecuteResult, ExecutorEvent } from '../../core/executor.js';
import { newRunId, runPlan as runPlanInApp } from '../../app/run-plan.js';
import type { Plan } from '../../core/plan.js';
import { autoRecord } from '../../scenarios/config/revision-records.js';
import { planText } from '../format/plan-text.js';
import { eventLine, runSummaryText } from '../format/run-text.js';
import { emit, progress, type GlobalOptions } from '../output.js';
import { confirmOrRefuse } from '../confirm.js';
import { action, globalOptions } from '../run-action.js';
import { requireRun, withServiceContext, type ServiceContext } from '../service-context.js';
import { makePlan } from '../../app/plan-rollback.js';
import { addScenarioOptions } from '../../scenarios/options.js';
import { SCENARIOS } from '../../scenarios/registry.js';
import type { RawScenarioFlags } from '../../scenarios/types.js';
import { markSecurityIncident } from '../../app/notify-run.js';
import { refuseOtherCluster, resumeContext } from '../../app/plan-cluster.js';
import { summary } from '../command-index.js';
import { planningView } from '../../app/planning-view.js';

export { newRunId };

/**
 * Test-only failpoint (like etcd's gofail): RIPCORD_FAILPOINT=kill-after:<stepId> makes the process SIGKILL
 * itself right after that step's outcome is journaled, so tests can prove crash-safe resume at every boundary.
 */
function failpoint(e: ExecutorEvent): void {
  const fp = process.env.RIPCORD_FAILPOINT;
  if (!fp || e.type !== 'step-done') return;
  if (fp === `kill-after:${e.stepId}`) process.kill(process.pid, 'SIGKILL');
}

const confirm = (plan: Plan): Promise<void> =>
  confirmOrRefuse(`Roll back ${plan.service} to revision ${plan.to.revision}?`, 'roll back');

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
    return await runPlanInApp(ctx, plan, runId, {
      resume,
      ...(opts.force ? { force: true } : {}),
      signal: run.signal,
      onEvent: (e) => {
        const line = eventLine(e);
        if (line) progress(line);
        failpoint(e);
      },
    });
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
  } else if (result.summary.verification && !result.summary.verification.verified) {
    process.exitCode = EXIT_NOT_VERIFIED;
  }
}

/**
 * The tail every plan-and-run command shares: a no-op or a dry run is printed, otherwise the plan is shown and
 * confirmed (unless --yes), run under a new run id, and reported.
 */
export async function runPlanned(
  g: GlobalOptions,
  ctx: ServiceContext,
  plan: Plan,
  o: { yes?: boolean; dryRun?: boolean; force?: boolean },
  confirmRun: () => Promise<void>,
): Promise<void> {
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
    await confirmRun();
  }
  const runId = newRunId(ctx.clock.now());
  report(g, plan, await runPlan(ctx, plan, runId, false, { force: o.force === true }));
}

type RollbackFlags = RawScenarioFlags & {
  yes?: boolean;
  dryRun?: boolean;
  security?: boolean;
  force?: boolean;
};

export function registerRollbackCommands(program: Command): void {
  addScenarioOptions(program.command('rollback <service>').description(summary('rollback')), SCENARIOS)
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--security', 'a security incident: the security contact is told first (kept for resume)')
    .option('--force', 'act even if the target changed since the plan was made (the override is journaled)')
    .action(
      action(async (name: string, o: RollbackFlags, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          // Planning validates every flag and changes nothing, so bad input writes nothing, records included.
          // One read of the Deployment for the plan and the record (app/planning-view.ts); the run re-reads.
          const view = planningView(ctx);
          const planned = await makePlan(view, o);
          // Before rolling away from the current revision: --with-config may want to come back to it. The record
          // copies the config objects the current revision reads, so it must be taken before any step writes
          // one. A flag rollback writes none (a flag service, or one env var in the template): its record is
          // taken while the flag goes off, not before (issue 16: ~0.17 s of reads and copies ahead of a 1 s goal).
          const recording = autoRecord(view);
          if (planned.scenario !== 'flag') await recording;
          const plan = o.security ? markSecurityIncident(planned, ctx.service.contacts) : planned;
          try {
            await runPlanned(g, ctx, plan, o, () => confirm(plan));
          } finally {
            await recording;
          }
        });
      }),
    );

  program
    .command('resume <run>')
    .description(summary('resume'))
    .option('--force', 'act even if the target changed since the plan was made (the override is journaled)')
    .action(
      action(async (runId: string, o: { force?: boolean }, cmd: Command) => {
        const g = globalOptions(cmd);
        const found = await requireRun(g, runId);
        const context = resumeContext(found.run.plan, g.context);
        await withServiceContext(
          { ...g, ...(context ? { context } : {}) },
          found.run.service,
          async (ctx) => {
            refuseOtherCluster(found.run.plan, ctx.cluster);
            const result = await runPlan(ctx, found.run.plan, runId, true, { force: o.force === true });
            report(g, found.run.plan, result);
          },
        );
      }),
    );
}
