import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts } from '../../src/adapters/alertmanager/client.js';
import { createPrometheusClient } from '../../src/adapters/prometheus/client.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { isAlive, waitFor } from '../../src/sandbox/process.js';
import { runLoad } from '../../src/sandbox/load/index.js';
import { sandboxPaths } from '../../src/sandbox/state.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import {
  adminKubeConfig,
  deployVenueService,
  kubectl,
  sandbox,
  testNamespace,
  versionsServed,
} from '../support/sandbox.js';

/** PIDs of the container processes the kubelet runs for pods in `namespace`, from its records. */
function containerPids(namespace: string): Map<string, number> {
  const dir = sandboxPaths(sandbox().dir).kubeletPods;
  const out = new Map<string, number>();
  for (const f of readdirSync(dir)) {
    const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
      pid: number;
      namespace: string;
      name: string;
    };
    if (rec.namespace === namespace) out.set(rec.name, rec.pid);
  }
  return out;
}

describe('sandbox: venue-service on a real control plane, kubelet, router, Prometheus and Alertmanager', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;

  beforeAll(async () => {
    ns = await testNamespace('sbx');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 3 });
  });
  afterAll(async () => ns?.cleanup());

  it('registers a Ready node that kubectl sees', async () => {
    const res = await kubectl(['get', 'nodes', '-o', 'json']);
    expect(res.code).toBe(0);
    const nodes = JSON.parse(res.stdout) as {
      items: Array<{
        metadata: { name: string };
        status: { conditions: Array<{ type: string; status: string }> };
      }>;
    };
    const node = nodes.items.find((n) => n.metadata.name === 'sandbox-node');
    expect(node?.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('runs v1.2.2 as 3 real processes answering through the router', async () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=venue-service' });
    const running = pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
    expect(running).toHaveLength(3);
    expect(new Set(running.map((p) => p.status?.podIP)).size).toBe(3);
    const pids = containerPids(ns.name);
    expect(pids.size).toBe(3);
    for (const pid of pids.values()) expect(isAlive(pid)).toBe(true);
    const served = await versionsServed(url, 30);
    expect(served).toEqual({ 'v1.2.2': 30 });
  });

  it('replaces the processes on deploy v1.2.3, measures its 5xx share in Prometheus and fires the alert', async () => {
    const kc = adminKubeConfig();
    const before = containerPids(ns.name);
    await deployRelease(kc, { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitForDeploymentRollout(kc, ns.name, 'venue-service', { timeoutMs: 120_000 });
    await waitFor(
      'old venue-service processes to exit',
      async () => [...before.values()].every((p) => !isAlive(p)),
      30_000,
    );
    expect(await versionsServed(url, 20)).toEqual({ 'v1.2.3': 20 });

    const st = sandbox();
    const promUrl = st.prometheus?.url ?? '';
    const amUrl = st.alertmanager?.url ?? '';
    const stop = new AbortController();
    const load = runLoad({ url, rps: 60, durationMs: 120_000, writeShare: 0.2, signal: stop.signal });
    const query =
      `sum(rate(http_requests_total{namespace="${ns.name}",route=~"/api/venues.*",route!="/api/venues/health",status=~"5.."}[30s]))` +
      ` / sum(rate(http_requests_total{namespace="${ns.name}",route=~"/api/venues.*",route!="/api/venues/health"}[30s]))`;
    try {
      let share = NaN;
      await waitFor(
        'Prometheus to see the 5xx share of v1.2.3',
        async () => {
          const r = await createPrometheusClient({ baseUrl: promUrl }).instant(query);
          share = r[0]?.value ?? NaN;
          return Number.isFinite(share) && share > 0.02 && share < 0.1;
        },
        90_000,
        2000,
      );
      expect(share).toBeGreaterThan(0.02);
      expect(share).toBeLessThan(0.1);
      await waitFor(
        'Alertmanager to show VenueServiceHighErrorRate firing for the namespace',
        async () =>
          (await alerts(amUrl, { alertname: 'VenueServiceHighErrorRate', namespace: ns.name })).some(
            (a) => a.status.state === 'active',
          ),
        90_000,
        2000,
      );
    } finally {
      stop.abort();
      await load;
    }
  });

  it('kubectl rollout undo brings back v1.2.2 and the router then serves only v1.2.2', async () => {
    const res = await kubectl(['rollout', 'undo', 'deployment/venue-service', '-n', ns.name]);
    expect(res.code, res.stderr).toBe(0);
    const status = await kubectl([
      'rollout',
      'status',
      'deployment/venue-service',
      '-n',
      ns.name,
      '--timeout=120s',
    ]);
    expect(status.code, status.stderr).toBe(0);
    await waitFor(
      'only ready v1.2.2 pods behind the router',
      async () => {
        const v = await versionsServed(url, 10);
        return Object.keys(v).length === 1 && v['v1.2.2'] === 10;
      },
      30_000,
    );
    expect(await versionsServed(url, 100)).toEqual({ 'v1.2.2': 100 });
  });
});
