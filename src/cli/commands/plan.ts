import type { Command } from 'commander';
import { planAppRollback } from '../../core/app-rollback/plan-app.js';
import { rtoTargetMs } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import type { Plan } from '../../core/plan.js';
import { planText } from '../format/plan-text.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { withServiceContext, type ServiceContext } from '../service-context.js';

export interface PlanFlags {
  toRevision?: string;
  scenario?: string;
}

/** `--to-revision N`: a whole number >= 0 (0 = previous, as kubectl). */
export function parseToRevision(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new RipcordError('invalid', `--to-revision: expected a whole number >= 0, got "${text}"`);
  }
  return n;
}

function checkScenario(scenario: string | undefined): void {
  if (scenario !== undefined && scenario !== 'app') {
    throw new RipcordError(
      'invalid',
      `--scenario: "${scenario}" is not available yet; this version plans: app`,
    );
  }
}

/** Observes the cluster and plans; shared by `plan`, `rollback` and the demo. Pure planning, read-only I/O. */
export async function makePlan(ctx: ServiceContext, flags: PlanFlags): Promise<Plan> {
  checkScenario(flags.scenario);
  const toRevision = parseToRevision(flags.toRevision);
  const { service } = ctx;
  const snapshot = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
  return planAppRollback(
    {
      name: service.name,
      namespace: service.kube.namespace,
      deployment: service.deployment,
      ...(service.healthUrl ? { healthUrl: service.healthUrl } : {}),
      verifyWindowMs: service.verify.windowMs,
      healthTimeoutMs: service.health.timeoutMs,
      lockLeaseSeconds: service.lock.leaseSeconds,
    },
    snapshot,
    {
      ...(toRevision !== undefined ? { toRevision } : {}),
      rtoTargetMs: rtoTargetMs(service, 'app'),
      now: ctx.clock.now(),
    },
  );
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan <service>')
    .description('the ordered rollback steps, what each changes and why; changes nothing')
    .option('--to-revision <n>', 'revision to roll back to (0 or absent = previous)')
    .option('--scenario <name>', 'which runbook scenario (app)', 'app')
    .action(
      action(async (name: string, o: PlanFlags, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const plan = await makePlan(ctx, o);
          emit(g, plan, () => planText(plan));
        });
      }),
    );
}
