import { describe, expect, it } from 'vitest';
import type { KubernetesPort, ScalePort, ServiceSelectorPort } from '../../src/core/ports.js';
import type { PlanStep } from '../../src/core/plan.js';
import { createBlueGreenHandlers } from '../../src/scenarios/blue-green/handlers.js';
import { BLUE_GREEN_STEP_KINDS } from '../../src/scenarios/blue-green/steps.js';
import { createReplicaHandlers } from '../../src/core/steps/replicas.js';

/** In-memory Service selector and Deployment scale, recording every write. */
function world(o: { selector: Record<string, string>; blueReady: number; target?: unknown }) {
  const writes: string[] = [];
  let selector = { ...o.selector };
  let annotations: Record<string, string> = { team: 'venues' };
  let rv = 1;
  const scale: Record<string, { replicas: number; readyReplicas: number }> = {
    'venue-service-blue': { replicas: 2, readyReplicas: o.blueReady },
    'venue-service-green': { replicas: 2, readyReplicas: 2 },
  };
  const services: ServiceSelectorPort = {
    read: async () => ({
      selector: { ...selector },
      resourceVersion: String(rv),
      annotations: { ...annotations },
    }),
    setSelector: async (_ns, _n, s, expect, a) => {
      if (expect !== String(rv)) throw new Error('conflict');
      writes.push(`selector ${JSON.stringify(s)}`);
      selector = { ...s };
      if (a) annotations = { ...a };
      rv++;
    },
    readyEndpoints: async () => [],
  };
  const scalePort: ScalePort = {
    getScale: async (_ns, d) => ({
      ...(scale[d] ?? { replicas: 0, readyReplicas: 0 }),
      resourceVersion: '1',
    }),
    setReplicas: async (_ns, d, n) => {
      writes.push(`scale ${d} ${n}`);
      scale[d] = { replicas: n, readyReplicas: scale[d]?.readyReplicas ?? 0 };
    },
  };
  const kube = {
    snapshot: async () => ({
      deployment: o.target ?? { spec: { selector: { matchLabels: { version: 'blue' } } }, status: {} },
      replicaSets: [],
    }),
    listPods: async () => [
      {
        metadata: { name: 'venue-service-blue-1' },
        status: {
          containerStatuses: [
            {
              name: 'app',
              ready: false,
              restartCount: 0,
              image: '',
              imageID: '',
              state: { waiting: { reason: 'ImagePullBackOff' } },
            },
          ],
        },
      },
    ],
  } as unknown as KubernetesPort;
  const handlers = createBlueGreenHandlers({
    kube,
    services,
    scale: scalePort,
    probe: { get: async () => ({ status: 200, body: '', ms: 1 }) },
    pollMs: 1,
  });
  return { handlers, writes, selector: () => selector, annotations: () => annotations };
}

const step = (kind: string, desired: unknown): PlanStep => ({
  id: 'x',
  kind,
  description: '',
  target: '',
  why: '',
  precondition: '',
  desired,
  postcondition: '',
  danger: 'caution',
  expectedDurationMs: 1,
});
const ctx = (force = false) => ({
  runId: 'r-1',
  signal: new AbortController().signal,
  clock: { now: () => new Date() },
  progress: () => undefined,
  ...(force ? { force: true } : {}),
});
const switchToBlue = step(BLUE_GREEN_STEP_KINDS.switchSelector, {
  namespace: 'ns',
  service: 'venue-service',
  selector: { app: 'venue-service', version: 'blue' },
  from: { app: 'venue-service', version: 'green' },
  colourKey: 'version',
  targetDeployment: 'venue-service-blue',
  readyReplicas: 2,
});

