/**
 * A pure port of kubectl's DeploymentStatusViewer.Status (pkg/polymorphichelpers/rollout_status.go), the rule
 * `kubectl rollout status` polls: the controller must have observed the latest generation; then all desired
 * replicas updated, no old replicas left, every updated replica available. A Progressing condition with
 * reason ProgressDeadlineExceeded ends the wait as a failure. The warning suffix (unschedulable pods, image
 * pull and crash loops) is kubectl's appendWarning, over pods the caller lists.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { RipcordError } from '../errors.js';
import { TIMED_OUT_REASON, revisionOf } from './deployment-util.js';

/** One evaluation: kubectl's message (without its trailing newline) and whether the rollout is complete. */
export interface RolloutStatus {
  done: boolean;
  message: string;
}

const WARN_WAITING_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/**
 * Status of the Deployment's rollout. Throws RipcordError('failed') when the progress deadline passed (naming
 * progressDeadlineSeconds) or when `revision` is given and the Deployment is at another one.
 */
export function deploymentRolloutStatus(
  deployment: V1Deployment,
  opts: { revision?: number; pods?: readonly V1Pod[] } = {},
): RolloutStatus {
  const name = deployment.metadata?.name ?? '';
  const q = JSON.stringify(name);
  if (opts.revision !== undefined && opts.revision > 0) {
    const r = revisionOf(deployment);
    if (!r.ok) throw new RipcordError('failed', `cannot get the revision of deployment ${q}: ${r.error}`);
    if (opts.revision !== r.revision) {
      throw new RipcordError(
        'failed',
        `desired revision (${opts.revision}) is different from the running revision (${r.revision})`,
      );
    }
  }
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  if (generation <= (status.observedGeneration ?? 0)) {
    const cond = status.conditions?.find((c) => c.type === 'Progressing');
    if (cond && cond.reason === TIMED_OUT_REASON) {
      const deadline = deployment.spec?.progressDeadlineSeconds ?? 600;
      throw new RipcordError(
        'failed',
        `deployment ${q} exceeded its progress deadline (progressDeadlineSeconds: ${deadline}s)` +
          (cond.message ? `: ${cond.message}` : ''),
      );
    }
    const specReplicas = deployment.spec?.replicas;
    const updated = status.updatedReplicas ?? 0;
    const replicas = status.replicas ?? 0;
    const available = status.availableReplicas ?? 0;
    if (specReplicas !== undefined && specReplicas !== null && updated < specReplicas) {
      return waiting(
        `Waiting for deployment ${q} rollout to finish: ${updated} out of ${specReplicas} new replicas have been updated...`,
        opts.pods,
      );
    }
    if (replicas > updated) {
      return waiting(
        `Waiting for deployment ${q} rollout to finish: ${replicas - updated} old replicas are pending termination...`,
        opts.pods,
      );
    }
    if (available < updated) {
      return waiting(
        `Waiting for deployment ${q} rollout to finish: ${available} of ${updated} updated replicas are available...`,
        opts.pods,
      );
    }
    return { done: true, message: `deployment ${q} successfully rolled out` };
  }
  return waiting('Waiting for deployment spec update to be observed...', opts.pods);
}

function waiting(message: string, pods: readonly V1Pod[] | undefined): RolloutStatus {
  return { done: false, message: withWarning(message, pods) };
}

/** appendWarning: the first pod problem found, in kubectl's words. */
function withWarning(base: string, pods: readonly V1Pod[] | undefined): string {
  for (const pod of pods ?? []) {
    for (const c of pod.status?.conditions ?? []) {
      if (c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable') {
        return `${base} (Warning: ${c.message ?? ''})`;
      }
    }
    for (const cs of pod.status?.containerStatuses ?? []) {
      const w = cs.state?.waiting;
      if (w && WARN_WAITING_REASONS.has(w.reason ?? '')) {
        return `${base} (Warning: ${w.reason} - ${w.message ?? ''})`;
      }
    }
  }
  return base;
}
