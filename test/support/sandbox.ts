import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { createDatabase, dropDatabase } from '../../src/sandbox/postgres.js';
import { deployBlueGreen } from '../../src/sandbox/blue-green.js';
import { deployCanary } from '../../src/sandbox/canary.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { loadKubeConfig } from '../../src/sandbox/kube-clients.js';
import { waitForRoute } from '../../src/sandbox/router/routes.js';
import { putDatabaseSecret } from '../../src/sandbox/sandbox.js';
import { readState, sandboxPaths, type SandboxState } from '../../src/sandbox/state.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';

/** The running sandbox of this e2e run (started by global-setup.ts); throws loudly if there is none. */
export function sandbox(): SandboxState {
  const dir = inject('sandboxDir');
  const state = readState(dir);
  if (!state) throw new Error(`no sandbox state in ${dir}: the e2e global setup did not start one`);
  return state;
}

export function adminKubeConfig(): KubeConfig {
  return loadKubeConfig(sandbox().kube.kubeconfig);
}

/** A fresh namespace for one test file, deleted (with its database) by the returned cleanup. */
export async function testNamespace(prefix: string): Promise<{ name: string; cleanup: () => Promise<void> }> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'ripcord.dev/test': 'true' } } } });
  return {
    name,
    cleanup: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
      const pg = sandbox().postgres;
      if (pg) await dropDatabase(pg.url, dbName(name)).catch(() => undefined);
    },
  };
}

/** venue-service's own database for `namespace`, handed to its pods as Secret venue-service-db. */
export async function venueDatabase(namespace: string): Promise<void> {
  const st = sandbox();
  if (!st.postgres) throw new Error('the sandbox has no PostgreSQL');
  const url = await createDatabase(st.postgres.url, dbName(namespace));
  await putDatabaseSecret(adminKubeConfig(), namespace, url);
}

/** The router URL of `namespace`'s venue-service Service, once the router listens for it. */
export function venueRoute(namespace: string): Promise<string> {
  return waitForRoute(sandboxPaths(sandbox().dir).routes, namespace, 'venue-service', 30_000);
}

function dbName(namespace: string): string {
  return `venues_${namespace.replace(/[^a-z0-9]/g, '_')}`;
}

/** Runs the sandbox's kubectl (Debian's 1.20.2 client) against the sandbox. */
export function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const st = sandbox();
  return new Promise((resolve) => {
    execFile(
      join(st.kube.binDir, 'kubectl'),
      ['--kubeconfig', st.kube.kubeconfig, ...args],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Deploys venue-service at `tag` into `namespace` with its own database, waits for the rollout, and returns
 * the router URL of its Service.
 */
export async function deployVenueService(
  namespace: string,
  tag: string,
  opts: { replicas?: number; timeoutMs?: number } = {},
): Promise<string> {
  const kc = adminKubeConfig();
  await venueDatabase(namespace);
  await deployRelease(kc, { namespace, image: `venue-service:${tag}`, replicas: opts.replicas });
  await waitForDeploymentRollout(kc, namespace, 'venue-service', { timeoutMs: opts.timeoutMs ?? 120_000 });
  return venueRoute(namespace);
}

/**
 * Deploys venue-service at `tag` blue-green (the idle colour gets it, then the Service switches to it) with the
 * namespace's database, and returns the router URL of the Service.
 */
export async function deployBlueGreenVenue(
  namespace: string,
  tag: string,
  opts: { replicas?: number } = {},
): Promise<{ url: string; from?: string; to: string }> {
  const st = sandbox();
  const kc = adminKubeConfig();
  if (!st.postgres) throw new Error('the sandbox has no PostgreSQL');
  const db = await createDatabase(st.postgres.url, dbName(namespace));
  await putDatabaseSecret(kc, namespace, db);
  const r = await deployBlueGreen(kc, {
    namespace,
    image: `venue-service:${tag}`,
    replicas: opts.replicas ?? 2,
  });
  const url = await waitForRoute(sandboxPaths(st.dir).routes, namespace, 'venue-service', 30_000);
  return { url, ...(r.from ? { from: r.from } : {}), to: r.to };
}

/**
 * Deploys venue-service as runbook 6's canary (examples/venue-service/manifests/canary/: stable v1.2.2 with 2
 * pods, the canary at `tag` with 1, split by `router`) with the namespace's database, waits until both
 * releases answer through the Service, and returns its router URL.
 */
export async function deployCanaryVenue(
  namespace: string,
  opts: { tag?: string; weight: number; router: 'VirtualService' | 'HTTPRoute' },
): Promise<string> {
  const st = sandbox();
  const kc = adminKubeConfig();
  if (!st.postgres) throw new Error('the sandbox has no PostgreSQL');
  await putDatabaseSecret(kc, namespace, await createDatabase(st.postgres.url, dbName(namespace)));
  await deployCanary(kc, {
    namespace,
    image: `venue-service:${opts.tag ?? 'v1.2.3'}`,
    weight: opts.weight,
    router: opts.router,
    replicas: 2,
    canaryReplicas: 1,
    timeoutMs: 120_000,
  });
  const url = await waitForRoute(sandboxPaths(st.dir).routes, namespace, 'venue-service', 30_000);
  const end = Date.now() + 60_000;
  for (;;) {
    const seen = await versionsServed(url, 20);
    if (Object.keys(seen).length >= 2 && !Object.keys(seen).some((v) => v.startsWith('status-'))) return url;
    if (Date.now() > end)
      throw new Error(`the canary split never served both releases: ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Versions that answered `n` GETs through `url`, counted by the x-venue-version header. */
export async function versionsServed(url: string, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/api/venues/health`);
    await res.arrayBuffer();
    const v = res.headers.get('x-venue-version') ?? `status-${res.status}`;
    seen[v] = (seen[v] ?? 0) + 1;
  }
  return seen;
}
