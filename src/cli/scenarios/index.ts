import type { Command } from 'commander';
import { acquireLockStep, APP_STEP_KINDS, releaseLockStep } from '../../core/app-rollback/plan-app.js';
import { RipcordError } from '../../core/errors.js';
import { NOTIFY_STEP_KIND } from '../../core/notify/notify-step.js';
import type { StepHandlers } from '../../core/executor.js';
import type { Plan } from '../../core/plan.js';
import type { ServiceContext } from '../service-context.js';
import { appScenario } from './app.js';
import { configScenario, secretScenario } from './config.js';
import { databaseScenario } from './database.js';
import { flagScenario } from './flag.js';
import { notifyHandlers } from './notify.js';
import { recoveryHandlers, withRecoveryStep } from './recovery.js';
import type { ScenarioFlags, ScenarioModule } from './types.js';

export type { ScenarioFlags, ScenarioModule } from './types.js';

/** Every scenario `--scenario` accepts, in the runbook's quick-reference order. */
export const SCENARIOS: readonly ScenarioModule[] = [
  appScenario,
  databaseScenario,
  configScenario,
  secretScenario,
  flagScenario,
];

export function scenarioNamed(name: string | undefined): ScenarioModule {
  const wanted = name ?? 'app';
  const found = SCENARIOS.find((s) => s.name === wanted);
  if (!found) {
    throw new RipcordError(
      'invalid',
      `--scenario: unknown scenario "${wanted}" (known: ${SCENARIOS.map((s) => s.name).join(', ')})`,
    );
  }
  return found;
}

/** Observes the live systems and plans; shared by `plan`, `rollback` and the demo. Changes nothing. */
export async function makePlan(ctx: ServiceContext, flags: ScenarioFlags): Promise<Plan> {
  const scenario = scenarioNamed(flags.scenario);
  return withRecoveryStep(ctx, withLock(ctx, await scenario.plan(ctx, flags)));
}

/**
 * Every plan that changes anything runs under the service's lock: one rollback per service at a time, whatever
 * the scenario. A planner that takes the lock itself (around the steps that need it) is left as it is; any other
 * plan is wrapped, the lock first (after a security notice, which must not wait) and its release last.
 */
export function withLock(ctx: Pick<ServiceContext, 'service'>, plan: Plan): Plan {
  if (plan.noop || plan.steps.length === 0) return plan;
  if (plan.steps.some((s) => s.kind === APP_STEP_KINDS.acquireLock)) return plan;
  const name = ctx.service.name;
  const first = plan.steps.findIndex((s) => s.kind !== NOTIFY_STEP_KIND);
  const at = first < 0 ? plan.steps.length : first;
  return {
    ...plan,
    steps: [
      ...plan.steps.slice(0, at),
      acquireLockStep(name, plan.namespace, ctx.service.lock.leaseSeconds),
      ...plan.steps.slice(at),
      releaseLockStep(name, plan.namespace),
    ],
  };
}

/**
 * The handlers of every scenario, merged: a plan may mix kinds (a database rollback ends with the app steps),
 * and `resume` runs whatever the journal's plan holds. Step kinds are prefixed per adapter, so none collide.
 */
export function allHandlers(ctx: ServiceContext): StepHandlers {
  const merged: Record<string, StepHandlers[string]> = {};
  for (const s of SCENARIOS) Object.assign(merged, s.handlers(ctx));
  Object.assign(merged, notifyHandlers(ctx), recoveryHandlers(ctx));
  return merged;
}

/** The scenario flags, declared once for `plan` and `rollback`. */
export function addScenarioOptions(cmd: Command): Command {
  return cmd
    .option(
      '--scenario <name>',
      `which runbook scenario: ${SCENARIOS.map((s) => `${s.name} (${s.summary})`).join('; ')}`,
      'app',
    )
    .option('--to-revision <n>', 'app: revision to roll back to (0 or absent = previous)')
    .option('--with-config', 'app: also restore the ConfigMaps and Secrets that revision ran with')
    .option('--all', "database: roll back every migration of the release's batch")
    .option('--to <migration>', 'database: roll back the migrations applied after this one')
    .option('--freeze', 'database: roll back the app only and leave the schema')
    .option('--force-unlock', 'database: free a stale knex migration lock first')
    .option('--to-version <n>', 'config/secret: the version to restore')
    .option('--flag <name>', 'flag: the feature flag to turn off');
}
