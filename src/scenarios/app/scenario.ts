/** Runbook section 1: observe the Deployment and its ReplicaSets, then the pure kubectl-rollout-undo planner. */
import { rtoTargetMs } from '../../config/services.js';
import { configHandlers, secretHandlers } from '../config/scenario.js';
import { withConfig } from '../config/revision-records.js';
import { planServiceOf } from '../plan-service.js';
import type { OptionValues, ScenarioModule } from '../types.js';
import type { appOptions } from './entry.js';
import { setTemplateHandlers } from './handlers.js';
import { planAppRollback } from './plan.js';

export const appScenario: ScenarioModule = {
  name: 'app',
  async plan(ctx, options) {
    const { toRevision, withConfig: alsoConfig } = options as OptionValues<typeof appOptions>;
    const { service } = ctx;
    const snapshot = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
    const plan = planAppRollback(planServiceOf(service), snapshot, {
      ...(toRevision !== undefined ? { toRevision } : {}),
      rtoTargetMs: rtoTargetMs(service, 'app'),
      now: ctx.clock.now(),
    });
    return alsoConfig ? withConfig(ctx, plan, snapshot) : plan;
  },
  // --with-config plans restore ConfigMaps, Secrets and the Vault secret too.
  handlers: (ctx) => ({ ...setTemplateHandlers(ctx.kube), ...configHandlers(ctx), ...secretHandlers(ctx) }),
};
