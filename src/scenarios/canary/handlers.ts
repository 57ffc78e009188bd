/**
 * The canary step handlers, over the traffic-router and probe ports. reroute re-reads one routing object and
 * refuses when the routes it rewrites moved since the plan (someone promoted, shifted traffic, added a route);
 * set-weights (plans before issue 29) does the same for the managed route's weights. verify-traffic reads
 * every rewritten object back (no route reaches the canary) and, with a release header, proves no request
 * reaches the canary release.
 */
import { isDeepStrictEqual } from 'node:util';
import { RipcordError } from '../../core/errors.js';
import { labelText, sameMap } from '../../core/labels.js';
import { StepFailedError, type StepHandlers } from '../../core/executor.js';
import type { ProbePort, ScalePort, TrafficRef, TrafficRouterPort } from '../../core/ports.js';
import { answeredBy, servedText } from '../../core/steps/answered-by.js';
import { guardedWrite } from '../../core/steps/guarded-write.js';
import { desiredOf } from '../../core/steps/desired.js';
import { pauseOrAbort } from '../../core/steps/pause.js';
import { canaryReach, type RoutingObject } from '../../core/traffic/canary-reach.js';
import { rolloutDriving, type RolloutRoute } from '../../core/traffic/route-owners.js';
import { CANARY_STEP_KINDS, RerouteDesired, SetWeightsDesired, VerifyTrafficDesired } from './steps.js';

export interface CanaryHandlerDeps {
  router(kind: TrafficRef['kind']): TrafficRouterPort;
  probe: ProbePort;
  /** The stable Deployment's ready count, checked right before all traffic goes to it. */
  scale: Pick<ScalePort, 'getScale'>;
  /** The routes Argo Rollouts drives in a namespace (undefined: not readable, as the plan warned). */
  rolloutRoutes?(namespace: string): Promise<RolloutRoute[] | undefined>;
  pollMs?: number;
}

const same = sameMap<number>;
const text = (w: Record<string, number>): string => labelText(w, ', ');

type Controller = RoutingObject['managedBy'];

/** Refuses a write a controller would undo. */
function notTakenOver(managedBy: Controller, what: string): void {
  if (managedBy) {
    throw new RipcordError(
      'refused',
      `${what} is now driven by ${managedBy.controller} (${managedBy.name}); nothing was changed`,
    );
  }
}

/** Refuses sending all traffic to a stable side that lost its ready pods since the plan. */
async function stableCanTakeIt(
  deps: CanaryHandlerDeps,
  stable: { namespace: string; deployment: string; readyReplicas: number } | undefined,
  what: string,
): Promise<void> {
  if (!stable) return;
  const { readyReplicas } = await deps.scale.getScale(stable.namespace, stable.deployment);
  if (readyReplicas < stable.readyReplicas) {
    throw new RipcordError(
      'refused',
      `deployment/${stable.deployment} has ${readyReplicas} ready replica(s), fewer than the ` +
        `${stable.readyReplicas} it must have to take all of ${what}'s traffic; nothing was changed`,
    );
  }
}

