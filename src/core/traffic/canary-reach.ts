/**
 * Every way a routing object still sends requests to the canary, and the rewrite that sends them to stable.
 * Pure: the objects come in, sections of their spec go out.
 *
 * Argo Rollouts (trafficrouting/istio) and Flagger (pkg/router) each set the weights of the routes they were
 * told about; anything else that reaches the canary keeps doing so after their abort: a header-matched (A/B)
 * route, a `mirror`/`mirrors` entry or RequestMirror filter (mirrored writes keep hitting the bad release), a
 * tcp/tls route, another rule, a second VirtualService (gateway vs. mesh). Here every route of every object is
 * looked at, the way the data plane reads them:
 * - a weighted route with stable and canary: the canary's weight moves to stable, the canary's becomes 0 (the
 *   entry stays, so a later promotion only changes weights again). Istio: a lone destination takes all
 *   traffic, among several an absent weight is 0; Gateway API: an absent weight is 1.
 * - a route to the canary without stable (a header route for testers): the canary destination points at
 *   stable instead; removing the route would change which later route takes its requests.
 * - a mirror to the canary: removed (a mirror to stable would double stable's writes).
 * The rewrite replaces whole sections (`/spec/http`, `/spec/tcp`, `/spec/tls`, `/spec/rules`) and keeps the
 * prior ones, so the write can be guarded by a `test` of exactly what was planned and the record is exact.
 */
import type { RoutingKind } from './weighted-routes.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A routing object as listed: only what the rewrite and the ownership check read. */
export interface RoutingObject {
  kind: RoutingKind;
  namespace: string;
  name: string;
  resourceVersion: string;
  spec: Json;
  managedBy?: { controller: 'Flagger' | 'Argo Rollouts'; name: string };
}

/**
 * One side of the canary, as routes name it: a Service (its short name in the routes' namespace), for Istio
 * a subset of it, and the host and port as the managed route writes them (used when pointing a route at it).
 */
export interface Backend {
  service: string;
  subset?: string;
  host?: string;
  port?: number;
}

export interface CanarySides {
  canary: Backend;
  stable: Backend;
}

/** One replaced section of an object's spec: its JSON pointer, and the value before and after. */
export type RouteSection = 'http' | 'tcp' | 'tls' | 'rules';

export interface SectionRewrite {
  path: `/spec/${RouteSection}`;
  before: unknown;
  after: unknown;
}

export interface RouteRewrite {
  kind: RoutingKind;
  namespace: string;
  name: string;
  resourceVersion: string;
  sections: SectionRewrite[];
  changes: RouteChange[];
}

/** One change to one route, e.g. `http[1] primary`: `stable=80, canary=20` → `stable=100, canary=0`. */
export interface RouteChange {
  route: string;
  from: string;
  to: string;
}

export const changeText = (c: RouteChange): string => `${c.route}: ${c.from} → ${c.to}`;

/** An Istio host as the short name of a Service in `namespace`; a host elsewhere stays fully qualified. */
export function shortHost(host: string, namespace: string): string {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  const ns = namespace.toLowerCase();
  for (const suffix of [`.${ns}.svc.cluster.local`, `.${ns}.svc`, `.${ns}`]) {
    if (h.endsWith(suffix)) return h.slice(0, -suffix.length);
  }
  return h;
}

/** The backend an Istio destination or a Gateway API backendRef names; undefined for a non-Service ref. */
function backendOf(kind: RoutingKind, ref: Json, namespace: string): Backend | undefined {
  if (kind === 'VirtualService') {
    const host = str(ref.host);
    if (!host) return undefined;
    const subset = str(ref.subset);
    return { service: shortHost(host, namespace), ...(subset ? { subset } : {}) };
  }
  const group = str(ref.group) ?? '';
  const refKind = str(ref.kind) ?? 'Service';
  const ns = str(ref.namespace) ?? namespace;
  const name = str(ref.name);
  if (group !== '' || refKind !== 'Service' || ns !== namespace || !name) return undefined;
  return { service: name };
}

/** Whether `b` sends to `side`: the same Service, and the side's subset when it is one (any subset of a whole Service). */
function sendsTo(b: Backend | undefined, side: Backend): boolean {
  return !!b && b.service === side.service && (side.subset === undefined || b.subset === side.subset);
}
const isExactly = (b: Backend | undefined, side: Backend): boolean =>
  !!b && b.service === side.service && b.subset === side.subset;

/** Where an entry of a route list points: `destination` (Istio) or the backendRef itself (Gateway API). */
const targetOf = (kind: RoutingKind, entry: Json): Json =>
  kind === 'VirtualService' ? obj(entry.destination) : entry;

