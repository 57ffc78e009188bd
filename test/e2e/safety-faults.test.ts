/**
 * The lock, stale plans, aborts and silent servers, on the sandbox (issue "Safety under faults"). Each test is
 * a row of docs/reliability.md's fault table. A slow rollout comes from the Deployment's minReadySeconds (a
 * spec field, not the template), which the real controller-manager honours: the rollback then holds its lock
 * for several lease periods.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isAlive, startDaemon } from '../../src/sandbox/process.js';
import { readState, writeState } from '../../src/sandbox/state.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord, spawnRipcord } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, sandbox, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);
const coord = () => adminKubeConfig().makeApiClient(CoordinationV1Api);
const LEASE_SECONDS = 6;

async function liveImage(ns: string): Promise<string | undefined> {
  const d = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns });
  return d.spec?.template.spec?.containers[0]?.image;
}

async function lease(ns: string): Promise<V1Lease | undefined> {
  return coord()
    .readNamespacedLease({ name: 'ripcord-venue-service', namespace: ns })
    .catch(() => undefined);
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && (v as unknown) !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * Kills the sandbox's kube-apiserver (SIGKILL, as a crash would) and starts it again with the same command line
 * on the same port after `downMs`, recording the new pid so `sandbox down` still stops it.
 */
async function restartApiserver(downMs: number): Promise<void> {
  const st = sandbox();
  const rec = st.processes.find((p) => p.name === 'kube-apiserver');
  if (!rec) throw new Error('the sandbox records no kube-apiserver');
  const argv = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(rec.pid, 'SIGKILL');
  await until('kube-apiserver to die', async () => (isAlive(rec.pid) ? undefined : true), 10_000);
  await sleep(downMs);
  const [command, ...args] = argv as [string, ...string[]];
  const started = startDaemon({ name: 'kube-apiserver', command, args, log: rec.log });
  const now = readState(st.dir) ?? st;
  writeState({ ...now, processes: now.processes.map((p) => (p.name === 'kube-apiserver' ? started : p)) });
  await until(
    'kube-apiserver to serve again',
    async () =>
      await apps()
        .readNamespacedDeployment({ name: 'venue-service', namespace: 'default' })
        .then(
          () => true,
          (e: { code?: number }) => (e.code === 404 ? true : undefined),
        ),
    90_000,
  );
}

/** Makes the rollout slow without touching the template: each new pod must stay Ready this long. */
async function setMinReadySeconds(ns: string, seconds: number): Promise<void> {
  await apps().patchNamespacedDeployment({
    name: 'venue-service',
    namespace: ns,
    body: [{ op: 'add', path: '/spec/minReadySeconds', value: seconds }],
  });
}

async function badRelease(ns: string): Promise<void> {
  await setMinReadySeconds(ns, 0);
  await deployRelease(adminKubeConfig(), { namespace: ns, image: 'venue-service:v1.2.3' });
  await waitForDeploymentRollout(adminKubeConfig(), ns, 'venue-service', { timeoutMs: 120_000 });
}

interface RunJson {
  id: string;
  status: string;
  error?: string;
  summary?: { notes?: string[] };
}
interface ShowJson {
  run: RunJson;
  steps: Array<{ stepId: string; status: string; attempts?: number; evidence?: unknown; error?: string }>;
}

async function latestRun(config: string): Promise<RunJson | undefined> {
  const res = await ripcord(['--config', config, 'runs', '-o', 'json']);
  if (res.code !== 0) throw new Error(`ripcord runs failed (${res.code}): ${res.stderr}`);
  return (JSON.parse(res.stdout) as RunJson[])[0];
}

