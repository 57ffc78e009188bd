/** Runbook section 6: observe the route's weights and both Deployments, then the pure planner. */
import { sectionOf } from '../../config/sections.js';
import { rtoTargetMs } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import { createBlueGreenHandlers } from '../blue-green/handlers.js';
import { BLUE_GREEN_STEP_KINDS } from '../blue-green/steps.js';
import { planServiceOf } from '../plan-service.js';
import type { OptionValues, ScenarioContext, ScenarioModule } from '../types.js';
import type { canaryOptions } from './entry.js';
import { createCanaryHandlers } from './handlers.js';
import { planCanaryRollback, routeRefOf, type CanarySettings } from './plan.js';

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

async function deployment(ctx: ScenarioContext, name: string) {
  const snap = await ctx.kube.snapshot(ctx.service.kube.namespace, name).catch((err: unknown) => {
    if (err instanceof RipcordError && err.kind === 'invalid') return undefined;
    throw err;
  });
  return snap?.deployment;
}

export const canaryScenario: ScenarioModule = {
  name: 'canary',
  async plan(ctx, options) {
    const { keep } = options as OptionValues<typeof canaryOptions>;
    const s = requireCanary(ctx);
    const ns = ctx.service.kube.namespace;
    const router = ctx.ports.traffic(s.router.kind);
    // The managed route (validated, its weights) and every object of its kind that may also reach the canary.
    const [observed, objects] = await Promise.all([router.getWeights(routeRefOf(s, ns)), router.list(ns)]);
    const [stable, canary] = await Promise.all([
      deployment(ctx, s.stableDeployment),
      deployment(ctx, s.canaryDeployment),
    ]);
    return planCanaryRollback(
      planServiceOf(ctx.service),
      s,
      {
        weights: observed.weights,
        resourceVersion: observed.resourceVersion,
        objects,
        ...(observed.managedBy ? { managedBy: observed.managedBy } : {}),
        ...(stable ? { stable } : {}),
        ...(canary ? { canary } : {}),
      },
      {
        ...(keep ? { keep: true } : {}),
        rtoTargetMs: rtoTargetMs(ctx.service, 'canary'),
        now: ctx.clock.now(),
      },
    );
  },
  handlers: (ctx) => {
    const bg = createBlueGreenHandlers({
      kube: ctx.kube,
      services: ctx.ports.services,
      scale: ctx.ports.scale,
      probe: ctx.probe,
      router: (kind) => ctx.ports.traffic(kind),
    });
    return {
      ...createCanaryHandlers({
        router: (kind) => ctx.ports.traffic(kind),
        probe: ctx.probe,
        scale: ctx.ports.scale,
      }),
      // The canary's scale-down is the blue-green scale step.
      [BLUE_GREEN_STEP_KINDS.scale]: bg[BLUE_GREEN_STEP_KINDS.scale] as NonNullable<(typeof bg)[string]>,
    };
  },
};
