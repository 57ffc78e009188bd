/**
 * What the Argo CD stand-in computes from desired manifests and live objects, without I/O: each resource's
 * sync status and health, and the Application's. Follows gitops-engine as Argo CD uses it:
 * - health (pkg/health/health_deployment.go, health.go): a Deployment is Suspended when paused; Progressing
 *   while its controller has not observed the latest generation or new replicas are not all updated and
 *   available, or old ones are pending termination; Degraded past its progress deadline; Healthy otherwise. A
 *   resource that does not exist is Missing. The Application's health is its worst resource's, in the order
 *   Healthy < Suspended < Progressing < Missing < Degraded < Unknown. Kinds without a health check (ConfigMap,
 *   Service of type ClusterIP) are Healthy and not listed with a health.
 * - sync (pkg/diff): a resource is Synced when the live object has every field the manifest sets, with the same
 *   value. This is a subset comparison of the manifest against live: fields the API server defaults (a
 *   container's imagePullPolicy) or other controllers own (status, replicas under an HPA aside) do not count,
 *   which is what Argo CD's three-way diff amounts to when nobody else writes the manifest's fields. Left out:
 *   ignoreDifferences, normalizers, server-side diff.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

export type HealthStatus = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';
export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';

const HEALTH_ORDER: readonly HealthStatus[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

/** The worse of two health statuses (gitops-engine's health.IsWorse). */
export function worseHealth(a: HealthStatus, b: HealthStatus): HealthStatus {
  return HEALTH_ORDER.indexOf(b) > HEALTH_ORDER.indexOf(a) ? b : a;
}

export interface Health {
  status: HealthStatus;
  message?: string;
}

interface DeploymentShape {
  metadata?: { generation?: number };
  spec?: { paused?: boolean; replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type?: string; reason?: string }>;
  };
}

/** A Deployment's health, with gitops-engine's messages. */
export function deploymentHealth(obj: KubernetesObject, name: string): Health {
  const d = obj as DeploymentShape;
  if (d.spec?.paused) return { status: 'Suspended', message: 'Deployment is paused' };
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return {
      status: 'Progressing',
      message: 'Waiting for rollout to finish: observed deployment generation less than desired generation',
    };
  }
  if (s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) {
    return { status: 'Degraded', message: `Deployment "${name}" exceeded its progress deadline` };
  }
  const want = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const replicas = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (updated < want) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${updated} out of ${want} new replicas have been updated...`,
    };
  }
  if (replicas > updated) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  }
  if (available < updated) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  }
  return { status: 'Healthy' };
}

/** A live object's health; undefined for kinds without a health check. */
export function resourceHealth(
  live: KubernetesObject | undefined,
  desired: KubernetesObject,
): Health | undefined {
  if (!live) return { status: 'Missing' };
  if (desired.kind === 'Deployment') return deploymentHealth(live, desired.metadata?.name ?? '');
  return undefined;
}

/** Does `live` hold every value `want` sets? Arrays must have the same length, each element a subset. */
export function containsSubset(want: unknown, live: unknown): boolean {
  if (Array.isArray(want)) {
    return (
      Array.isArray(live) &&
      live.length === want.length &&
      want.every((w, i) => containsSubset(w, live[i] as unknown))
    );
  }
  if (want !== null && typeof want === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) =>
      containsSubset(v, (live as Record<string, unknown>)[k]),
    );
  }
  // Kubernetes serialises some numbers as strings and back (resource quantities): compare as text.
  return want === live || (want !== undefined && live !== undefined && String(want) === String(live));
}

/** Does the live object match the manifest? Only the manifest's labels and annotations count in metadata. */
export function resourceSynced(desired: KubernetesObject, live: KubernetesObject | undefined): boolean {
  if (!live) return false;
  const {
    metadata,
    apiVersion: _a,
    kind: _k,
    ...rest
  } = desired as KubernetesObject & Record<string, unknown>;
  const meta = {
    ...(metadata?.labels ? { labels: metadata.labels } : {}),
    ...(metadata?.annotations ? { annotations: metadata.annotations } : {}),
  };
  return containsSubset({ ...rest, metadata: meta }, live);
}

/** One entry of `status.resources`, as Argo CD writes it. */
export interface ResourceStatus {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status: SyncStatus;
  health?: Health;
  /** A live object the Application tracks that its manifests no longer hold (deleted by a prune). */
  requiresPruning?: boolean;
}

export function groupVersion(apiVersion: string | undefined): { group: string; version: string } {
  const [a = '', b] = (apiVersion ?? '').split('/');
  return b === undefined ? { group: '', version: a } : { group: a, version: b };
}

/** The comparison of one Application: each resource, and the Application's sync status and health. */
export function compareApp(
  pairs: ReadonlyArray<{ desired: KubernetesObject; live: KubernetesObject | undefined; namespace: string }>,
  orphans: readonly KubernetesObject[] = [],
): { resources: ResourceStatus[]; sync: SyncStatus; health: Health } {
  let health: Health = { status: 'Healthy' };
  const resources: ResourceStatus[] = pairs.map(({ desired, live, namespace }) => {
    const h = resourceHealth(live, desired);
    if (h && worseHealth(health.status, h.status) !== health.status) health = h;
    return {
      ...groupVersion(desired.apiVersion),
      kind: desired.kind ?? '',
      namespace,
      name: desired.metadata?.name ?? '',
      status: (resourceSynced(desired, live) ? 'Synced' : 'OutOfSync') as SyncStatus,
      ...(h ? { health: h } : {}),
    };
  });
  // Objects to prune make the app OutOfSync but do not count for its health (Argo CD skips them there too).
  for (const o of orphans) {
    resources.push({
      ...groupVersion(o.apiVersion),
      kind: o.kind ?? '',
      namespace: o.metadata?.namespace ?? '',
      name: o.metadata?.name ?? '',
      status: 'OutOfSync',
      requiresPruning: true,
    });
  }
  const sync: SyncStatus = resources.every((r) => r.status === 'Synced') ? 'Synced' : 'OutOfSync';
  // The Application's health carries no per-resource message in Argo CD 3 (it is on the resource).
  return { resources, sync, health: { status: health.status } };
}
