/**
 * The traffic split of ONE route inside a routing object, for both APIs users have: Istio VirtualService
 * (`spec.http[].route[]`, destinations by subset, weight absent = 100 when alone) and Gateway API HTTPRoute
 * (`spec.rules[].backendRefs[]`, backends by name, weight absent = 1). Pure: it finds the route, reads its
 * weights, and writes the JSON patch that changes only those weights — never the object's other routes,
 * matches, retries or header rules (the runbook's merge patch replaces the whole `http` list). Each weight op is
 * preceded by a `test` op on the destination it belongs to, so a reordered object fails the patch instead of
 * re-weighting the wrong backend; the resourceVersion op makes the API server refuse (409) a changed object.
 */
import { RipcordError } from '../errors.js';

export type RoutingKind = 'VirtualService' | 'HTTPRoute';

/** One destination of the route: its key (subset, else host; HTTPRoute: backend name) and JSON pointer. */
interface Destination {
  key: string;
  weight: number;
  /** JSON pointer of the destination's identity, for the `test` op, and of its weight. */
  identityPath: string;
  identity: string;
  weightPath: string;
}

interface FoundRoute {
  index: number;
  name?: string;
  destinations: Destination[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function routesOf(kind: RoutingKind, object: Json): FoundRoute[] {
  const spec = obj(object.spec);
  if (kind === 'VirtualService') {
    return arr(spec.http).map((h, index) => {
      const route = arr(obj(h).route);
      return {
        index,
        ...(typeof obj(h).name === 'string' ? { name: obj(h).name as string } : {}),
        destinations: route.map((r, j) => {
          const d = obj(obj(r).destination);
          const subset = typeof d.subset === 'string' ? d.subset : undefined;
          const w = obj(r).weight;
          return {
            key: subset ?? String(d.host),
            weight: typeof w === 'number' ? w : route.length === 1 ? 100 : 0,
            identityPath: `/spec/http/${index}/route/${j}/destination/${subset ? 'subset' : 'host'}`,
            identity: subset ?? String(d.host),
            weightPath: `/spec/http/${index}/route/${j}/weight`,
          };
        }),
      };
    });
  }
  return arr(spec.rules).map((rule, index) => ({
    index,
    ...(typeof obj(rule).name === 'string' ? { name: obj(rule).name as string } : {}),
    destinations: arr(obj(rule).backendRefs).map((b, j) => {
      const w = obj(b).weight;
      return {
        key: String(obj(b).name),
        weight: typeof w === 'number' ? w : 1,
        identityPath: `/spec/rules/${index}/backendRefs/${j}/name`,
        identity: String(obj(b).name),
        weightPath: `/spec/rules/${index}/backendRefs/${j}/weight`,
      };
    }),
  }));
}

/**
 * The route Ripcord manages: the one named `route`, else the only one that splits traffic (more than one
 * destination). 'invalid' naming the object when there is none or several.
 */
export function managedRoute(kind: RoutingKind, object: Json, where: string, route?: string): FoundRoute {
  const all = routesOf(kind, object);
  if (route !== undefined) {
    const named = all.filter((r) => r.name === route);
    if (named.length !== 1) {
      throw new RipcordError(
        'invalid',
        `${where}: no route named "${route}" (routes: ${all.map((r) => r.name ?? `#${r.index}`).join(', ') || 'none'})`,
      );
    }
    return named[0] as FoundRoute;
  }
  const splitting = all.filter((r) => r.destinations.length > 1);
  if (splitting.length !== 1) {
    throw new RipcordError(
      'invalid',
      `${where}: ${splitting.length === 0 ? 'no route splits traffic between backends' : `${splitting.length} routes split traffic`}; name the route to manage`,
    );
  }
  return splitting[0] as FoundRoute;
}

/** The managed route's weights by backend key. */
export function routeWeights(
  kind: RoutingKind,
  object: Json,
  where: string,
  route?: string,
): Record<string, number> {
  return Object.fromEntries(
    managedRoute(kind, object, where, route).destinations.map((d) => [d.key, d.weight]),
  );
}

/**
 * The JSON patch setting the managed route's weights to `weights` (every backend of the route named, summing to
 * 100), guarded by `resourceVersion`. 'invalid' naming the backend when the weights do not fit the route.
 */
export function weightPatch(
  kind: RoutingKind,
  object: Json,
  where: string,
  weights: Record<string, number>,
  resourceVersion: string,
  route?: string,
): Array<{ op: 'add' | 'replace' | 'test'; path: string; value: unknown }> {
  const found = managedRoute(kind, object, where, route);
  const keys = found.destinations.map((d) => d.key);
  const unknown = Object.keys(weights).filter((k) => !keys.includes(k));
  if (unknown.length > 0) {
    throw new RipcordError(
      'invalid',
      `${where}: the route has no backend ${unknown.join(', ')} (it has ${keys.join(', ')})`,
    );
  }
  const missing = keys.filter((k) => weights[k] === undefined);
  if (missing.length > 0)
    throw new RipcordError('invalid', `${where}: no weight given for ${missing.join(', ')}`);
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (total !== 100 || Object.values(weights).some((w) => !Number.isInteger(w) || w < 0)) {
    throw new RipcordError(
      'invalid',
      `${where}: weights must be whole numbers >= 0 summing to 100, got ${total}`,
    );
  }
  const ops: Array<{ op: 'add' | 'replace' | 'test'; path: string; value: unknown }> = [
    { op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion },
  ];
  for (const d of found.destinations) {
    ops.push({ op: 'test', path: d.identityPath, value: d.identity });
    // `add` sets the member whether or not the object wrote it (an absent weight has a default).
    ops.push({ op: 'add', path: d.weightPath, value: weights[d.key] });
  }
  return ops;
}
