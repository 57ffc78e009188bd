/**
 * `ripcord rollback --with-config` on the sandbox: v1.2.2 runs with config v1 and is recorded; the pipeline
 * puts v2's data on the live ConfigMap (and a new key on the DB Secret) and ships v1.2.7, recorded too; v1.2.7's
 * pods fail health. The rollback restores the ConfigMap and the Secret revision 1 ran with from Ripcord's
 * copies BEFORE the template goes back to v1.2.2, so the restored pods start healthy. A revision without a
 * record is refused (exit 3) and nothing changes; with only the shipped Role, recording is forbidden and
 * plan/rollback say so once on stderr without failing. Commands run as Ripcord's ServiceAccount.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects, readManifests } from '../../src/sandbox/apply.js';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { RIPCORD_CONTEXT } from '../../src/sandbox/control-plane/kubeconfig.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord, type CliResult } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);
const cm = (ns: string, name: string) => core().readNamespacedConfigMap({ name, namespace: ns });
const deployment = (ns: string) => apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns });
const EXTRA = 'ADDED_IN_V2_ONLY';

async function fingerprint(ns: string) {
  const [live, d, s] = await Promise.all([
    cm(ns, 'venue-service-config'),
    deployment(ns),
    core().readNamespacedSecret({ name: 'venue-service-db', namespace: ns }),
  ]);
  return {
    configMap: live.metadata?.resourceVersion,
    secret: s.metadata?.resourceVersion,
    generation: d.metadata?.generation,
    image: d.spec?.template.spec?.containers[0]?.image,
  };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const manifests = (file: string) => readManifests(join(repoRoot(), 'deploy', 'rbac', file));

describe('ripcord rollback --with-config: v1.2.7 + config v2 -> v1.2.2 with the config it ran with', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let config: string;
  let dbUrl = '';
  const outputs: CliResult[] = [];
  const run = async (args: string[]) => {
    const r = await ripcord(['--config', config, ...args]);
    outputs.push(r);
    return r;
  };

  beforeAll(async () => {
    ns = await testNamespace('wcfg');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    await applyObjects(adminKubeConfig(), ns.name, [
      ...manifests('ripcord-role.yaml'),
      ...manifests('ripcord-records-role.yaml'),
    ]);
    config = writeServiceConfig({ namespace: ns.name, url, context: RIPCORD_CONTEXT });
    const s = await core().readNamespacedSecret({ name: 'venue-service-db', namespace: ns.name });
    dbUrl = Buffer.from(s.data?.DATABASE_URL ?? '', 'base64').toString('utf8');
  }, 240_000);
  afterAll(async () => ns?.cleanup());

  it('config record (the pipeline step after the v1.2.2 rollout) copies the ConfigMap and the Secret', async () => {
    const rec = await waitFor('the records Role to take effect', async () => {
      const r = await run(['config', 'record', 'venue-service', '-o', 'json']);
      return r.code === 0 ? r : undefined;
    });
    const out = JSON.parse(rec.stdout) as {
      index: string;
      record: {
        revision: number;
        podTemplateHash: string;
        objects: Array<{ kind: string; name: string; present: boolean; copy?: string; hash?: string }>;
      };
    };
    expect(out.index).toBe('configmap/ripcord-records-venue-service');
    expect(out.record.revision).toBe(1);
    const h = out.record.podTemplateHash;
    expect(out.record.objects.map((o) => [o.kind, o.name, o.present, o.copy])).toEqual([
      ['ConfigMap', 'venue-service-config', true, `ripcord-venue-service-${h}-venue-service-config`],
      ['Secret', 'venue-service-db', true, `ripcord-venue-service-${h}-venue-service-db`],
      ['Secret', 'venue-service-flags', false, undefined],
      ['Secret', 'venue-service-unleash', false, undefined],
    ]);
    // The copies hold the data, live in the namespace and are owned by the Deployment (garbage-collected).
    const d = await deployment(ns.name);
    const copy = await cm(ns.name, `ripcord-venue-service-${h}-venue-service-config`);
    expect(copy.data).toEqual((await cm(ns.name, 'venue-service-config-v1')).data);
    expect(copy.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', uid: d.metadata?.uid });
    const secretCopy = await core().readNamespacedSecret({
      name: `ripcord-venue-service-${h}-venue-service-db`,
      namespace: ns.name,
    });
    expect(Object.keys(secretCopy.data ?? {})).toEqual(['DATABASE_URL']);
    expect(secretCopy.metadata?.ownerReferences?.[0]?.uid).toBe(d.metadata?.uid);
    // The index names the Secret's keys but holds no hash or value of it.
    const index = await cm(ns.name, 'ripcord-records-venue-service');
    expect(Object.keys(index.data ?? {})).toEqual([`${h}.json`]);
    expect(JSON.stringify(index.data)).not.toContain(secretCopy.data?.DATABASE_URL ?? '<none>');
  });

  it('the bad release (config v2 on the live ConfigMap, a new Secret key, v1.2.7) is recorded too', async () => {
    const [v2, live] = await Promise.all([
      cm(ns.name, 'venue-service-config-v2'),
      cm(ns.name, 'venue-service-config'),
    ]);
    await core().replaceNamespacedConfigMap({
      name: 'venue-service-config',
      namespace: ns.name,
      body: { metadata: live.metadata, data: v2.data },
    });
    const s = await core().readNamespacedSecret({ name: 'venue-service-db', namespace: ns.name });
    await core().replaceNamespacedSecret({
      name: 'venue-service-db',
      namespace: ns.name,
      body: { ...s, data: { ...s.data, [EXTRA]: Buffer.from('v2-only').toString('base64') } },
    });
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.7' });
    await waitFor('a v1.2.7 pod that is running but not ready', async () => {
      const pods = (
        await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'app=venue-service' })
      ).items;
      return pods.find(
        (p) =>
          p.spec?.containers[0]?.image === 'venue-service:v1.2.7' &&
          p.status?.phase === 'Running' &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'False'),
      );
    });
    const rec = await run(['config', 'record', 'venue-service']);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/recorded revision 2 of venue-service/);
    const index = await cm(ns.name, 'ripcord-records-venue-service');
    expect(Object.keys(index.data ?? {})).toHaveLength(2);
  });

  it('plan --with-config: restore steps before the template change, the data diff, Secret values masked', async () => {
    const before = await fingerprint(ns.name);
    const res = await run(['plan', 'venue-service', '--with-config', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as {
      to: { revision: number; images: string[] };
      steps: Array<{ id: string; kind: string; target: string }>;
      dataDiff: Array<{ object: string; masked: boolean; changes: Array<Record<string, string>> }>;
    };
    expect(plan.to).toMatchObject({ revision: 1, images: ['venue-service:v1.2.2'] });
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'restore-config-1',
      'restore-config-2',
      'set-template',
      'wait-rollout',
      'verify',
      'verify-checks',
      'release-lock',
    ]);
    expect(plan.steps[1]?.target).toBe(`configmap/venue-service-config -n ${ns.name}`);
    expect(plan.steps[2]?.target).toBe(`secret/venue-service-db -n ${ns.name}`);
    const byObject = Object.fromEntries(plan.dataDiff.map((d) => [d.object, d]));
    expect(byObject['configmap/venue-service-config']?.changes).toEqual([
      { key: 'VENUE_CACHE_TTL_SECONDS', change: 'changed', from: '30', to: '60' },
      { key: 'VENUE_PRICING_MODE', change: 'changed', from: 'surge', to: 'standard' },
    ]);
    expect(byObject['secret/venue-service-db']).toMatchObject({
      masked: true,
      changes: [{ key: EXTRA, change: 'removed' }],
    });
    const text = await run(['plan', 'venue-service', '--with-config']);
    expect(text.stdout).toContain(
      'configmap/venue-service-config data.VENUE_PRICING_MODE: surge -> standard',
    );
    expect(await fingerprint(ns.name)).toEqual(before);
  });

  it('rollback --with-config: v1.2.2 template AND config v1 again, pods Ready, verification passes', async () => {
    const res = await run(['rollback', 'venue-service', '--with-config', '--yes', '-o', 'json']);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as {
      status: string;
      summary: { line: string; withinRto: boolean };
      steps: Array<{ stepId: string; status: string }>;
    };
    expect(out.status).toBe('succeeded');
    expect(out.steps.find((s) => s.stepId === 'verify')?.status).toBe('done');
    console.log(`--with-config rollback: ${out.summary.line}`);

    const [live, v1] = await Promise.all([
      cm(ns.name, 'venue-service-config'),
      cm(ns.name, 'venue-service-config-v1'),
    ]);
    expect(live.data).toEqual(v1.data);
    expect(live.metadata?.labels).toEqual({ app: 'venue-service' });
    const s = await core().readNamespacedSecret({ name: 'venue-service-db', namespace: ns.name });
    expect(Object.keys(s.data ?? {})).toEqual(['DATABASE_URL']);
    const d = await deployment(ns.name);
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1.2.2');
    const pods = (
      await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'app=venue-service' })
    ).items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.spec?.containers[0]?.image).toBe('venue-service:v1.2.2');
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    const health = await fetch(`${url}/api/venues/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-venue-version')).toBe('v1.2.2');
  });

  it('no Secret value reached the journal, plans or output', async () => {
    const runs = await run(['runs', '-o', 'json']);
    for (const r of JSON.parse(runs.stdout) as Array<{ id: string }>) await run(['show', r.id, '-o', 'json']);
    const journal = join(dirname(config), 'journal.db');
    const haystacks = [
      readFileSync(journal).toString('latin1'),
      ...outputs.flatMap((o) => [o.stdout, o.stderr]),
    ];
    for (const secret of [dbUrl, 'v2-only']) {
      const b64 = Buffer.from(secret).toString('base64').replace(/=+$/, '');
      for (const h of haystacks) {
        expect(h.includes(secret), 'a secret value leaked').toBe(false);
        expect(h.includes(b64), 'a base64 secret value leaked').toBe(false);
      }
    }
  });
});

describe('--with-config without a record: refused, nothing changed; recording forbidden only warns', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;

  beforeAll(async () => {
    ns = await testNamespace('wcfg-norec');
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 1 });
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    // Only the shipped least-privilege Role: it cannot create ConfigMaps, so nothing can be recorded.
    await applyObjects(adminKubeConfig(), ns.name, manifests('ripcord-role.yaml'));
    config = writeServiceConfig({ namespace: ns.name, url, context: RIPCORD_CONTEXT });
  }, 240_000);
  afterAll(async () => ns?.cleanup());

  it('rollback --with-config to revision 1 (never recorded) exits 3 naming the missing record', async () => {
    const before = await fingerprint(ns.name);
    const res = await waitFor('the Role to take effect', async () => {
      const r = await ripcord(['--config', config, 'rollback', 'venue-service', '--with-config', '--yes']);
      return r.code === 5 && /cannot get deployments/.test(r.stderr) ? undefined : r;
    });
    expect(res.code, res.stdout + res.stderr).toBe(3);
    expect(res.stderr).toMatch(
      /--with-config: Ripcord has no record of the config revision 1 \(pod-template-hash \w+\) ran with/,
    );
    // A refused plan writes nothing: the auto-record is not even tried (validate first, then record).
    expect(res.stderr).not.toMatch(/warning: not recording/);
    expect(await fingerprint(ns.name)).toEqual(before);
    await expect(cm(ns.name, 'ripcord-records-venue-service')).rejects.toThrow();

    // A plan that succeeds tries to record; forbidden, that is one warning line, not a failure.
    const plan = await ripcord(['--config', config, 'plan', 'venue-service']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr.match(/warning: not recording/g)).toHaveLength(1);
    expect(plan.stderr).toMatch(/cannot create configmaps/);
    const status = await ripcord(['--config', config, 'status', 'venue-service']);
    expect(status.code, status.stderr).toBe(0);
  });
});