describe('blue-green step handlers', () => {
  it('switch: one selector write when blue can serve; a second apply writes nothing', async () => {
    const w = world({ selector: { app: 'venue-service', version: 'green' }, blueReady: 2 });
    const h = w.handlers[BLUE_GREEN_STEP_KINDS.switchSelector];
    await expect(h?.apply(switchToBlue, ctx())).resolves.toMatchObject({ switched: true });
    await expect(h?.apply(switchToBlue, ctx())).resolves.toMatchObject({ switched: false });
    expect(w.writes).toEqual(['selector {"app":"venue-service","version":"blue"}']);
    expect(await h?.check(switchToBlue, ctx())).toBe(true);
    // The same write marks the Service: which colour, which run; the Service's own annotations kept.
    const { team, 'ripcord.dev/rolled-back': mark } = w.annotations();
    expect(team).toBe('venues');
    expect(JSON.parse(mark ?? '{}')).toMatchObject({ colour: 'blue', run: 'r-1' });
  });

  it('switch: refused when blue lost its ready pods since the plan — the write would black out traffic', async () => {
    const w = world({ selector: { app: 'venue-service', version: 'green' }, blueReady: 1 });
    await expect(
      w.handlers[BLUE_GREEN_STEP_KINDS.switchSelector]?.apply(switchToBlue, ctx()),
    ).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /has 1 ready replica\(s\), fewer than the 2 it must serve: switching service\/venue-service now would black out traffic/,
      ),
    });
    expect(w.writes).toEqual([]);
  });

  it('switch: refused when the selector moved since the plan; --force overrides and records it', async () => {
    const w = world({ selector: { app: 'venue-service', version: 'purple' }, blueReady: 2 });
    const h = w.handlers[BLUE_GREEN_STEP_KINDS.switchSelector];
    await expect(h?.apply(switchToBlue, ctx())).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /selector changed since the plan was made \(app=venue-service,version=green -> app=venue-service,version=purple\)/,
      ),
    });
    expect(w.writes).toEqual([]);
    await expect(h?.apply(switchToBlue, ctx(true))).resolves.toMatchObject({
      switched: true,
      forced: { overrode: expect.any(String) },
    });
  });

  it('wait-ready: a colour that never gets ready is scaled back and the rollback refused, naming why', async () => {
    const w = world({ selector: { app: 'venue-service', version: 'green' }, blueReady: 0 });
    const wait = step(BLUE_GREEN_STEP_KINDS.waitReady, {
      namespace: 'ns',
      deployment: 'venue-service-blue',
      readyReplicas: 2,
      timeoutMs: 5,
      restoreReplicas: 0,
    });
    await expect(w.handlers[BLUE_GREEN_STEP_KINDS.waitReady]?.apply(wait, ctx())).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /venue-service-blue-1: ImagePullBackOff.*scaled back to 0; the selector was not switched/,
      ),
    });
    expect(w.writes).toEqual(['scale venue-service-blue 0']);
    expect(w.selector()).toEqual({ app: 'venue-service', version: 'green' });
  });
});

