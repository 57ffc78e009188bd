/**
 * The runbook's section 1 (application rollback, no database changes) as a plan: take the per-service lock,
 * set the Deployment's template to the target revision's (what `kubectl rollout undo` does), wait like
 * `kubectl rollout status`, verify pods and health, release the lock. Pure: the snapshot comes in, data out.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import * as z from 'zod';
import type { Plan, PlanStep, RevisionRef } from '../../core/plan.js';
import type { DeploymentSnapshot } from '../../core/ports.js';
import { plannedFrom, PlannedFromSchema } from '../../core/steps/desired.js';
import { acquireLockStep, leaseSecondsFor, LOCK_STEP_KINDS, releaseLockStep } from '../../core/steps/lock.js';
import { VERIFY_STEP_KIND, verifyStep } from '../../core/steps/verify.js';
import { WAIT_ROLLOUT_STEP_KIND, waitRolloutFor } from '../../core/steps/wait-rollout.js';
import {
  getAllReplicaSets,
  labelSelectorToString,
  revisionOf,
} from '../../core/app-rollback/deployment-util.js';
import { rolloutHistory, revisionRef, templateImages } from '../../core/app-rollback/history.js';
import { ANNOTATIONS_TO_SKIP, kubectlRollback } from '../../core/app-rollback/kubectl-rollback.js';
import { deploymentRolloutStatus } from '../../core/app-rollback/rollout-status.js';
import { annotationDiff, templateDiff } from '../../core/app-rollback/template-diff.js';
import { maskTemplateEnv, templateHash } from '../../core/app-rollback/template-hash.js';

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

export const SET_TEMPLATE_STEP_KIND = 'k8s.set-deployment-template';

/** desired of `k8s.set-deployment-template`: kubectl's patch content, plus what it was planned against. */
export const SetTemplateDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  /** Refuse if the Deployment was deleted and recreated since planning (its history is another one). */
  deploymentUid: z.string(),
  toRevision: z.number().int(),
  replicaSet: z.string(),
  /**
   * The ReplicaSet the template comes from, read again when the step runs (kubectl's rollout undo), and the
   * templateHash of its template (refused if it changed since planning). Absent in plans journaled before
   * templates were masked: those apply `template` as it is.
   */
  replicaSetUid: z.string().optional(),
  templateHash: z.string().optional(),
  /** The target template with env values masked: for people, never applied. The API server checks its shape. */
  template: z.looseObject({}).transform((t) => t as V1PodTemplateSpec),
  annotations: z.record(z.string(), z.string()),
  /** What the plan was made against: the Deployment's template hash, resourceVersion and images then. */
  from: PlannedFromSchema.optional(),
});
export type SetTemplateDesired = z.infer<typeof SetTemplateDesired>;

export const APP_STEP_KINDS = {
  acquireLock: LOCK_STEP_KINDS.acquire,
  setTemplate: SET_TEMPLATE_STEP_KIND,
  waitRollout: WAIT_ROLLOUT_STEP_KIND,
  verify: VERIFY_STEP_KIND,
  releaseLock: LOCK_STEP_KINDS.release,
} as const;

const DEFAULT_VERIFY_WINDOW_MS = 60_000;
const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;

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
  const leaseSeconds = leaseSecondsFor(service.lockLeaseSeconds, opts.rtoTargetMs);
  const windowMs = service.verifyWindowMs ?? DEFAULT_VERIFY_WINDOW_MS;
  const healthTimeoutMs = service.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const hash = targetRs?.metadata?.labels?.['pod-template-hash'];

  const steps: PlanStep[] = [
    acquireLockStep(service.name, namespace, leaseSeconds),
    {
      id: 'set-template',
      kind: SET_TEMPLATE_STEP_KIND,
      role: 'change',
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
        from: plannedFrom(deployment, from.images),
      } satisfies SetTemplateDesired,
      postcondition: `Deployment template equals revision ${result.toRevision}'s (ignoring pod-template-hash).`,
      danger: 'caution',
      expectedDurationMs: 2_000,
    },
    waitRolloutFor(deployment, { namespace, deployment: name }, { timeoutMs: service.rolloutTimeoutMs }),
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
