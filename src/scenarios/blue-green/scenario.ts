/** Runbook section 5: observe the Service's selector and both colours, then the pure planner. */
import type { V1Deployment } from '@kubernetes/client-node';
import { sectionOf } from '../../config/sections.js';
import { rtoTargetMs } from '../../config/services.js';
import { snapshotIfExists } from '../existing-deployment.js';
import { rollbackMarkOf } from '../../core/traffic/rollback-mark.js';
import { RipcordError } from '../../core/errors.js';
import { planServiceOf } from '../plan-service.js';
import type { OptionValues, ScenarioContext, ScenarioModule } from '../types.js';
import type { blueGreenOptions } from './entry.js';
import { createBlueGreenHandlers } from './handlers.js';
import { planBlueGreenRollback, type BlueGreenSettings } from './plan.js';

/** The service's blueGreen section, or 'invalid' naming it. */
export function requireBlueGreen(ctx: Pick<ScenarioContext, 'service'>): BlueGreenSettings {
  const s = sectionOf(ctx.service, 'blueGreen');
  if (!s) {
    throw new RipcordError(
      'invalid',
      `services.${ctx.service.name}.blueGreen: not configured; --scenario blue-green needs the Service and the colours' Deployments`,
    );
  }
  return s;
}

export const blueGreenScenario: ScenarioModule = {
  name: 'blue-green',
  async plan(ctx, options) {
    const { keep } = options as OptionValues<typeof blueGreenOptions>;
    const settings = requireBlueGreen(ctx);
    const ns = ctx.service.kube.namespace;
    const svc = await ctx.ports.services.read(ns, settings.service);
    const deployments: Record<string, V1Deployment> = {};
    for (const [colour, name] of Object.entries(settings.colours)) {
      const snap = await snapshotIfExists(ctx.kube, ns, name);
      if (snap) deployments[colour] = snap.deployment;
    }
    // Read from the Service, where the switch left it: any machine, any journal sees the last rollback.
    const lastRollback = rollbackMarkOf(svc.annotations);
    return planBlueGreenRollback(
      planServiceOf(ctx.service),
      settings,
      {
        selector: svc.selector,
        resourceVersion: svc.resourceVersion,
        deployments,
        ...(lastRollback ? { lastRollback } : {}),
      },
      {
        ...(keep ? { keep: true } : {}),
        rtoTargetMs: rtoTargetMs(ctx.service, 'blue-green'),
        now: ctx.clock.now(),
      },
    );
  },
  handlers: (ctx) =>
    createBlueGreenHandlers({
      kube: ctx.kube,
      services: ctx.ports.services,
      scale: ctx.ports.scale,
      probe: ctx.probe,
    }),
};
