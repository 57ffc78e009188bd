/**
 * The `verify-recovery` step: after the pods-and-health verification, keep checking the service's metrics and
 * alerts until they are back to the pre-incident baseline, or fail after the timeout (the run then escalates
 * instead of declaring victory). The app layer adds it to any plan whose service has Prometheus configured.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { evaluateRecovery, type RecoveryItem } from '../detect/recovery.js';
import { RipcordError } from '../errors.js';
import { StepFailedError, type StepHandlers } from '../executor.js';
import type { Plan, PlanStep } from '../plan.js';
import type { AlertsPort, MetricsPort } from '../ports.js';
import { desiredOf } from './desired.js';

export const RECOVERY_STEP_KIND = 'recovery.verify';

export const RecoveryDesired = z.object({
  namespace: z.string().min(1),
  app: z.string().min(1),
  prometheusUrl: z.string().min(1),
  alertmanagerUrl: z.string().optional(),
  windowSeconds: z.number().positive(),
  timeoutMs: z.number().positive(),
  threshold: z.number().positive(),
  latencyRatio: z.number().positive(),
  minRequests: z.number().int().positive(),
  /** When the bad revision started rolling out: the baseline is the window before it. */
  incidentStart: z.string().optional(),
  baselineWindowSeconds: z.number().positive(),
});
export type RecoveryDesired = z.infer<typeof RecoveryDesired>;

export function recoveryStep(desired: RecoveryDesired, service: string): PlanStep {
  return {
    id: 'verify-recovery',
    kind: RECOVERY_STEP_KIND,
    role: 'recovery',
    description: `Verify ${service} recovered: error rate and P50 back to the pre-incident baseline, no alert firing`,
    target: `${desired.app} in ${desired.namespace} (Prometheus${desired.alertmanagerUrl ? ', Alertmanager' : ''})`,
    why: 'Runbook verification checklist: error rates returned to baseline, latency back to normal, no alerts firing',
    precondition: 'the rollout is complete and pods and health passed',
    desired,
    postcondition: 'every recovery item holds in one observation',
    danger: 'safe',
    expectedDurationMs: 30_000,
  };
}

/** A verification step: by role, or by the id `verify` in plans journaled before roles. */
export const isVerifyStep = (s: PlanStep): boolean =>
  s.role === 'verify' || (s.role === undefined && s.id === 'verify');

/**
 * `step` right after the plan's verification (its last `verify`-role step; plans journaled before roles by the
 * id `verify`); the plan is unchanged when it has none or does nothing.
 */
export function insertAfterVerify(plan: Plan, step: PlanStep): Plan {
  const at = plan.steps.findLastIndex(isVerifyStep);
  if (at < 0 || plan.noop) return plan;
  return { ...plan, steps: [...plan.steps.slice(0, at + 1), step, ...plan.steps.slice(at + 1)] };
}

export interface RecoveryHandlerDeps {
  /** The metrics and alerts of the URLs the step names. */
  metrics(prometheusUrl: string): MetricsPort;
  alerts(alertmanagerUrl: string): AlertsPort;
  /** Between observations; shorter in tests. */
  pollMs?: number;
}

async function observe(
  deps: RecoveryHandlerDeps,
  metrics: MetricsPort,
  d: RecoveryDesired,
  now: Date,
): Promise<RecoveryItem[]> {
  const sel = { namespace: d.namespace, app: d.app };
  const w = { windowSeconds: d.windowSeconds };
  const offset = d.incidentStart
    ? Math.max(1, Math.round((now.getTime() - Date.parse(d.incidentStart)) / 1000))
    : 0;
  const bw = { windowSeconds: d.baselineWindowSeconds, offsetSeconds: offset };
  const [errors, p50, base, baseP50, firing] = await Promise.all([
    metrics.errorCounts(sel, w, now),
    metrics.p50(sel, { windowSeconds: Math.max(10, d.windowSeconds) }, now),
    offset > 0 ? metrics.errorCounts(sel, bw, now) : Promise.resolve(null),
    offset > 0 ? metrics.p50(sel, bw, now) : Promise.resolve({ p50: null, samples: 0 }),
    d.alertmanagerUrl ? deps.alerts(d.alertmanagerUrl).firing(sel) : Promise.resolve([]),
  ]);
  return evaluateRecovery(
    {
      errors,
      baselineRate: base && base.requests > 0 ? base.errors / base.requests : null,
      p50: p50.p50,
      baselineP50: baseP50.p50,
      alerts: firing,
      alertsChecked: d.alertmanagerUrl !== undefined,
    },
    d,
  );
}

export function recoveryHandlers(deps: RecoveryHandlerDeps): StepHandlers {
  const pollMs = deps.pollMs ?? 5_000;
  return {
    [RECOVERY_STEP_KIND]: {
      async apply(step, ctx) {
        const d = desiredOf(step, RecoveryDesired);
        const metrics = deps.metrics(d.prometheusUrl);
        const deadline = ctx.clock.now().getTime() + d.timeoutMs;
        for (let attempt = 1; ; attempt++) {
          const items = await observe(deps, metrics, d, ctx.clock.now());
          if (items.every((i) => i.ok)) return { attempts: attempt, items };
          const failing = items.filter((i) => !i.ok);
          ctx.progress(`recovery: ${failing.map((i) => `${i.name}: ${i.detail}`).join('; ')}`);
          if (ctx.clock.now().getTime() >= deadline) {
            throw new StepFailedError(
              `not recovered after ${Math.round(d.timeoutMs / 1000)}s: ${failing.map((i) => i.name).join(', ')}`,
              { attempts: attempt, items },
            );
          }
          try {
            await sleep(pollMs, undefined, { signal: ctx.signal });
          } catch {
            throw new RipcordError('failed', 'recovery verification aborted');
          }
        }
      },
      async check(step, ctx) {
        const d = desiredOf(step, RecoveryDesired);
        const items = await observe(deps, deps.metrics(d.prometheusUrl), d, ctx.clock.now());
        return items.every((i) => i.ok);
      },
    },
  };
}