async function show(config: string, runId: string): Promise<ShowJson> {
  const res = await ripcord(['--config', config, 'show', runId, '-o', 'json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as ShowJson;
}

describe('safety under faults: the lock, stale plans, aborts, silent servers', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let config: string;

  beforeAll(async () => {
    ns = await testNamespace('safety');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    // A short lease, so three periods pass during one slow rollout.
    config = writeServiceConfig({ namespace: ns.name, url, leaseSeconds: LEASE_SECONDS });
  });
  afterAll(async () => ns?.cleanup());

  it('renews the lease through a rollout that outlasts 3 lease periods; a second rollback meanwhile exits 3 naming the holder', async () => {
    await badRelease(ns.name);
    // One pod at a time, each Ready for 30 s before the next: the rollout takes a minute, 10 lease periods.
    await setMinReadySeconds(ns.name, 30);
    const first = spawnRipcord(['--config', config, 'rollback', 'venue-service', '--yes', '-o', 'json']);
    const taken = await until('the rollback to take its lock', async () => {
      const l = await lease(ns.name);
      return l?.spec?.holderIdentity ? l : undefined;
    });
    const holder = taken.spec?.holderIdentity ?? '';
    expect(holder).toMatch(/^ripcord\/r-[0-9-]+-[0-9a-f]+@[^:]+:\d+:[0-9a-f]+$/);
    const firstRenew = new Date(String(taken.spec?.renewTime)).getTime();

    const second = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes']);
    expect(second.code, second.stdout + second.stderr).toBe(3);
    expect(second.stderr).toContain(`held by ${holder}`);

    // Three lease periods after it was taken, the first rollback still rolls out under a renewed lease.
    await until('three lease periods', async () =>
      Date.now() > firstRenew + 3 * LEASE_SECONDS * 1000 + 1000 ? true : undefined,
    );
    expect(first.child.exitCode, first.output()).toBeNull();
    const later = await lease(ns.name);
    expect(later?.spec?.holderIdentity).toBe(holder);
    expect(new Date(String(later?.spec?.renewTime)).getTime()).toBeGreaterThan(
      firstRenew + 2 * LEASE_SECONDS * 1000,
    );

    const res = await first.done;
    expect(res.code, res.stderr).toBe(0);
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
    expect(await lease(ns.name)).toBeUndefined();
  });

  it('two concurrent `resume RUN`: exactly one proceeds, the other exits 3 naming the holder and leaves the journal alone', async () => {
    await badRelease(ns.name);
    const killed = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes'], {
      RIPCORD_FAILPOINT: 'kill-after:set-template',
    });
    expect(killed.code).not.toBe(0);
    const run = await until('the killed run in the journal', () => latestRun(config));
    expect(run.status).toBe('running');

    const [a, b] = await Promise.all([
      ripcord(['--config', config, 'resume', run.id, '-o', 'json']),
      ripcord(['--config', config, 'resume', run.id, '-o', 'json']),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes, a.stderr + b.stderr).toEqual([0, 3]);
    const loser = a.code === 3 ? a : b;
    expect(loser.stdout + loser.stderr).toMatch(
      /another rollback is in progress: lock .* is held by ripcord\/r-/,
    );

    const after = await show(config, run.id);
    expect(after.run.status).toBe('succeeded');
    // The template step ran once, in the killed process; the winner found it done and did not repeat it.
    expect(after.steps.find((s) => s.stepId === 'set-template')?.attempts).toBe(1);
    expect(after.steps.every((s) => s.status === 'done')).toBe(true);
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
  });

  it('a Deployment changed between plan and execute (a fix-forward) is not overwritten: exit 3, untouched; --force overrides, journaled', async () => {
    await badRelease(ns.name);
    const killed = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes'], {
      RIPCORD_FAILPOINT: 'kill-after:acquire-lock',
    });
    expect(killed.code).not.toBe(0);
    const run = await until('the killed run', () => latestRun(config));
    // Somebody fixes forward while the run sits interrupted.
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.4' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    const before = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns.name });

    const refused = await ripcord(['--config', config, 'resume', run.id]);
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout + refused.stderr).toMatch(
      /changed since the plan was made: images venue-service:v1\.2\.3 -> venue-service:v1\.2\.4/,
    );
    const after = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns.name });
    expect(after.spec?.template).toEqual(before.spec?.template);
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    const journaled = await show(config, run.id);
    expect(journaled.run.status).toBe('refused');
    expect(journaled.run.summary?.notes?.join('\n')).toMatch(/lock .* released on the way out/);
    expect(await lease(ns.name)).toBeUndefined();

    const forced = await ripcord(['--config', config, 'resume', run.id, '--force', '-o', 'json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
    const set = (await show(config, run.id)).steps.find((s) => s.stepId === 'set-template');
    expect(JSON.stringify(set?.evidence)).toMatch(/overrode.*changed since the plan was made/);
  });

  it('SIGINT during wait-rollout: the run is aborted, the lock released, and resume finishes it', async () => {
    await badRelease(ns.name);
    await setMinReadySeconds(ns.name, 15);
    const p = spawnRipcord(['--config', config, 'rollback', 'venue-service', '--yes']);
    await until('the rollback to wait for its rollout', async () =>
      /Waiting for deployment|waiting for deployment|Wait for deployment/i.test(p.output()) &&
      (await lease(ns.name))
        ? true
        : undefined,
    );
    p.child.kill('SIGINT');
    const res = await p.done;
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/SIGINT/);
    const run = await until('the aborted run', () => latestRun(config));
    expect(run.status).toBe('aborted');
    expect(run.error).toMatch(/interrupted by SIGINT/);
    expect(await lease(ns.name)).toBeUndefined();

    await setMinReadySeconds(ns.name, 0);
    const resumed = await ripcord(['--config', config, 'resume', run.id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await show(config, run.id)).run.status).toBe('succeeded');
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
  });

  it('an API server that accepts connections and never answers: exit 4 within the request timeout, naming the server', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const kubeconfig = `${config}.silent-kubeconfig`;
      writeFileSync(
        kubeconfig,
        [
          'apiVersion: v1',
          'kind: Config',
          `clusters: [{ name: silent, cluster: { server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]`,
          'users: [{ name: u, user: { token: x } }]',
          'contexts: [{ name: silent, context: { cluster: silent, user: u } }]',
          'current-context: silent',
        ].join('\n'),
      );
      const cfg = writeServiceConfig({ namespace: ns.name, url, kubeconfig, requestTimeout: '2s' });
      const res = await ripcord(['--config', cfg, 'rollback', 'venue-service', '--yes'], {}, 120_000);
      expect(res.code, res.stderr).toBe(4);
      expect(res.stderr).toContain(`https://127.0.0.1:${port} did not answer within 2s`);
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('kube-apiserver killed and restarted mid-rollback: the run finishes or resumes, no step repeated', async () => {
    await badRelease(ns.name);
    await setMinReadySeconds(ns.name, 10);
    // The default 30 s lease: the outage is shorter than the 20 s a run may go without renewing.
    const cfg = writeServiceConfig({ namespace: ns.name, url });
    const p = spawnRipcord(['--config', cfg, 'rollback', 'venue-service', '--yes', '-o', 'json']);
    await until('the rollback to wait for its rollout', async () =>
      /Wait for deployment/i.test(p.output()) && (await lease(ns.name)) ? true : undefined,
    );
    await restartApiserver(5_000);
    const res = await p.done;
    const out = JSON.parse(res.stdout) as { runId: string; status: string };
    // Riding the outage out is the aim; if the restart took longer than the lock allows, the run stops itself
    // (aborted, never acting unlocked) and a resume finishes it. Either way no step runs twice.
    if (res.code !== 0) {
      expect(out.status, res.stdout + res.stderr).toBe('aborted');
      const resumed = await ripcord(['--config', cfg, 'resume', out.runId]);
      expect(resumed.code, resumed.stderr).toBe(0);
    }
    const journaled = await show(cfg, out.runId);
    expect(journaled.run.status).toBe('succeeded');
    expect(journaled.steps.find((s) => s.stepId === 'set-template')).toMatchObject({
      status: 'done',
      attempts: 1,
    });
    expect(journaled.steps.every((s) => s.status === 'done')).toBe(true);
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
    await setMinReadySeconds(ns.name, 0);
  });
});
