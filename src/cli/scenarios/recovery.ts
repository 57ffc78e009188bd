/**
 * The `verify-recovery` step: after the pods-and-health verification, keep checking the service's metrics and
 * alerts until they are back to the pre-incident baseline, or fail after the timeout (the run then escalates
 * instead of declaring victory). Added to any plan by makePlan when `detect.prometheusUrl` is configured.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { createPrometheusClient, type PrometheusClient } from '../../adapters/prometheus/client.js';
import { readErrorCounts, readP50 } from '../../adapters/prometheus/triggers.js';
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../../core/app-rollback/deployment-util.js';
import { evaluateRecovery, type RecoveryItem } from '../../core/detect/recovery.js';
import { RipcordError } from '../../core/errors.js';
import { StepFailedError, type StepHandlers } from '../../core/executor.js';
import type { Plan, PlanStep } from '../../core/plan.js';
// The sandbox's Alertmanager client is zod-validated and fits; it moves to src/adapters when a second user needs it.
import { alerts as alertmanagerAlerts } from '../../sandbox/monitoring/prom-client.js';
import type { ServiceContext } from '../service-context.js';

export const RECOVERY_STEP_KIND = 'recovery.verify';

const RecoveryDesired = z.object({
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
type RecoveryDesired = z.infer<typeof RecoveryDesired>;

async function observe(prom: PrometheusClient, d: RecoveryDesired, now: Date): Promise<RecoveryItem[]> {
  const sel = { namespace: d.namespace, app: d.app };
  const w = { windowSeconds: d.windowSeconds };
  const offset = d.incidentStart
    ? Math.max(1, Math.round((now.getTime() - Date.parse(d.incidentStart)) / 1000))
    : 0;
  const bw = { windowSeconds: d.baselineWindowSeconds, offsetSeconds: offset };
  const [errors, p50, base, baseP50, firing] = await Promise.all([
    readErrorCounts(prom, sel, w, now),
    readP50(prom, sel, { windowSeconds: Math.max(10, d.windowSeconds) }, now),
    offset > 0 ? readErrorCounts(prom, sel, bw, now) : Promise.resolve(null),
    offset > 0 ? readP50(prom, sel, bw, now) : Promise.resolve({ p50: null, samples: 0 }),
    d.alertmanagerUrl
      ? alertmanagerAlerts(
          d.alertmanagerUrl,
          { namespace: d.namespace, app: d.app },
          { active: true, silenced: false, inhibited: false },
        )
      : Promise.resolve([]),
  ]);
  return evaluateRecovery(
    {
      errors,
      baselineRate: base && base.requests > 0 ? base.errors / base.requests : null,
      p50: p50.p50,
      baselineP50: baseP50.p50,
      alerts: firing.map((a) => ({ name: a.labels.alertname ?? '?', since: a.startsAt })),
      alertsChecked: d.alertmanagerUrl !== undefined,
    },
    d,
  );
}

function desiredOf(step: PlanStep): RecoveryDesired {
  const r = RecoveryDesired.safeParse(step.desired);
  if (!r.success) throw new RipcordError('invalid', `step ${step.id}: bad desired state: ${r.error.message}`);
  return r.data;
}

export function recoveryHandlers(_ctx: ServiceContext): StepHandlers {
  return {
    [RECOVERY_STEP_KIND]: {
      async apply(step, ctx) {
        const d = desiredOf(step);
        const prom = createPrometheusClient({ baseUrl: d.prometheusUrl });
        const deadline = ctx.clock.now().getTime() + d.timeoutMs;
        for (let attempt = 1; ; attempt++) {
          const items = await observe(prom, d, ctx.clock.now());
          if (items.every((i) => i.ok)) return { attempts: attempt, items };
          ctx.progress(
            `recovery: ${items
              .filter((i) => !i.ok)
              .map((i) => `${i.name}: ${i.detail}`)
              .join('; ')}`,
          );
          if (ctx.clock.now().getTime() >= deadline) {
            throw new StepFailedError(
              `not recovered after ${Math.round(d.timeoutMs / 1000)}s: ${items
                .filter((i) => !i.ok)
                .map((i) => i.name)
                .join(', ')}`,
              { attempts: attempt, items },
            );
          }
          try {
            await sleep(5_000, undefined, { signal: ctx.signal });
          } catch {
            throw new RipcordError('failed', 'recovery verification aborted');
          }
        }
      },
      async check(step, ctx) {
        const d = desiredOf(step);
        const items = await observe(createPrometheusClient({ baseUrl: d.prometheusUrl }), d, ctx.clock.now());
        return items.every((i) => i.ok);
      },
    },
  };
}

/** When the plan's `from` revision began rolling out (its ReplicaSet's creation), for the baseline window. */
async function incidentStart(ctx: ServiceContext, plan: Plan): Promise<string | undefined> {
  if (plan.scenario !== 'app' && plan.scenario !== 'database') return undefined;
  const snap = await ctx.kube.snapshot(ctx.service.kube.namespace, ctx.service.deployment);
  const rs = snap.replicaSets.find(
    (r) =>
      r.metadata?.annotations?.[REVISION_ANNOTATION] === String(plan.from.revision) &&
      r.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] !== undefined,
  );
  const t = rs?.metadata?.creationTimestamp;
  return t ? new Date(t).toISOString() : undefined;
}

/**
 * Inserts the recovery step after the plan's `verify` step when the service has Prometheus configured; the
 * plan is unchanged otherwise (a service without metrics keeps the pods-and-health checklist).
 */
export async function withRecoveryStep(ctx: ServiceContext, plan: Plan): Promise<Plan> {
  const d = ctx.service.detect;
  const at = plan.steps.findIndex((s) => s.id === 'verify');
  if (!d.prometheusUrl || at < 0 || plan.noop) return plan;
  const start = await incidentStart(ctx, plan);
  const timeoutMs = Math.max(60_000, ctx.service.verify.windowMs * 6);
  const desired: RecoveryDesired = {
    namespace: ctx.service.kube.namespace,
    app: d.app ?? ctx.service.deployment,
    prometheusUrl: d.prometheusUrl,
    ...(d.alertmanagerUrl ? { alertmanagerUrl: d.alertmanagerUrl } : {}),
    windowSeconds: Math.max(10, ctx.service.verify.windowMs / 1000),
    timeoutMs,
    threshold: d.errorRate.threshold,
    latencyRatio: d.latency.ratio,
    minRequests: 20,
    ...(start ? { incidentStart: start } : {}),
    baselineWindowSeconds: d.baselineWindowMs / 1000,
  };
  const step: PlanStep = {
    id: 'verify-recovery',
    kind: RECOVERY_STEP_KIND,
    description: `Verify ${ctx.service.name} recovered: error rate and P50 back to the pre-incident baseline, no alert firing`,
    target: `${desired.app} in ${desired.namespace} (Prometheus${desired.alertmanagerUrl ? ', Alertmanager' : ''})`,
    why: 'Runbook verification checklist: error rates returned to baseline, latency back to normal, no alerts firing',
    precondition: 'the rollout is complete and pods and health passed',
    desired,
    postcondition: 'every recovery item holds in one observation',
    danger: 'safe',
    expectedDurationMs: 30_000,
  };
  return { ...plan, steps: [...plan.steps.slice(0, at + 1), step, ...plan.steps.slice(at + 1)] };
}
