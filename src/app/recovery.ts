/**
 * Adds the shared `verify-recovery` step (core/steps/recovery.ts) after a plan's verification when the service
 * has Prometheus configured: its baseline is the window before the bad revision began rolling out.
 */
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../core/app-rollback/deployment-util.js';
import type { Plan } from '../core/plan.js';
import {
  insertAfterVerify,
  isVerifyStep,
  recoveryStep,
  type RecoveryDesired,
} from '../core/steps/recovery.js';
import type { ScenarioContext } from '../scenarios/types.js';

/** When the plan's `from` revision began rolling out (its ReplicaSet's creation), for the baseline window. */
async function incidentStart(ctx: ScenarioContext, plan: Plan): Promise<string | undefined> {
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
export async function withRecoveryStep(ctx: ScenarioContext, plan: Plan): Promise<Plan> {
  const d = ctx.service.detect;
  if (!d.prometheusUrl || plan.noop || !plan.steps.some(isVerifyStep)) return plan;
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
  return insertAfterVerify(plan, recoveryStep(desired, ctx.service.name));
}
