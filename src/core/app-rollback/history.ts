/**
 * The revision history of a Deployment: the same rows as `kubectl rollout history` (DeploymentHistoryViewer:
 * one row per revision number, change-cause from the ReplicaSet, sorted by revision), plus what an operator
 * wants beside them: the images, when the revision was first rolled out, and which one is live now.
 */
import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import type { RevisionRef } from '../plan.js';
import type { DeploymentSnapshot } from '../ports.js';
import {
  CHANGE_CAUSE_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  getAllReplicaSets,
  revisionOf,
} from './deployment-util.js';

/** One revision as `ripcord history` shows it. */
export interface RevisionEntry {
  revision: number;
  /** kubernetes.io/change-cause of the ReplicaSet; kubectl prints `<none>` when absent. */
  changeCause?: string;
  /** Images of the template's containers, in order (init containers are not included). */
  images: string[];
  /** The ReplicaSet's creation time (ISO), i.e. when this template was first rolled out. */
  createdAt?: string;
  /** True for the revision whose template the Deployment runs now (kubectl's "new" ReplicaSet). */
  current: boolean;
  replicaSet: string;
  podTemplateHash?: string;
  /** Replicas the ReplicaSet wants now (0 for a revision that is not live). */
  replicas: number;
}

/** Container images of a template, in order. */
export function templateImages(t: V1PodTemplateSpec | undefined): string[] {
  return (t?.spec?.containers ?? []).map((c) => c.image ?? '');
}

/** A Deployment as a plan's from/to: its revision (0 when it has none, or no Deployment) and its images. */
export function revisionRefOf(d: V1Deployment | undefined): RevisionRef {
  const r = d ? revisionOf(d) : undefined;
  return { revision: r?.ok ? r.revision : 0, images: templateImages(d?.spec?.template) };
}

function isoTime(t: unknown): string | undefined {
  if (t instanceof Date) return t.toISOString();
  if (typeof t === 'string' && t !== '') return new Date(t).toISOString();
  return undefined;
}

/**
 * The rollout history, oldest revision first. As in kubectl, ReplicaSets whose revision annotation does not
 * parse are left out, and when two carry the same number the later one in kubectl's walk order wins.
 */
export function rolloutHistory(snapshot: DeploymentSnapshot): RevisionEntry[] {
  const { allOldRSs, newRS } = getAllReplicaSets(snapshot.deployment, snapshot.replicaSets);
  const all = newRS ? [...allOldRSs, newRS] : allOldRSs;
  const byRevision = new Map<number, V1ReplicaSet>();
  for (const rs of all) {
    const r = revisionOf(rs);
    if (r.ok) byRevision.set(r.revision, rs);
  }
  return [...byRevision.entries()]
    .sort(([a], [b]) => a - b)
    .map(([revision, rs]) => {
      const changeCause = rs.metadata?.annotations?.[CHANGE_CAUSE_ANNOTATION];
      const createdAt = isoTime(rs.metadata?.creationTimestamp);
      const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
      return {
        revision,
        ...(changeCause ? { changeCause } : {}),
        images: templateImages(rs.spec?.template),
        ...(createdAt ? { createdAt } : {}),
        current: newRS !== undefined && rs.metadata?.uid === newRS.metadata?.uid,
        replicaSet: rs.metadata?.name ?? '',
        ...(hash ? { podTemplateHash: hash } : {}),
        replicas: rs.spec?.replicas ?? 0,
      };
    });
}

/** The plan's short form of a history row. */
export function revisionRef(entry: RevisionEntry): RevisionRef {
  return {
    revision: entry.revision,
    images: entry.images,
    ...(entry.changeCause ? { changeCause: entry.changeCause } : {}),
  };
}
