import { describe, expect, it } from 'vitest';
import type { PlanStep } from '../../src/core/plan.js';
import type { TrafficRouterPort } from '../../src/core/ports.js';
import { createCanaryHandlers } from '../../src/scenarios/canary/handlers.js';
import { CANARY_STEP_KINDS } from '../../src/scenarios/canary/steps.js';

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
