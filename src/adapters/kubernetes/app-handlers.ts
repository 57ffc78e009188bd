/**
 * The executor handlers of the application rollback (plan-app.ts's step kinds), bound to the Kubernetes and
 * probe ports. Each `apply` sets desired state and is safe to repeat; each `check` observes the step's
 * postcondition for resume. Evidence holds names, numbers and statuses, never env or Secret values.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { deploymentForChange, refuseIfTemplateMoved } from './deployment-guard.js';
import { templateApplied, annotationsForApply } from '../../core/app-rollback/kubectl-rollback.js';
import { APP_STEP_KINDS } from '../../core/app-rollback/plan-app.js';
import { replicaSetTemplate, templateHash } from '../../core/app-rollback/template-hash.js';
import { AbortedError, abortReason, LockHeldError, RipcordError } from '../../core/errors.js';
import { lockHolderFor } from '../../core/lock-identity.js';
import type { LockKeeper } from '../../core/lock-keeper.js';
import { StepFailedError, type StepContext, type StepHandlers } from '../../core/executor.js';
import type { PlanStep } from '../../core/plan.js';
import type { DeploymentSnapshot, KubernetesPort, ProbePort } from '../../core/ports.js';
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
  /** Renews the Leases a run holds; absent in unit tests that need no renewal. */
  locks?: LockKeeper;
}

async function defaultWait(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new AbortedError(`verification aborted: ${abortReason(signal)}`);
  }
}

/** How long a taker waits for a lease that looks lapsed to prove it (expiry by observed time). */
const LAPSED_POLL_MS = 1_000;

/**
 * The template the step sets: the target ReplicaSet's own, read now (the journal holds only a masked copy).
 * Plans journaled before that change carry the whole template and are applied as they are.
 */
function targetTemplate(
  snap: DeploymentSnapshot,
  d: {
    replicaSet: string;
    replicaSetUid?: string | undefined;
    templateHash?: string | undefined;
    template: V1PodTemplateSpec;
  },
): V1PodTemplateSpec {
  if (!d.replicaSetUid || !d.templateHash) return d.template;
  const rs = snap.replicaSets.find((r) => r.metadata?.name === d.replicaSet);
  if (!rs || rs.metadata?.uid !== d.replicaSetUid) {
    throw new RipcordError(
      'refused',
      `replicaset/${d.replicaSet} the plan rolls back to is gone or was recreated since the plan was made; plan again`,
    );
  }
  const template = replicaSetTemplate(rs);
  if (templateHash(template) !== d.templateHash) {
    throw new RipcordError(
      'refused',
      `replicaset/${d.replicaSet}'s template changed since the plan was made; plan again`,
    );
  }
  return template;
}

/** Handlers for every app-rollback step kind. */
export function createAppRollbackHandlers(deps: AppHandlerDeps): StepHandlers {
  const { kube, probe } = deps;
  const wait = deps.wait ?? defaultWait;

  return {
    [APP_STEP_KINDS.acquireLock]: {
      async apply(step, ctx) {
        const d = desiredOf(step, AcquireLockDesiredSchema);
        const holder = lockHolderFor(ctx.runId, ctx.owner ?? 'local');
        // A lease whose holder stopped renewing (a crashed run) is taken over only once it has stayed unchanged
        // for its whole duration on our clock; one still being renewed is refused at once, naming its holder.
        const deadline = ctx.clock.now().getTime() + (d.leaseSeconds + 2) * 1000;
        for (;;) {
          const r = await kube.acquireLock(d.namespace, d.lockName, holder, d.leaseSeconds);
          if (r.acquired) break;
          const h = r.heldBy;
          const looksLapsed = Date.parse(h.expiresAt) <= ctx.clock.now().getTime();
          if (!looksLapsed || ctx.clock.now().getTime() >= deadline || ctx.signal.aborted) {
            throw new LockHeldError(
              `another rollback is in progress: lock ${d.namespace}/${d.lockName} is held by ${h.holder} since ${h.since}` +
                ` (last renewed ${h.renewedAt ?? h.since}; lease ${h.leaseDurationSeconds}s)`,
              h.holder,
            );
          }
          ctx.progress(`lock ${d.namespace}/${d.lockName} looks lapsed (held by ${h.holder}); making sure`);
          await sleep(LAPSED_POLL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
        }
        deps.locks?.hold({
          namespace: d.namespace,
          lockName: d.lockName,
          holder,
          leaseSeconds: d.leaseSeconds,
        });
        return { lock: `${d.namespace}/${d.lockName}`, holder, leaseSeconds: d.leaseSeconds };
      },
      async check(step, ctx) {
        const d = desiredOf(step, AcquireLockDesiredSchema);
        const h = await kube.readLock(d.namespace, d.lockName);
        const ok =
          h !== undefined &&
          h.holder === lockHolderFor(ctx.runId, ctx.owner ?? 'local') &&
          Date.parse(h.expiresAt) > ctx.clock.now().getTime();
        if (ok) {
          deps.locks?.hold({
            namespace: d.namespace,
            lockName: d.lockName,
            holder: h.holder,
            leaseSeconds: d.leaseSeconds,
          });
        }
        return ok;
      },
    },

    [APP_STEP_KINDS.setTemplate]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SetTemplateDesiredSchema);
        // Read, compare, write with the resourceVersion read: a change by somebody else in between is a 409,
        // after which we look again (it may be one we must refuse to overwrite).
        for (let attempt = 0; ; attempt++) {
          const snap = await kube.snapshot(d.namespace, d.deployment);
          const deployment = await deploymentForChange(
            kube,
            d,
            `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${d.deployment}' and try again`,
            snap,
          );
          const template = targetTemplate(snap, d);
          if (templateApplied(deployment, { template, annotations: d.annotations })) {
            return {
              toRevision: d.toRevision,
              replicaSet: d.replicaSet,
              patched: false,
              reason: 'template already set',
            };
          }
          const forced = refuseIfTemplateMoved(deployment, d, ctx.force === true);
          try {
            const patched = await kube.setTemplate(d.namespace, d.deployment, {
              template,
              annotations: annotationsForApply(deployment.metadata?.annotations, d.annotations),
              resourceVersion: deployment.metadata?.resourceVersion ?? '',
            });
            return {
              toRevision: d.toRevision,
              replicaSet: d.replicaSet,
              patched: true,
              ...(forced ? { forced } : {}),
              generation: patched.metadata?.generation,
              resourceVersion: patched.metadata?.resourceVersion,
            };
          } catch (err) {
            if (attempt < 3 && err instanceof RipcordError && err.retryable && /conflict/.test(err.message))
              continue;
            throw err;
          }
        }
      },
      async check(step) {
        const d = desiredOf(step, SetTemplateDesiredSchema);
        const snap = await kube.snapshot(d.namespace, d.deployment);
        const { deployment } = snap;
        if (deployment.metadata?.uid !== d.deploymentUid) return false;
        let template: V1PodTemplateSpec;
        try {
          template = targetTemplate(snap, d);
        } catch {
          return false; // apply will say why
        }
        return templateApplied(deployment, { template, annotations: d.annotations });
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
        deps.locks?.forget(d.namespace, d.lockName);
        await kube.releaseLock(d.namespace, d.lockName, lockHolderFor(ctx.runId, ctx.owner ?? 'local'));
        return { lock: `${d.namespace}/${d.lockName}`, released: true };
      },
      async check(step, ctx) {
        const d = desiredOf(step, ReleaseLockDesiredSchema);
        const h = await kube.readLock(d.namespace, d.lockName);
        return h?.holder !== lockHolderFor(ctx.runId, ctx.owner ?? 'local');
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
