import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { RipcordError } from '../../src/core/errors.js';
import { planCanaryRollback, type CanarySettings } from '../../src/scenarios/canary/plan.js';
import { CANARY_STEP_KINDS } from '../../src/scenarios/canary/steps.js';
import type { RoutingObject } from '../../src/core/traffic/canary-reach.js';

const service = {
  name: 'venue-service',
  namespace: 'tickettoken',
  deployment: 'venue-service',
  healthUrl: 'http://venue/api/venues/health',
  verifyWindowMs: 10_000,
  healthTimeoutMs: 2_000,
  lockLeaseSeconds: 30,
};
const settings: CanarySettings = {
  router: { kind: 'VirtualService', name: 'venue-service' },
  stable: 'stable',
  canary: 'canary',
  canaryDeployment: 'venue-service-canary',
  stableDeployment: 'venue-service',
  scaleDownAfterMs: 30_000,
  readyTimeoutMs: 180_000,
  releaseHeader: 'x-venue-version',
  at: 'services.venue-service.canary',
};
const deployment = (name: string, tag: string, replicas: number): V1Deployment => ({
  metadata: { name, uid: `uid-${name}`, annotations: { 'deployment.kubernetes.io/revision': '1' } },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'venue-service' } },
    template: { spec: { containers: [{ name: 'venue-service', image: `venue-service:${tag}` }] } },
  },
  status: { readyReplicas: replicas },
});
const to = (subset: string, weight: number) => ({ destination: { host: 'venue-service', subset }, weight });
/** The managed VirtualService: its primary route split stable/canary, and a legacy route to stable. */
const managedVs = (stable: number, canary: number, extraHttp: unknown[] = []): RoutingObject => ({
  kind: 'VirtualService',
  namespace: 'tickettoken',
  name: 'venue-service',
  resourceVersion: '9',
  spec: {
    hosts: ['venue-service'],
    http: [
      ...extraHttp,
      { name: 'primary', route: [to('stable', stable), to('canary', canary)] },
      { name: 'legacy', match: [{ uri: { prefix: '/v0' } }], route: [to('stable', 100)] },
    ],
  },
});
const snap = {
  weights: { stable: 80, canary: 20 },
  resourceVersion: '9',
  objects: [managedVs(80, 20)],
  stable: deployment('venue-service', 'v1.2.2', 3),
  canary: deployment('venue-service-canary', 'v1.2.3', 1),
};
const rolledBack = { weights: { stable: 100, canary: 0 }, objects: [managedVs(100, 0)] };
const opts = { rtoTargetMs: 300_000, now: new Date('2026-12-03T08:00:00Z') };

