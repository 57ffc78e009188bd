import { describe, expect, it } from 'vitest';
import { routeWeights, weightPatch } from '../../src/core/traffic/weighted-routes.js';

/** RFC 6902 add/replace/test, enough to apply the patches the way the API server does. */
function applyPatch(doc: unknown, ops: Array<{ op: string; path: string; value: unknown }>): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const o of ops) {
    const parts = o.path.split('/').slice(1);
    const last = parts.pop() as string;
    let at: Record<string, unknown> = out;
    for (const p of parts) at = at[p] as Record<string, unknown>;
    if (o.op === 'test' && at[last] !== o.value) throw new Error(`test failed at ${o.path}`);
    if (o.op === 'replace' && !(last in at)) throw new Error(`replace of a missing member ${o.path}`);
    if (o.op !== 'test') at[last] = o.value;
  }
  return out;
}

interface Dest {
  destination: { host: string; subset?: string };
  weight?: number;
}

const vs: {
  metadata: { name: string; resourceVersion: string };
  spec: { hosts: string[]; http: Array<Record<string, unknown> & { route: Dest[] }> };
} = {
  metadata: { name: 'venue-service', resourceVersion: '7' },
  spec: {
    hosts: ['venue-service'],
    http: [
      {
        name: 'admin',
        match: [{ uri: { prefix: '/admin' } }],
        route: [{ destination: { host: 'venue-admin' } }],
      },
      {
        name: 'primary',
        retries: { attempts: 3, perTryTimeout: '2s' },
        headers: { request: { set: { 'x-team': 'venues' } } },
        route: [
          { destination: { host: 'venue-service', subset: 'stable' }, weight: 80 },
          { destination: { host: 'venue-service', subset: 'canary' }, weight: 20 },
        ],
      },
    ],
  },
};

const httpRoute = {
  metadata: { name: 'venue-service', resourceVersion: '3' },
  spec: {
    parentRefs: [{ name: 'gateway' }],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/health' } }],
        backendRefs: [{ name: 'venue-stable', port: 80 }],
      },
      {
        filters: [
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: { set: [{ name: 'x-team', value: 'venues' }] },
          },
        ],
        backendRefs: [
          { name: 'venue-stable', port: 80, weight: 90 },
          { name: 'venue-canary', port: 80 },
        ],
      },
    ],
  },
};

describe('the weights of one managed route', () => {
  it('VirtualService: reads the splitting route; the patch changes its weights and nothing else', () => {
    expect(routeWeights('VirtualService', vs, 'virtualservice/venue-service')).toEqual({
      stable: 80,
      canary: 20,
    });
    const ops = weightPatch('VirtualService', vs, 'vs', { stable: 100, canary: 0 }, '7');
    const after = applyPatch(vs, ops) as typeof vs;
    expect(after.spec.http[1]?.route.map((r) => r.weight)).toEqual([100, 0]);
    // Everything but those two weights is exactly as it was: other routes, matches, retries, headers.
    const expected = structuredClone(vs);
    expected.spec.http[1]!.route[0]!.weight = 100;
    expected.spec.http[1]!.route[1]!.weight = 0;
    expect(after).toEqual(expected);
  });

  it('HTTPRoute: absent weights count as 1 and are written; filters and the other rule survive', () => {
    expect(routeWeights('HTTPRoute', httpRoute, 'httproute/venue-service')).toEqual({
      'venue-stable': 90,
      'venue-canary': 1,
    });
    const after = applyPatch(
      httpRoute,
      weightPatch('HTTPRoute', httpRoute, 'hr', { 'venue-stable': 100, 'venue-canary': 0 }, '3'),
    ) as typeof httpRoute;
    expect(after.spec.rules[1]?.backendRefs).toEqual([
      { name: 'venue-stable', port: 80, weight: 100 },
      { name: 'venue-canary', port: 80, weight: 0 },
    ]);
    expect(after.spec.rules[0]).toEqual(httpRoute.spec.rules[0]);
    expect(after.spec.rules[1]?.filters).toEqual(httpRoute.spec.rules[1]?.filters);
  });

  it('a reordered object fails the patch instead of re-weighting the wrong backend', () => {
    const ops = weightPatch('VirtualService', vs, 'vs', { stable: 100, canary: 0 }, '7');
    const reordered = structuredClone(vs);
    reordered.spec.http[1]!.route.reverse();
    expect(() => applyPatch(reordered, ops)).toThrow(
      /test failed at \/spec\/http\/1\/route\/0\/destination\/subset/,
    );
  });

  it('bad input names the object: weights not summing to 100, an unknown backend, no splitting route', () => {
    expect(() => weightPatch('VirtualService', vs, 'vs/x', { stable: 90, canary: 0 }, '7')).toThrow(
      'vs/x: weights must be whole numbers >= 0 summing to 100, got 90',
    );
    expect(() => weightPatch('VirtualService', vs, 'vs/x', { stable: 100, blue: 0 }, '7')).toThrow(
      'vs/x: the route has no backend blue (it has stable, canary)',
    );
    const single = { spec: { http: [vs.spec.http[0]] } };
    expect(() => routeWeights('VirtualService', single, 'vs/x')).toThrow(
      'vs/x: no route splits traffic between backends; name the route to manage',
    );
    expect(() => routeWeights('VirtualService', vs, 'vs/x', 'missing')).toThrow(
      'vs/x: no route named "missing" (routes: admin, primary)',
    );
  });
});
