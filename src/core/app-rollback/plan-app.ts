/**
 * The runbook's section 1 (application rollback, no database changes) as a plan: take the per-service lock,
 * set the Deployment's template to the target revision's (what `kubectl rollout undo` does), wait like
 * `kubectl rollout status`, verify pods and health, release the lock. Pure: the snapshot comes in, data out.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Plan, PlanStep, RevisionRef } from '../plan.js';
import type { DeploymentSnapshot } from '../ports.js';
import { getAllReplicaSets, labelSelectorToString, revisionOf } from './deployment-util.js';
import { rolloutHistory, revisionRef, templateImages } from './history.js';
import { ANNOTATIONS_TO_SKIP, kubectlRollback } from './kubectl-rollback.js';
import { deploymentRolloutStatus } from './rollout-status.js';
import { annotationDiff, templateDiff } from './template-diff.js';
import { maskTemplateEnv, templateHash } from './template-hash.js';

/** What the app plan needs to know about a service; the compiled config provides at least this. */
export interface AppRollbackService {
  /** Service name as in ripcord.yaml, e.g. `venue-service`; names the lock. */
  name: string;
  namespace: string;
  /** Deployment name; defaults to the service name. */
  deployment?: string;
  /** Health endpoint probed by verification (runbook step 3: `curl .../health`). */
  healthUrl?: string;
  /** How long pods are watched for restarts during verification. Default 60s. */
  verifyWindowMs?: number;
  healthTimeoutMs?: number;
  /** Health latency above this fails verification; unset = status only. */
  maxHealthLatencyMs?: number;
  /** Lease duration of the rollback lock (renewed every third of it while the run holds it). */
  lockLeaseSeconds?: number;
  /** rollout.timeout: the longest wait for `rollout status`. */
  rolloutTimeoutMs?: number;
}

export interface AppRollbackOptions {
  /** Revision to roll back to; 0 or unset = previous, as `kubectl rollout undo`. */
  toRevision?: number;
  rtoTargetMs: number;
  now: Date;
}

/** desired of `k8s.acquire-lock`; the holder is the run (`ripcord/<runId>`), known only when it executes. */
export interface AcquireLockDesired {
  namespace: string;
  lockName: string;
  leaseSeconds: number;
}

/** desired of `k8s.release-lock`. */
export interface ReleaseLockDesired {
  namespace: string;
  lockName: string;
}

/** desired of `k8s.set-deployment-template`: kubectl's patch content, plus what it was planned against. */
export interface SetTemplateDesired {
  namespace: string;
  deployment: string;
  /** Refuse if the Deployment was deleted and recreated since planning (its history is another one). */
  deploymentUid: string;
  toRevision: number;
  replicaSet: string;
  /** The ReplicaSet the template comes from, read again when the step runs (kubectl's rollout undo). */
  replicaSetUid: string;
  /** templateHash of that ReplicaSet's template: refused if it changed since planning. */
  templateHash: string;
  /** The target template with env values masked: for people, never applied. */
  template: V1PodTemplateSpec;
  annotations: Record<string, string>;
  /** What the plan was made against: the Deployment's template hash, resourceVersion and images then. */
  from: { templateHash: string; resourceVersion: string; images: string[] };
}

/** desired of `k8s.wait-rollout`. */
export interface WaitRolloutDesired {
  namespace: string;
  deployment: string;
  timeoutMs: number;
}

/** desired of `app.verify`: what to observe, and for how long. */
export interface VerifyDesired {
  namespace: string;
  deployment: string;
  labelSelector: string;
  /** Pods must come from the target ReplicaSet (its pod-template-hash), when known. */
  podTemplateHash?: string;
  healthUrl?: string;
  healthTimeoutMs: number;
  maxHealthLatencyMs?: number;
  windowMs: number;
}

export const APP_STEP_KINDS = {
  acquireLock: 'k8s.acquire-lock',
  setTemplate: 'k8s.set-deployment-template',
  waitRollout: 'k8s.wait-rollout',
  verify: 'app.verify',
  releaseLock: 'k8s.release-lock',
} as const;

/** The Lease name of a service's rollback lock. */
export function lockNameFor(service: string): string {
  return `ripcord-${service}`;
}

