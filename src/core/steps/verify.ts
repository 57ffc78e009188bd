/**
 * The runbook's verification (pods Running and Ready, no restarts in the window, health answers) as the
 * `app.verify` step every Deployment-changing plan ends with. An observation of now, not a state: on resume it
 * is always done again.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import * as z from 'zod';
import { labelSelectorToString } from '../app-rollback/deployment-util.js';
import { StepFailedError, type StepContext, type StepHandlers } from '../executor.js';
import type { PlanStep } from '../plan.js';
import type { PlanService } from '../plan-service.js';
import type { KubernetesPort, ProbePort } from '../ports.js';
import {
  evaluateVerification,
  restartCounts,
  verificationPassed,
  type HealthObservation,
} from '../verify.js';
import { desiredOf } from './desired.js';
import { pauseOrAbort } from './pause.js';

export const VERIFY_STEP_KIND = 'app.verify';

/** desired of `app.verify`: what to observe, and for how long. */
export const VerifyDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  labelSelector: z.string(),
  /** Pods must come from the target ReplicaSet (its pod-template-hash), when known. */
  podTemplateHash: z.string().optional(),
  healthUrl: z.string().optional(),
  healthTimeoutMs: z.number().positive(),
  maxHealthLatencyMs: z.number().positive().optional(),
  windowMs: z.number().nonnegative(),
});
export type VerifyDesired = z.infer<typeof VerifyDesired>;

/** The runbook's verification (pods, restarts, health) as the last step before the lock is released. */
export function verifyStep(input: VerifyDesired & { service: string; why?: string | undefined }): PlanStep {
  const { service, why, ...desired } = input;
  return {
    id: 'verify',
    kind: VERIFY_STEP_KIND,
    role: 'verify',
    description: `Verify pods and health of ${service}`,
    target: `deployment/${desired.deployment} -n ${desired.namespace}`,
    why: why ?? 'Runbook 1, step 3: pods running, no errors, health endpoint answers.',
    precondition: 'The rollout is complete.',
    desired: desired satisfies VerifyDesired,
    postcondition:
      'All pods Running and Ready at the desired count, none in CrashLoopBackOff or ImagePullBackOff, no restarts ' +
      `within ${Math.round(desired.windowMs / 1000)}s` +
      (desired.healthUrl ? `, ${desired.healthUrl} answers 200.` : '.'),
    danger: 'safe',
    expectedDurationMs: desired.windowMs + desired.healthTimeoutMs,
  };
}

/** What verifyFor needs from a service's settings. */
export type VerifySettings = Pick<
  PlanService,
  'name' | 'namespace' | 'deployment' | 'healthUrl' | 'healthTimeoutMs' | 'verifyWindowMs'
>;

/** The verify step for this Deployment as observed at plan time (its selector, name and namespace). */
export function verifyFor(
  service: VerifySettings,
  deployment: V1Deployment,
  opts: { why?: string; podTemplateHash?: string | undefined; maxHealthLatencyMs?: number | undefined } = {},
): PlanStep {
  return verifyStep({
    service: service.name,
    namespace: deployment.metadata?.namespace ?? service.namespace,
    deployment: deployment.metadata?.name ?? service.deployment,
    labelSelector: labelSelectorToString(deployment.spec?.selector),
    ...(opts.podTemplateHash ? { podTemplateHash: opts.podTemplateHash } : {}),
    ...(service.healthUrl ? { healthUrl: service.healthUrl } : {}),
    healthTimeoutMs: service.healthTimeoutMs,
    ...(opts.maxHealthLatencyMs !== undefined ? { maxHealthLatencyMs: opts.maxHealthLatencyMs } : {}),
    windowMs: service.verifyWindowMs,
    ...(opts.why ? { why: opts.why } : {}),
  });
}

export interface VerifyHandlerDeps {
  kube: Pick<KubernetesPort, 'listPods' | 'snapshot'>;
  probe: ProbePort;
  /** Waits out the verify window; replaceable so unit tests need not wait. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultWait = (ms: number, signal: AbortSignal): Promise<void> =>
  pauseOrAbort(ms, signal, 'verification');

export function verifyHandlers(deps: VerifyHandlerDeps): StepHandlers {
  return {
    [VERIFY_STEP_KIND]: {
      apply: (step, ctx) => verify(step, ctx, deps),
      // Verification is an observation of now, not a state we set: on resume it is always done again.
      check: async () => false,
    },
  };
}

async function verify(step: PlanStep, ctx: StepContext, deps: VerifyHandlerDeps): Promise<unknown> {
  const { kube, probe } = deps;
  const wait = deps.wait ?? defaultWait;
  const d = desiredOf(step, VerifyDesired);
  const before = await kube.listPods(d.namespace, d.labelSelector);
  const restartBaseline = restartCounts(before);
  if (d.windowMs > 0) {
    ctx.progress(`watching ${before.length} pods for ${Math.round(d.windowMs / 1000)}s`);
    await wait(d.windowMs, ctx.signal);
  }
  const { deployment } = await kube.snapshot(d.namespace, d.deployment);
  const pods = await kube.listPods(d.namespace, d.labelSelector);
  let health: HealthObservation | undefined;
  if (d.healthUrl) {
    try {
      const r = await probe.get(d.healthUrl, { timeoutMs: d.healthTimeoutMs });
      health = { url: d.healthUrl, status: r.status, ms: r.ms };
    } catch (err) {
      health = { url: d.healthUrl, error: err instanceof Error ? err.message : String(err) };
    }
  }
  const items = evaluateVerification({
    pods,
    restartBaseline,
    desiredReplicas: deployment.spec?.replicas ?? 1,
    windowMs: d.windowMs,
    ...(d.podTemplateHash ? { expectedPodTemplateHash: d.podTemplateHash } : {}),
    ...(health ? { health } : {}),
    ...(d.maxHealthLatencyMs !== undefined ? { maxHealthLatencyMs: d.maxHealthLatencyMs } : {}),
  });
  if (!verificationPassed(items)) {
    const failed = items.filter((i) => i.status === 'failed');
    throw new StepFailedError(
      `verification failed: ${failed.map((i) => `${i.name} (${i.detail})`).join('; ')}`,
      { checklist: items },
    );
  }
  return { checklist: items };
}
