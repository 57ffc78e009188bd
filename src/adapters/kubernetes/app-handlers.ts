/**
 * The executor handlers of the application rollback (plan-app.ts's step kinds), bound to the Kubernetes and
 * probe ports. Each `apply` sets desired state and is safe to repeat; each `check` observes the step's
 * postcondition for resume. Evidence holds names, numbers and statuses, never env or Secret values.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { deploymentForChange } from './deployment-guard.js';
import { templateApplied, annotationsForApply } from '../../core/app-rollback/kubectl-rollback.js';
import { APP_STEP_KINDS, lockHolderFor } from '../../core/app-rollback/plan-app.js';
import { RipcordError } from '../../core/errors.js';
import { StepFailedError, type StepContext, type StepHandlers } from '../../core/executor.js';
import type { PlanStep } from '../../core/plan.js';
import type { KubernetesPort, ProbePort } from '../../core/ports.js';
import {
  evaluateVerification,
  restartCounts,
  verificationPassed,
  type HealthObservation,
} from '../../core/verify.js';
import {
  AcquireLockDesiredSchema,
  ReleaseLockDesiredSchema,
  SetTemplateDesiredSchema,
  VerifyDesiredSchema,
  WaitRolloutDesiredSchema,
  desiredOf,
} from './desired-schema.js';

export interface AppHandlerDeps {
  kube: KubernetesPort;
  probe: ProbePort;
  /** Waits out the verify window; replaceable so unit tests need not wait. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

async function defaultWait(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new RipcordError('failed', 'verification aborted');
  }
}

/** Handlers for every app-rollback step kind. */
export function createAppRollbackHandlers(deps: AppHandlerDeps): StepHandlers {
  const { kube, probe } = deps;
  const wait = deps.wait ?? defaultWait;

  return {
    [APP_STEP_KINDS.acquireLock]: {
      async apply(step, ctx) {
        const d = desiredOf(step, AcquireLockDesiredSchema);
        const holder = lockHolderFor(ctx.runId);
        const r = await kube.acquireLock(d.namespace, d.lockName, holder, d.leaseSeconds);
        if (!r.acquired) {
          const h = r.heldBy;
          throw new RipcordError(
            'refused',
            `another rollback is in progress: lock ${d.namespace}/${d.lockName} is held by ${h.holder} since ${h.since}` +
              ` (lease expires ${h.expiresAt} unless renewed)`,
          );
        }
        return { lock: `${d.namespace}/${d.lockName}`, holder, leaseSeconds: d.leaseSeconds };
      },
      async check(step, ctx) {
        const d = desiredOf(step, AcquireLockDesiredSchema);
        const h = await kube.readLock(d.namespace, d.lockName);
        return (
          h !== undefined &&
          h.holder === lockHolderFor(ctx.runId) &&
          Date.parse(h.expiresAt) > ctx.clock.now().getTime()
        );
      },
    },

    [APP_STEP_KINDS.setTemplate]: {
      async apply(step) {
        const d = desiredOf(step, SetTemplateDesiredSchema);
        const deployment = await deploymentForChange(
          kube,
          d,
          `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${d.deployment}' and try again`,
        );
        if (templateApplied(deployment, d)) {
          return {
            toRevision: d.toRevision,
            replicaSet: d.replicaSet,
            patched: false,
            reason: 'template already set',
          };
        }
        const patched = await kube.setTemplate(d.namespace, d.deployment, {
          template: d.template,
          annotations: annotationsForApply(deployment.metadata?.annotations, d.annotations),
        });
        return {
          toRevision: d.toRevision,
          replicaSet: d.replicaSet,
          patched: true,
          generation: patched.metadata?.generation,
          resourceVersion: patched.metadata?.resourceVersion,
        };
      },
      async check(step) {
        const d = desiredOf(step, SetTemplateDesiredSchema);
        const { deployment } = await kube.snapshot(d.namespace, d.deployment);
        return deployment.metadata?.uid === d.deploymentUid && templateApplied(deployment, d);
      },
    },

    [APP_STEP_KINDS.waitRollout]: {
      async apply(step, ctx) {
        const d = desiredOf(step, WaitRolloutDesiredSchema);
        const message = await kube.waitForRollout(d.namespace, d.deployment, {
          signal: ctx.signal,
          timeoutMs: d.timeoutMs,
          onProgress: ctx.progress,
        });
        return { status: message };
      },
      async check(step) {
        const d = desiredOf(step, WaitRolloutDesiredSchema);
        return (await kube.rolloutStatus(d.namespace, d.deployment)).done;
      },
    },

    [APP_STEP_KINDS.verify]: {
      async apply(step, ctx) {
        return verify(step, ctx, kube, probe, wait);
      },
      // Verification is an observation of now, not a state we set: on resume it is always done again.
      async check() {
        return false;
      },
    },

    [APP_STEP_KINDS.releaseLock]: {
      async apply(step, ctx) {
        const d = desiredOf(step, ReleaseLockDesiredSchema);
        await kube.releaseLock(d.namespace, d.lockName, lockHolderFor(ctx.runId));
        return { lock: `${d.namespace}/${d.lockName}`, released: true };
      },
      async check(step, ctx) {
        const d = desiredOf(step, ReleaseLockDesiredSchema);
        const h = await kube.readLock(d.namespace, d.lockName);
        return h?.holder !== lockHolderFor(ctx.runId);
      },
    },
  };
}

async function verify(
  step: PlanStep,
  ctx: StepContext,
  kube: KubernetesPort,
  probe: ProbePort,
  wait: (ms: number, signal: AbortSignal) => Promise<void>,
): Promise<unknown> {
  const d = desiredOf(step, VerifyDesiredSchema);
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
    const failed = items.filter((i) => !i.ok);
    throw new StepFailedError(
      `verification failed: ${failed.map((i) => `${i.name} (${i.detail})`).join('; ')}`,
      { checklist: items },
    );
  }
  return { checklist: items };
}
