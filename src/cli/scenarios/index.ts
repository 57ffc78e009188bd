import type { Command } from 'commander';
import { RipcordError } from '../../core/errors.js';
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
  return withRecoveryStep(ctx, await scenarioNamed(flags.scenario).plan(ctx, flags));
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
