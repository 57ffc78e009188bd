import { createAppRollbackHandlers } from '../../adapters/kubernetes/app-handlers.js';
import { planServiceOf } from './plan-service.js';
import { planAppRollback } from '../../core/app-rollback/plan-app.js';
import { rtoTargetMs } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import { withConfig } from '../config-records.js';
import { rejectForeignFlags } from './flags.js';
import type { ScenarioModule } from './types.js';

/** `--to-revision N`: a whole number >= 0 (0 = previous, as kubectl). */
export function parseToRevision(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new RipcordError('invalid', `--to-revision: expected a whole number >= 0, got "${text}"`);
  }
  return n;
}

/** Runbook section 1: Kubernetes rollback of the Deployment, `kubectl rollout undo` semantics. */
export const appScenario: ScenarioModule = {
  name: 'app',
  summary: 'Kubernetes rollback',
  async plan(ctx, flags) {
    rejectForeignFlags('app', flags, ['toRevision', 'withConfig']);
    const toRevision = parseToRevision(flags.toRevision);
    const { service } = ctx;
    const snapshot = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
    const plan = planAppRollback(planServiceOf(service), snapshot, {
      ...(toRevision !== undefined ? { toRevision } : {}),
      rtoTargetMs: rtoTargetMs(service, 'app'),
      now: ctx.clock.now(),
    });
    return flags.withConfig ? withConfig(ctx, plan, snapshot) : plan;
  },
  handlers: (ctx) => createAppRollbackHandlers({ kube: ctx.kube, probe: ctx.probe, locks: ctx.locks }),
};
