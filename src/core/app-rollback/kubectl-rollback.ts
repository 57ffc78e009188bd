/**
 * A pure port of kubectl's DeploymentRollbacker (k8s.io/kubectl pkg/polymorphichelpers/rollback.go), i.e. what
 * `kubectl rollout undo deployment/X [--to-revision=N]` decides before it sends its one JSON patch. The order
 * of checks is kubectl's: negative revision, find the ReplicaSet (no history / unknown revision), paused,
 * already-matching template, then the patch. Only the I/O is left out: the caller passes the snapshot in and
 * sends the patch (see deploymentPatch).
 */
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { RipcordError } from '../errors.js';
import type { DeploymentSnapshot } from '../ports.js';
import {
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  LAST_APPLIED_CONFIG_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  allReplicaSetsInKubectlOrder,
  equalIgnoreHash,
  revisionOf,
} from './deployment-util.js';

/** What `kubectl rollout undo` would do: patch the Deployment to a revision, or skip with kubectl's message. */
export type KubectlRollbackResult =
  | {
      kind: 'rollback';
      /** The revision of the ReplicaSet rolled back to (resolved when 0 = "previous" was asked). */
      toRevision: number;
      /** Name of that ReplicaSet. */
      replicaSet: string;
      /** Its template without pod-template-hash: the new spec.template. */
      template: V1PodTemplateSpec;
      /** The new metadata.annotations, rebuilt exactly as kubectl does. */
      annotations: Record<string, string>;
    }
  | { kind: 'skip'; toRevision: number; message: string };

/**
 * annotationsToSkip: kept from the Deployment, never copied from the ReplicaSet (they describe the
 * Deployment's own rollout bookkeeping, or kubectl apply's memory of it).
 */
export const ANNOTATIONS_TO_SKIP: ReadonlySet<string> = new Set([
  LAST_APPLIED_CONFIG_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO_ANNOTATION,
]);

/** kubectl's revisionNotFoundErr. */
function revisionNotFound(r: number): RipcordError {
  return new RipcordError('invalid', `unable to find specified revision ${r} in history`);
}

/**
 * deploymentRevision: the ReplicaSet for `toRevision`, or for 0 the "previous" one, which is kubectl's
 * second-highest revision among the controlled ReplicaSets (normally the highest below the current one).
 * Walk order and tie-breaking follow kubectl exactly (old ReplicaSets by creation time, then the new one).
 */
export function deploymentRevision(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
  toRevision: number,
): V1ReplicaSet {
  let latestReplicaSet: V1ReplicaSet | undefined;
  let latestRevision = -1;
  let previousReplicaSet: V1ReplicaSet | undefined;
  let previousRevision = -1;
  for (const rs of allReplicaSetsInKubectlOrder(deployment, replicaSets)) {
    const r = revisionOf(rs);
    if (!r.ok) continue;
    const v = r.revision;
    if (toRevision === 0) {
      if (latestRevision < v) {
        previousRevision = latestRevision;
        previousReplicaSet = latestReplicaSet;
        latestRevision = v;
        latestReplicaSet = rs;
      } else if (previousRevision < v) {
        previousRevision = v;
        previousReplicaSet = rs;
      }
    } else if (toRevision === v) {
      return rs;
    }
  }
  if (toRevision > 0) throw revisionNotFound(toRevision);
  if (!previousReplicaSet) {
    throw new RipcordError(
      'invalid',
      `no rollout history found for deployment ${JSON.stringify(deployment.metadata?.name ?? '')}`,
    );
  }
  return previousReplicaSet;
}

/**
 * The annotations kubectl writes: the skip-list keys the Deployment has, plus every other annotation of the
 * ReplicaSet (which the controller copied from the Deployment when that revision was current).
 */
export function rollbackAnnotations(
  deploymentAnnotations: Record<string, string> | undefined,
  rsAnnotations: Record<string, string> | undefined,
): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const k of ANNOTATIONS_TO_SKIP) {
    const v = deploymentAnnotations?.[k];
    if (v !== undefined) annotations[k] = v;
  }
  for (const [k, v] of Object.entries(rsAnnotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  }
  return annotations;
}

/** DeploymentRollbacker.Rollback without the I/O: decide, but do not patch. */
export function kubectlRollback(snapshot: DeploymentSnapshot, toRevision = 0): KubectlRollbackResult {
  const { deployment, replicaSets } = snapshot;
  if (toRevision < 0) throw revisionNotFound(toRevision);
  const name = deployment.metadata?.name ?? '';
  const rsForRevision = deploymentRevision(deployment, replicaSets, toRevision);
  if (deployment.spec?.paused) {
    throw new RipcordError(
      'refused',
      `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`,
    );
  }
  // kubectl prints the revision it was asked for, so "previous" reads "revision 0" here, as it does there.
  if (equalIgnoreHash(rsForRevision.spec?.template, deployment.spec?.template)) {
    return {
      kind: 'skip',
      toRevision,
      message: `skipped rollback (current template already matches revision ${toRevision})`,
    };
  }
  const template = structuredClone(rsForRevision.spec?.template ?? {}) as V1PodTemplateSpec;
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  const resolved = revisionOf(rsForRevision);
  return {
    kind: 'rollback',
    toRevision: resolved.ok ? resolved.revision : toRevision,
    replicaSet: rsForRevision.metadata?.name ?? '',
    template,
    annotations: rollbackAnnotations(deployment.metadata?.annotations, rsForRevision.metadata?.annotations),
  };
}

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'replace';
  path: string;
  value: unknown;
}

/** getDeploymentPatch: replace spec.template and metadata.annotations, in that order, as one JSON patch. */
export function deploymentPatch(
  template: V1PodTemplateSpec,
  annotations: Record<string, string>,
): JsonPatchOp[] {
  return [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ];
}

/**
 * The annotations to write when (re)applying a planned rollback now: the skip-list keys come from the
 * Deployment as it is at apply time (the controller may have moved its revision since planning), the rest
 * from the plan. This is what kubectl would compute if it ran at this moment.
 */
export function annotationsForApply(
  currentAnnotations: Record<string, string> | undefined,
  planned: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ANNOTATIONS_TO_SKIP) {
    const v = currentAnnotations?.[k];
    if (v !== undefined) out[k] = v;
  }
  for (const [k, v] of Object.entries(planned)) {
    if (!ANNOTATIONS_TO_SKIP.has(k)) out[k] = v;
  }
  return out;
}

/**
 * The set-template postcondition: the Deployment's template equals the planned one (ignoring
 * pod-template-hash) and its annotations equal the planned ones outside the skip list, which the controller
 * keeps rewriting (the revision number moves on as soon as it sees the new template).
 */
export function templateApplied(
  deployment: V1Deployment,
  desired: { template: V1PodTemplateSpec; annotations: Record<string, string> },
): boolean {
  if (!equalIgnoreHash(deployment.spec?.template, desired.template)) return false;
  const current = deployment.metadata?.annotations ?? {};
  const keys = new Set([...Object.keys(current), ...Object.keys(desired.annotations)]);
  for (const k of keys) {
    if (ANNOTATIONS_TO_SKIP.has(k)) continue;
    if (current[k] !== desired.annotations[k]) return false;
  }
  return true;
}
