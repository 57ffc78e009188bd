import { describe, expect, it } from 'vitest';
import { bareHostDestinations, stableBackendProblem } from '../../src/core/traffic/stable-backend.js';

const names = { stableDeployment: 'venue-service', canaryDeployment: 'venue-service-canary' };
const stablePods = { app: 'venue-service', track: 'stable' };
const canaryPods = { app: 'venue-service', track: 'canary' };
const rule = (host: string, subsets: Array<{ name: string; labels?: Record<string, string> }>) => ({
  name: 'venue-service',
  spec: { host, subsets },
});
const world = (
  destinationRules?: ReturnType<typeof rule>[],
  selector: Record<string, string> = { app: 'venue-service' },
) => ({
  serviceSelector: selector,
  ...(destinationRules ? { destinationRules } : {}),
  stablePodLabels: stablePods,
  canaryPodLabels: canaryPods,
});
const subset = { service: 'venue-service', subset: 'stable' };

describe('where the stable backend lands', () => {
  it('the example topology: subset stable (track=stable) selects the stable pods and not the canary', () => {
    const rules = [
      rule('venue-service', [
        { name: 'stable', labels: { track: 'stable' } },
        { name: 'canary', labels: { track: 'canary' } },
      ]),
    ];
    expect(stableBackendProblem(subset, 'tickettoken', world(rules), names)).toBeUndefined();
    // The rule's host may be the FQDN, as Istio's docs recommend.
    const fqdn = [
      rule('venue-service.tickettoken.svc.cluster.local', [{ name: 'stable', labels: { track: 'stable' } }]),
    ];
    expect(stableBackendProblem(subset, 'tickettoken', world(fqdn), names)).toBeUndefined();
  });

  it('no DestinationRule defines the subset: every request would be a 503', () => {
    const other = [rule('other-service', [{ name: 'stable', labels: { track: 'stable' } }])];
    expect(stableBackendProblem(subset, 'tickettoken', world(other), names)).toBe(
      'no DestinationRule for host venue-service defines subset "stable": Istio would answer every request sent to it with 503 (no healthy upstream)',
    );
    const noSubset = [rule('venue-service', [{ name: 'v1', labels: { track: 'stable' } }])];
    expect(stableBackendProblem(subset, 'tickettoken', world(noSubset), names)).toMatch(
      /defines subset "stable"/,
    );
  });

  it('a subset that also matches the canary pods keeps the bad release in traffic; one that matches no stable pod is a blackout', () => {
    const wide = [rule('venue-service', [{ name: 'stable', labels: { app: 'venue-service' } }])];
    expect(stableBackendProblem(subset, 'tickettoken', world(wide), names)).toBe(
      "service/venue-service subset stable (destinationrule/venue-service: app=venue-service) also selects deployment/venue-service-canary's pods (app=venue-service,track=canary): requests sent to stable would still reach the canary",
    );
    const typo = [rule('venue-service', [{ name: 'stable', labels: { track: 'stabel' } }])];
    expect(stableBackendProblem(subset, 'tickettoken', world(typo), names)).toMatch(
      /^service\/venue-service subset stable \(destinationrule\/venue-service: app=venue-service,track=stabel\) does not select deployment\/venue-service's pods/,
    );
  });

  it('a Service backend (HTTPRoute, or a bare host) is judged by its selector; a missing Service fails every request', () => {
    const svc = { service: 'venue-service-stable' };
    expect(
      stableBackendProblem(
        svc,
        'tickettoken',
        world(undefined, { app: 'venue-service', track: 'stable' }),
        names,
      ),
    ).toBeUndefined();
    expect(
      stableBackendProblem(svc, 'tickettoken', world(undefined, { app: 'venue-service' }), names),
    ).toMatch(
      /^service\/venue-service-stable \(selector app=venue-service\) also selects deployment\/venue-service-canary's pods/,
    );
    expect(stableBackendProblem(svc, 'tickettoken', { ...world(), serviceSelector: undefined }, names)).toBe(
      'service/venue-service-stable, which the stable backend names, does not exist: every request sent to it would fail',
    );
    // DestinationRules not readable: the subset is not judged (the plan warns), only that its Service exists.
    expect(
      stableBackendProblem(subset, 'tickettoken', world(undefined, { app: 'venue-service' }), names),
    ).toBeUndefined();
  });
});

describe('destinations to the bare host', () => {
  it('names routes and mirrors to the host without a subset, in VirtualServices only', () => {
    const vs = {
      kind: 'VirtualService',
      name: 'venue-service',
      spec: {
        http: [
          { name: 'primary', route: [{ destination: { host: 'venue-service', subset: 'stable' } }] },
          {
            name: 'debug',
            route: [{ destination: { host: 'venue-service.tickettoken.svc.cluster.local' } }],
          },
          { route: [{ destination: { host: 'other' } }], mirror: { host: 'venue-service' } },
        ],
      },
    };
    const route = { kind: 'HTTPRoute', name: 'venue-service', spec: { rules: [] } };
    expect(bareHostDestinations([vs, route], 'venue-service', 'tickettoken')).toEqual([
      'virtualservice/venue-service http[1] debug',
      'virtualservice/venue-service http[2] (mirror)',
    ]);
    expect(bareHostDestinations([vs], 'other-service', 'tickettoken')).toEqual([]);
  });
});
