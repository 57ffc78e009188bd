import { describe, expect, it } from 'vitest';
import {
  chooseDestination,
  planTraffic,
  type ClusterView,
  type TrafficPlan,
} from '../../src/sandbox/router/traffic-plan.js';
import type { VirtualService } from '../../src/sandbox/router/resource-schemas.js';
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

  it('a destination without subset takes all endpoints; among several, an absent weight gets nothing (Istio)', () => {
    const vs = virtualService(
      'venue',
      ['venue'],
      [
        { host: 'venue', weight: 100 },
        { host: 'venue', subset: 'canary' },
      ],
    );
    const plan = planTraffic(view({ virtualServices: [vs] }), svc, sp);
    expect(split(plan)).toEqual({ venue: 100 });
    const all = chooseDestination(plan, 0.1);
    expect(all.ok && all.endpoints).toHaveLength(3);
    const none = virtualService('venue', ['venue'], [{ host: 'venue' }, { host: 'venue', subset: 'canary' }]);
    expect(chooseDestination(planTraffic(view({ virtualServices: [none] }), svc, sp), 0.5)).toEqual({
      ok: false,
      reason: 'VirtualService shop/venue gives no destination of http[0] a weight above 0',
    });
  });

  it('answers with a reason when weights are all zero, the subset is unknown, or the subset has no pods', () => {
    const zero = virtualService(
      'venue',
      ['venue'],
      [
        { host: 'venue', subset: 'stable', weight: 0 },
        { host: 'venue', subset: 'canary', weight: 0 },
      ],
    );
    expect(chooseDestination(planTraffic(view({ virtualServices: [zero] }), svc, sp), 0.5)).toEqual({
      ok: false,
      reason: 'VirtualService shop/venue gives no destination of http[0] a weight above 0',
    });
    // A lone destination takes everything whatever its weight (Istio).
    const lone = virtualService('venue', ['venue'], [{ host: 'venue', subset: 'stable', weight: 0 }]);
    expect(split(planTraffic(view({ virtualServices: [lone] }), svc, sp))).toEqual({ 'venue/stable': 100 });
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
      reason: 'HTTPRoute shop/venue gives no destination of rule 0 a weight above 0',
    });
    const empty = httpRoute('venue', 'venue', [[]]);
    expect(chooseDestination(planTraffic(hrView([empty]), svc, sp), 0.5)).toEqual({
      ok: false,
      reason: 'HTTPRoute shop/venue: rule 0 has no destinations',
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

  it('two rules without matches: both are PathPrefix "/", and the earlier rule wins the tie', () => {
    const hr = httpRoute('venue', 'venue', [
      [{ name: 'venue-canary', port: 80 }],
      [{ name: 'venue-stable', port: 80 }],
    ]);
    expect(split(planTraffic(hrView([hr]), svc, sp))).toEqual({ 'venue-canary': 100 });
  });

  it('the most specific match wins: a header match over the catch-all, whatever the rule order', () => {
    const hr = httpRoute('venue', 'venue', [
      [{ name: 'venue-stable', port: 80 }],
      [{ name: 'venue-canary', port: 80 }],
    ]);
    hr.spec.rules![1]!.matches = [{ headers: [{ name: 'x-canary', value: 'always' }] }];
    hr.spec.rules![1]!.name = 'testers';
    const plan = planTraffic(hrView([hr]), svc, sp);
    expect(split(plan)).toEqual({ 'venue-stable': 100 });
    const tester = chooseDestination(plan, 0.5, {
      method: 'GET',
      path: '/',
      headers: { 'x-canary': 'always' },
    });
    expect(tester.ok && tester.key).toBe('venue-canary');
    const other = chooseDestination(plan, 0.5, {
      method: 'GET',
      path: '/',
      headers: { 'x-canary': 'never' },
    });
    expect(other.ok && other.key).toBe('venue-stable');
  });

  it("a RequestMirror filter copies the rule's requests to its backend, at its percent or fraction", () => {
    const hr = httpRoute('venue', 'venue', [[{ name: 'venue-stable', port: 80 }]]);
    hr.spec.rules![0]!.filters = [
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'venue-canary', port: 80 } } },
      {
        type: 'RequestMirror',
        requestMirror: {
          backendRef: { name: 'venue-canary', port: 80 },
          fraction: { numerator: 1, denominator: 4 },
        },
      },
    ];
    const c = chooseDestination(planTraffic(hrView([hr]), svc, sp), 0.5);
    expect(c.ok && c.key).toBe('venue-stable');
    expect(c.ok && c.mirrors?.map((m) => [m.key, m.percent, m.endpoints.map((e) => e.pod)])).toEqual([
      ['venue-canary', 100, ['canary-1']],
      ['venue-canary', 25, ['canary-1']],
    ]);
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

describe('planTraffic: every Istio http route in order, with matches and mirrors', () => {
  const vsWith = (
    http: NonNullable<VirtualService['spec']['http']>,
    extra: Partial<VirtualService['spec']> = {},
  ) => {
    const vs = virtualService('venue', ['venue'], []);
    vs.spec = { ...vs.spec, ...extra, http };
    return vs;
  };
  const to = (subset: string, weight?: number) => ({ destination: { host: 'venue', subset }, weight });
  const req = (headers: Record<string, string> = {}, path = '/venues') => ({ method: 'GET', path, headers });

  it('the first route whose match holds takes the request; a route without match takes the rest', () => {
    const plan = planTraffic(
      view({
        virtualServices: [
          vsWith([
            {
              name: 'testers',
              match: [{ headers: { 'x-canary': { exact: 'always' } } }],
              route: [to('canary')],
            },
            { name: 'legacy', match: [{ uri: { prefix: '/v0' } }], route: [to('stable')] },
            { name: 'primary', route: [to('stable', 80), to('canary', 20)] },
          ]),
        ],
      }),
      svc,
      sp,
    );
    const key = (c: ReturnType<typeof chooseDestination>) => (c.ok ? c.key : c.reason);
    expect(key(chooseDestination(plan, 0.9, req({ 'x-canary': 'always' })))).toBe('venue/canary');
    expect(key(chooseDestination(plan, 0.1, req({ 'x-canary': 'always' })))).toBe('venue/canary');
    expect(key(chooseDestination(plan, 0.9, req({}, '/v0/venues')))).toBe('venue/stable');
    expect(key(chooseDestination(plan, 0.9, req()))).toBe('venue/canary');
    expect(key(chooseDestination(plan, 0.1, req()))).toBe('venue/stable');
  });

  it('prefix, regex (whole value) and withoutHeaders; no route taking the request is a 404', () => {
    const plan = planTraffic(
      view({
        virtualServices: [
          vsWith([
            {
              match: [
                { headers: { 'x-user': { regex: 'qa-[0-9]+' } } },
                {
                  headers: { 'x-team': { prefix: 'ven' } },
                  withoutHeaders: { 'x-stable': { exact: 'yes' } },
                },
              ],
              route: [to('canary')],
            },
          ]),
        ],
      }),
      svc,
      sp,
    );
    expect(chooseDestination(plan, 0.5, req({ 'x-user': 'qa-12' })).ok).toBe(true);
    expect(chooseDestination(plan, 0.5, req({ 'x-user': 'qa-12x' }))).toEqual({
      ok: false,
      status: 404,
      reason: 'VirtualService shop/venue: no route takes GET /venues',
    });
    expect(chooseDestination(plan, 0.5, req({ 'x-team': 'venues' })).ok).toBe(true);
    expect(chooseDestination(plan, 0.5, req({ 'x-team': 'venues', 'x-stable': 'yes' })).ok).toBe(false);
  });

  it('mirror with mirrorPercentage and the mirrors list are returned with the chosen route', () => {
    const plan = planTraffic(
      view({
        virtualServices: [
          vsWith([
            {
              route: [to('stable')],
              mirror: { host: 'venue', subset: 'canary' },
              mirrorPercentage: { value: 50 },
              mirrors: [{ destination: { host: 'venue', subset: 'canary' } }],
            },
          ]),
        ],
      }),
      svc,
      sp,
    );
    const c = chooseDestination(plan, 0.5, req());
    expect(c.ok && c.key).toBe('venue/stable');
    expect(c.ok && c.mirrors?.map((m) => [m.key, m.percent])).toEqual([
      ['venue/canary', 50],
      ['venue/canary', 100],
    ]);
  });

  it('a VirtualService bound only to gateways does not route mesh traffic; one naming "mesh" does', () => {
    const gw = vsWith([{ route: [to('canary')] }], { gateways: ['venue-gateway'] });
    expect(planTraffic(view({ virtualServices: [gw] }), svc, sp).kind).toBe('service');
    const both = vsWith([{ route: [to('canary')] }], { gateways: ['venue-gateway', 'mesh'] });
    expect(planTraffic(view({ virtualServices: [both] }), svc, sp).kind).toBe('split');
  });
});