const sectionsOf = (o: RoutingObject, d: RerouteDesired): unknown[] =>
  d.sections.map((sec) => o.spec[sec.path.replace(/^\/spec\//, '')]);

export function createCanaryHandlers(deps: CanaryHandlerDeps): StepHandlers {
  const pollMs = deps.pollMs ?? 300;
  return {
    [CANARY_STEP_KINDS.reroute]: {
      async apply(step, ctx) {
        const d = desiredOf(step, RerouteDesired);
        const router = deps.router(d.ref.kind);
        const what = `${d.ref.kind.toLowerCase()}/${d.ref.name}`;
        let live: RoutingObject | undefined;
        const r = await guardedWrite<unknown[]>({
          read: async () => {
            live = await router.get(d.ref.namespace, d.ref.name);
            return { value: sectionsOf(live, d), resourceVersion: live.resourceVersion };
          },
          target: d.sections.map((sec) => sec.after),
          planned: d.sections.map((sec) => sec.before),
          same: isDeepStrictEqual,
          what: `${what}'s routes`,
          // The routes themselves are long; what matters is where they send the canary's share.
          show: (v) => {
            const spec = Object.fromEntries(d.sections.map((sec, i) => [sec.path.slice(6), v[i]]));
            const reach = canaryReach({ ...d.ref, resourceVersion: '', spec }, d.sides.canary);
            return reach.length > 0 ? `to the canary: ${reach.join(', ')}` : 'nothing to the canary';
          },
          ...(ctx.force === true ? { force: true } : {}),
          beforeWrite: async () => {
            notTakenOver(live?.managedBy, what);
            const routes = await deps.rolloutRoutes?.(d.ref.namespace);
            const rollout = routes ? rolloutDriving(routes, d.ref) : undefined;
            if (rollout) notTakenOver({ controller: 'Argo Rollouts', name: rollout }, what);
            await stableCanTakeIt(deps, d.stable, what);
          },
          // Each section tested against what was just read (the plan's, unless --force overrode it).
          write: (rv) =>
            router.replaceSections(
              d.ref.namespace,
              d.ref.name,
              d.sections.map((sec, i) => ({
                path: sec.path,
                before: live ? sectionsOf(live, d)[i] : sec.before,
                after: sec.after,
              })),
              rv,
            ),
        });
        const evidence = { object: what, changes: d.changes.length };
        if (!r.written) return { ...evidence, written: false };
        return { ...evidence, written: true, ...(r.forced ? { forced: r.forced } : {}) };
      },
      async check(step) {
        const d = desiredOf(step, RerouteDesired);
        const live = await deps.router(d.ref.kind).get(d.ref.namespace, d.ref.name);
        return isDeepStrictEqual(
          sectionsOf(live, d),
          d.sections.map((sec) => sec.after),
        );
      },
    },

    [CANARY_STEP_KINDS.setWeights]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SetWeightsDesired);
        const router = deps.router(d.ref.kind);
        let managedBy: Controller;
        const r = await guardedWrite({
          read: async () => {
            const now = await router.getWeights(d.ref);
            managedBy = now.managedBy;
            return { value: now.weights, resourceVersion: now.resourceVersion };
          },
          target: d.weights,
          planned: d.from,
          same,
          what: `${d.ref.kind}/${d.ref.name}'s weights`,
          show: text,
          ...(ctx.force === true ? { force: true } : {}),
          // A controller that took the route over since the plan would undo the write; a stable side that lost
          // its ready pods since the plan could not take the traffic.
          beforeWrite: async () => {
            notTakenOver(managedBy, `${d.ref.kind}/${d.ref.name}`);
            await stableCanTakeIt(deps, d.stable, `${d.ref.kind}/${d.ref.name}`);
          },
          write: (rv) => router.setWeights(d.ref, d.weights, rv),
        });
        if (!r.written) return { weights: d.weights, written: false };
        return {
          weights: d.weights,
          written: true,
          previous: r.previous,
          ...(r.forced ? { forced: r.forced } : {}),
        };
      },
      async check(step) {
        const d = desiredOf(step, SetWeightsDesired);
        return same((await deps.router(d.ref.kind).getWeights(d.ref)).weights, d.weights);
      },
    },

    [CANARY_STEP_KINDS.verifyTraffic]: {
      async apply(step, ctx) {
        const d = desiredOf(step, VerifyTrafficDesired);
        const { weights } = await deps.router(d.ref.kind).getWeights(d.ref);
        if (!same(weights, d.weights)) {
          throw new StepFailedError(
            `the route's weights read back as ${text(weights)}, not ${text(d.weights)}`,
            { weights },
          );
        }
        const canary = d.canary;
        if (canary) {
          const still = (
            await Promise.all(
              (d.objects ?? []).map(async (o) => {
                const live = await deps.router(o.kind).get(o.namespace, o.name);
                return canaryReach(live, canary).map((x) => `${o.kind.toLowerCase()}/${o.name} ${x}`);
              }),
            )
          ).flat();
          if (still.length > 0) {
            throw new StepFailedError(`routes still reach the canary: ${still.join('; ')}`, {
              weights,
              still,
            });
          }
        }
        if (!d.probe) return { weights, served: 'not checked (no canary.releaseHeader or healthUrl)' };
        // The router applies a weight change within a moment; keep asking until the answers are all stable's.
        const deadline = ctx.clock.now().getTime() + d.probe.timeoutMs;
        for (;;) {
          const served = await answeredBy(deps.probe, d.probe, ctx.signal);
          if ((served[d.probe.release] ?? 0) === d.probe.requests) return { weights, served };
          if (ctx.clock.now().getTime() >= deadline) {
            throw new StepFailedError(
              `requests to ${d.probe.url} still reach other releases than ${d.probe.release}: ${servedText(served)}`,
              { weights, served },
            );
          }
          await pauseOrAbort(pollMs, ctx.signal, 'verifying traffic');
        }
      },
      check: async () => false,
    },
  };
}
