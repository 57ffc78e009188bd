import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { PlanStep } from '../../src/core/plan.js';
import type { TrafficRouterPort } from '../../src/core/ports.js';
import { createCanaryHandlers } from '../../src/scenarios/canary/handlers.js';
import { CANARY_STEP_KINDS } from '../../src/scenarios/canary/steps.js';
import {
  canaryReach,
  rerouteFromCanary,
  sidesOf,
  type RoutingObject,
} from '../../src/core/traffic/canary-reach.js';

/** A route whose weights and the stable side's ready count a test sets; every weight write is recorded. */
function world(o: { weights: Record<string, number>; stableReady: number }) {
  let weights = { ...o.weights };
  let rv = 1;
  const writes: string[] = [];
  const router = {
    getWeights: async () => ({ weights: { ...weights }, resourceVersion: String(rv) }),
    setWeights: async (_ref: unknown, w: Record<string, number>, expect: string) => {
      if (expect !== String(rv)) throw new Error('conflict');
      writes.push(JSON.stringify(w));
      weights = { ...w };
      rv++;
    },
  } as unknown as TrafficRouterPort;
  const handlers = createCanaryHandlers({
    router: () => router,
    probe: { get: async () => ({ status: 200, body: '', ms: 1 }) },
    scale: { getScale: async () => ({ replicas: 3, readyReplicas: o.stableReady, resourceVersion: '1' }) },
    pollMs: 1,
  });
  return { handler: handlers[CANARY_STEP_KINDS.setWeights], writes, weights: () => weights };
}

const setWeights: PlanStep = {
  id: 'set-weights',
  kind: CANARY_STEP_KINDS.setWeights,
  description: '',
  target: '',
  why: '',
  precondition: '',
  desired: {
    ref: { namespace: 'ns', kind: 'VirtualService', name: 'venue-service' },
    weights: { stable: 100, canary: 0 },
    from: { stable: 80, canary: 20 },
    stable: { namespace: 'ns', deployment: 'venue-service', readyReplicas: 3 },
  },
  postcondition: '',
  danger: 'caution',
  expectedDurationMs: 1,
};
const ctx = (force = false) => ({
  runId: 'r-1',
  signal: new AbortController().signal,
  clock: { now: () => new Date() },
  progress: () => undefined,
  ...(force ? { force: true } : {}),
});

describe('canary set-weights handler', () => {
  it('stable ready, weights as planned: one write, stable 100 / canary 0', async () => {
    const w = world({ weights: { stable: 80, canary: 20 }, stableReady: 3 });
    await expect(w.handler?.apply(setWeights, ctx())).resolves.toMatchObject({ written: true });
    expect(w.writes).toEqual(['{"stable":100,"canary":0}']);
  });

  it('the weights moved since the plan (a promotion, a manual shift): refused, nothing written; --force writes', async () => {
    const w = world({ weights: { stable: 50, canary: 50 }, stableReady: 3 });
    await expect(w.handler?.apply(setWeights, ctx())).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/changed since the plan was made/),
    });
    expect(w.writes).toEqual([]);
    await expect(w.handler?.apply(setWeights, ctx(true))).resolves.toMatchObject({ written: true });
  });

  it('stable lost ready pods since the plan: refused before the write, naming what is missing', async () => {
    const w = world({ weights: { stable: 80, canary: 20 }, stableReady: 1 });
    await expect(w.handler?.apply(setWeights, ctx())).rejects.toMatchObject({
      kind: 'refused',
      message:
        "deployment/venue-service has 1 ready replica(s), fewer than the 3 it must have to take all of VirtualService/venue-service's traffic; nothing was changed",
    });
    expect(w.writes).toEqual([]);
    expect(w.weights()).toEqual({ stable: 80, canary: 20 });
  });
});

