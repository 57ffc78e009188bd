import { createDeploymentEnvAdapter } from '../../adapters/kubernetes/env-patch.js';
import { planServiceOf } from './plan-service.js';
import { createFlagEnvHandlers } from '../../adapters/kubernetes/flag-env-handlers.js';
import { createUnleashAdmin } from '../../adapters/unleash/admin-api.js';
import { createUnleashFlagHandlers } from '../../adapters/unleash/flag-handlers.js';
import { rtoTargetMs } from '../../config/services.js';
import {
  planEnvFlagOff,
  planUnleashFlagOff,
  selectFlag,
  type FlagRollbackService,
  type FlagSpec,
} from '../../core/flag-rollback/plan-flag.js';
import { rejectForeignFlags } from './flags.js';
import type { ScenarioModule } from './types.js';

/** Runbook section 4: turn the feature flag off (Unleash admin API, or the env var with a redeploy). */
export const flagScenario: ScenarioModule = {
  name: 'flag',
  summary: 'feature flag off',
  async plan(ctx, flags) {
    rejectForeignFlags('flag', flags, ['flag']);
    const { service } = ctx;
    const flag: FlagSpec = selectFlag(service.name, service.flags, flags.flag);
    const svc: FlagRollbackService = planServiceOf(service);
    const opts = { rtoTargetMs: rtoTargetMs(service, 'flag'), now: ctx.clock.now() };
    if (flag.provider === 'env') {
      const snapshot = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
      return planEnvFlagOff(svc, flag, snapshot, opts);
    }
    // The flag service first: an unknown flag or a bad token is reported before anything else is read.
    const api = createUnleashAdmin({ url: flag.url, token: flag.token, timeoutMs: flag.timeoutMs });
    const enabled = await api.isEnabled({
      project: flag.project,
      environment: flag.environment,
      feature: flag.feature,
    });
    const snapshot = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
    return planUnleashFlagOff(svc, flag, { enabled }, snapshot, opts);
  },
  handlers: (ctx) => ({
    ...createUnleashFlagHandlers(),
    ...createFlagEnvHandlers({ kube: ctx.kube, env: createDeploymentEnvAdapter(ctx.kc) }),
  }),
};
