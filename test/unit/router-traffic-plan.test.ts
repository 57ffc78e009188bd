import { describe, expect, it } from 'vitest';
import {
  chooseDestination,
  planTraffic,
  type ClusterView,
  type TrafficPlan,
} from '../../src/sandbox/router/traffic-plan.js';
import { destinationRule, httpRoute, pod, service, virtualService } from './router-fixtures.js';

const app = { app: 'venue' };
const svc = service('venue', app);
const sp = svc.spec.ports![0]!;
const pods = [
  pod('stable-1', { ...app, track: 'stable' }, { ip: '127.9.0.1' }),
  pod('stable-2', { ...app, track: 'stable' }, { ip: '127.9.0.2' }),
  pod('canary-1', { ...app, track: 'canary' }, { ip: '127.9.0.3' }),
];
const subsets = destinationRule('venue', 'venue', {
  stable: { track: 'stable' },
  canary: { track: 'canary' },
});

function view(extra: Partial<ClusterView> = {}): ClusterView {
  return {
    services: [svc],
    pods,
    virtualServices: [],
    destinationRules: [subsets],
    httpRoutes: [],
    ...extra,
  };
}

/** Destination keys chosen over an even grid of r, counted. */
function split(plan: TrafficPlan, n = 100): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const c = chooseDestination(plan, i / n);
    const k = c.ok ? c.key || '(service)' : 'error';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('planTraffic', () => {
  it('without a VirtualService sends to every Ready endpoint', () => {
    const plan = planTraffic(view(), svc, sp);
    expect(plan.kind).toBe('service');
    const c = chooseDestination(plan, 0.5);
    expect(c.ok && c.endpoints.map((e) => e.pod)).toEqual(['canary-1', 'stable-1', 'stable-2']);
  });

  it('splits by VirtualService weight over DestinationRule subsets', () => {
    const vs = virtualService(
      'venue',
      ['venue'],
      [
        { host: 'venue', subset: 'stable', weight: 90 },
        { host: 'venue', subset: 'canary', weight: 10 },
      ],
    );
    const plan = planTraffic(view({ virtualServices: [vs] }), svc, sp);
    expect(split(plan)).toEqual({ 'venue/stable': 90, 'venue/canary': 10 });
    const canary = chooseDestination(plan, 0.95);
    expect(canary.ok && canary.endpoints.map((e) => e.pod)).toEqual(['canary-1']);
  });

  it('matches the runbook patch: weight 100 on stable and the canary entry gone', () => {
    const vs = virtualService(
      'venue',
      ['venue.shop.svc.cluster.local'],
      [{ host: 'venue', subset: 'stable', weight: 100 }],
    );
    expect(split(planTraffic(view({ virtualServices: [vs] }), svc, sp))).toEqual({ 'venue/stable': 100 });
  });

  it('a destination without subset takes all endpoints; absent weights mean equal shares', () => {
    const vs = virtualService('venue', ['venue'], [{ host: 'venue' }, { host: 'venue', subset: 'canary' }]);
    const plan = planTraffic(view({ virtualServices: [vs] }), svc, sp);
    expect(split(plan)).toEqual({ venue: 50, 'venue/canary': 50 });
    const all = chooseDestination(plan, 0.1);
    expect(all.ok && all.endpoints).toHaveLength(3);
  });

  it('answers with a reason when weights are all zero, the subset is unknown, or the subset has no pods', () => {
    const zero = virtualService('venue', ['venue'], [{ host: 'venue', subset: 'stable', weight: 0 }]);
    expect(chooseDestination(planTraffic(view({ virtualServices: [zero] }), svc, sp), 0.5)).toEqual({
      ok: false,
      reason: 'VirtualService shop/venue gives no destination a weight above 0',
    });
    const unknown = virtualService('venue', ['venue'], [{ host: 'venue', subset: 'blue' }]);
    const c1 = chooseDestination(planTraffic(view({ virtualServices: [unknown] }), svc, sp), 0.5);
    expect(c1.ok || c1.reason).toMatch(/subset "blue" of host "venue" is not defined/);
    const empty = destinationRule('venue', 'venue', { gone: { track: 'gone' } });
    const gone = virtualService('venue', ['venue'], [{ host: 'venue', subset: 'gone' }]);
    const c2 = chooseDestination(
      planTraffic(view({ virtualServices: [gone], destinationRules: [empty] }), svc, sp),
      0.5,
    );
    expect(c2.ok || c2.reason).toMatch(/no ready endpoints for destination venue\/gone/);
  });

  it('ignores VirtualServices of other namespaces or hosts, and takes the oldest when several match', () => {
    const elsewhere = virtualService('venue', ['venue'], [{ host: 'venue', subset: 'canary' }], {
      namespace: 'other',
    });
    const otherHost = virtualService('x', ['not-venue'], [{ host: 'venue', subset: 'canary' }]);
    expect(planTraffic(view({ virtualServices: [elsewhere, otherHost] }), svc, sp).kind).toBe('service');
    const newer = virtualService('b', ['venue'], [{ host: 'venue', subset: 'canary' }], {
      created: '2024-02-01T00:00:00Z',
    });
    const older = virtualService('a', ['venue'], [{ host: 'venue', subset: 'stable' }], {
      created: '2024-01-01T00:00:00Z',
    });
    const plan = planTraffic(view({ virtualServices: [newer, older] }), svc, sp);
    expect(plan.kind === 'split' && plan.router).toEqual({ kind: 'VirtualService', name: 'shop/a' });
  });

  it('routes to another Service named as destination host (blue-green by host)', () => {
    const green = service('venue-green', { app: 'venue', track: 'canary' }, [
      { port: 80, targetPort: 'http' },
    ]);
    const vs = virtualService('venue', ['venue'], [{ host: 'venue-green', weight: 100 }]);
    const plan = planTraffic(view({ services: [svc, green], virtualServices: [vs] }), svc, sp);
    const c = chooseDestination(plan, 0.5);
    expect(c.ok && c.endpoints.map((e) => e.pod)).toEqual(['canary-1']);
    const missing = virtualService('venue', ['venue'], [{ host: 'nowhere' }]);
    const c2 = chooseDestination(planTraffic(view({ virtualServices: [missing] }), svc, sp), 0.5);
    expect(c2.ok || c2.reason).toMatch(/destination host "nowhere" is not a Service in namespace shop/);
  });
});