/** One routing object a test can change; replaceSections behaves like the API server's JSON patch. */
function objectWorld(o: {
  spec: Record<string, unknown>;
  stableReady: number;
  managedBy?: RoutingObject['managedBy'];
}) {
  const spec = structuredClone(o.spec);
  let rv = 1;
  const writes: unknown[] = [];
  const router = {
    get: async (namespace: string, name: string): Promise<RoutingObject> => ({
      kind: 'VirtualService',
      namespace,
      name,
      resourceVersion: String(rv),
      spec: structuredClone(spec),
      ...(o.managedBy ? { managedBy: o.managedBy } : {}),
    }),
    replaceSections: async (
      _ns: string,
      _name: string,
      sections: Array<{ path: string; before: unknown; after: unknown }>,
      expect: string,
    ) => {
      if (expect !== String(rv)) throw new Error('conflict');
      for (const s of sections) {
        const key = s.path.replace('/spec/', '');
        if (!isDeepStrictEqual(spec[key], s.before)) throw new Error(`test failed at ${s.path}`);
      }
      for (const s of sections) spec[s.path.replace('/spec/', '')] = structuredClone(s.after);
      writes.push(sections.map((s) => s.path));
      rv++;
    },
  } as unknown as TrafficRouterPort;
  const handlers = createCanaryHandlers({
    router: () => router,
    probe: { get: async () => ({ status: 200, body: '', ms: 1 }) },
    scale: { getScale: async () => ({ replicas: 3, readyReplicas: o.stableReady, resourceVersion: '1' }) },
    pollMs: 1,
  });
  return {
    handler: handlers[CANARY_STEP_KINDS.reroute],
    writes,
    spec: () => spec,
    edit: (f: (s: Record<string, unknown>) => void) => {
      f(spec);
      rv++;
    },
  };
}

const dest = (subset: string, weight?: number) => ({
  destination: { host: 'venue-service', subset },
  ...(weight === undefined ? {} : { weight }),
});
const planned = {
  http: [
    { name: 'testers', match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [dest('canary')] },
    {
      name: 'primary',
      route: [dest('stable', 80), dest('canary', 20)],
      mirror: { host: 'venue-service', subset: 'canary' },
    },
  ],
};
const sides = sidesOf('VirtualService', planned, 'ns', 1, { canary: 'canary', stable: 'stable' })!;
const rewrite = rerouteFromCanary(
  { kind: 'VirtualService', namespace: 'ns', name: 'venue-service', resourceVersion: '1', spec: planned },
  sides,
)!;
const reroute: PlanStep = {
  ...setWeights,
  id: 'reroute-venue-service',
  kind: CANARY_STEP_KINDS.reroute,
  desired: {
    ref: { namespace: 'ns', kind: 'VirtualService', name: 'venue-service' },
    sides,
    sections: rewrite.sections,
    changes: rewrite.changes,
    stable: { namespace: 'ns', deployment: 'venue-service', readyReplicas: 3 },
  },
};

describe('canary reroute handler', () => {
  it('routes as planned: one write of the planned sections; then check() holds and a re-run writes nothing', async () => {
    const w = objectWorld({ spec: planned, stableReady: 3 });
    await expect(w.handler?.apply(reroute, ctx())).resolves.toMatchObject({ written: true, changes: 3 });
    expect(w.writes).toEqual([['/spec/http']]);
    expect(
      canaryReach(
        { kind: 'VirtualService', namespace: 'ns', name: 'x', resourceVersion: '', spec: w.spec() },
        sides.canary,
      ),
    ).toEqual([]);
    await expect(w.handler?.check?.(reroute, ctx())).resolves.toBe(true);
    await expect(w.handler?.apply(reroute, ctx())).resolves.toMatchObject({ written: false });
    expect(w.writes).toHaveLength(1);
  });

  it('a route added or changed since the plan: refused naming where the canary traffic goes, nothing written; --force writes', async () => {
    const w = objectWorld({ spec: planned, stableReady: 3 });
    w.edit((s) => {
      (s.http as unknown[]).unshift({
        name: 'qa',
        match: [{ headers: { 'x-qa': { exact: '1' } } }],
        route: [dest('canary')],
      });
    });
    await expect(w.handler?.apply(reroute, ctx())).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /virtualservice\/venue-service's routes changed since the plan was made \(to the canary: .* -> to the canary: http\[0\] qa: weight 100, .*\); nothing was changed/,
      ),
    });
    expect(w.writes).toEqual([]);
    await expect(w.handler?.apply(reroute, ctx(true))).resolves.toMatchObject({
      written: true,
      forced: expect.anything(),
    });
  });

  it('stable lost ready pods, or a controller took the object over: refused before the write', async () => {
    const weak = objectWorld({ spec: planned, stableReady: 1 });
    await expect(weak.handler?.apply(reroute, ctx())).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/^deployment\/venue-service has 1 ready replica\(s\), fewer than the 3/),
    });
    const taken = objectWorld({
      spec: planned,
      stableReady: 3,
      managedBy: { controller: 'Flagger', name: 'venue' },
    });
    await expect(taken.handler?.apply(reroute, ctx())).rejects.toMatchObject({
      kind: 'refused',
      message: 'virtualservice/venue-service is now driven by Flagger (venue); nothing was changed',
    });
    expect([...weak.writes, ...taken.writes]).toEqual([]);
  });
});
