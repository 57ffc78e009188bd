/**
 * `kubectl rollout status` as a plan step: every scenario that changes a Deployment's template (rollback,
 * restart, set env) waits for it with this step, and fails on ProgressDeadlineExceeded or rollout.timeout.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import * as z from 'zod';
import type { StepHandlers } from '../executor.js';
import type { PlanStep } from '../plan.js';
import type { KubernetesPort } from '../ports.js';
import { DEFAULT_PROGRESS_DEADLINE_S, desiredOf } from './desired.js';

export const WAIT_ROLLOUT_STEP_KIND = 'k8s.wait-rollout';

export const WaitRolloutDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  timeoutMs: z.number().positive(),
});
export type WaitRolloutDesired = z.infer<typeof WaitRolloutDesired>;

/** A rough rollout estimate for plans and RTO warnings: 30 s plus 10 s a replica, capped by the deadline. */
export function expectedRolloutMs(progressDeadlineS: number, replicas: number): number {
  return Math.min(progressDeadlineS * 1000, 30_000 + replicas * 10_000);
}

/** `kubectl rollout status` after a template change; `why` names the runbook step that asks for it. */
export function waitRolloutStep(input: {
  namespace: string;
  deployment: string;
  progressDeadlineS: number;
  replicas: number;
  why?: string;
  precondition?: string;
  /** rollout.timeout; absent: the progress deadline plus 30 s. */
  timeoutMs?: number | undefined;
}): PlanStep {
  const { namespace, deployment, progressDeadlineS, replicas } = input;
  return {
    id: 'wait-rollout',
    kind: WAIT_ROLLOUT_STEP_KIND,
    role: 'wait',
    description: `Wait for deployment/${deployment} to roll out (${replicas} replicas)`,
    target: `deployment/${deployment} -n ${namespace}`,
    why: input.why ?? 'Runbook 1, step 2: kubectl rollout status.',
    precondition: input.precondition ?? 'The new template is set.',
    desired: {
      namespace,
      deployment,
      timeoutMs: input.timeoutMs ?? progressDeadlineS * 1000 + 30_000,
    } satisfies WaitRolloutDesired,
    postcondition: `kubectl rollout status reports deployment "${deployment}" successfully rolled out; fails on ProgressDeadlineExceeded (${progressDeadlineS}s).`,
    danger: 'safe',
    expectedDurationMs: expectedRolloutMs(progressDeadlineS, replicas),
  };
}

/** The wait step for this Deployment as planned (its deadline and replica count). */
export function waitRolloutFor(
  deployment: V1Deployment,
  fallback: { namespace: string; deployment: string },
  opts: { why?: string; precondition?: string; timeoutMs?: number | undefined } = {},
): PlanStep {
  return waitRolloutStep({
    namespace: deployment.metadata?.namespace ?? fallback.namespace,
    deployment: deployment.metadata?.name ?? fallback.deployment,
    progressDeadlineS: deployment.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S,
    replicas: deployment.spec?.replicas ?? 1,
    ...opts,
  });
}

export function waitRolloutHandlers(
  kube: Pick<KubernetesPort, 'waitForRollout' | 'rolloutStatus'>,
): StepHandlers {
  return {
    [WAIT_ROLLOUT_STEP_KIND]: {
      async apply(step, ctx) {
        const d = desiredOf(step, WaitRolloutDesired);
        const message = await kube.waitForRollout(d.namespace, d.deployment, {
          signal: ctx.signal,
          timeoutMs: d.timeoutMs,
          onProgress: ctx.progress,
        });
        return { status: message };
      },
      async check(step) {
        const d = desiredOf(step, WaitRolloutDesired);
        return (await kube.rolloutStatus(d.namespace, d.deployment)).done;
      },
    },
  };
}
