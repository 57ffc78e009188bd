/**
 * The parts of kubectl's `pkg/util/deployment` (a copy of the controller's `deploymentutil`) that rollback,
 * history and rollout status use: revision parsing, which ReplicaSets a Deployment controls, which one is
 * "new", and template equality that ignores pod-template-hash. Ported line by line; comments mark where JSON
 * forces a choice Go did not have to make.
 */
import type {
  V1Deployment,
  V1LabelSelector,
  V1ObjectMeta,
  V1PodTemplateSpec,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import { semanticEqual } from './semantic-equal.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_CONFIG_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** appsv1.DeprecatedRollbackTo */
export const DEPRECATED_ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** appsv1.DefaultDeploymentUniqueLabelKey */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** The Progressing condition's reason once progressDeadlineSeconds has passed. */
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * deploymentutil.Revision: the `deployment.kubernetes.io/revision` annotation parsed like Go's
 * strconv.ParseInt(v, 10, 64). A missing annotation is revision 0 (not an error, as in Go).
 */
export function revisionOf(obj: {
  metadata?: V1ObjectMeta;
}): { ok: true; revision: number } | { ok: false; error: string } {
  const v = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return { ok: true, revision: 0 };
  if (!/^[+-]?\d+$/.test(v))
    return { ok: false, error: `strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax` };
  const n = BigInt(v);
  if (n < INT64_MIN || n > INT64_MAX) {
    return { ok: false, error: `strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range` };
  }
  return { ok: true, revision: Number(n) };
}

/** metav1.IsControlledBy: the first owner reference with controller=true names the owner's UID. */
export function isControlledBy(
  obj: { metadata?: V1ObjectMeta },
  owner: { metadata?: V1ObjectMeta },
): boolean {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  return ref !== undefined && ref.uid === owner.metadata?.uid;
}

/**
 * metav1.LabelSelectorAsSelector(...).Matches(labels). A nil selector matches nothing, an empty one
 * everything; an invalid operator matches nothing (Go returns an error and kubectl gives up).
 */
export function labelSelectorMatches(
  selector: V1LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const value = l[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The selector in list-call syntax (`app=web,tier in (a,b),!canary`), for the server-side filter. */
export function labelSelectorToString(selector: V1LabelSelector | undefined): string {
  if (!selector) return '';
  const parts = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/**
 * listReplicaSets: the ReplicaSets matching the Deployment's selector whose controller reference is the
 * Deployment. Like kubectl, it does not adopt or orphan; it only filters.
 */
export function controlledReplicaSets(
  deployment: V1Deployment,
  all: readonly V1ReplicaSet[],
): V1ReplicaSet[] {
  return all.filter(
    (rs) =>
      rs.metadata?.namespace === deployment.metadata?.namespace &&
      labelSelectorMatches(deployment.spec?.selector, rs.metadata?.labels) &&
      isControlledBy(rs, deployment),
  );
}

/**
 * equalIgnoreHash: two pod templates are equal when they differ at most in the pod-template-hash label,
 * because the hash changes with API changes and the Deployment's own template never carries it.
 */
export function equalIgnoreHash(
  t1: V1PodTemplateSpec | undefined,
  t2: V1PodTemplateSpec | undefined,
): boolean {
  return semanticEqual(withoutHash(t1), withoutHash(t2));
}

/** A copy of the template without the pod-template-hash label (the template itself is not touched). */
export function withoutHash(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const copy = structuredClone(t ?? {}) as V1PodTemplateSpec;
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return copy;
}

function creationMs(rs: V1ReplicaSet): number {
  const t = rs.metadata?.creationTimestamp;
  if (t === undefined || t === null) return Number.NEGATIVE_INFINITY;
  const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

/** replicaSetsByCreationTimestamp: oldest first, name as the tie breaker (timestamps have 1s resolution). */
export function byCreationTimestamp(a: V1ReplicaSet, b: V1ReplicaSet): number {
  const ta = creationMs(a);
  const tb = creationMs(b);
  if (ta === tb) {
    const na = a.metadata?.name ?? '';
    const nb = b.metadata?.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  }
  return ta < tb ? -1 : 1;
}

/** The sets GetAllReplicaSets returns, over ReplicaSets already fetched. */
export interface ReplicaSetsOfDeployment {
  /** Old ReplicaSets that still have replicas. */
  oldRSs: V1ReplicaSet[];
  /** All old ReplicaSets, in creation order. */
  allOldRSs: V1ReplicaSet[];
  /** The ReplicaSet whose template equals the Deployment's (the oldest such), if the controller made it. */
  newRS: V1ReplicaSet | undefined;
}

/**
 * deploymentutil.GetAllReplicaSets over a list (the adapter does the List call): filter to the controlled
 * ones, sort by creation time (Go sorts the list in place, which also orders the old ones), find the new one.
 */
export function getAllReplicaSets(
  deployment: V1Deployment,
  all: readonly V1ReplicaSet[],
): ReplicaSetsOfDeployment {
  const rsList = controlledReplicaSets(deployment, all).sort(byCreationTimestamp);
  const newRS = rsList.find((rs) => equalIgnoreHash(rs.spec?.template, deployment.spec?.template));
  const oldRSs: V1ReplicaSet[] = [];
  const allOldRSs: V1ReplicaSet[] = [];
  for (const rs of rsList) {
    if (newRS && rs.metadata?.uid === newRS.metadata?.uid) continue;
    allOldRSs.push(rs);
    if ((rs.spec?.replicas ?? 0) !== 0) oldRSs.push(rs);
  }
  return { oldRSs, allOldRSs, newRS };
}

/** allOldRSs followed by newRS: the order kubectl walks when it looks for a revision. */
export function allReplicaSetsInKubectlOrder(
  deployment: V1Deployment,
  all: readonly V1ReplicaSet[],
): V1ReplicaSet[] {
  const { allOldRSs, newRS } = getAllReplicaSets(deployment, all);
  return newRS ? [...allOldRSs, newRS] : allOldRSs;
}
