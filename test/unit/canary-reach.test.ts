import { describe, expect, it } from 'vitest';
import {
  canaryReach,
  changeText,
  rerouteFromCanary,
  shortHost,
  sidesOf,
  type RoutingObject,
} from '../../src/core/traffic/canary-reach.js';

const NS = 'shop';
const dest = (subset: string, weight?: number, host = 'venue') => ({
  destination: { host, subset },
  ...(weight === undefined ? {} : { weight }),
});

function vs(name: string, spec: Record<string, unknown>): RoutingObject {
  return { kind: 'VirtualService', namespace: NS, name, resourceVersion: '7', spec };
}
function hr(name: string, spec: Record<string, unknown>): RoutingObject {
  return { kind: 'HTTPRoute', namespace: NS, name, resourceVersion: '9', spec };
}

const mesh = vs('venue', {
  hosts: ['venue'],
  http: [
    { name: 'testers', match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [dest('canary')] },
    {
      name: 'primary',
      retries: { attempts: 3 },
      route: [dest('stable', 80), dest('canary', 20)],
      mirror: { host: 'venue', subset: 'canary' },
      mirrorPercentage: { value: 50 },
    },
    { name: 'legacy', match: [{ uri: { prefix: '/v0' } }], route: [dest('stable')] },
  ],
  tcp: [{ route: [dest('stable', 50), dest('canary', 50)] }],
});
const ISTIO_SIDES = sidesOf('VirtualService', mesh.spec, NS, 1, { canary: 'canary', stable: 'stable' })!;

describe('sidesOf', () => {
  it('reads both sides from the managed route, with the host as written', () => {
    expect(ISTIO_SIDES).toEqual({
      canary: { service: 'venue', subset: 'canary', host: 'venue' },
      stable: { service: 'venue', subset: 'stable', host: 'venue' },
    });
    expect(sidesOf('VirtualService', mesh.spec, NS, 1, { canary: 'blue', stable: 'stable' })).toBeUndefined();
  });
});

describe('rerouteFromCanary: Istio', () => {
  it('moves the weights, points the header route at stable, drops the mirror; the other routes stay as they were', () => {
    const r = rerouteFromCanary(mesh, ISTIO_SIDES)!;
    expect(r.changes.map(changeText)).toEqual([
      'http[0] testers: canary → stable',
      'http[1] primary: stable=80, canary=20 → stable=100, canary=0',
      'http[1] primary: mirror to canary → no mirror',
      'tcp[0]: stable=50, canary=50 → stable=100, canary=0',
    ]);
    const http = r.sections.find((s) => s.path === '/spec/http')!;
    expect(http.before).toBe(mesh.spec.http);
    const after = http.after as Array<Record<string, unknown>>;
    expect(after[0]).toEqual({
      name: 'testers',
      match: [{ headers: { 'x-canary': { exact: 'always' } } }],
      route: [dest('stable')],
    });
    expect(after[1]).toEqual({
      name: 'primary',
      retries: { attempts: 3 },
      route: [dest('stable', 100), dest('canary', 0)],
    });
    // Untouched routes are the very same objects: nothing rewritten that did not reach the canary.
    expect(after[2]).toBe((mesh.spec.http as unknown[])[2]);
    expect(
      canaryReach(
        { ...mesh, spec: { ...mesh.spec, http: after, tcp: r.sections[1]?.after } },
        ISTIO_SIDES.canary,
      ),
    ).toEqual([]);
    expect(canaryReach(mesh, ISTIO_SIDES.canary)).toEqual([
      'http[0] testers: weight 100',
      'http[1] primary: weight 20',
      'http[1] primary: mirror',
      'tcp[0]: weight 50',
    ]);
  });

  it('a gateway VirtualService naming the host fully qualified is rewritten too; another service\'s "canary" subset is not', () => {
    const gateway = vs('venue-gateway', {
      hosts: ['venues.example.com'],
      gateways: ['public'],
      http: [
        {
          route: [
            dest('stable', 90, 'venue.shop.svc.cluster.local'),
            dest('canary', 10, 'venue.shop.svc.cluster.local'),
          ],
        },
      ],
    });
    expect(rerouteFromCanary(gateway, ISTIO_SIDES)?.changes.map(changeText)).toEqual([
      'http[0]: stable=90, canary=10 → stable=100, canary=0',
    ]);
    const payments = vs('payments', {
      http: [
        {
          route: [dest('stable', 50, 'payments'), dest('canary', 50, 'payments')],
          mirror: { host: 'payments', subset: 'canary' },
        },
      ],
    });
    expect(rerouteFromCanary(payments, ISTIO_SIDES)).toBeUndefined();
    expect(canaryReach(payments, ISTIO_SIDES.canary)).toEqual([]);
  });

  it('already rolled back (canary at 0, no mirror) is no rewrite; the mirrors list keeps its other entries', () => {
    const done = vs('venue', { http: [{ route: [dest('stable', 100), dest('canary', 0)] }] });
    expect(rerouteFromCanary(done, ISTIO_SIDES)).toBeUndefined();
    const two = vs('venue', {
      http: [
        {
          route: [dest('stable')],
          mirrors: [{ destination: { host: 'venue', subset: 'canary' } }, { destination: { host: 'audit' } }],
        },
      ],
    });
    const r = rerouteFromCanary(two, ISTIO_SIDES)!;
    expect((r.sections[0]?.after as Array<Record<string, unknown>>)[0]).toEqual({
      route: [dest('stable')],
      mirrors: [{ destination: { host: 'audit' } }],
    });
  });

  it('a canary that is its own Service: every subset of it counts, and a route to it alone goes to the stable Service', () => {
    const byHost = vs('venue', {
      http: [
        {
          match: [{ headers: { 'x-canary': { exact: 'always' } } }],
          route: [{ destination: { host: 'venue-canary.shop' } }],
        },
        {
          route: [
            { destination: { host: 'venue-stable' }, weight: 70 },
            { destination: { host: 'venue-canary', subset: 'v2' }, weight: 30 },
          ],
        },
      ],
    });
    const sides = {
      canary: { service: 'venue-canary' },
      stable: { service: 'venue-stable', host: 'venue-stable', port: 80 },
    };
    const r = rerouteFromCanary(byHost, sides)!;
    expect(r.changes.map(changeText)).toEqual([
      'http[0]: canary → stable',
      'http[1]: stable=70, canary=30 → stable=100, canary=0',
    ]);
    expect((r.sections[0]?.after as Array<{ route: unknown[] }>)[0]?.route).toEqual([
      { destination: { host: 'venue-stable', port: { number: 80 } } },
    ]);
  });
});

