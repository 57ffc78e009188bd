import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeBinaries } from '../../src/sandbox/control-plane/binaries.js';
import { loadKubeConfig } from '../../src/sandbox/kube-clients.js';
import { waitFor } from '../../src/sandbox/process.js';
import { installSandboxCrds } from '../../src/sandbox/router/sandbox-crds.js';
import { startRouter, type RunningRouter } from '../../src/sandbox/router/router.js';
import type { RouterLog } from '../../src/sandbox/router/router-log.js';
import { readRoutes, waitForRoute } from '../../src/sandbox/router/routes.js';
import { sandbox } from '../support/sandbox.js';
import { createFakePod, hits, podNetwork, releasePod, servePod, setPodStatus } from '../support/fake-pods.js';

/*
 * A second router, in-process, against the sandbox's real kube-apiserver. The test plays the kubelet itself
 * (plain Pods with a scheduler name nobody serves, pods/status and HTTP servers on the pods' loopback IPs),
 * so it controls readiness exactly.
 */
const execFileP = promisify(execFile);

describe('sandbox router on a real apiserver', () => {
  const kubeconfig = sandbox().kube.kubeconfig;
  const ns = `router-it-${randomBytes(3).toString('hex')}`;
  const ip = podNetwork();
  const servers: Server[] = [];
  const routingLog: string[] = [];
  let kc: KubeConfig;
  let core: CoreV1Api;
  let router: RunningRouter | undefined;
  let dir: string;
  let routesFile: string;

  // The router's "routing changed" lines tell the test when a change has reached it, without sleeping.
  const log: RouterLog = (_level, msg, fields) => {
    if (fields?.target && typeof fields.target === 'string' && fields.target.startsWith(`${ns}/`)) {
      routingLog.push(`${msg} ${fields.target} ${String(fields.routing ?? '')}`);
    }
  };

  const service = async (
    name: string,
    selector: Record<string, string>,
    ports: Array<{ name?: string; port: number; targetPort?: number | string; protocol?: string }>,
  ) => {
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name }, spec: { selector, ports } },
    });
    return waitForRoute(routesFile, ns, name, 15_000);
  };

  const pod = async (
    name: string,
    labels: Record<string, string>,
    n: number,
    version: string,
    opts: { ready?: boolean; holdOnDelete?: boolean; serve?: boolean } = {},
  ) => {
    if (opts.serve !== false) servers.push(await servePod(ip(n), 8080, name, version));
    await createFakePod(core, ns, {
      name,
      labels,
      ip: ip(n),
      ready: opts.ready,
      holdOnDelete: opts.holdOnDelete,
    });
  };

  beforeAll(async () => {
    kc = loadKubeConfig(kubeconfig ?? '');
    core = kc.makeApiClient(CoreV1Api);
    dir = mkdtempSync(join(tmpdir(), 'ripcord-router-'));
    routesFile = join(dir, 'router', 'routes.json');
    await core.createNamespace({ body: { metadata: { name: ns, labels: { 'ripcord.dev/test': 'true' } } } });
    // The router starts first: on a fresh control plane the Istio CRDs are absent and it must cope.
    router = await startRouter({ kc, routesFile, log });
    await installSandboxCrds(kc);
  });

  afterAll(async () => {
    await router?.stop();
    for (const s of servers) s.close();
    if (core) {
      const pods = await core.listNamespacedPod({ namespace: ns }).catch(() => undefined);
      for (const p of pods?.items ?? []) {
        if (p.metadata?.finalizers?.length)
          await releasePod(core, ns, p.metadata.name ?? '').catch(() => undefined);
      }
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let venueUrl = '';

  it('spreads requests round-robin over the 3 Ready pods, through a named targetPort', async () => {
    const app = { app: 'venue' };
    await pod('venue-a', app, 1, 'v1');
    await pod('venue-b', app, 2, 'v1');
    await pod('venue-c', app, 3, 'v1', { holdOnDelete: true });
    venueUrl = await service('venue', app, [{ name: 'http', port: 80, targetPort: 'http' }]);
    await waitFor(
      'all 3 pods behind the router',
      async () => Object.keys(await hits(venueUrl, 6)).length === 3,
      15_000,
    );

    const res = await fetch(`${venueUrl}/api/venues?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-venue-version')).toBe('v1');
    expect(res.headers.get('x-sandbox-pod')).toMatch(/^venue-[abc]$/);
    expect(await res.json()).toMatchObject({ port: 8080, path: '/api/venues?x=1' });

    expect(await hits(venueUrl, 300)).toEqual({ 'venue-a': 100, 'venue-b': 100, 'venue-c': 100 });
  });

  it('sends nothing to a pod whose Ready condition turns False', async () => {
    await setPodStatus(core, ns, 'venue-b', ip(2), false);
    await waitFor('venue-b out of rotation', async () => !('venue-b' in (await hits(venueUrl, 6))), 15_000);
    expect(await hits(venueUrl, 200)).toEqual({ 'venue-a': 100, 'venue-c': 100 });
  });

  it('sends nothing to a pod being deleted', async () => {
    await core.deleteNamespacedPod({ name: 'venue-c', namespace: ns });
    const held = await core.readNamespacedPod({ name: 'venue-c', namespace: ns });
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    await waitFor('venue-c out of rotation', async () => !('venue-c' in (await hits(venueUrl, 4))), 15_000);
    expect(await hits(venueUrl, 50)).toEqual({ 'venue-a': 50 });
    await releasePod(core, ns, 'venue-c');
  });

  it('answers 503 with a reason when no pod is Ready', async () => {
    await setPodStatus(core, ns, 'venue-a', ip(1), false);
    await waitFor('no endpoints left', async () => (await fetch(venueUrl)).status === 503, 15_000);
    const res = await fetch(`${venueUrl}/api/venues`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain(`no ready endpoints for service ${ns}/venue:80`);
    await setPodStatus(core, ns, 'venue-a', ip(1), true);
    await setPodStatus(core, ns, 'venue-b', ip(2), true);
    await waitFor(
      'venue-a and venue-b back',
      async () => Object.keys(await hits(venueUrl, 4)).length === 2,
      15_000,
    );
  });

  it('answers 502 when the pod refuses, and retries an idempotent GET on another pod', async () => {
    const app = { app: 'flaky' };
    await pod('flaky-dead', app, 10, 'v1', { serve: false });
    const url = await service('flaky', app, [{ port: 8080 }]);
    await waitFor('flaky-dead behind the router', async () => (await fetch(url)).status !== 503, 15_000);
    const res = await fetch(`${url}/api/venues`);
    expect(res.status).toBe(502);
    expect(res.headers.get('x-sandbox-pod')).toBe('flaky-dead');
    expect(await res.text()).toMatch(/upstream pod flaky-dead .* failed: ECONNREFUSED/);

    await pod('flaky-live', app, 11, 'v1');
    await waitFor('flaky-live behind the router', async () => 'flaky-live' in (await hits(url, 4)), 15_000);
    expect(await hits(url, 20)).toEqual({ 'flaky-live': 20 });
    const posts = await hits(url, 10, { method: 'POST' });
    // POST is not replayed: the turns that land on the dead pod stay 502.
    expect(posts).toEqual({ 'flaky-live': 5, 'status-502': 5 });
  });

  it('splits traffic by VirtualService weights over DestinationRule subsets, and the runbook patch moves it all to stable', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    await pod('shop-stable-1', { app: 'shop', track: 'stable' }, 21, 'v1.2.2');
    await pod('shop-stable-2', { app: 'shop', track: 'stable' }, 22, 'v1.2.2');
    await pod('shop-canary-1', { app: 'shop', track: 'canary' }, 23, 'v1.2.3');
    const url = await service('shop', { app: 'shop' }, [{ name: 'http', port: 80, targetPort: 8080 }]);
    await custom.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1beta1',
      namespace: ns,
      plural: 'destinationrules',
      body: {
        apiVersion: 'networking.istio.io/v1beta1',
        kind: 'DestinationRule',
        metadata: { name: 'shop' },
        spec: {
          host: 'shop',
          subsets: [
            { name: 'stable', labels: { track: 'stable' } },
            { name: 'canary', labels: { track: 'canary' } },
          ],
        },
      },
    });
    // Created through v1alpha3 on purpose: the router reads it through whichever version is served.
    await custom.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1alpha3',
      namespace: ns,
      plural: 'virtualservices',
      body: {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'VirtualService',
        metadata: { name: 'shop' },
        spec: {
          hosts: [`shop.${ns}.svc.cluster.local`],
          http: [
            {
              route: [
                { destination: { host: 'shop', subset: 'stable' }, weight: 90 },
                { destination: { host: 'shop', subset: 'canary' }, weight: 10 },
              ],
            },
          ],
        },
      },
    });
    await waitFor(
      'the router to apply the 90/10 split',
      async () =>
        routingLog.some((l) => l.includes(`${ns}/shop:80`) && l.includes('shop/canary=10[shop-canary-1]')),
      20_000,
    );
    const seen = await hits(url, 1000);
    const canary = seen['shop-canary-1'] ?? 0;
    expect((seen['shop-stable-1'] ?? 0) + (seen['shop-stable-2'] ?? 0) + canary).toBe(1000);
    // Binomial(1000, 0.1): sd ≈ 9.5, so 60..140 is more than 4 sd either way.
    expect(canary).toBeGreaterThan(60);
    expect(canary).toBeLessThan(140);

    // Runbook section 6, verbatim apart from the namespace.
    await execFileP(kubeBinaries().kubectl, [
      '--kubeconfig',
      kubeconfig ?? '',
      'patch',
      'virtualservice',
      'shop',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"http":[{"route":[{"destination":{"host":"shop","subset":"stable"},"weight":100}]}]}}',
    ]);
    await waitFor(
      'the router to apply 100% stable',
      async () =>
        routingLog.some(
          (l) => l.includes(`${ns}/shop:80`) && l.endsWith('shop/stable=100[shop-stable-1 shop-stable-2]'),
        ),
      20_000,
    );
    expect(await hits(url, 200)).toEqual({ 'shop-stable-1': 100, 'shop-stable-2': 100 });
  });

  it('takes every http route in order: a header match to the canary, and a mirror whose copies get no answer back', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const istio = { group: 'networking.istio.io', version: 'v1beta1', namespace: ns };
    await pod('mir-stable-1', { app: 'mir', track: 'stable' }, 41, 'v1.2.2');
    // The canary pod's own server counts what reaches it, mirrored copies included (they are never answered
    // back to the client, so only the pod can tell).
    const canaryHosts: string[] = [];
    const canaryServer = await servePod(ip(42), 8080, 'mir-canary-1', 'v1.2.3');
    canaryServer.on('request', (req: { headers: { host?: string } }) =>
      canaryHosts.push(req.headers.host ?? ''),
    );
    servers.push(canaryServer);
    await createFakePod(core, ns, {
      name: 'mir-canary-1',
      labels: { app: 'mir', track: 'canary' },
      ip: ip(42),
    });
    const url = await service('mir', { app: 'mir' }, [{ name: 'http', port: 80, targetPort: 8080 }]);
    await custom.createNamespacedCustomObject({
      ...istio,
      plural: 'destinationrules',
      body: {
        apiVersion: 'networking.istio.io/v1beta1',
        kind: 'DestinationRule',
        metadata: { name: 'mir' },
        spec: {
          host: 'mir',
          subsets: [
            { name: 'stable', labels: { track: 'stable' } },
            { name: 'canary', labels: { track: 'canary' } },
          ],
        },
      },
    });
    const to = (subset: string, weight?: number) => ({
      destination: { host: 'mir', subset },
      ...(weight === undefined ? {} : { weight }),
    });
    await custom.createNamespacedCustomObject({
      ...istio,
      plural: 'virtualservices',
      body: {
        apiVersion: 'networking.istio.io/v1beta1',
        kind: 'VirtualService',
        metadata: { name: 'mir' },
        spec: {
          hosts: ['mir'],
          http: [
            {
              name: 'testers',
              match: [{ headers: { 'x-canary': { exact: 'always' } } }],
              route: [to('canary')],
            },
            // Istio: among several destinations an absent weight is 0; the mirror copies every request.
            {
              name: 'primary',
              route: [to('stable', 100), to('canary')],
              mirror: { host: 'mir', subset: 'canary' },
            },
          ],
        },
      },
    });
    await waitFor(
      'the router to apply the header route and the mirror',
      async () =>
        routingLog.some(
          (l) => l.includes(`${ns}/mir:80`) && l.includes('mirror 100% mir/canary=0[mir-canary-1]'),
        ),
      20_000,
    );
    expect(await hits(url, 20)).toEqual({ 'mir-stable-1': 20 });
    await waitFor('20 mirrored copies at the canary', async () => canaryHosts.length >= 20, 10_000);
    expect(canaryHosts.length).toBe(20);
    // Envoy's shadow host: what lets a mirrored service tell copies from real requests.
    expect(canaryHosts.every((h) => h.endsWith('-shadow'))).toBe(true);
    expect(await hits(url, 10, { headers: { 'x-canary': 'always' } })).toEqual({ 'mir-canary-1': 10 });
    expect(await hits(url, 10, { headers: { 'x-canary': 'never' } })).toEqual({ 'mir-stable-1': 10 });
  });

  it('writes every TCP port of a Service to the routes file and follows port changes', async () => {
    const app = { app: 'multi' };
    servers.push(await servePod(ip(31), 9100, 'multi-1', 'v1'));
    await createFakePod(core, ns, {
      name: 'multi-1',
      labels: app,
      ip: ip(31),
      ports: [
        { name: 'http', containerPort: 8080 },
        { name: 'metrics', containerPort: 9100 },
      ],
    });
    servers.push(await servePod(ip(31), 8080, 'multi-1', 'v1'));
    await service('multi', app, [
      { name: 'http', port: 80, targetPort: 'http' },
      { name: 'metrics', port: 9090, targetPort: 'metrics' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ]);
    const entry = readRoutes(routesFile)[`${ns}/multi`];
    expect(entry && Object.keys(entry.ports).sort()).toEqual(['80', '9090']);
    expect(entry?.url).toBe(entry?.ports['80']);
    expect(entry?.ports['9090']).not.toBe(entry?.url);
    await waitFor(
      'multi-1 behind the router',
      async () => (await fetch(entry?.ports['9090'] ?? '')).status === 200,
      15_000,
    );
    expect(await (await fetch(`${entry?.ports['9090']}/metrics`)).json()).toMatchObject({
      pod: 'multi-1',
      port: 9100,
    });
    expect(await (await fetch(`${entry?.url}/`)).json()).toMatchObject({ pod: 'multi-1', port: 8080 });

    const live = await core.readNamespacedService({ name: 'multi', namespace: ns });
    live.spec!.ports = [
      { name: 'http', port: 80, targetPort: 'http' },
      { name: 'metrics', port: 9191, targetPort: 'metrics' },
    ];
    await core.replaceNamespacedService({ name: 'multi', namespace: ns, body: live });
    await waitFor(
      'the routes file to follow the port change',
      async () => '9191' in (readRoutes(routesFile)[`${ns}/multi`]?.ports ?? {}),
      15_000,
    );
    const after = readRoutes(routesFile)[`${ns}/multi`];
    expect(Object.keys(after?.ports ?? {}).sort()).toEqual(['80', '9191']);
    expect(after?.url).toBe(entry?.url);
    await expect(fetch(entry?.ports['9090'] ?? '')).rejects.toThrow();
    expect(await (await fetch(`${after?.ports['9191']}/metrics`)).json()).toMatchObject({ port: 9100 });
  });

  it('closes the listener and drops the route when the Service is deleted', async () => {
    const url = readRoutes(routesFile)[`${ns}/venue`]?.url;
    expect(url).toBe(venueUrl);
    await core.deleteNamespacedService({ name: 'venue', namespace: ns });
    await waitFor('the route to go', async () => readRoutes(routesFile)[`${ns}/venue`] === undefined, 15_000);
    await expect(fetch(venueUrl)).rejects.toThrow();
    expect(readRoutes(routesFile)[`${ns}/shop`]).toBeDefined();
  });

  it('leaves out kube-system and default/kubernetes', () => {
    const keys = Object.keys(readRoutes(routesFile));
    expect(keys).not.toContain('default/kubernetes');
    expect(keys.some((k) => k.startsWith('kube-system/'))).toBe(false);
  });
});
