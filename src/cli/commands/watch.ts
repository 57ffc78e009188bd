import type { Command } from 'commander';
import type { Policy } from '../../config/compile-detect.js';
import { RipcordError } from '../../core/errors.js';
import { explainText } from '../format/explain-text.js';
import { emit, progress } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { requireRun, withServiceContext, type ServiceContext } from '../service-context.js';
import { prometheusFor } from '../../app/watch/prometheus-for.js';
import { watchService, type WatchDecision } from '../../app/watch/watch-service.js';
import { runPlan } from './rollback.js';
import { exitCodeFor } from '../../core/errors.js';
import { revisionOf } from '../../core/app-rollback/deployment-util.js';
import { templateImages } from '../../core/app-rollback/history.js';
import { formatDuration } from '../../core/duration.js';
import type { RunRecord } from '../../core/journal.js';
import { summary } from '../command-index.js';

function parsePolicy(p: string | undefined): Policy | undefined {
  if (p === undefined) return undefined;
  if (p === 'auto' || p === 'ask' || p === 'off') return p;
  throw new RipcordError('invalid', `--policy: expected auto, ask or off, got "${p}"`);
}

function ownerNote(run: RunRecord): string {
  return run.owner ? ` (taken by ${run.owner})` : '';
}

const showRevision = (r: { revision: number; images: readonly string[] }) =>
  `revision ${r.revision} (${r.images.join(', ') || 'no images'})`;

/**
 * A held verdict goes stale: refused (exit 3, and the run journaled as refused so nobody approves it later)
 * when it is older than detect.policy.approvalMaxAge, or when the Deployment is no longer at the revision the
 * plan was made from (somebody deployed or rolled back meanwhile: the plan would undo their change).
 */
async function checkApprovable(ctx: ServiceContext, run: RunRecord): Promise<void> {
  const maxAgeMs = ctx.service.detect.policy.approvalMaxAgeMs;
  const ageMs = ctx.clock.now().getTime() - Date.parse(run.createdAt);
  let why: string | undefined;
  if (ageMs > maxAgeMs) {
    why = `it was held ${formatDuration(ageMs)} ago, longer than detect.policy.approvalMaxAge (${formatDuration(maxAgeMs)}): the verdict is stale; watch the release again`;
  } else if (run.plan.scenario === 'app') {
    const snap = await ctx.kube.snapshot(run.plan.namespace, ctx.service.deployment);
    const rev = revisionOf(snap.deployment);
    const now = {
      revision: rev.ok ? rev.revision : -1,
      images: templateImages(snap.deployment.spec?.template),
    };
    const from = run.plan.from;
    if (now.revision !== from.revision || now.images.join(',') !== from.images.join(',')) {
      why = `deployment/${ctx.service.deployment} moved since the plan was made: it was ${showRevision(from)}, it is now ${showRevision(now)}; plan again`;
    }
  }
  if (!why) return;
  if (await ctx.journal.claimRun(run.id, { from: ['planned'], owner: ctx.owner, to: 'refused' }))
    await ctx.journal.setRunStatus(run.id, 'refused', { error: `approval refused: ${why}` });
  throw new RipcordError('refused', `approve ${run.id}: refused: ${why}; nothing was changed`);
}

export function registerWatchCommands(program: Command): void {
  program
    .command('watch <services...>')
    .description(summary('watch'))
    .option('--policy <p>', 'auto, ask or off (overrides detect.policy.app)')
    .option('--until-decided', 'exit after the first release is decided (for a deploy pipeline)')
    .option('--judge-current', 'also judge the release rolling out now, even if it began before the bake')
    .action(
      action(
        async (
          names: string[],
          o: { policy?: string; untilDecided?: boolean; judgeCurrent?: boolean },
          cmd: Command,
        ) => {
          const g = globalOptions(cmd);
          const policy = parsePolicy(o.policy);
          const abort = new AbortController();
          const stop = (): void => abort.abort();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          try {
            const all = await Promise.all(
              names.map((name) =>
                withServiceContext(g, name, (ctx) =>
                  watchService(ctx, {
                    prometheus: prometheusFor(ctx, abort.signal),
                    signal: abort.signal,
                    log: (l) => progress(`[${name}] ${l}`),
                    ...(policy ? { policy } : {}),
                    ...(o.untilDecided ? { untilDecided: true } : {}),
                    ...(o.judgeCurrent ? { judgeCurrent: true } : {}),
                    execute: (plan, runId) => runPlan(ctx, plan, runId, false),
                  }),
                ),
              ),
            );
            const decisions: WatchDecision[] = all.flat();
            emit(
              g,
              decisions.map(({ result, ...d }) => ({ ...d, ...(result ? { status: result.status } : {}) })),
              () =>
                decisions
                  .map(
                    (d) =>
                      `${d.judgement.release.deployment}: ${d.judgement.decision} -> ${d.action}${d.runId ? ` (run ${d.runId})` : ''}`,
                  )
                  .join('\n'),
            );
            if (decisions.some((d) => d.action === 'rollback-failed')) process.exitCode = 1;
          } finally {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
          }
        },
      ),
    );

  program
    .command('approve <run>')
    .description(summary('approve'))
    .action(
      action(async (runId: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const found = await requireRun(g, runId);
        if (found.run.status !== 'planned' || found.steps.length > 0) {
          throw new RipcordError(
            'refused',
            `run ${runId} is ${found.run.status}; only a planned run awaiting approval can be approved${ownerNote(found.run)}`,
          );
        }
        await withServiceContext(g, found.run.service, async (ctx) => {
          await checkApprovable(ctx, found.run);
          // Compare-and-set: of two approvals at once exactly one moves the run out of `planned`.
          if (!(await ctx.journal.claimRun(runId, { from: ['planned'], owner: ctx.owner }))) {
            const now = await ctx.journal.getRun(runId);
            throw new RipcordError(
              'refused',
              `run ${runId} was taken by somebody else first: it is ${now?.run.status ?? 'gone'}${now ? ownerNote(now.run) : ''}; this approval changed nothing`,
            );
          }
          const result = await runPlan(ctx, found.run.plan, runId, false);
          const { error, ...rest } = result;
          emit(
            g,
            { ...rest, ...(error ? { error: error.message } : {}) },
            () => `run ${runId}: ${result.status}`,
          );
          if (result.status !== 'succeeded')
            process.exitCode = exitCodeFor(error ?? new RipcordError('failed', result.status));
        });
      }),
    );

  program
    .command('explain <run>')
    .description(summary('explain'))
    .action(
      action(async (runId: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const { run } = await requireRun(g, runId);
        const j = run.plan.trigger;
        if (!j) {
          emit(
            g,
            { run: runId, trigger: null },
            () => `run ${runId} was started by hand (${run.scenario}); no watch verdict to explain`,
          );
          return;
        }
        emit(g, j, () => explainText(j));
      }),
    );
}