describe('rerouteFromCanary: Gateway API', () => {
  const sides = {
    canary: { service: 'venue-canary', port: 80 },
    stable: { service: 'venue-stable', port: 80 },
  };
  const route = hr('venue', {
    parentRefs: [{ group: '', kind: 'Service', name: 'venue' }],
    rules: [
      {
        name: 'testers',
        matches: [{ headers: [{ name: 'x-canary', value: 'always' }] }],
        backendRefs: [{ name: 'venue-canary', port: 80 }],
      },
      {
        backendRefs: [
          { name: 'venue-stable', port: 80, weight: 80 },
          { name: 'venue-canary', port: 80, weight: 20 },
        ],
        filters: [
          { type: 'RequestMirror', requestMirror: { backendRef: { name: 'venue-canary', port: 80 } } },
          {
            type: 'RequestHeaderModifier',
            requestHeaderModifier: { set: [{ name: 'x-team', value: 'venues' }] },
          },
        ],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/admin' } }],
        backendRefs: [{ name: 'admin', port: 80 }],
      },
    ],
  });

  it('rewrites each rule that reaches the canary by weight, alone or by a mirror; keeps the other filters and rules', () => {
    const r = rerouteFromCanary(route, sides)!;
    expect(r.changes.map(changeText)).toEqual([
      'rules[0] testers: canary → stable',
      'rules[1]: stable=80, canary=20 → stable=100, canary=0',
      'rules[1]: RequestMirror to canary → no mirror',
    ]);
    const after = r.sections[0]?.after as Array<Record<string, unknown>>;
    expect(after[0]?.backendRefs).toEqual([{ name: 'venue-stable', port: 80 }]);
    expect(after[1]).toEqual({
      backendRefs: [
        { name: 'venue-stable', port: 80, weight: 100 },
        { name: 'venue-canary', port: 80, weight: 0 },
      ],
      filters: [
        {
          type: 'RequestHeaderModifier',
          requestHeaderModifier: { set: [{ name: 'x-team', value: 'venues' }] },
        },
      ],
    });
    expect(after[2]).toBe((route.spec.rules as unknown[])[2]);
    expect(canaryReach(route, sides.canary)).toEqual([
      'rules[0] testers: weight 1',
      'rules[1]: weight 20',
      'rules[1]: RequestMirror',
    ]);
    expect(canaryReach({ ...route, spec: { ...route.spec, rules: after } }, sides.canary)).toEqual([]);
  });

  it('absent weights are 1: both absent moves 1 to stable', () => {
    const plain = hr('venue', {
      rules: [
        {
          backendRefs: [
            { name: 'venue-stable', port: 80 },
            { name: 'venue-canary', port: 80 },
          ],
        },
      ],
    });
    expect(rerouteFromCanary(plain, sides)?.changes.map(changeText)).toEqual([
      'rules[0]: stable=1, canary=1 → stable=2, canary=0',
    ]);
  });
});

describe('shortHost', () => {
  it.each([
    ['venue', 'venue'],
    ['venue.shop', 'venue'],
    ['venue.shop.svc', 'venue'],
    ['Venue.shop.svc.cluster.local.', 'venue'],
    ['venue.other.svc.cluster.local', 'venue.other.svc.cluster.local'],
  ])('%s -> %s', (host, want) => expect(shortHost(host, NS)).toBe(want));
});
