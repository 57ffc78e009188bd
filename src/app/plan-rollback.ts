/**
 * Planning a rollback, for every entry point (the CLI's plan and rollback, the watch, the controller, later the
 * dashboard): the scenario the flags name, its options parsed, its plan under the service's lock, the recovery
 * check after its verification. Observes the live systems; changes nothing.
 */
import type { Plan } from '../core/plan.js';
import { withLock } from '../core/steps/lock.js';
import { parseScenarioOptions } from '../scenarios/options.js';
import { scenarioNamed, SCENARIOS } from '../scenarios/registry.js';
import type { RawScenarioFlags, ScenarioContext } from '../scenarios/types.js';
import { refuseIfSelfHealed } from './gitops-guard.js';
import { planningView } from './planning-view.js';
import { withVerification } from './recovery.js';

export async function makePlan(live: ScenarioContext, flags: RawScenarioFlags): Promise<Plan> {
  // One observation: the scenario, the self-heal guard and the verification share each Deployment's read.
  const ctx = planningView(live);
  const entry = scenarioNamed(flags.scenario);
  const options = parseScenarioOptions(entry, SCENARIOS, flags);
  const scenario = await entry.load();
  // A change that Argo CD's self-heal would undo is refused before the lock is even planned.
  const plan = await refuseIfSelfHealed(ctx, await scenario.plan(ctx, options));
  const locked = withLock(plan, { service: ctx.service.name, leaseSeconds: ctx.service.lock.leaseSeconds });
  return withVerification(ctx, { ...locked, cluster: ctx.cluster });
}
