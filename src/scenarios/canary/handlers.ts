/**
 * The canary step handlers, over the traffic-router and probe ports. set-weights re-reads the route and refuses
 * when its weights moved since the plan (someone promoted or shifted traffic); verify-traffic reads the weights
 * back and, with a release header, proves no request reaches the canary release.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';
import { StepFailedError, type StepHandlers } from '../../core/executor.js';
import type { ProbePort, ScalePort, TrafficRef, TrafficRouterPort } from '../../core/ports.js';
import { answeredBy, servedText } from '../../core/steps/answered-by.js';
import { guardedWrite } from '../../core/steps/guarded-write.js';
import { desiredOf } from '../../core/steps/desired.js';
import { CANARY_STEP_KINDS, SetWeightsDesired, VerifyTrafficDesired } from './steps.js';

export interface CanaryHandlerDeps {
  router(kind: TrafficRef['kind']): TrafficRouterPort;
  probe: ProbePort;
  /** The stable Deployment's ready count, checked right before all traffic goes to it. */
  scale: Pick<ScalePort, 'getScale'>;
  pollMs?: number;
}

const same = (a: Record<string, number>, b: Record<string, number>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);
const text = (w: Record<string, number>): string =>
  Object.entries(w)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export function createCanaryHandlers(deps: CanaryHandlerDeps): StepHandlers {
  const pollMs = deps.pollMs ?? 300;
  return {
    [CANARY_STEP_KINDS.setWeights]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SetWeightsDesired);
        const router = deps.router(d.ref.kind);
        let managedBy: Awaited<ReturnType<TrafficRouterPort['getWeights']>>['managedBy'];
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
            if (managedBy) {
              throw new RipcordError(
                'refused',
                `${d.ref.kind}/${d.ref.name} is now driven by ${managedBy.controller} (${managedBy.name}); nothing was changed`,
              );
            }
            if (d.stable) {
              const { readyReplicas } = await deps.scale.getScale(d.stable.namespace, d.stable.deployment);
              if (readyReplicas < d.stable.readyReplicas) {
                throw new RipcordError(
                  'refused',
                  `deployment/${d.stable.deployment} has ${readyReplicas} ready replica(s), fewer than the ` +
                    `${d.stable.readyReplicas} it must have to take all of ${d.ref.kind}/${d.ref.name}'s traffic; nothing was changed`,
                );
              }
            }
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
          try {
            await sleep(pollMs, undefined, { signal: ctx.signal });
          } catch {
            throw new AbortedError(`verifying traffic aborted: ${abortReason(ctx.signal)}`);
          }
        }
      },
      check: async () => false,
    },
  };
}
