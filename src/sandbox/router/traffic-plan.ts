import { endpointsFor, endpointsWithLabels, type Endpoint } from './endpoints.js';
import { hostRefersTo } from './host-match.js';
import type {
  DestinationRule,
  PodObject,
  RouteDestination,
  ServiceObject,
  ServicePort,
  VirtualService,
} from './resource-schemas.js';
import { effectiveWeights, pickWeighted } from './weighted-choice.js';

/** Everything the router knows about the cluster at one moment. */
export interface ClusterView {
  services: readonly ServiceObject[];
  pods: readonly PodObject[];
  virtualServices: readonly VirtualService[];
  destinationRules: readonly DestinationRule[];
}

/** One destination of a VirtualService route, already resolved to endpoints. */
export interface WeightedDestination {
  /** `host` or `host/subset`: names the destination in errors and keys its round-robin counter. */
  key: string;
  weight: number;
  endpoints: Endpoint[];
  /** Why this destination can never serve (unknown host or subset); a request sent here gets a 503. */
  problem?: string;
}

/** Where traffic for one Service port goes: straight to its endpoints, or split by a VirtualService. */
export type TrafficPlan =
  | { kind: 'service'; target: string; endpoints: Endpoint[] }
  | { kind: 'virtual-service'; target: string; virtualService: string; destinations: WeightedDestination[] };

/** The endpoints one request may use, or why there are none (the 503 body). */
export type DestinationChoice =
  { ok: true; key: string; endpoints: Endpoint[] } | { ok: false; reason: string };

function createdAt(obj: { metadata: { creationTimestamp?: string | Date | null; name: string } }): number {
  const t = obj.metadata.creationTimestamp;
  return t == null ? 0 : new Date(t).getTime();
}

/** Oldest first, then by name: Istio's tie-break when several configs claim the same host. */
function oldestFirst<T extends { metadata: { creationTimestamp?: string | Date | null; name: string } }>(
  items: readonly T[],
): T[] {
  return [...items].sort(
    (a, b) => createdAt(a) - createdAt(b) || a.metadata.name.localeCompare(b.metadata.name),
  );
}

/** The VirtualService that routes this Service: in its namespace, naming it in spec.hosts, with an http route. */
export function virtualServiceFor(view: ClusterView, service: ServiceObject): VirtualService | undefined {
  const { name, namespace } = service.metadata;
  return oldestFirst(view.virtualServices).find(
    (vs) =>
      vs.metadata.namespace === namespace &&
      (vs.spec.hosts ?? []).some((h) => hostRefersTo(h, name, namespace)) &&
      (vs.spec.http?.length ?? 0) > 0,
  );
}

function resolveDestination(
  view: ClusterView,
  service: ServiceObject,
  sp: ServicePort,
  route: RouteDestination,
  weight: number,
): WeightedDestination {
  const { host, subset, port } = route.destination;
  const ns = service.metadata.namespace;
  const key = subset ? `${host}/${subset}` : host;
  const fail = (problem: string): WeightedDestination => ({ key, weight, endpoints: [], problem });

  const target = hostRefersTo(host, service.metadata.name, ns)
    ? service
    : view.services.find((s) => s.metadata.namespace === ns && hostRefersTo(host, s.metadata.name, ns));
  if (!target) return fail(`destination host "${host}" is not a Service in namespace ${ns}`);

  const ports = target.spec.ports ?? [];
  const wanted = port?.number ?? (target === service ? sp.port : undefined);
  const targetPort =
    ports.find((p) => p.port === wanted) ??
    ports.find((p) => p.port === sp.port) ??
    (ports.length === 1 ? ports[0] : undefined);
  if (!targetPort) return fail(`destination host "${host}" has no port ${wanted ?? sp.port}`);

  const all = endpointsFor(target, targetPort, view.pods);
  if (!subset) return { key, weight, endpoints: all };
  const rules = oldestFirst(view.destinationRules).filter(
    (dr) => dr.metadata.namespace === ns && hostRefersTo(dr.spec.host, target.metadata.name, ns),
  );
  const found = rules.flatMap((dr) => dr.spec.subsets ?? []).find((s) => s.name === subset);
  if (!found)
    return fail(`subset "${subset}" of host "${host}" is not defined by any DestinationRule in ${ns}`);
  return { key, weight, endpoints: endpointsWithLabels(all, found.labels ?? {}) };
}

/**
 * Plans traffic for one Service port. With a VirtualService only its first http route counts (match
 * conditions are not evaluated): a sandbox splits traffic, it does not route by header.
 */
export function planTraffic(view: ClusterView, service: ServiceObject, sp: ServicePort): TrafficPlan {
  const target = `${service.metadata.namespace}/${service.metadata.name}:${sp.port}`;
  const vs = virtualServiceFor(view, service);
  if (!vs) return { kind: 'service', target, endpoints: endpointsFor(service, sp, view.pods) };
  const routes = vs.spec.http?.[0]?.route ?? [];
  const weights = effectiveWeights(routes.map((r) => r.weight));
  return {
    kind: 'virtual-service',
    target,
    virtualService: `${vs.metadata.namespace}/${vs.metadata.name}`,
    destinations: routes.map((r, i) => resolveDestination(view, service, sp, r, weights[i] ?? 0)),
  };
}

/** Picks the destination of one request; `r` is uniform in [0, 1). */
export function chooseDestination(plan: TrafficPlan, r: number): DestinationChoice {
  if (plan.kind === 'service') {
    if (plan.endpoints.length === 0)
      return { ok: false, reason: `no ready endpoints for service ${plan.target}` };
    return { ok: true, key: '', endpoints: plan.endpoints };
  }
  const i = pickWeighted(
    plan.destinations.map((d) => d.weight),
    r,
  );
  const dest = i === undefined ? undefined : plan.destinations[i];
  if (!dest) {
    return {
      ok: false,
      reason: `VirtualService ${plan.virtualService} gives no destination a weight above 0`,
    };
  }
  if (dest.problem) return { ok: false, reason: `VirtualService ${plan.virtualService}: ${dest.problem}` };
  if (dest.endpoints.length === 0) {
    return {
      ok: false,
      reason: `no ready endpoints for destination ${dest.key} of VirtualService ${plan.virtualService} (${plan.target})`,
    };
  }
  return { ok: true, key: dest.key, endpoints: dest.endpoints };
}