/** The lock step every rollback that changes the Deployment starts with. */
export function acquireLockStep(service: string, namespace: string, leaseSeconds: number): PlanStep {
  const lockName = lockNameFor(service);
  return {
    id: 'acquire-lock',
    kind: APP_STEP_KINDS.acquireLock,
    description: `Take the rollback lock ${lockName}`,
    target: `lease/${lockName} -n ${namespace}`,
    why: 'Only one rollback of a service may run at a time; a second one is refused naming the holder.',
    precondition: 'The Lease is absent, released, expired, or already held by this run.',
    desired: { namespace, lockName, leaseSeconds } satisfies AcquireLockDesired,
    postcondition: `Lease ${lockName} is held by this run and not expired.`,
    danger: 'safe',
    expectedDurationMs: 1_000,
    recheckOnResume: true,
  };
}

/** `kubectl rollout status` after a template change; `why` names the runbook step that asks for it. */
export function waitRolloutStep(input: {
  namespace: string;
  deployment: string;
  progressDeadlineS: number;
  replicas: number;
  why?: string;
  /** rollout.timeout; absent: the progress deadline plus 30 s. */
  timeoutMs?: number;
}): PlanStep {
  const { namespace, deployment, progressDeadlineS, replicas } = input;
  return {
    id: 'wait-rollout',
    kind: APP_STEP_KINDS.waitRollout,
    description: `Wait for deployment/${deployment} to roll out (${replicas} replicas)`,
    target: `deployment/${deployment} -n ${namespace}`,
    why: input.why ?? 'Runbook 1, step 2: kubectl rollout status.',
    precondition: 'The new template is set.',
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

/** A rough rollout estimate for plans and RTO warnings: 30 s plus 10 s a replica, capped by the deadline. */
export function expectedRolloutMs(progressDeadlineS: number, replicas: number): number {
  return Math.min(progressDeadlineS * 1000, 30_000 + replicas * 10_000);
}

/** The runbook's verification (pods, restarts, health) as the last step before the lock is released. */
export function verifyStep(input: VerifyDesired & { service: string; why?: string }): PlanStep {
  const { service, why, ...desired } = input;
  return {
    id: 'verify',
    kind: APP_STEP_KINDS.verify,
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

export function releaseLockStep(service: string, namespace: string): PlanStep {
  const lockName = lockNameFor(service);
  return {
    id: 'release-lock',
    kind: APP_STEP_KINDS.releaseLock,
    description: `Release the rollback lock ${lockName}`,
    target: `lease/${lockName} -n ${namespace}`,
    why: 'Let the next rollback of this service run.',
    precondition: 'This run holds the lock.',
    desired: { namespace, lockName } satisfies ReleaseLockDesired,
    postcondition: `Lease ${lockName} is not held by this run.`,
    danger: 'safe',
    expectedDurationMs: 1_000,
  };
}

const DEFAULT_VERIFY_WINDOW_MS = 60_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;
const DEFAULT_PROGRESS_DEADLINE_S = 600;

/**
 * Plans the application rollback. Throws kubectl's errors as RipcordError: 'invalid' for no history or an
 * unknown revision, 'refused' for a paused Deployment. When kubectl would skip, the plan has no steps and
 * `noop` carries kubectl's message.
 */
export function planAppRollback(
  service: AppRollbackService,
  snapshot: DeploymentSnapshot,
  opts: AppRollbackOptions,
): Plan {
  const { deployment } = snapshot;
  const name = deployment.metadata?.name ?? service.deployment ?? service.name;
  const namespace = deployment.metadata?.namespace ?? service.namespace;
  const target = `deployment/${name} -n ${namespace}`;
  const result = kubectlRollback(snapshot, opts.toRevision ?? 0);

  const history = rolloutHistory(snapshot);
  const currentEntry = history.find((h) => h.current);
  const currentRev = revisionOf(deployment);
  const from: RevisionRef = currentEntry
    ? revisionRef(currentEntry)
    : {
        revision: currentRev.ok ? currentRev.revision : 0,
        images: templateImages(deployment.spec?.template),
      };

  const base = {
    service: service.name,
    scenario: 'app' as const,
    namespace,
    createdAt: opts.now.toISOString(),
    from,
    rtoTargetMs: opts.rtoTargetMs,
  };

  if (result.kind === 'skip') {
    return { ...base, to: from, changes: [], steps: [], warnings: [], noop: result.message };
  }

  const toEntry = history.find((h) => h.replicaSet === result.replicaSet);
  const to: RevisionRef = toEntry
    ? revisionRef(toEntry)
    : { revision: result.toRevision, images: templateImages(result.template) };
  const targetRs = snapshot.replicaSets.find((rs) => rs.metadata?.name === result.replicaSet);

  const changes = [
    ...templateDiff(deployment.spec?.template, result.template),
    ...annotationDiff(deployment.metadata?.annotations, result.annotations, ANNOTATIONS_TO_SKIP),
  ];

  const warnings = planWarnings(service, snapshot, from, to);
  const leaseSeconds = service.lockLeaseSeconds ?? Math.max(900, Math.ceil((3 * opts.rtoTargetMs) / 1000));
  const progressDeadlineS = deployment.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S;
  const windowMs = service.verifyWindowMs ?? DEFAULT_VERIFY_WINDOW_MS;
  const healthTimeoutMs = service.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const replicas = deployment.spec?.replicas ?? 1;
  const hash = targetRs?.metadata?.labels?.['pod-template-hash'];

  const steps: PlanStep[] = [
    acquireLockStep(service.name, namespace, leaseSeconds),
    {
      id: 'set-template',
      kind: APP_STEP_KINDS.setTemplate,
      description: `Set the pod template of deployment/${name} to revision ${to.revision}'s (${to.images.join(', ')})`,
      target,
      why: "Runbook 1, step 2: kubectl rollout undo, which replaces the template with the ReplicaSet's.",
      precondition: `deployment/${name} has UID ${deployment.metadata?.uid ?? '?'} and is not paused.`,
      desired: {
        namespace,
        deployment: name,
        deploymentUid: deployment.metadata?.uid ?? '',
        toRevision: result.toRevision,
        replicaSet: result.replicaSet,
        replicaSetUid: targetRs?.metadata?.uid ?? '',
        templateHash: templateHash(result.template),
        template: maskTemplateEnv(result.template),
        annotations: result.annotations,
        from: {
          templateHash: templateHash(deployment.spec?.template),
          resourceVersion: deployment.metadata?.resourceVersion ?? '',
          images: from.images,
        },
      } satisfies SetTemplateDesired,
      postcondition: `Deployment template equals revision ${result.toRevision}'s (ignoring pod-template-hash).`,
      danger: 'caution',
      expectedDurationMs: 2_000,
    },
    waitRolloutStep({
      namespace,
      deployment: name,
      progressDeadlineS,
      replicas,
      ...(service.rolloutTimeoutMs !== undefined ? { timeoutMs: service.rolloutTimeoutMs } : {}),
    }),
    verifyStep({
      service: service.name,
      namespace,
      deployment: name,
      labelSelector: labelSelectorToString(deployment.spec?.selector),
      ...(hash ? { podTemplateHash: hash } : {}),
      ...(service.healthUrl ? { healthUrl: service.healthUrl } : {}),
      healthTimeoutMs,
      ...(service.maxHealthLatencyMs !== undefined ? { maxHealthLatencyMs: service.maxHealthLatencyMs } : {}),
      windowMs,
    }),
    releaseLockStep(service.name, namespace),
  ];

  return { ...base, to, changes, steps, warnings };
}

function planWarnings(
  service: AppRollbackService,
  snapshot: DeploymentSnapshot,
  from: RevisionRef,
  to: RevisionRef,
): string[] {
  const warnings: string[] = [];
  const { deployment, replicaSets } = snapshot;
  if (!service.healthUrl) warnings.push('no health URL configured: verification checks pods only');
  if (from.images.join(',') === to.images.join(',')) {
    warnings.push(
      `revision ${to.revision} runs the same images as revision ${from.revision}; only configuration differs`,
    );
  }
  if (!getAllReplicaSets(deployment, replicaSets).newRS) {
    warnings.push(
      'the current template has no ReplicaSet yet (the controller has not acted on the last change); ' +
        `"previous" is revision ${to.revision}, as kubectl computes it`,
    );
  }
  try {
    const st = deploymentRolloutStatus(deployment);
    if (!st.done) warnings.push(`a rollout is in progress: ${st.message}`);
  } catch (err) {
    warnings.push(`the current rollout has failed: ${(err as Error).message}`);
  }
  return warnings;
}
