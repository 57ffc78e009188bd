/**
 * The executor handlers for a plan: the shared step library (lock, wait-rollout, verify, restart, notify,
 * recovery) and those of the plan's scenario, loaded from the registry. A plan holds only kinds its scenario
 * made (a database plan's app steps, an app plan's --with-config steps are that scenario's handlers too).
 */
import type { StepHandlers } from '../core/executor.js';
import type { Plan } from '../core/plan.js';
import { lockHandlers } from '../core/steps/lock.js';
import { notifyHandlers } from '../core/steps/notify.js';
import { recoveryHandlers } from '../core/steps/recovery.js';
import { restartHandlers } from '../core/steps/restart.js';
import { verifyHandlers } from '../core/steps/verify.js';
import { verifyChecksHandlers } from '../core/steps/verify-checks.js';
import { verifyChecksDeps } from './verify-checks.js';
import { waitRolloutHandlers } from '../core/steps/wait-rollout.js';
import { scenarioNamed } from '../scenarios/registry.js';
import type { ScenarioContext } from '../scenarios/types.js';

export function sharedHandlers(ctx: ScenarioContext): StepHandlers {
  const { ports } = ctx;
  return {
    ...lockHandlers({ kube: ctx.kube, locks: ctx.locks }),
    ...waitRolloutHandlers(ctx.kube),
    ...verifyHandlers({ kube: ctx.kube, probe: ctx.probe }),
    ...restartHandlers({ kube: ctx.kube, restart: ports.config }),
    ...notifyHandlers({ notifier: () => ports.notifier(), log: (l) => ports.log(l) }),
    // Where to ask comes from the CURRENT config (a journaled URL is only the record of the plan's), so a
    // resumed step reads the service's Prometheus and Alertmanager, wherever the journal says they were.
    ...recoveryHandlers({
      metrics: (planned) =>
        ports.metrics(ctx.service.detect.prometheusUrl ?? planned, ctx.service.detect.metrics),
      alerts: (planned) => ports.alerts(ctx.service.detect.alertmanagerUrl ?? planned),
    }),
    ...verifyChecksHandlers(verifyChecksDeps(ctx)),
  };
}

export async function handlersFor(ctx: ScenarioContext, plan: Pick<Plan, 'scenario'>): Promise<StepHandlers> {
  const scenario = await scenarioNamed(plan.scenario).load();
  return { ...sharedHandlers(ctx), ...scenario.handlers(ctx) };
}