function effectiveWeights(kind: RoutingKind, entries: Json[]): number[] {
  if (kind === 'VirtualService') {
    if (entries.length === 1) return [100];
    return entries.map((e) => (typeof e.weight === 'number' && e.weight > 0 ? e.weight : 0));
  }
  return entries.map((e) => (typeof e.weight === 'number' ? Math.max(0, e.weight) : 1));
}

/** The entry pointed at stable instead of the canary, keeping its weight and everything else. */
function pointedAtStable(kind: RoutingKind, entry: Json, stable: Backend): Json {
  if (kind === 'VirtualService') {
    const d: Json = { ...obj(entry.destination), host: stable.host ?? stable.service };
    if (stable.subset) d.subset = stable.subset;
    else delete d.subset;
    if (stable.port !== undefined) d.port = { number: stable.port };
    return { ...entry, destination: d };
  }
  const out: Json = { ...entry, name: stable.service };
  delete out.group;
  delete out.kind;
  delete out.namespace;
  if (stable.port !== undefined) out.port = stable.port;
  return out;
}

/** A route list with the canary's traffic moved to stable; `change` describes it, undefined when untouched. */
function rerouted(
  kind: RoutingKind,
  namespace: string,
  entries: Json[],
  sides: CanarySides,
): { entries: Json[]; change?: { from: string; to: string } } {
  const backends = entries.map((e) => backendOf(kind, targetOf(kind, e), namespace));
  const weights = effectiveWeights(kind, entries);
  const toCanary = backends.flatMap((b, i) => (sendsTo(b, sides.canary) ? [i] : []));
  if (toCanary.length === 0) return { entries };
  const stableAt = backends.findIndex((b) => isExactly(b, sides.stable));
  if (stableAt >= 0) {
    const canaryWeight = toCanary.reduce((sum, i) => sum + (weights[i] ?? 0), 0);
    if (canaryWeight === 0) return { entries };
    const before = weights[stableAt] ?? 0;
    const out = entries.map((e, i) => {
      if (i === stableAt) return { ...e, weight: before + canaryWeight };
      if (toCanary.includes(i)) return { ...e, weight: 0 };
      return e;
    });
    return {
      entries: out,
      change: {
        from: `stable=${before}, canary=${canaryWeight}`,
        to: `stable=${before + canaryWeight}, canary=0`,
      },
    };
  }
  return {
    entries: entries.map((e, i) => (toCanary.includes(i) ? pointedAtStable(kind, e, sides.stable) : e)),
    change: { from: 'canary', to: 'stable' },
  };
}

const sectionsOf = (kind: RoutingKind): RouteSection[] =>
  kind === 'VirtualService' ? ['http', 'tcp', 'tls'] : ['rules'];

const label = (section: string, i: number, route: Json): string =>
  `${section}[${i}]${str(route.name) ? ` ${str(route.name)}` : ''}`;

const MIRROR_PERCENT_FIELDS = ['mirrorPercentage', 'mirrorPercent', 'mirror_percent'];

/** An Istio http route without its mirrors to the canary; the removed ones described. */
function istioUnmirrored(route: Json, namespace: string, canary: Backend): { route: Json; removed: number } {
  const out: Json = { ...route };
  let removed = 0;
  if (route.mirror && sendsTo(backendOf('VirtualService', obj(route.mirror), namespace), canary)) {
    delete out.mirror;
    for (const f of MIRROR_PERCENT_FIELDS) delete out[f];
    removed++;
  }
  if (Array.isArray(route.mirrors)) {
    const kept = route.mirrors.filter(
      (m) => !sendsTo(backendOf('VirtualService', obj(obj(m).destination), namespace), canary),
    );
    removed += route.mirrors.length - kept.length;
    if (kept.length > 0) out.mirrors = kept;
    else delete out.mirrors;
  }
  return { route: out, removed };
}

/** Gateway API filters without RequestMirror filters to the canary. */
function gatewayUnmirrored(
  filters: unknown,
  namespace: string,
  canary: Backend,
): { filters?: unknown[]; removed: number } {
  if (!Array.isArray(filters)) return { removed: 0 };
  const kept = filters.filter((f) => {
    const m = obj(f);
    return !(
      m.type === 'RequestMirror' &&
      sendsTo(backendOf('HTTPRoute', obj(obj(m.requestMirror).backendRef), namespace), canary)
    );
  });
  return { ...(kept.length > 0 ? { filters: kept } : {}), removed: filters.length - kept.length };
}

function withFilters(o: Json, filters: unknown[] | undefined): Json {
  const out = { ...o };
  if (filters) out.filters = filters;
  else delete out.filters;
  return out;
}

/**
 * The rewrite that leaves `object` sending nothing to the canary, or undefined when it sends nothing to it
 * already (such an object is not written at all).
 */