describe('scale-down re-checks that the Deployment no longer gets traffic (after the drain, and on resume)', () => {
  const scaleDown = (notServing: unknown) =>
    step(BLUE_GREEN_STEP_KINDS.scale, {
      namespace: 'ns',
      deployment: 'venue-service-green',
      deploymentUid: '',
      replicas: 0,
      afterMs: 0,
      notServing,
    });
  const bySelector = { kind: 'selector', service: 'venue-service', key: 'version', value: 'green' };

  it('blue-green: someone switched the Service back to green during the drain: refused, green keeps its pods', async () => {
    const w = world({ selector: { app: 'venue-service', version: 'green' }, blueReady: 2 });
    await expect(
      w.handlers[BLUE_GREEN_STEP_KINDS.scale]?.apply(scaleDown(bySelector), ctx()),
    ).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /^service\/venue-service selects version=green again since the plan was made: deployment\/venue-service-green still serves, so it was not scaled to 0/,
      ),
    });
    expect(w.writes).toEqual([]);
  });

  it('blue-green: the Service still selects blue: green is scaled to 0', async () => {
    const w = world({ selector: { app: 'venue-service', version: 'blue' }, blueReady: 2 });
    await expect(
      w.handlers[BLUE_GREEN_STEP_KINDS.scale]?.apply(scaleDown(bySelector), ctx()),
    ).resolves.toMatchObject({ scaled: true });
    expect(w.writes).toEqual(['scale venue-service-green 0']);
  });

  it('canary: the route sends traffic to the canary again (a promotion, a manual shift): refused', async () => {
    const writes: string[] = [];
    let canaryWeight = 30;
    // The canary's scale-down is the shared replica step, with the route as its re-check.
    const handlers = createReplicaHandlers({
      kube: {
        snapshot: async () => ({ deployment: { spec: { replicas: 1 } }, replicaSets: [] }),
      } as unknown as KubernetesPort,
      scale: {
        getScale: async () => ({ replicas: 1, readyReplicas: 1, resourceVersion: '1' }),
        setReplicas: async (_ns, d, n) => void writes.push(`scale ${d} ${n}`),
      },
      router: () =>
        ({
          getWeights: async () => ({
            weights: { stable: 100 - canaryWeight, canary: canaryWeight },
            resourceVersion: '1',
          }),
          setWeights: async () => undefined,
        }) as never,
    });
    const byWeight = {
      kind: 'weight',
      ref: { namespace: 'ns', kind: 'VirtualService', name: 'venue-service' },
      backend: 'canary',
    };
    const h = handlers[BLUE_GREEN_STEP_KINDS.scale];
    await expect(h?.apply(scaleDown(byWeight), ctx())).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /^VirtualService\/venue-service sends 30% to canary again since the plan was made/,
      ),
    });
    expect(writes).toEqual([]);
    canaryWeight = 0;
    await expect(h?.apply(scaleDown(byWeight), ctx())).resolves.toMatchObject({ scaled: true });
    expect(writes).toEqual(['scale venue-service-green 0']);
  });
});

describe('switch re-checks what the target colour runs (issue 26, hole 3)', () => {
  const blue = (image: string, status: Record<string, number>) => ({
    metadata: { generation: 2 },
    spec: {
      replicas: 2,
      selector: { matchLabels: { version: 'blue' } },
      template: { spec: { containers: [{ name: 'venue-service', image }] } },
    },
    status,
  });
  const settled = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2 };
  const planned = step(BLUE_GREEN_STEP_KINDS.switchSelector, {
    ...(switchToBlue.desired as object),
    targetImages: ['venue-service:v1.2.2'],
  });

  it('the release the plan saw, rollout complete: switched', async () => {
    const w = world({
      selector: { app: 'venue-service', version: 'green' },
      blueReady: 2,
      target: blue('venue-service:v1.2.2', settled),
    });
    await expect(
      w.handlers[BLUE_GREEN_STEP_KINDS.switchSelector]?.apply(planned, ctx()),
    ).resolves.toMatchObject({
      switched: true,
    });
  });

  it('a release deployed to the idle colour since the plan: refused, the selector never moves', async () => {
    const w = world({
      selector: { app: 'venue-service', version: 'green' },
      blueReady: 2,
      target: blue('venue-service:v1.2.4', settled),
    });
    await expect(
      w.handlers[BLUE_GREEN_STEP_KINDS.switchSelector]?.apply(planned, ctx()),
    ).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /^deployment\/venue-service-blue's template changed since the plan was made \(venue-service:v1\.2\.2 -> venue-service:v1\.2\.4\)/,
      ),
    });
    expect(w.writes).toEqual([]);
  });

  it('a rollout in progress (old pods still ready): refused, the selector never moves', async () => {
    const w = world({
      selector: { app: 'venue-service', version: 'green' },
      blueReady: 2,
      target: blue('venue-service:v1.2.2', {
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 1,
        readyReplicas: 2,
      }),
    });
    await expect(
      w.handlers[BLUE_GREEN_STEP_KINDS.switchSelector]?.apply(planned, ctx()),
    ).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/is in the middle of a rollout \(1 of 2 updated, 3 pods\)/),
    });
    expect(w.writes).toEqual([]);
  });
});
