/** Runbook section 6: observe the route's weights and both Deployments, then the pure planner. */
import { sectionOf } from '../../config/sections.js';
import { deploymentIfExists } from '../existing-deployment.js';
import { rtoTargetMs } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import { createReplicaHandlers } from '../../core/steps/replicas.js';
import type { Backend, RoutingObject } from '../../core/traffic/canary-reach.js';
import { rolloutDriving, rolloutRoutes, type RolloutRoute } from '../../core/traffic/route-owners.js';
import { planServiceOf } from '../plan-service.js';
import type { OptionValues, ScenarioContext, ScenarioModule } from '../types.js';
import type { canaryOptions } from './entry.js';
import { createCanaryHandlers } from './handlers.js';
import {
  planCanaryRollback,
  routeRefOf,
  stableSideOf,
  type CanarySettings,
  type CanarySnapshot,
} from './plan.js';

export function requireCanary(ctx: Pick<ScenarioContext, 'service'>): CanarySettings {
  const s = sectionOf(ctx.service, 'canary');
  if (!s) {
    throw new RipcordError(
      'invalid',
      `services.${ctx.service.name}.canary: not configured; --scenario canary needs the routing object and the canary Deployment`,
    );
  }
  return s;
}

const ROLLOUTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' };

/**
 * The routes Argo Rollouts' Rollouts in the namespace drive (core/traffic/route-owners.ts), or why they could
 * not be read (a Role without list on rollouts.argoproj.io): then ownership is reported as not checked.
 */
export async function rolloutRoutesIn(
  ctx: Pick<ScenarioContext, 'ports'>,
  namespace: string,
): Promise<{ routes: RolloutRoute[] } | { unchecked: string }> {
  try {
    return { routes: rolloutRoutes(await ctx.ports.customObjects.list({ ...ROLLOUTS, namespace })) };
  } catch (err) {
    if (err instanceof RipcordError && err.kind === 'forbidden') return { unchecked: err.message };
    throw err;
  }
}

/** The objects with the Rollout that drives one marked as its controller. */
function withRollouts(objects: RoutingObject[], routes: readonly RolloutRoute[]): RoutingObject[] {
  return objects.map((o) => {
    const rollout = o.managedBy ? undefined : rolloutDriving(routes, o);
    return rollout ? { ...o, managedBy: { controller: 'Argo Rollouts' as const, name: rollout } } : o;
  });
}

const DESTINATION_RULES = { group: 'networking.istio.io', version: 'v1beta1', plural: 'destinationrules' };

/**
 * What decides where the stable backend's requests land: the selector of the Service it names and, for an
 * Istio subset, the namespace's DestinationRules. A Role that may not read them makes it "not checked".
 */
async function stableBackendIn(
  ctx: ScenarioContext,
  s: CanarySettings,
  stable: Backend,
): Promise<CanarySnapshot['stableBackend']> {
  const ns = ctx.service.kube.namespace;
  try {
    const serviceSelector = await ctx.ports.services.read(ns, stable.service).then(
      (svc) => svc.selector,
      (err: unknown) => {
        if (err instanceof RipcordError && err.kind === 'invalid') return undefined; // 404
        throw err;
      },
    );
    if (s.router.kind !== 'VirtualService' || stable.subset === undefined) return { serviceSelector };
    const listed = await ctx.ports.customObjects
      .list({ ...DESTINATION_RULES, namespace: ns })
      .catch((err: unknown) => {
        if (err instanceof RipcordError && err.kind === 'forbidden') return undefined;
        throw err;
      });
    const destinationRules = listed?.map((o) => {
      const r = o as { metadata?: { name?: string }; spec?: Record<string, unknown> };
      return { name: r.metadata?.name ?? '?', spec: r.spec ?? {} };
    });
    return { serviceSelector, ...(destinationRules ? { destinationRules } : {}) };
  } catch (err) {
    if (err instanceof RipcordError && err.kind === 'forbidden') return { unchecked: err.message };
    throw err;
  }
}

export const canaryScenario: ScenarioModule = {
  name: 'canary',
  async plan(ctx, options) {
    const { keep, scaleStable } = options as OptionValues<typeof canaryOptions>;
    const s = requireCanary(ctx);
    const ns = ctx.service.kube.namespace;
    const router = ctx.ports.traffic(s.router.kind);
    // The managed route (validated, its weights) and every object of its kind that may also reach the canary.
    const [observed, listed, rollouts] = await Promise.all([
      router.getWeights(routeRefOf(s, ns)),
      router.list(ns),
      rolloutRoutesIn(ctx, ns),
    ]);
    const objects = 'routes' in rollouts ? withRollouts(listed, rollouts.routes) : listed;
    const managedBy = observed.managedBy ?? objects.find((o) => o.name === s.router.name)?.managedBy;
    const stableSide = stableSideOf(s, objects, ns);
    const [stable, canary, stableBackend] = await Promise.all([
      deploymentIfExists(ctx.kube, ns, s.stableDeployment),
      deploymentIfExists(ctx.kube, ns, s.canaryDeployment),
      stableSide ? stableBackendIn(ctx, s, stableSide) : undefined,
    ]);
    return planCanaryRollback(
      planServiceOf(ctx.service),
      s,
      {
        weights: observed.weights,
        resourceVersion: observed.resourceVersion,
        objects,
        ...(managedBy ? { managedBy } : {}),
        ...('unchecked' in rollouts ? { ownershipUnchecked: rollouts.unchecked } : {}),
        ...(stable ? { stable } : {}),
        ...(canary ? { canary } : {}),
        ...(stableBackend ? { stableBackend } : {}),
      },
      {
        ...(keep ? { keep: true } : {}),
        ...(scaleStable ? { scaleStable: true } : {}),
        rtoTargetMs: rtoTargetMs(ctx.service, 'canary'),
        now: ctx.clock.now(),
      },
    );
  },
  handlers: (ctx) => {
    return {
      // Stable scaled up before the traffic (--scale-stable), the canary down after: the shared replica steps.
      ...createReplicaHandlers({
        kube: ctx.kube,
        scale: ctx.ports.scale,
        router: (kind) => ctx.ports.traffic(kind),
      }),
      ...createCanaryHandlers({
        router: (kind) => ctx.ports.traffic(kind),
        probe: ctx.probe,
        scale: ctx.ports.scale,
        rolloutRoutes: async (namespace) => {
          const r = await rolloutRoutesIn(ctx, namespace);
          return 'routes' in r ? r.routes : undefined;
        },
      }),
    };
  },
};
