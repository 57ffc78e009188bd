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

/** Whether the baseline is read over the same window as the release (canary) rather than before it. */
export function simultaneousBaseline(r: Pick<ReleaseUnderWatch, 'strategy'>): boolean {
  return r.strategy === 'canary';
}

/** The newest ReplicaSet of a Deployment as a baseline: its pods' hash, revision and images. */
function baselineOf(snapshot: DeploymentSnapshot): ReleaseUnderWatch['previous'] {
  const current = releaseOf(snapshot);
  if (!current) return undefined;
  return {
    revision: current.revision,
    podTemplateHash: current.podTemplateHash,
    images: current.images,
    deployment: current.deployment,
  };
}

/**
 * A canary under watch: the canary Deployment's newest ReplicaSet, judged against the stable Deployment's pods
 * over the same intervals. Undefined while the canary serves nothing (scaled to 0, or weight 0 on the route):
 * there is nothing to judge, and silence must not be read as health.
 */
export function canaryReleaseOf(
  canary: DeploymentSnapshot,
  stable: DeploymentSnapshot,
  canaryWeight: number,
  seenAt?: Date,
  slackMs?: number,
): ReleaseUnderWatch | undefined {
  if ((canary.deployment.spec?.replicas ?? 1) === 0 || canaryWeight <= 0) return undefined;
  const release = releaseOf(canary, seenAt, slackMs);
  if (!release) return undefined;
  const { previous: _ownPrevious, ...rest } = release;
  const baseline = baselineOf(stable);
  return { ...rest, ...(baseline ? { previous: baseline } : {}), strategy: 'canary' };
}

/**
 * The live colour of a blue-green service as a release: judged from the moment the Service switched to it
 * (`seenAt`, when the watch saw the switch) against the other colour's pods in a window before that moment,
 * while they were the ones serving.
 */
export function blueGreenReleaseOf(
  live: DeploymentSnapshot,
  other: DeploymentSnapshot | undefined,
  seenAt?: Date,
): ReleaseUnderWatch | undefined {
  const release = releaseOf(live);
  if (!release) return undefined;
  const { previous: _ownPrevious, ...rest } = release;
  const baseline = other ? baselineOf(other) : undefined;
  return {
    ...rest,
    ...(seenAt ? { startedAt: seenAt.toISOString() } : {}),
    ...(baseline ? { previous: baseline } : {}),
    strategy: 'blue-green',
  };
}

/** The Deployment controller has not finished the rollout: a new spec not observed, or pods not all updated. */
export function rolloutInProgress(d: DeploymentSnapshot['deployment']): boolean {
  const desired = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  return (
    (d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0) ||
    (st.updatedReplicas ?? 0) < desired ||
    (st.replicas ?? 0) > (st.updatedReplicas ?? 0) ||
    (st.availableReplicas ?? 0) < (st.updatedReplicas ?? 0)
  );
}