export function rerouteFromCanary(object: RoutingObject, sides: CanarySides): RouteRewrite | undefined {
  const { kind, namespace } = object;
  const sections: SectionRewrite[] = [];
  const changes: RouteChange[] = [];
  for (const section of sectionsOf(kind)) {
    const before = object.spec[section];
    if (!Array.isArray(before)) continue;
    let touched = false;
    const after = before.map((raw, i) => {
      let route = obj(raw);
      const lines: Array<{ from: string; to: string }> = [];
      const listKey = kind === 'VirtualService' ? 'route' : 'backendRefs';
      const r = rerouted(kind, namespace, arr(route[listKey]).map(obj), sides);
      if (r.change) {
        route = { ...route, [listKey]: r.entries };
        lines.push(r.change);
      }
      if (kind === 'VirtualService' && section === 'http') {
        const m = istioUnmirrored(route, namespace, sides.canary);
        if (m.removed > 0) {
          route = m.route;
          lines.push({ from: 'mirror to canary', to: 'no mirror' });
        }
      }
      if (kind === 'HTTPRoute') {
        const m = gatewayUnmirrored(route.filters, namespace, sides.canary);
        let removed = m.removed;
        if (m.removed > 0) route = withFilters(route, m.filters);
        if (Array.isArray(route.backendRefs)) {
          route = {
            ...route,
            backendRefs: route.backendRefs.map((b) => {
              const bm = gatewayUnmirrored(obj(b).filters, namespace, sides.canary);
              removed += bm.removed;
              return bm.removed > 0 ? withFilters(obj(b), bm.filters) : b;
            }),
          };
        }
        if (removed > 0) lines.push({ from: 'RequestMirror to canary', to: 'no mirror' });
      }
      if (lines.length === 0) return raw;
      touched = true;
      for (const l of lines) changes.push({ route: label(section, i, obj(raw)), ...l });
      return route;
    });
    if (touched) sections.push({ path: `/spec/${section}`, before, after });
  }
  if (sections.length === 0) return undefined;
  return {
    kind,
    namespace,
    name: object.name,
    resourceVersion: object.resourceVersion,
    sections,
    changes,
  };
}

/**
 * The places in `object` that still send requests to the canary: a destination with a weight above 0 (or a
 * lone one), a mirror. Empty when none does: what verify-traffic requires of every rewritten object.
 */
export function canaryReach(object: RoutingObject, canary: Backend): string[] {
  const { kind, namespace } = object;
  const out: string[] = [];
  for (const section of sectionsOf(kind)) {
    arr(object.spec[section]).forEach((raw, i) => {
      const route = obj(raw);
      const entries = arr(route[kind === 'VirtualService' ? 'route' : 'backendRefs']).map(obj);
      const weights = effectiveWeights(kind, entries);
      const where = label(section, i, route);
      entries.forEach((e, j) => {
        if ((weights[j] ?? 0) > 0 && sendsTo(backendOf(kind, targetOf(kind, e), namespace), canary))
          out.push(`${where}: weight ${weights[j]}`);
      });
      if (kind === 'VirtualService' && istioUnmirrored(route, namespace, canary).removed > 0)
        out.push(`${where}: mirror`);
      if (kind === 'HTTPRoute') {
        const mirrored =
          gatewayUnmirrored(route.filters, namespace, canary).removed +
          entries.reduce((n, b) => n + gatewayUnmirrored(b.filters, namespace, canary).removed, 0);
        if (mirrored > 0) out.push(`${where}: RequestMirror`);
      }
    });
  }
  return out;
}

/**
 * The canary and stable sides as the managed route names them: the destinations keyed `canaryKey` and
 * `stableKey` (subset, else host; HTTPRoute: backend name) of the route at `routeIndex`.
 */
export function sidesOf(
  kind: RoutingKind,
  spec: Json,
  namespace: string,
  routeIndex: number,
  keys: { canary: string; stable: string },
): CanarySides | undefined {
  const route = obj(arr(spec[kind === 'VirtualService' ? 'http' : 'rules'])[routeIndex]);
  const entries = arr(route[kind === 'VirtualService' ? 'route' : 'backendRefs']).map(obj);
  const side = (key: string): Backend | undefined => {
    for (const e of entries) {
      const t = targetOf(kind, e);
      const b = backendOf(kind, t, namespace);
      if (!b) continue;
      const k = kind === 'VirtualService' ? (b.subset ?? str(t.host)) : b.service;
      if (k !== key) continue;
      const port = kind === 'VirtualService' ? obj(t.port).number : t.port;
      return {
        ...b,
        ...(kind === 'VirtualService' && str(t.host) ? { host: str(t.host) } : {}),
        ...(typeof port === 'number' ? { port } : {}),
      };
    }
    return undefined;
  };
  const canary = side(keys.canary);
  const stable = side(keys.stable);
  return canary && stable ? { canary, stable } : undefined;
}
