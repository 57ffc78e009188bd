import { endpointsFor, endpointsWithLabels, type Endpoint } from './endpoints.js';
import { hostRefersTo } from './host-match.js';
import {
  byGatewayPrecedence,
  DEFAULT_GATEWAY_MATCH,
  gatewayMatchHolds,
  istioRouteTakes,
  type RequestInfo,
} from './request-match.js';
import type {
  BackendRef,
  DestinationRule,
  HTTPRoute,
  IstioDestination,
  IstioHttpRoute,
  PodObject,
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
  httpRoutes: readonly HTTPRoute[];
}

/** One destination of a VirtualService route or HTTPRoute rule, already resolved to endpoints. */
export interface WeightedDestination {
  /**
   * `host` or `host/subset` (VirtualService), the backend Service's name (HTTPRoute): names the destination in
   * errors and keys its round-robin counter.
   */
  key: string;
  weight: number;
  endpoints: Endpoint[];
  /** Why this destination can never serve (unknown host or subset); a request sent here gets a 503. */
  problem?: string;
}

/** The object that splits a Service's traffic: its kind and `namespace/name`. */
export interface SplitRouter {
  kind: 'VirtualService' | 'HTTPRoute';
  name: string;
}

/** A copy of each request (or of `percent` of them) sent to another destination, its answer discarded. */
export interface MirrorTarget {
  destination: WeightedDestination;
  percent: number;
}

/** One route of the routing object: which requests it takes, where it sends them, and what it mirrors. */
export interface PlannedRoute {
  /** `http[0] primary` (VirtualService), `rule 1` (HTTPRoute): names the route in logs and errors. */
  label: string;
  takes: (req: RequestInfo) => boolean;
  destinations: WeightedDestination[];
  mirrors: MirrorTarget[];
}

/**
 * Where traffic for one Service port goes: straight to its endpoints, or by a routing object's routes, tried
 * in order (an HTTPRoute's already sorted by the Gateway API's precedence).
 */
export type TrafficPlan =
  | { kind: 'service'; target: string; endpoints: Endpoint[] }
  | { kind: 'split'; target: string; router: SplitRouter; routes: PlannedRoute[] };

/** A mirror that can take its copy: its key, endpoints, and the share of requests it copies. */
export interface MirrorChoice {
  key: string;
  endpoints: Endpoint[];
  percent: number;
}

/** The endpoints one request may use (and its mirrors), or why there are none (the 404 or 503 body). */
export type DestinationChoice =
  | { ok: true; key: string; endpoints: Endpoint[]; mirrors?: MirrorChoice[] }
  | { ok: false; status?: 404; reason: string };

/** What a request with no particulars looks like: GET /, no headers. */
export const PLAIN_REQUEST: RequestInfo = { method: 'GET', path: '/', headers: {} };

function createdAt(obj: { metadata: { creationTimestamp?: string | Date | null; name: string } }): number {
  const t = obj.metadata.creationTimestamp;
  return t == null ? 0 : new Date(t).getTime();
}

/** Oldest first, then by name: the tie-break of Istio and of the Gateway API when several objects claim one Service. */
function oldestFirst<T extends { metadata: { creationTimestamp?: string | Date | null; name: string } }>(
  items: readonly T[],
): T[] {
  return [...items].sort(
    (a, b) => createdAt(a) - createdAt(b) || a.metadata.name.localeCompare(b.metadata.name),
  );
}

/**
 * The VirtualService that routes this Service: in its namespace, bound to the mesh (no `gateways`, or a list
 * naming "mesh"; one bound only to gateways routes ingress traffic, which the router does not carry), naming
 * the Service in spec.hosts, with an http route.
 */
export function virtualServiceFor(view: ClusterView, service: ServiceObject): VirtualService | undefined {
  const { name, namespace } = service.metadata;
  return oldestFirst(view.virtualServices).find(
    (vs) =>
      vs.metadata.namespace === namespace &&
      (vs.spec.gateways == null || vs.spec.gateways.length === 0 || vs.spec.gateways.includes('mesh')) &&
      (vs.spec.hosts ?? []).some((h) => hostRefersTo(h, name, namespace)) &&
      (vs.spec.http?.length ?? 0) > 0,
  );
}

