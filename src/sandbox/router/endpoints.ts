import type { PodObject, ServiceObject, ServicePort } from './resource-schemas.js';

/** One address traffic may go to: a pod's IP and the container port the Service port resolves to. */
export interface Endpoint {
  pod: string;
  ip: string;
  port: number;
  labels: Record<string, string>;
}

/** True when every selector label is on the pod; an empty selector selects nothing, as for Services. */
export function selectorMatches(
  selector: Record<string, string> | null | undefined,
  labels: Record<string, string>,
) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** The pod's Ready condition is True (what the endpoints controller calls a ready address). */
export function podReady(pod: PodObject): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The endpoints controller's rule: a pod with an IP that has not finished, and that is Ready and not being
 * deleted unless the Service publishes not-ready addresses.
 */
export function podServesTraffic(pod: PodObject, publishNotReady: boolean): boolean {
  const phase = pod.status?.phase;
  if (!pod.status?.podIP || phase === 'Succeeded' || phase === 'Failed') return false;
  if (publishNotReady) return true;
  return podReady(pod) && pod.metadata.deletionTimestamp == null;
}

/**
 * The pod port a Service port sends to: a numeric targetPort as is (absent = the Service port), a named one
 * through the pod's container ports, undefined when the pod has no such name (that pod is left out, like
 * the endpoints controller does).
 */
export function resolveTargetPort(sp: ServicePort, pod: PodObject): number | undefined {
  const target = sp.targetPort;
  if (target == null || target === 0 || target === '') return sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** Endpoints of one Service port among `pods` (any namespace; filtered here), sorted by pod name. */
export function endpointsFor(
  service: ServiceObject,
  sp: ServicePort,
  pods: readonly PodObject[],
): Endpoint[] {
  const ns = service.metadata.namespace;
  const publishNotReady = service.spec.publishNotReadyAddresses ?? false;
  const out: Endpoint[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== ns) continue;
    const labels = pod.metadata.labels ?? {};
    if (!selectorMatches(service.spec.selector, labels)) continue;
    if (!podServesTraffic(pod, publishNotReady)) continue;
    const port = resolveTargetPort(sp, pod);
    if (port === undefined) continue;
    out.push({ pod: pod.metadata.name, ip: pod.status?.podIP ?? '', port, labels });
  }
  // A stable order keeps round-robin fair across recomputations.
  return out.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
}

/** Endpoints whose pod carries every label of an Istio subset. */
export function endpointsWithLabels(
  endpoints: readonly Endpoint[],
  labels: Record<string, string>,
): Endpoint[] {
  const want = Object.entries(labels);
  return endpoints.filter((e) => want.every(([k, v]) => e.labels[k] === v));
}
