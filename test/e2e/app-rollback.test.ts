import { writeFileSync } from 'node:fs';
import { AppsV1Api, CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, testNamespace, versionsServed } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);

async function liveImage(ns: string): Promise<string | undefined> {
  const d = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns });
  return d.spec?.template.spec?.containers[0]?.image;
}

async function generation(ns: string): Promise<number | undefined> {
  return (await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns })).metadata
    ?.generation;
}

describe('ripcord rollback venue-service: the runbook incident v1.2.3 -> v1.2.2 on the sandbox', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let config: string;

  beforeAll(async () => {
    ns = await testNamespace('app');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    config = writeServiceConfig({ namespace: ns.name, url });
  });
  afterAll(async () => ns?.cleanup());

  it('plan changes nothing and shows the image diff', async () => {
    const before = await generation(ns.name);
    const res = await ripcord(['--config', config, 'plan', 'venue-service', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as {
      from: { images: string[] };
      to: { images: string[] };
      steps: Array<{ id: string }>;
    };
    expect(plan.from.images).toEqual(['venue-service:v1.2.3']);
    expect(plan.to.images).toEqual(['venue-service:v1.2.2']);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'set-template',
      'wait-rollout',
      'verify',
      'verify-checks',
      'release-lock',
    ]);
    expect(await generation(ns.name)).toBe(before);
  });

  it('refuses without --yes when stdin is not a terminal, and changes nothing', async () => {
    const before = await generation(ns.name);
    const res = await ripcord(['--config', config, 'rollback', 'venue-service']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/pass --yes/);
    expect(await generation(ns.name)).toBe(before);
  });

  it('rolls back, verifies, and only v1.2.2 serves afterwards', async () => {
    const res = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as {
      status: string;
      from: { images: string[] };
      to: { images: string[] };
      summary: { measuredMs: number; withinRto: boolean };
      steps: Array<{ stepId: string; status: string }>;
    };
    expect(out.status).toBe('succeeded');
    expect(out.from.images).toEqual(['venue-service:v1.2.3']);
    expect(out.to.images).toEqual(['venue-service:v1.2.2']);
    expect(out.summary.withinRto).toBe(true);
    expect(out.steps.every((s) => s.status === 'done')).toBe(true);
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
    expect(await versionsServed(url, 50)).toEqual({ 'v1.2.2': 50 });

    const runs = await ripcord(['--config', config, 'runs', '-o', 'json']);
    const list = JSON.parse(runs.stdout) as Array<{ status: string; service: string }>;
    expect(list[0]).toMatchObject({ status: 'succeeded', service: 'venue-service' });
    const verify = await ripcord(['--config', config, 'verify', 'venue-service', '--window', '1s']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/\[x\] health/);
  });

  it('skips like kubectl when the template already matches the target revision', async () => {
    const hist = JSON.parse(
      (await ripcord(['--config', config, 'history', 'venue-service', '-o', 'json'])).stdout,
    ) as {
      revisions: Array<{ revision: number; current: boolean }>;
    };
    const current = hist.revisions.find((r) => r.current)?.revision;
    const before = await generation(ns.name);
    const res = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--to-revision',
      String(current),
      '--yes',
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`skipped rollback (current template already matches revision ${current})`);
    expect(await generation(ns.name)).toBe(before);
  });

  it('bad input: clear one-line messages, exit 2, nothing changed', async () => {
    const before = await generation(ns.name);
    const unknownRev = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--to-revision',
      '99',
      '--yes',
    ]);
    expect(unknownRev.code).toBe(2);
    expect(unknownRev.stderr).toMatch(/unable to find specified revision 99 in history/);
    const badRev = await ripcord(['--config', config, 'plan', 'venue-service', '--to-revision', 'abc']);
    expect(badRev.code).toBe(2);
    expect(badRev.stderr).toMatch(/--to-revision/);
    const unknownSvc = await ripcord(['--config', config, 'rollback', 'payments', '--yes']);
    expect(unknownSvc.code).toBe(2);
    expect(unknownSvc.stderr).toMatch(/unknown service "payments"/);
    const broken = `${config}.broken.yaml`;
    writeFileSync(broken, 'version: 1\nservices:\n  venue-service:\n    rto: { app: five }\n');
    const badCfg = await ripcord(['--config', broken, 'rollback', 'venue-service', '--yes']);
    expect(badCfg.code).toBe(2);
    expect(badCfg.stderr).toMatch(/services\.venue-service\.rto\.app/);
    const missing = await ripcord(['--config', '/nonexistent/ripcord.yaml', 'plan', 'venue-service']);
    expect(missing.code).toBe(2);
    expect(await generation(ns.name)).toBe(before);
  });

  it('an unreachable API server exits 4 with one line', async () => {
    const dead = writeServiceConfig({ namespace: ns.name, url, kubeconfig: `${config}.dead-kubeconfig` });
    writeFileSync(
      `${config}.dead-kubeconfig`,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: dead, cluster: { server: "https://127.0.0.1:9", insecure-skip-tls-verify: true } }]',
        'users: [{ name: u, user: { token: x } }]',
        'contexts: [{ name: dead, context: { cluster: dead, user: u } }]',
        'current-context: dead',
      ].join('\n'),
    );
    const res = await ripcord(['--config', dead, 'rollback', 'venue-service', '--yes']);
    expect(res.code, res.stderr).toBe(4);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    // Like kubectl's "The connection to the server ... was refused", the message names the server.
    expect(res.stderr).toMatch(/API server https:\/\/127\.0\.0\.1:9 is unreachable \(ECONNREFUSED\)/);
  });

  it('refuses a paused Deployment with kubectl’s message (exit 3)', async () => {
    await apps().patchNamespacedDeployment({
      name: 'venue-service',
      namespace: ns.name,
      body: [{ op: 'add', path: '/spec/paused', value: true }],
    });
    try {
      const before = await generation(ns.name);
      const res = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes']);
      expect(res.code).toBe(3);
      expect(res.stderr).toMatch(/you cannot rollback a paused deployment; resume it first/);
      expect(await generation(ns.name)).toBe(before);
    } finally {
      await apps().patchNamespacedDeployment({
        name: 'venue-service',
        namespace: ns.name,
        body: [{ op: 'replace', path: '/spec/paused', value: false }],
      });
    }
  });

  // A live lease of another holder, made by hand; two real concurrent rollbacks: safety-faults.test.ts.
  it('a rollback meeting a live lock of another holder exits 3 naming the holder and since when', async () => {
    const coord = adminKubeConfig().makeApiClient(CoordinationV1Api);
    // Lease times are MicroTime: six fractional digits, or the API server rejects them.
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
    await coord.createNamespacedLease({
      namespace: ns.name,
      body: {
        metadata: { name: 'ripcord-venue-service' },
        spec: {
          holderIdentity: 'ripcord/r-other-run',
          leaseDurationSeconds: 300,
          acquireTime: now,
          renewTime: now,
        },
      },
    });
    try {
      const before = await generation(ns.name);
      const res = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes']);
      expect(res.code, res.stdout + res.stderr).toBe(3);
      expect(res.stdout + res.stderr).toMatch(/held by ripcord\/r-other-run since/);
      expect(await generation(ns.name)).toBe(before);
    } finally {
      await coord.deleteNamespacedLease({ name: 'ripcord-venue-service', namespace: ns.name });
    }
  });
});
