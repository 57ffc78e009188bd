/**
 * The canary step handlers, over the traffic-router and probe ports. set-weights re-reads the route and refuses
 * when its weights moved since the plan (someone promoted or shifted traffic); verify-traffic reads the weights
 * back and, with a release header, proves no request reaches the canary release.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';
import { StepFailedError, type StepHandlers } from '../../core/executor.js';
import type { ProbePort, TrafficRef, TrafficRouterPort } from '../../core/ports.js';
import { answeredBy, servedText } from '../../core/steps/answered-by.js';
import { desiredOf } from '../../core/steps/desired.js';
import { CANARY_STEP_KINDS, SetWeightsDesired, VerifyTrafficDesired } from './steps.js';

export interface CanaryHandlerDeps {
  router(kind: TrafficRef['kind']): TrafficRouterPort;
  probe: ProbePort;
  pollMs?: number;
}

const same = (a: Record<string, number>, b: Record<string, number>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);
const text = (w: Record<string, number>): string =>
  Object.entries(w)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
const isConflict = (err: unknown): boolean =>
  err instanceof RipcordError && err.retryable && /conflict/.test(err.message);

export function createCanaryHandlers(deps: CanaryHandlerDeps): StepHandlers {
  const pollMs = deps.pollMs ?? 300;
  return {
    [CANARY_STEP_KINDS.setWeights]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SetWeightsDesired);
        const router = deps.router(d.ref.kind);
        for (let attempt = 0; ; attempt++) {
          const now = await router.getWeights(d.ref);
          if (now.managedBy) {
            throw new RipcordError(
              'refused',
              `${d.ref.kind}/${d.ref.name} is now driven by ${now.managedBy.controller} (${now.managedBy.name}); nothing was changed`,
            );
          }
          if (same(now.weights, d.weights)) return { weights: d.weights, written: false };
          let forced: { overrode: string } | undefined;
          if (!same(now.weights, d.from)) {
            const line = `${d.ref.kind}/${d.ref.name}'s weights changed since the plan was made (${text(d.from)} -> ${text(now.weights)})`;
            if (ctx.force !== true) {
              throw new RipcordError(
                'refused',
                `${line}; nothing was changed. Plan again, or pass --force to override`,
              );
            }
            forced = { overrode: line };
          }
          try {
            await router.setWeights(d.ref, d.weights, now.resourceVersion);
            return {
              weights: d.weights,
              written: true,
              previous: now.weights,
              ...(forced ? { forced } : {}),
            };
          } catch (err) {
            if (attempt < 3 && isConflict(err)) continue;
            throw err;
          }
        }
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
          const served = await answeredBy(deps.probe, d.probe);
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