function resolveDestination(
  view: ClusterView,
  service: ServiceObject,
  sp: ServicePort,
  destination: IstioDestination,
  weight: number,
): WeightedDestination {
  const { host, subset, port } = destination;
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

/*
 * HTTPRoute, bound by GAMMA (the Gateway API's service-mesh profile): a route whose parentRefs name a Service
 * routes the traffic sent to that Service. Only "producer" routes count, those in the Service's own namespace;
 * a "consumer" route in another namespace applies only to clients in that namespace, and the router does not
 * know where a request comes from.
 */

/**
 * A parentRef naming this Service (and, when it sets `port` or `sectionName`, this port). The spec reads an
 * absent group as gateway.networking.k8s.io, and the real CRD writes that in, so on a real cluster a Service
 * parent needs `group: ""`. The sandbox CRD writes no defaults, so a ref of kind Service with no group is taken
 * as the core Service too: lenient, and the example manifests spell the group out.
 */
function bindsTo(
  ref: NonNullable<HTTPRoute['spec']['parentRefs']>[number],
  route: HTTPRoute,
  service: ServiceObject,
  sp: ServicePort,
): boolean {
  return (
    ref.kind === 'Service' &&
    (ref.group == null || ref.group === '') &&
    ref.name === service.metadata.name &&
    (ref.namespace ?? route.metadata.namespace) === service.metadata.namespace &&
    (ref.port == null || ref.port === sp.port) &&
    (ref.sectionName == null || ref.sectionName === sp.name)
  );
}

/**
 * The HTTPRoute that routes this Service port: in its namespace, with a parentRef naming it. Several: the
 * oldest, then by name (the Gateway API's conflict rule).
 */
export function httpRouteFor(
  view: ClusterView,
  service: ServiceObject,
  sp: ServicePort,
): HTTPRoute | undefined {
  return oldestFirst(view.httpRoutes).find(
    (r) =>
      r.metadata.namespace === service.metadata.namespace &&
      (r.spec.parentRefs ?? []).some((ref) => bindsTo(ref, r, service, sp)),
  );
}

/** HTTPRoute weights: absent is 1, 0 (or anything not positive and finite) takes no traffic. */
function backendWeight(w: number | null | undefined): number {
  if (w == null) return 1;
  return Number.isFinite(w) && w > 0 ? w : 0;
}

function resolveBackend(view: ClusterView, route: HTTPRoute, ref: BackendRef): WeightedDestination {
  const ns = route.metadata.namespace;
  const key = ref.namespace && ref.namespace !== ns ? `${ref.namespace}/${ref.name}` : ref.name;
  const weight = backendWeight(ref.weight);
  const fail = (problem: string): WeightedDestination => ({ key, weight, endpoints: [], problem });

  // backendRefs default to core Services (unlike parentRefs).
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  if (group !== '' || kind !== 'Service')
    return fail(`backendRef "${key}" is a ${kind}${group ? ` of group ${group}` : ''}, not a Service`);
  if (ref.namespace && ref.namespace !== ns) {
    // A cross-namespace backend needs a ReferenceGrant in its namespace; the router reads none, so none exists.
    return fail(`backendRef "${key}" is in namespace ${ref.namespace}, which needs a ReferenceGrant`);
  }
  const target = view.services.find((s) => s.metadata.namespace === ns && s.metadata.name === ref.name);
  if (!target) return fail(`backendRef "${key}" is not a Service in namespace ${ns}`);
  // The Gateway API requires a port for a Service backend (its CRD rejects a ref without one).
  if (ref.port == null) return fail(`backendRef "${key}" has no port (required for a Service)`);
  const targetPort = (target.spec.ports ?? []).find((p) => p.port === ref.port);
  if (!targetPort) return fail(`backendRef "${key}" names port ${ref.port}, which Service ${ref.name} lacks`);
  return { key, weight, endpoints: endpointsFor(target, targetPort, view.pods) };
}

function istioRoutes(
  view: ClusterView,
  service: ServiceObject,
  sp: ServicePort,
  vs: VirtualService,
): PlannedRoute[] {
  return (vs.spec.http ?? []).map((h: IstioHttpRoute, index) => {
    const routes = h.route ?? [];
    const weights = effectiveWeights(routes.map((r) => r.weight));
    // `mirror` with `mirrorPercentage` (absent: every request), and the newer `mirrors` list.
    const mirrors: MirrorTarget[] = [
      ...(h.mirror ? [{ destination: h.mirror, percent: h.mirrorPercentage?.value ?? 100 }] : []),
      ...(h.mirrors ?? []).map((m) => ({ destination: m.destination, percent: m.percentage?.value ?? 100 })),
    ].map((m) => ({
      destination: resolveDestination(view, service, sp, m.destination, 0),
      percent: m.percent,
    }));
    return {
      label: `http[${index}]${h.name ? ` ${h.name}` : ''}`,
      takes: (req) => istioRouteTakes(h.match, req),
      destinations: routes.map((r, i) =>
        resolveDestination(view, service, sp, r.destination, weights[i] ?? 0),
      ),
      mirrors,
    };
  });
}

function mirrorPercent(m: {
  percent?: number | null;
  fraction?: { numerator: number; denominator?: number | null } | null;
}): number {
  if (m.percent != null) return m.percent;
  if (m.fraction) return (100 * m.fraction.numerator) / (m.fraction.denominator ?? 100);
  return 100;
}

function gatewayRoutes(view: ClusterView, hr: HTTPRoute): PlannedRoute[] {
  const rules = (hr.spec.rules ?? []).map((rule, index) => ({
    label: `rule ${index}${rule.name ? ` ${rule.name}` : ''}`,
    destinations: (rule.backendRefs ?? []).map((b) => resolveBackend(view, hr, b)),
    mirrors: (rule.filters ?? []).flatMap((f) =>
      f.type === 'RequestMirror' && f.requestMirror
        ? [
            {
              destination: resolveBackend(view, hr, f.requestMirror.backendRef),
              percent: mirrorPercent(f.requestMirror),
            },
          ]
        : [],
    ),
    matches: rule.matches && rule.matches.length > 0 ? rule.matches : [DEFAULT_GATEWAY_MATCH],
    order: index,
  }));
  const flat = rules.flatMap((r) => r.matches.map((match) => ({ rule: r, match, order: r.order })));
  return byGatewayPrecedence(flat).map(({ rule, match }) => ({
    label: rule.label,
    takes: (req: RequestInfo) => gatewayMatchHolds(match, req),
    destinations: rule.destinations,
    mirrors: rule.mirrors,
  }));
}

/**
 * Plans traffic for one Service port. A VirtualService naming the Service wins over an HTTPRoute bound to it
 * (a cluster should have one or the other; choosing by kind keeps the sandbox's answer the same on every
 * reconcile). Every http route (rule) counts, with its matches and mirrors, so a header-matched route or a
 * mirror to the canary carries traffic here as it would on Istio or a Gateway API implementation.
 */
export function planTraffic(view: ClusterView, service: ServiceObject, sp: ServicePort): TrafficPlan {
  const target = `${service.metadata.namespace}/${service.metadata.name}:${sp.port}`;
  const vs = virtualServiceFor(view, service);
  if (vs) {
    return {
      kind: 'split',
      target,
      router: { kind: 'VirtualService', name: `${vs.metadata.namespace}/${vs.metadata.name}` },
      routes: istioRoutes(view, service, sp, vs),
    };
  }
  const hr = httpRouteFor(view, service, sp);
  if (hr) {
    return {
      kind: 'split',
      target,
      router: { kind: 'HTTPRoute', name: `${hr.metadata.namespace}/${hr.metadata.name}` },
      routes: gatewayRoutes(view, hr),
    };
  }
  return { kind: 'service', target, endpoints: endpointsFor(service, sp, view.pods) };
}

/**
 * Picks the destination of one request; `r` is uniform in [0, 1). The first route that takes the request
 * decides; none (Envoy's "NR") is a 404, as on Istio and Gateway API implementations. The mirrors returned
 * are those of that route that can serve; the listener rolls each one's percentage itself.
 */
export function chooseDestination(
  plan: TrafficPlan,
  r: number,
  req: RequestInfo = PLAIN_REQUEST,
): DestinationChoice {
  if (plan.kind === 'service') {
    if (plan.endpoints.length === 0)
      return { ok: false, reason: `no ready endpoints for service ${plan.target}` };
    return { ok: true, key: '', endpoints: plan.endpoints };
  }
  const by = `${plan.router.kind} ${plan.router.name}`;
  const route = plan.routes.find((x) => x.takes(req));
  if (!route) {
    return { ok: false, status: 404, reason: `${by}: no route takes ${req.method} ${req.path}` };
  }
  if (route.destinations.length === 0)
    return { ok: false, reason: `${by}: ${route.label} has no destinations` };
  const i = pickWeighted(
    route.destinations.map((d) => d.weight),
    r,
  );
  const dest = i === undefined ? undefined : route.destinations[i];
  if (!dest) return { ok: false, reason: `${by} gives no destination of ${route.label} a weight above 0` };
  if (dest.problem) return { ok: false, reason: `${by}: ${dest.problem}` };
  if (dest.endpoints.length === 0) {
    return {
      ok: false,
      reason: `no ready endpoints for destination ${dest.key} of ${by} (${plan.target})`,
    };
  }
  const mirrors = route.mirrors
    .filter((m) => !m.destination.problem && m.destination.endpoints.length > 0 && m.percent > 0)
    .map((m) => ({ key: m.destination.key, endpoints: m.destination.endpoints, percent: m.percent }));
  return { ok: true, key: dest.key, endpoints: dest.endpoints, ...(mirrors.length > 0 ? { mirrors } : {}) };
}
