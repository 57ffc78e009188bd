import { describe, expect, it } from 'vitest';
import {
  chooseDestination,
  planTraffic,
  type ClusterView,
  type TrafficPlan,
} from '../../src/sandbox/router/traffic-plan.js';
import { destinationRule, pod, service, virtualService } from './router-fixtures.js';

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
  return { services: [svc], pods, virtualServices: [], destinationRules: [subsets], ...extra };
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
    expect(plan.kind === 'virtual-service' && plan.virtualService).toBe('shop/a');
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
