/**
 * Issue 29: a canary rollback reaches every route to the canary, not just the managed weights. On the sandbox
 * (whose router takes every route in order, with header matches and mirrors, as Istio and Gateway API
 * implementations do), each topology gets a header route for testers, a mirror to the canary and the 80/20
 * split; Istio also a gateway VirtualService and an unrelated one. The rollback runs with --keep, so the canary
 * pod still runs and its own request counter shows whether anything (mirrored copies included) reaches it.
 */
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTPROUTE_CANARY_SECTION, ISTIO_CANARY_SECTION } from '../support/canary-rollback.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployCanaryVenue, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const ISTIO = { group: 'networking.istio.io', version: 'v1beta1', plural: 'virtualservices' };
const GATEWAY = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };
const custom = () => adminKubeConfig().makeApiClient(CustomObjectsApi);
const core = () => adminKubeConfig().makeApiClient(CoreV1Api);

type Obj = { metadata: { resourceVersion: string }; spec: Record<string, unknown> };
type Api = typeof ISTIO | typeof GATEWAY;

const read = async (api: Api, namespace: string, name: string) =>
  (await custom().getNamespacedCustomObject({ ...api, namespace, name })) as Obj;

async function jsonPatch(api: Api, namespace: string, name: string, body: unknown[]): Promise<void> {
  await custom().patchNamespacedCustomObject(
    { ...api, namespace, name, body },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
}

/** Which release answered `n` GETs of /api/venues, with the given headers. */
async function answeredBy(url: string, n: number, headers: Record<string, string> = {}) {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/api/venues`, { headers });
    await res.arrayBuffer();
    const v = res.headers.get('x-venue-version') ?? `status-${res.status}`;
    seen[v] = (seen[v] ?? 0) + 1;
  }
  return seen;
}

/**
 * GET /api/venues requests the canary pod itself has answered (its http_requests_total, every status): real
 * and mirrored ones alike, and nothing else (the kubelet's probes use /api/venues/health).
 */
async function canaryServed(namespace: string): Promise<number> {
  const pods = await core().listNamespacedPod({ namespace });
  const pod = pods.items.find(
    (p) =>
      p.metadata?.name?.startsWith('venue-service-canary-') &&
      p.status?.podIP &&
      !p.metadata.deletionTimestamp,
  );
  const port = pod?.spec?.containers[0]?.ports?.find((p) => p.name === 'http')?.containerPort;
  if (!pod || !port) throw new Error(`no running canary pod in ${namespace}`);
  const text = await (await fetch(`http://${pod.status?.podIP}:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('http_requests_total{') &&
        l.includes('method="GET"') &&
        l.includes('route="/api/venues"'),
    )
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Waits until the router serves the patched routes: header requests answered by the canary. */
async function untilHeaderRoutes(url: string): Promise<void> {
  const end = Date.now() + 20_000;
  while ((await answeredBy(url, 5, { 'x-canary': 'always' }))['v1.2.3'] !== 5) {
    if (Date.now() > end) throw new Error('the router never applied the header route to the canary');
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** After the load, mirrored copies still in flight have landed: the counter stops moving. */
async function settledCount(namespace: string): Promise<number> {
  let last = await canaryServed(namespace);
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await canaryServed(namespace);
    if (now === last) return now;
    last = now;
  }
}

async function rollBackKeeping(config: string) {
  const r = await ripcord([
    '--config',
    config,
    'rollback',
    'venue-service',
    '--scenario',
    'canary',
    '--keep',
    '--yes',
    '-o',
    'json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    steps: Array<{ stepId: string; status: string; evidence?: Record<string, unknown> }>;
  };
}

describe('canary rollback on Istio: every route to the canary, in every VirtualService', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url = '';
  let config = '';
  beforeAll(async () => {
    ns = await testNamespace('canroutes');
    url = await deployCanaryVenue(ns.name, { weight: 20, router: 'VirtualService' });
    config = writeServiceConfig({ namespace: ns.name, url, verifyWindow: '1s', extra: ISTIO_CANARY_SECTION });
    // Testers reach the canary by header (first, as Istio wants matched routes), and the split mirrors to it.
    await jsonPatch(ISTIO, ns.name, 'venue-service', [
      {
        op: 'add',
        path: '/spec/http/0',
        value: {
          name: 'testers',
          match: [{ headers: { 'x-canary': { exact: 'always' } } }],
          route: [{ destination: { host: 'venue-service', subset: 'canary' } }],
        },
      },
      { op: 'add', path: '/spec/http/1/mirror', value: { host: 'venue-service', subset: 'canary' } },
    ]);
    const vs = (name: string, spec: Record<string, unknown>) =>
      custom().createNamespacedCustomObject({
        ...ISTIO,
        namespace: ns.name,
        body: { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name }, spec },
      });
    const fqdn = `venue-service.${ns.name}.svc.cluster.local`;
    await vs('venue-gateway', {
      hosts: ['venues.example.com'],
      gateways: ['public'],
      http: [
        {
          route: [
            { destination: { host: fqdn, subset: 'stable' }, weight: 80 },
            { destination: { host: fqdn, subset: 'canary' }, weight: 20 },
          ],
        },
      ],
    });
    await vs('payments', {
      hosts: ['payments'],
      http: [
        {
          route: [{ destination: { host: 'payments', subset: 'canary' } }],
          mirror: { host: 'payments', subset: 'canary' },
        },
      ],
    });
    await untilHeaderRoutes(url);
  }, 240_000);
  afterAll(async () => ns?.cleanup());

  it('after the rollback nothing reaches the canary, with or without the header, mirrored or not; unrelated routes are untouched', async () => {
    // Before: the mirror copies every split request to the canary (the test can fail: it sees them arrive).
    const c0 = await settledCount(ns.name);
    await answeredBy(url, 20);
    expect((await settledCount(ns.name)) - c0).toBeGreaterThanOrEqual(20);

    const before = {
      venue: await read(ISTIO, ns.name, 'venue-service'),
      gateway: await read(ISTIO, ns.name, 'venue-gateway'),
      payments: await read(ISTIO, ns.name, 'payments'),
    };
    const out = await rollBackKeeping(config);
    expect(out.steps.map((s) => s.stepId)).toEqual([
      'acquire-lock',
      'reroute-venue-service',
      'reroute-venue-gateway',
      'verify-traffic',
      'verify',
      'verify-checks',
      'release-lock',
    ]);

    const c1 = await settledCount(ns.name);
    expect(await answeredBy(url, 20, { 'x-canary': 'always' })).toEqual({ 'v1.2.2': 20 });
    expect(await answeredBy(url, 20)).toEqual({ 'v1.2.2': 20 });
    expect((await settledCount(ns.name)) - c1).toBe(0);

    const venue = await read(ISTIO, ns.name, 'venue-service');
    const http = venue.spec.http as Array<Record<string, unknown>>;
    const was = before.venue.spec.http as Array<Record<string, unknown>>;
    expect(http[0]?.route).toEqual([{ destination: { host: 'venue-service', subset: 'stable' } }]);
    // The split keeps its retries and header rule; only the weights moved and the mirror went.
    const { mirror: _m, ...primaryWithoutMirror } = was[1] ?? {};
    expect(http[1]).toEqual({
      ...primaryWithoutMirror,
      route: [
        { destination: { host: 'venue-service', subset: 'stable' }, weight: 100 },
        { destination: { host: 'venue-service', subset: 'canary' }, weight: 0 },
      ],
    });
    expect(http[2]).toEqual(was[2]);
    const gateway = (await read(ISTIO, ns.name, 'venue-gateway')).spec.http as Array<{
      route: Array<{ weight: number }>;
    }>;
    expect(gateway[0]?.route.map((r) => r.weight)).toEqual([100, 0]);
    expect((await read(ISTIO, ns.name, 'payments')).metadata.resourceVersion).toBe(
      before.payments.metadata.resourceVersion,
    );
    expect(before.gateway.metadata.resourceVersion).not.toBe(
      (await read(ISTIO, ns.name, 'venue-gateway')).metadata.resourceVersion,
    );

    // From the cluster, not this machine's journal: nothing reaches the canary, and --keep keeps it running.
    const again = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'canary',
      '--keep',
      '--yes',
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/already sends 100% to stable.*nothing to do/);
  }, 180_000);
});

