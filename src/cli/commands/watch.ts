import type { Command } from 'commander';
import { createPrometheusClient } from '../../adapters/prometheus/client.js';
import type { Policy } from '../../config/compile-detect.js';
import { RipcordError } from '../../core/errors.js';
import { explainText } from '../format/explain-text.js';
import { emit, progress } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { requireRun, withServiceContext, type ServiceContext } from '../service-context.js';
import { watchService, type WatchDecision } from '../watch/watch-service.js';
import { runPlan } from './rollback.js';
import { exitCodeFor } from '../../core/errors.js';

function parsePolicy(p: string | undefined): Policy | undefined {
  if (p === undefined) return undefined;
  if (p === 'auto' || p === 'ask' || p === 'off') return p;
  throw new RipcordError('invalid', `--policy: expected auto, ask or off, got "${p}"`);
}

export function prometheusFor(ctx: ServiceContext) {
  const url = ctx.service.detect.prometheusUrl ?? process.env.PROMETHEUS_URL;
  if (!url) {
    throw new RipcordError(
      'invalid',
      `services.${ctx.service.name}.detect.prometheusUrl: not set (nor $PROMETHEUS_URL); the watch needs metrics`,
    );
  }
  return createPrometheusClient({ baseUrl: url });
}

export function registerWatchCommands(program: Command): void {
  program
    .command('watch <services...>')
    .description('watch new rollouts, judge the runbook triggers during the bake, and act by policy')
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
                    prometheus: prometheusFor(ctx),
                    signal: abort.signal,
                    log: (l) => progress(`[${name}] ${l}`),
                    ...(policy ? { policy } : {}),
                    ...(o.untilDecided ? { untilDecided: true } : {}),
                    ...(o.judgeCurrent ? { judgeCurrent: true } : {}),
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
    .description('execute a rollback the watch planned and is holding for approval (policy ask)')
    .action(
      action(async (runId: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const found = await requireRun(g, runId);
        if (found.run.status !== 'planned' || found.steps.length > 0) {
          throw new RipcordError(
            'refused',
            `run ${runId} is ${found.run.status}; only a planned run awaiting approval can be approved`,
          );
        }
        await withServiceContext(g, found.run.service, async (ctx) => {
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
    .description("why a run happened: the watch's verdict, each trigger's test and the numbers behind it")
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