describe('canary plan (runbook 6)', () => {
  it('stable 100 / canary 0 on the managed route, verified, stable pods checked, canary scaled to 0', () => {
    const plan = planCanaryRollback(service, settings, snap, opts);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'reroute-venue-service',
      'verify-traffic',
      'verify',
      'scale-down',
      'release-lock',
    ]);
    const http = snap.objects[0]!.spec.http as unknown[];
    expect(plan.steps[1]).toMatchObject({
      kind: CANARY_STEP_KINDS.reroute,
      desired: {
        ref: { namespace: 'tickettoken', kind: 'VirtualService', name: 'venue-service' },
        sections: [
          {
            path: '/spec/http',
            before: http,
            after: [{ name: 'primary', route: [to('stable', 100), to('canary', 0)] }, http[1]],
          },
        ],
        stable: { namespace: 'tickettoken', deployment: 'venue-service', readyReplicas: 3 },
      },
    });
    expect(plan.steps[2]?.desired).toMatchObject({
      weights: { stable: 100, canary: 0 },
      objects: [{ kind: 'VirtualService', name: 'venue-service' }],
      canary: { service: 'venue-service', subset: 'canary' },
      probe: { release: 'v1.2.2', header: 'x-venue-version' },
    });
    expect(plan.diff).toEqual([
      {
        kind: 'traffic-routes',
        target: 'virtualservice/venue-service -n tickettoken',
        changes: [{ route: 'http[0] primary', from: 'stable=80, canary=20', to: 'stable=100, canary=0' }],
      },
    ]);
  });

  it('every object that reaches the canary gets its own guarded write; the ones that do not are left alone', () => {
    const header = {
      name: 'testers',
      match: [{ headers: { 'x-canary': { exact: 'always' } } }],
      route: [{ destination: { host: 'venue-service', subset: 'canary' } }],
    };
    const gateway: RoutingObject = {
      kind: 'VirtualService',
      namespace: 'tickettoken',
      name: 'venue-gateway',
      resourceVersion: '4',
      spec: {
        gateways: ['public'],
        http: [
          {
            route: [
              { destination: { host: 'venue-service.tickettoken.svc.cluster.local', subset: 'stable' } },
            ],
            mirror: { host: 'venue-service.tickettoken.svc.cluster.local', subset: 'canary' },
          },
        ],
      },
    };
    const unrelated: RoutingObject = {
      kind: 'VirtualService',
      namespace: 'tickettoken',
      name: 'payments',
      resourceVersion: '5',
      spec: { http: [{ route: [{ destination: { host: 'payments', subset: 'canary' } }] }] },
    };
    const plan = planCanaryRollback(
      service,
      settings,
      { ...snap, objects: [unrelated, gateway, managedVs(80, 20, [header])] },
      opts,
    );
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'reroute-venue-service',
      'reroute-venue-gateway',
      'verify-traffic',
      'verify',
      'scale-down',
      'release-lock',
    ]);
    expect(plan.diff?.filter((d) => d.kind === 'traffic-routes')).toEqual([
      {
        kind: 'traffic-routes',
        target: 'virtualservice/venue-service -n tickettoken',
        changes: [
          { route: 'http[0] testers', from: 'canary', to: 'stable' },
          { route: 'http[1] primary', from: 'stable=80, canary=20', to: 'stable=100, canary=0' },
        ],
      },
      {
        kind: 'traffic-routes',
        target: 'virtualservice/venue-gateway -n tickettoken',
        changes: [{ route: 'http[0]', from: 'mirror to canary', to: 'no mirror' }],
      },
    ]);
    expect(plan.steps[3]?.desired).toMatchObject({
      objects: [{ name: 'venue-service' }, { name: 'venue-gateway' }],
    });
  });

  it('the managed route reset but a header route still to the canary: not nothing to do', () => {
    const header = {
      match: [{ headers: { 'x-canary': { exact: 'always' } } }],
      route: [{ destination: { host: 'venue-service', subset: 'canary' } }],
    };
    const plan = planCanaryRollback(
      service,
      settings,
      {
        ...snap,
        ...rolledBack,
        objects: [managedVs(100, 0, [header])],
        canary: deployment('venue-service-canary', 'v1.2.3', 0),
      },
      opts,
    );
    expect(plan.noop).toBeUndefined();
    expect(plan.steps.map((s) => s.id)).toContain('reroute-venue-service');
  });

  it('Rollouts that could not be read: planned, with a warning that ownership was not checked', () => {
    const plan = planCanaryRollback(
      service,
      settings,
      { ...snap, ownershipUnchecked: 'forbidden: cannot list rollouts.argoproj.io in namespace tickettoken' },
      opts,
    );
    expect(plan.warnings).toContain(
      'whether Argo Rollouts drives these routes is not checked: its Rollouts could not be read (forbidden: cannot list rollouts.argoproj.io in namespace tickettoken)',
    );
  });

  it('another object that reaches the canary driven by a controller is refused, naming it', () => {
    const flagger: RoutingObject = {
      kind: 'VirtualService',
      namespace: 'tickettoken',
      name: 'venue-primary',
      resourceVersion: '3',
      spec: { http: [{ route: [{ destination: { host: 'venue-service', subset: 'canary' } }] }] },
      managedBy: { controller: 'Flagger', name: 'venue' },
    };
    expect(() =>
      planCanaryRollback(service, settings, { ...snap, objects: [...snap.objects, flagger] }, opts),
    ).toThrow(
      /virtualservice\/venue-primary -n tickettoken also sends traffic to canary and is driven by Flagger \(venue\).*rollback webhook/,
    );
  });

  it('already at stable with the canary at 0: nothing to do', () => {
    const plan = planCanaryRollback(
      service,
      settings,
      {
        ...snap,
        ...rolledBack,
        canary: deployment('venue-service-canary', 'v1.2.3', 0),
      },
      opts,
    );
    expect(plan.steps).toEqual([]);
    expect(plan.noop).toMatch(
      /already sends 100% to stable and deployment\/venue-service-canary is at 0; nothing to do/,
    );
  });

  it('weights at stable but the canary still running: only the verification and the scale-down', () => {
    const plan = planCanaryRollback(service, settings, { ...snap, ...rolledBack }, opts);
    expect(plan.steps.map((s) => s.id)).toEqual(['acquire-lock', 'verify', 'scale-down', 'release-lock']);
  });

  it('a route Argo Rollouts or Flagger drives is refused with the command its users run instead', () => {
    expect(() =>
      planCanaryRollback(
        service,
        settings,
        { ...snap, managedBy: { controller: 'Argo Rollouts', name: 'venue' } },
        opts,
      ),
    ).toThrow(
      new RipcordError(
        'refused',
        'virtualservice/venue-service -n tickettoken is driven by Argo Rollouts (venue): it would undo a weight change. Run `kubectl argo rollouts abort venue` instead; nothing was changed',
      ),
    );
  });

  it('bad input names the field: a stable subset the route lacks, a missing canary Deployment', () => {
    expect(() => planCanaryRollback(service, { ...settings, stable: 'primary' }, snap, opts)).toThrow(
      /canary\.stable: virtualservice\/venue-service -n tickettoken's route has no backend "primary" \(it has stable, canary\)/,
    );
    const { canary: _c, ...noCanary } = snap;
    expect(() => planCanaryRollback(service, settings, noCanary, opts)).toThrow(
      /canary\.canaryDeployment: no deployment\/venue-service-canary in tickettoken/,
    );
  });

  it('refuses (exit 3) when stable has fewer ready replicas than it wants: 100% would overload it', () => {
    const weak = { ...snap, stable: { ...snap.stable, status: { readyReplicas: 1 } } };
    const err = (() => {
      try {
        planCanaryRollback(service, settings, weak, opts);
      } catch (e) {
        return e;
      }
    })() as RipcordError;
    expect(err).toBeInstanceOf(RipcordError);
    expect(err.kind).toBe('refused');
    expect(err.message).toMatch(
      /^deployment\/venue-service has 1 ready replica\(s\) of the 3 it must have to take all of virtualservice\/venue-service -n tickettoken's traffic/,
    );
  });

  it('stable scaled down under the canary: refused naming what is missing; --scale-stable scales, waits, then reroutes', () => {
    // Stable runs 1 of the 3 replicas all traffic needs (an HPA or dynamicStableScale shrank it under the canary).
    const shrunk = { ...snap, stable: deployment('venue-service', 'v1.2.2', 1) };
    const three = { ...settings, stableReplicas: 3 };
    expect(() => planCanaryRollback(service, three, shrunk, opts)).toThrow(
      new RegExp(
        "^deployment/venue-service has 1 ready replica\\(s\\) of the 3 it must have to take all of virtualservice/venue-service -n tickettoken's traffic \\(2 missing\\).*--scale-stable to scale it to 3",
      ),
    );
    const plan = planCanaryRollback(service, three, shrunk, { ...opts, scaleStable: true });
    expect(plan.steps.map((st) => st.id)).toEqual([
      'acquire-lock',
      'scale-stable',
      'wait-ready',
      'reroute-venue-service',
      'verify-traffic',
      'verify',
      'scale-down',
      'release-lock',
    ]);
    expect(plan.steps[1]?.desired).toMatchObject({
      deployment: 'venue-service',
      deploymentUid: 'uid-venue-service',
      replicas: 3,
      afterMs: 0,
    });
    expect(plan.steps[2]?.desired).toEqual({
      namespace: 'tickettoken',
      deployment: 'venue-service',
      readyReplicas: 3,
      timeoutMs: 180_000,
      restoreReplicas: 1,
      unmoved: 'no route was changed',
    });
    // The reroute re-checks the same count right before its write.
    expect(plan.steps[3]?.desired).toMatchObject({ stable: { readyReplicas: 3 } });
    expect(plan.warnings.join('\n')).toMatch(
      /has 1 ready replica\(s\) of the 3 .*: it is scaled to 3 and waited for/,
    );

    // Wanting enough but not all ready (pods starting): --scale-stable only waits, and restores nothing.
    const starting = { ...snap, stable: { ...snap.stable, status: { readyReplicas: 1 } } };
    const waitOnly = planCanaryRollback(service, settings, starting, { ...opts, scaleStable: true });
    expect(waitOnly.steps.map((st) => st.id).slice(0, 3)).toEqual([
      'acquire-lock',
      'wait-ready',
      'reroute-venue-service',
    ]);
    expect(waitOnly.steps[1]?.desired).toMatchObject({ readyReplicas: 3, restoreReplicas: 3 });
    // Enough ready: --scale-stable changes nothing.
    const enough = planCanaryRollback(service, settings, snap, { ...opts, scaleStable: true });
    expect(enough.steps.map((st) => st.id)).not.toContain('scale-stable');
    expect(enough.steps.map((st) => st.id)).not.toContain('wait-ready');
  });

  it('the stable subset decides where "stable" lands: refused before any write when it misses or includes the canary', () => {
    const labelled = (d: V1Deployment, track: string): V1Deployment => ({
      ...d,
      spec: {
        ...d.spec!,
        template: { ...d.spec!.template, metadata: { labels: { app: 'venue-service', track } } },
      },
    });
    const tracked = {
      ...snap,
      stable: labelled(snap.stable, 'stable'),
      canary: labelled(snap.canary, 'canary'),
    };
    const rules = (stable: Record<string, string>) => [
      {
        name: 'venue-service',
        spec: { host: 'venue-service', subsets: [{ name: 'stable', labels: stable }] },
      },
    ];
    const backend = (labels: Record<string, string>) => ({
      ...tracked,
      stableBackend: { serviceSelector: { app: 'venue-service' }, destinationRules: rules(labels) },
    });
    expect(planCanaryRollback(service, settings, backend({ track: 'stable' }), opts).steps).toHaveLength(6);
    expect(() => planCanaryRollback(service, settings, backend({ app: 'venue-service' }), opts)).toThrow(
      /subset stable .* also selects deployment\/venue-service-canary's pods .*: requests sent to stable would still reach the canary; nothing was changed$/,
    );
    // A route to the bare host reaches the canary's pods too (the Service selects both tracks): said, not rewritten.
    const debug = {
      name: 'debug',
      match: [{ headers: { 'x-debug': { exact: '1' } } }],
      route: [{ destination: { host: 'venue-service' } }],
    };
    const withBare = {
      ...backend({ track: 'stable' }),
      objects: [managedVs(80, 20, [debug])],
    };
    expect(planCanaryRollback(service, settings, withBare, opts).warnings.join('\n')).toMatch(
      /virtualservice\/venue-service http\[0\] debug sends to host venue-service without a subset: its pods include the canary's, so those requests reach the canary until it is scaled to 0; not rewritten/,
    );
    // Not readable: planned, and said.
    const unread = planCanaryRollback(
      service,
      settings,
      { ...tracked, stableBackend: { serviceSelector: { app: 'venue-service' } } },
      opts,
    );
    expect(unread.warnings).toContain(
      "subset stable's labels are not checked: the DestinationRules could not be read",
    );
    const forbidden = planCanaryRollback(
      service,
      settings,
      { ...tracked, stableBackend: { unchecked: 'services "venue-service" is forbidden' } },
      opts,
    );
    expect(forbidden.warnings.join('\n')).toMatch(
      /whether stable selects the stable pods only is not checked/,
    );
  });
});
