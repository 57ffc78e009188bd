/**
 * The watch's view of a canary: the canary Deployment's newest ReplicaSet, while it takes traffic, against the
 * stable pods over the same intervals. The rollback the watch plans is the weight reset.
 */
import { canaryReleaseOf, rolloutInProgress } from '../../core/detect/release.js';
import type { ScenarioWatch } from '../types.js';
import { routeRefOf } from './plan.js';
import { requireCanary } from './scenario.js';

export const canaryWatch: ScenarioWatch = {
  async observe(ctx, slackMs) {
    const s = requireCanary(ctx);
    const ns = ctx.service.kube.namespace;
    const [weights, canary, stable] = await Promise.all([
      ctx.ports.traffic(s.router.kind).getWeights(routeRefOf(s, ns)),
      ctx.kube.snapshot(ns, s.canaryDeployment),
      ctx.kube.snapshot(ns, s.stableDeployment),
    ]);
    const weight = weights.weights[s.canary] ?? 0;
    return {
      release: (seenAt) => canaryReleaseOf(canary, stable, weight, seenAt, slackMs),
      inProgress: rolloutInProgress(canary.deployment),
    };
  },
  planOptions: () => ({}),
};