describe('planTraffic with an HTTPRoute (GAMMA: parentRef kind Service)', () => {
  const stableSvc = service('venue-stable', { ...app, track: 'stable' });
  const canarySvc = service('venue-canary', { ...app, track: 'canary' });
  const services = [svc, stableSvc, canarySvc];
  const hrView = (routes: ClusterView['httpRoutes'], extra: Partial<ClusterView> = {}) =>
    view({ services, httpRoutes: routes, ...extra });

  it('splits by backendRef weight over the backend Services, naming the HTTPRoute', () => {
    const hr = httpRoute('venue', 'venue', [
      [
        { name: 'venue-stable', port: 80, weight: 80 },
        { name: 'venue-canary', port: 80, weight: 20 },
      ],
    ]);
    const plan = planTraffic(hrView([hr]), svc, sp);
    expect(plan.kind === 'split' && plan.router).toEqual({ kind: 'HTTPRoute', name: 'shop/venue' });
    expect(split(plan)).toEqual({ 'venue-stable': 80, 'venue-canary': 20 });
    const canary = chooseDestination(plan, 0.9);
    expect(canary.ok && canary.endpoints.map((e) => e.pod)).toEqual(['canary-1']);
    const stable = chooseDestination(plan, 0.1);
    expect(stable.ok && stable.endpoints.map((e) => e.pod)).toEqual(['stable-1', 'stable-2']);
  });

  it('an absent weight is 1 (not 0 as in Istio once any weight is given)', () => {
    const none = httpRoute('venue', 'venue', [
      [
        { name: 'venue-stable', port: 80 },
        { name: 'venue-canary', port: 80 },
      ],
    ]);
    expect(split(planTraffic(hrView([none]), svc, sp))).toEqual({ 'venue-stable': 50, 'venue-canary': 50 });
    const some = httpRoute('venue', 'venue', [
      [
        { name: 'venue-stable', port: 80, weight: 3 },
        { name: 'venue-canary', port: 80 },
      ],
    ]);
    expect(split(planTraffic(hrView([some]), svc, sp))).toEqual({ 'venue-stable': 75, 'venue-canary': 25 });
  });

  it('weight 0 takes no traffic; all 0 is a 503 naming the HTTPRoute', () => {
    const rolledBack = httpRoute('venue', 'venue', [
      [
        { name: 'venue-stable', port: 80, weight: 100 },
        { name: 'venue-canary', port: 80, weight: 0 },
      ],
    ]);
    expect(split(planTraffic(hrView([rolledBack]), svc, sp))).toEqual({ 'venue-stable': 100 });
    const zero = httpRoute('venue', 'venue', [[{ name: 'venue-stable', port: 80, weight: 0 }]]);
    expect(chooseDestination(planTraffic(hrView([zero]), svc, sp), 0.5)).toEqual({
      ok: false,
      reason: 'HTTPRoute shop/venue gives no destination a weight above 0',
    });
    const empty = httpRoute('venue', 'venue', []);
    expect(chooseDestination(planTraffic(hrView([empty]), svc, sp), 0.5)).toEqual({
      ok: false,
      reason: 'HTTPRoute shop/venue: its first rule has no destinations',
    });
  });

  it('a backend that cannot serve answers its share with a reason: unknown, other namespace, bad port', () => {
    const reason = (ref: Parameters<typeof httpRoute>[2][number][number]) => {
      const hr = httpRoute('venue', 'venue', [[ref]]);
      const c = chooseDestination(planTraffic(hrView([hr]), svc, sp), 0.5);
      return c.ok ? 'ok' : c.reason;
    };
    expect(reason({ name: 'venue-blue', port: 80 })).toBe(
      'HTTPRoute shop/venue: backendRef "venue-blue" is not a Service in namespace shop',
    );
    expect(reason({ name: 'venue-canary', namespace: 'other', port: 80 })).toMatch(
      /backendRef "other\/venue-canary" is in namespace other, which needs a ReferenceGrant/,
    );
    expect(reason({ name: 'venue-canary' })).toMatch(/"venue-canary" has no port/);
    expect(reason({ name: 'venue-canary', port: 8080 })).toMatch(
      /names port 8080, which Service venue-canary lacks/,
    );
    expect(
      reason({ name: 'venue-canary', kind: 'ServiceImport', group: 'multicluster.x-k8s.io', port: 80 }),
    ).toMatch(/is a ServiceImport of group multicluster.x-k8s.io, not a Service/);
    // The same namespace spelled out is fine.
    expect(reason({ name: 'venue-canary', namespace: 'shop', port: 80 })).toBe('ok');
  });

  it('only the first rule counts (matches are not evaluated)', () => {
    const hr = httpRoute('venue', 'venue', [
      [{ name: 'venue-canary', port: 80 }],
      [{ name: 'venue-stable', port: 80 }],
    ]);
    expect(split(planTraffic(hrView([hr]), svc, sp))).toEqual({ 'venue-canary': 100 });
  });

  it('ignores routes bound to another Service, to a Gateway, from another namespace, or to another port', () => {
    const canaryOnly = [[{ name: 'venue-canary', port: 80 }]];
    const ignored = [
      httpRoute('to-other', 'venue-stable', canaryOnly),
      httpRoute('to-gateway', 'venue', canaryOnly, { parentRefs: [{ name: 'venue' }] }),
      httpRoute('gateway-group', 'venue', canaryOnly, {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Service', name: 'venue' }],
      }),
      // A consumer route: applies to clients in its own namespace, which the router cannot tell apart.
      httpRoute('consumer', 'venue', canaryOnly, {
        namespace: 'other',
        parentRefs: [{ group: '', kind: 'Service', name: 'venue', namespace: 'shop' }],
      }),
      httpRoute('other-port', 'venue', canaryOnly, {
        parentRefs: [{ group: '', kind: 'Service', name: 'venue', port: 8443 }],
      }),
    ];
    expect(planTraffic(hrView(ignored), svc, sp).kind).toBe('service');
    // Bound by port, by the Service's port name, and with no group at all (lenient: see bindsTo).
    const named = service('venue', app, [{ name: 'http', port: 80, targetPort: 'http' }]);
    for (const parentRefs of [
      [{ group: '', kind: 'Service', name: 'venue', port: 80 }],
      [{ group: '', kind: 'Service', name: 'venue', sectionName: 'http' }],
      [{ kind: 'Service', name: 'venue' }],
    ]) {
      const hr = httpRoute('bound', 'venue', canaryOnly, { parentRefs });
      const plan = planTraffic(hrView([hr]), named, named.spec.ports![0]!);
      expect(split(plan), JSON.stringify(parentRefs)).toEqual({ 'venue-canary': 100 });
    }
  });

  it('takes the oldest of several HTTPRoutes; a VirtualService for the same Service wins over them', () => {
    const newer = httpRoute('b', 'venue', [[{ name: 'venue-canary', port: 80 }]], {
      created: '2024-02-01T00:00:00Z',
    });
    const older = httpRoute('c', 'venue', [[{ name: 'venue-stable', port: 80 }]], {
      created: '2024-01-01T00:00:00Z',
    });
    const plan = planTraffic(hrView([newer, older]), svc, sp);
    expect(plan.kind === 'split' && plan.router).toEqual({ kind: 'HTTPRoute', name: 'shop/c' });
    const vs = virtualService('venue', ['venue'], [{ host: 'venue', subset: 'canary' }]);
    const both = planTraffic(hrView([newer, older], { virtualServices: [vs] }), svc, sp);
    expect(both.kind === 'split' && both.router).toEqual({ kind: 'VirtualService', name: 'shop/venue' });
  });
});
