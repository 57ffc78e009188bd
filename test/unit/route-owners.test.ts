import { describe, expect, it } from 'vitest';
import { rolloutDriving, rolloutRoutes } from '../../src/core/traffic/route-owners.js';

const rollout = (name: string, trafficRouting: unknown) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name, namespace: 'shop' },
  spec: {
    strategy: { canary: { stableService: 'venue-stable', canaryService: 'venue-canary', trafficRouting } },
  },
});

describe('rolloutRoutes: the routes Argo Rollouts drives, read from the Rollouts as its docs spell them', () => {
  it('Istio: virtualService and virtualServices, a name.namespace form included', () => {
    const routes = rolloutRoutes([
      rollout('venue', { istio: { virtualService: { name: 'venue-vsvc', routes: ['primary'] } } }),
      rollout('tickets', {
        istio: {
          virtualServices: [{ name: 'tickets-mesh' }, { name: 'tickets-gw.edge' }],
          destinationRule: { name: 'tickets' },
        },
      }),
    ]);
    expect(routes).toEqual([
      { rollout: 'venue', kind: 'VirtualService', namespace: 'shop', name: 'venue-vsvc' },
      { rollout: 'tickets', kind: 'VirtualService', namespace: 'shop', name: 'tickets-mesh' },
      { rollout: 'tickets', kind: 'VirtualService', namespace: 'edge', name: 'tickets-gw' },
    ]);
    expect(rolloutDriving(routes, { kind: 'VirtualService', namespace: 'shop', name: 'venue-vsvc' })).toBe(
      'venue',
    );
    expect(
      rolloutDriving(routes, { kind: 'HTTPRoute', namespace: 'shop', name: 'venue-vsvc' }),
    ).toBeUndefined();
  });

  it("Gateway API plugin: httpRoute or httpRoutes, in the plugin namespace or the Rollout's", () => {
    const routes = rolloutRoutes([
      rollout('venue', { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'venue-route' } } }),
      rollout('tickets', {
        plugins: {
          'argoproj-labs/gatewayAPI': { httpRoutes: [{ name: 'a' }, { name: 'b' }], namespace: 'edge' },
        },
      }),
    ]);
    expect(routes).toEqual([
      { rollout: 'venue', kind: 'HTTPRoute', namespace: 'shop', name: 'venue-route' },
      { rollout: 'tickets', kind: 'HTTPRoute', namespace: 'edge', name: 'a' },
      { rollout: 'tickets', kind: 'HTTPRoute', namespace: 'edge', name: 'b' },
    ]);
  });

  it('a Rollout without traffic routing (or a blue-green one) drives no route; junk is ignored', () => {
    expect(
      rolloutRoutes([
        rollout('plain', undefined),
        {
          metadata: { name: 'bg', namespace: 'shop' },
          spec: { strategy: { blueGreen: { activeService: 'x' } } },
        },
        null,
        'junk',
      ]),
    ).toEqual([]);
  });
});