describe('canary rollback on a Gateway API HTTPRoute: every rule to the canary, and its mirror', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url = '';
  let config = '';
  beforeAll(async () => {
    ns = await testNamespace('canroutes-gw');
    url = await deployCanaryVenue(ns.name, { weight: 20, router: 'HTTPRoute' });
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      verifyWindow: '1s',
      extra: HTTPROUTE_CANARY_SECTION,
    });
    await jsonPatch(GATEWAY, ns.name, 'venue-service', [
      {
        op: 'add',
        path: '/spec/rules/-',
        value: {
          name: 'testers',
          matches: [{ headers: [{ name: 'x-canary', value: 'always' }] }],
          backendRefs: [{ name: 'venue-service-canary', port: 80 }],
        },
      },
      {
        op: 'add',
        path: '/spec/rules/0/filters',
        value: [
          {
            type: 'RequestMirror',
            requestMirror: { backendRef: { name: 'venue-service-canary', port: 80 } },
          },
        ],
      },
    ]);
    await untilHeaderRoutes(url);
  }, 240_000);
  afterAll(async () => ns?.cleanup());

  it('after the rollback the header rule goes to stable, the mirror is gone, and the /v0 rule is byte-identical', async () => {
    const c0 = await settledCount(ns.name);
    await answeredBy(url, 20);
    expect((await settledCount(ns.name)) - c0).toBeGreaterThanOrEqual(20);
    const before = await read(GATEWAY, ns.name, 'venue-service');

    const out = await rollBackKeeping(config);
    expect(out.steps.map((s) => s.stepId)).toContain('reroute-venue-service');
    const c1 = await settledCount(ns.name);
    expect(await answeredBy(url, 20, { 'x-canary': 'always' })).toEqual({ 'v1.2.2': 20 });
    expect(await answeredBy(url, 20)).toEqual({ 'v1.2.2': 20 });
    expect((await settledCount(ns.name)) - c1).toBe(0);

    const rules = (await read(GATEWAY, ns.name, 'venue-service')).spec.rules as Array<
      Record<string, unknown>
    >;
    const was = before.spec.rules as Array<Record<string, unknown>>;
    expect(rules[0]?.filters).toBeUndefined();
    expect((rules[0]?.backendRefs as Array<{ weight: number }>).map((b) => b.weight)).toEqual([100, 0]);
    expect(JSON.stringify(rules[1])).toBe(JSON.stringify(was[1]));
    expect((rules[2]?.backendRefs as Array<{ name: string }>).map((b) => b.name)).toEqual([
      'venue-service-stable',
    ]);
  }, 180_000);
});
