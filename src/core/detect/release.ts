/**
 * Which release a watch judges, and against what. For a rolling deploy the baseline is the same service in a
 * window before the rollout began: the new ReplicaSet's creation time marks that moment (a rollback onto an
 * old ReplicaSet re-uses it, so the watch passes the time it first saw the revision instead).
 */
import type { V1ReplicaSet } from '@kubernetes/client-node';
import {
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  controlledReplicaSets,
} from '../app-rollback/deployment-util.js';
import { templateImages } from '../app-rollback/history.js';
import type { ReleaseUnderWatch } from '../model/judgement.js';
import type { DeploymentSnapshot } from '../ports.js';

/** ReleaseUnderWatch lives in the core model (a plan's trigger carries it). */
export type { ReleaseUnderWatch } from '../model/judgement.js';

function rev(rs: V1ReplicaSet): number {
  const n = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isSafeInteger(n) ? n : 0;
}

function hashOf(rs: V1ReplicaSet): string {
  return rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '';
}

/**
 * The newest revision of the Deployment as a release to judge; undefined before the first ReplicaSet.
 * `seenAt` is when a watch saw this revision appear live: a rollback onto an old ReplicaSet re-uses it, so its
 * creation time says nothing about when this rollout began. Without `seenAt` (first look at start-up), the
 * creation time is all there is, which errs towards "already baked" for re-used ReplicaSets.
 */
export function releaseOf(
  snapshot: DeploymentSnapshot,
  seenAt?: Date,
  /** How much older than `seenAt` a ReplicaSet may be and still count as created by this rollout. */
  slackMs = 60_000,
): ReleaseUnderWatch | undefined {
  const d = snapshot.deployment;
  const sets = controlledReplicaSets(d, snapshot.replicaSets)
    .filter((rs) => rev(rs) > 0)
    .sort((a, b) => rev(b) - rev(a));
  const [current, previous] = sets;
  if (!current) return undefined;
  const created = current.metadata?.creationTimestamp;
  const createdAt = created ? new Date(created) : new Date(0);
  const startedAt = seenAt && createdAt.getTime() < seenAt.getTime() - slackMs ? seenAt : createdAt;
  return {
    namespace: d.metadata?.namespace ?? '',
    deployment: d.metadata?.name ?? '',
    revision: rev(current),
    podTemplateHash: hashOf(current),
    images: templateImages(current.spec?.template),
    ...(previous
      ? {
          previous: {
            revision: rev(previous),
            podTemplateHash: hashOf(previous),
            images: templateImages(previous.spec?.template),
          },
        }
      : {}),
    startedAt: startedAt.toISOString(),
  };
}
