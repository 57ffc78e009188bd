/**
 * The runbook's Argo CD row: find the service's Application (named in the config, or from the Deployment's
 * Argo CD tracking), read it, then the pure planner.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { ArgoAppRef } from '../../adapters/argocd/argocd-api.js';
import type { CompiledArgoCd } from '../../config/compile-argocd.js';
import { sectionOf } from '../../config/sections.js';
import { rtoTargetMs } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import { planServiceOf } from '../plan-service.js';
import type { OptionValues, ScenarioContext, ScenarioModule } from '../types.js';
import { appViewOf } from './app-view.js';
import type { argoCdOptions } from './entry.js';
import { createArgoCdHandlers } from './handlers.js';
import { planArgoCdRollback } from './plan.js';
import { INSTANCE_LABEL, TRACKING_ID_ANNOTATION, trackedApplication } from './self-heal.js';

export function requireArgoCd(ctx: Pick<ScenarioContext, 'service'>): CompiledArgoCd {
  const s = sectionOf(ctx.service, 'argocd');
  if (!s) {
    throw new RipcordError(
      'invalid',
      `services.${ctx.service.name}.argocd: not configured; --scenario argocd needs the Argo CD server (server, tokenEnv)`,
    );
  }
  return s;
}

/** The Application that manages the Deployment: the configured one, else the one its tracking names. */
export function applicationOf(s: CompiledArgoCd, deployment: V1Deployment): ArgoAppRef {
  const ns = s.appNamespace ? { namespace: s.appNamespace } : {};
  if (s.application) return { name: s.application, ...ns };
  const tracked = trackedApplication(deployment);
  if (!tracked) {
    throw new RipcordError(
      'invalid',
      `${s.at}.application: not set, and deployment/${deployment.metadata?.name ?? '?'} carries no Argo CD tracking ` +
        `(annotation ${TRACKING_ID_ANNOTATION} or label ${INSTANCE_LABEL}); name the Application`,
    );
  }
  const namespace = s.appNamespace ?? tracked.namespace;
  return { name: tracked.name, ...(namespace ? { namespace } : {}) };
}

export const argoCdScenario: ScenarioModule = {
  name: 'argocd',
  async plan(ctx, options) {
    const { toHistory, revision } = options as OptionValues<typeof argoCdOptions>;
    if (toHistory !== undefined && revision !== undefined) {
      throw new RipcordError('invalid', '--to-history and --revision: give one target, not both');
    }
    const s = requireArgoCd(ctx);
    const snap = await ctx.kube.snapshot(ctx.service.kube.namespace, ctx.service.deployment);
    const ref = applicationOf(s, snap.deployment);
    const app = appViewOf(await ctx.ports.argocd(s).getApplication(ref));
    return planArgoCdRollback(
      planServiceOf(ctx.service),
      s,
      { app, deployment: snap.deployment },
      {
        ...(toHistory !== undefined ? { toHistory } : {}),
        ...(revision !== undefined ? { revision } : {}),
        rtoTargetMs: rtoTargetMs(ctx.service, 'argocd'),
        now: ctx.clock.now(),
      },
    );
  },
  handlers: (ctx) => createArgoCdHandlers({ api: () => ctx.ports.argocd(requireArgoCd(ctx)) }),
};
