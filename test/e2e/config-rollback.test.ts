/**
 * Runbook section 3, ConfigMap rollback, on the sandbox: v1.2.7 ships with config v2 (an invalid pricing mode,
 * so its pods fail health and never become Ready); `ripcord rollback --scenario config --yes` makes the
 * ConfigMap the Deployment reads hold exactly v1's data, restarts the pods the way `kubectl rollout restart`
 * does, waits and verifies. Bad input changes nothing and exits 2. Every command runs as Ripcord's
 * ServiceAccount bound to deploy/rbac/ripcord-role.yaml, so the Role is shown to grant enough.
 */
import { appendFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects, readManifests } from '../../src/sandbox/apply.js';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { RIPCORD_CONTEXT } from '../../src/sandbox/control-plane/kubeconfig.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);

async function configMap(ns: string, name: string) {
  return core().readNamespacedConfigMap({ name, namespace: ns });
}

async function deployment(ns: string) {
  return apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns });
}

/** What must not move when a command is refused. */
async function fingerprint(ns: string) {
  const [cm, d] = await Promise.all([configMap(ns, 'venue-service-config'), deployment(ns)]);
  return { configMap: cm.metadata?.resourceVersion, generation: d.metadata?.generation };
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

describe('ripcord rollback --scenario config: bad config v2 shipped with v1.2.7 -> config v1 restored', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let config: string;
  let podsBefore: string[] = [];

  beforeAll(async () => {
    ns = await testNamespace('cfg');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    // The bad release as a pipeline ships it: config v2's data onto the ConfigMap the pods read, then v1.2.7.
    const v2 = await configMap(ns.name, 'venue-service-config-v2');
    const live = await configMap(ns.name, 'venue-service-config');
    await core().replaceNamespacedConfigMap({
      name: 'venue-service-config',
      namespace: ns.name,
      body: { metadata: live.metadata, data: v2.data },
    });
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.7' });
    // The new pod starts with v2's config and stays unready (health 503 naming VENUE_PRICING_MODE).
    await waitFor('a v1.2.7 pod that is running but not ready', async () => {
      const pods = (
        await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'app=venue-service' })
      ).items;
      const bad = pods.find(
        (p) =>
          p.spec?.containers[0]?.image === 'venue-service:v1.2.7' &&
          p.status?.phase === 'Running' &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'False'),
      );
      return bad;
    });
    podsBefore = (
      await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'app=venue-service' })
    ).items.map((p) => p.metadata?.name ?? '');
    // Everything below runs as Ripcord's ServiceAccount with exactly the shipped least-privilege Role.
    await applyObjects(
      adminKubeConfig(),
      ns.name,
      readManifests(join(repoRoot(), 'deploy', 'rbac', 'ripcord-role.yaml')),
    );
    config = writeServiceConfig({ namespace: ns.name, url, context: RIPCORD_CONTEXT });
  }, 240_000);
  afterAll(async () => ns?.cleanup());

  it('config history lists the versions with key names and hashes, marking the one the live object holds', async () => {
    const res = await ripcord(['--config', config, 'config', 'history', 'venue-service', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const h = JSON.parse(res.stdout) as {
      configMap: {
        name: string;
        versions: Array<{ version: number; keys: string[]; hash: string; live: boolean }>;
      };
    };
    expect(h.configMap.name).toBe('venue-service-config');
    expect(h.configMap.versions.map((v) => [v.version, v.live])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(h.configMap.versions[0]?.keys).toEqual(['VENUE_CACHE_TTL_SECONDS', 'VENUE_PRICING_MODE']);
    const text = await ripcord(['--config', config, 'config', 'history', 'venue-service']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/v2 .*live/);
  });

  it('plan shows the data diff and changes nothing', async () => {
    const before = await fingerprint(ns.name);
    const res = await ripcord([
      '--config',
      config,
      'plan',
      'venue-service',
      '--scenario',
      'config',
      '-o',
      'json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as {
      scenario: string;
      steps: Array<{ id: string }>;
      dataDiff: Array<{ object: string; from: string; to: string; changes: unknown[] }>;
    };
    expect(plan.scenario).toBe('config');
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'set-config',
      'restart',
      'wait-rollout',
      'verify',
      'verify-checks',
      'release-lock',
    ]);
    expect(plan.dataDiff[0]).toMatchObject({
      object: 'configmap/venue-service-config',
      from: 'v2 (venue-service-config-v2)',
      to: 'v1 (venue-service-config-v1)',
    });
    expect(plan.dataDiff[0]?.changes).toEqual([
      { key: 'VENUE_CACHE_TTL_SECONDS', change: 'changed', from: '30', to: '60' },
      { key: 'VENUE_PRICING_MODE', change: 'changed', from: 'surge', to: 'standard' },
    ]);
    const text = await ripcord(['--config', config, 'plan', 'venue-service', '--scenario', 'config']);
    expect(text.stdout).toContain(
      'configmap/venue-service-config data.VENUE_PRICING_MODE: surge -> standard',
    );
    expect(await fingerprint(ns.name)).toEqual(before);
  });

  it('bad input: unknown version, malformed version, a ConfigMap the Deployment does not read: exit 2, nothing changed', async () => {
    const before = await fingerprint(ns.name);
    const unknown = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'config',
      '--to-version',
      '7',
      '--yes',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /--to-version 7: there is no venue-service-config-v7 \(versions: v1, v2\)/,
    );
    const malformed = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'config',
      '--to-version',
      'latest',
      '--yes',
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--to-version: expected a version number/);
    const foreign = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'config',
      '--to-revision',
      '1',
      '--yes',
    ]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/--to-revision: does not apply to --scenario config/);

    const other = `${config}.unreferenced.yaml`;
    copyFileSync(config, other);
    appendFileSync(
      other,
      '    config: { configMap: venue-service-config-v1, versions: "venue-service-config-v{n}" }\n',
    );
    const unreferenced = await ripcord([
      '--config',
      other,
      'rollback',
      'venue-service',
      '--scenario',
      'config',
      '--yes',
    ]);
    expect(unreferenced.code).toBe(2);
    expect(unreferenced.stderr).toMatch(
      /services\.venue-service\.config\.configMap: deployment\/venue-service does not read configmap\/venue-service-config-v1/,
    );
    expect(await fingerprint(ns.name)).toEqual(before);
  });

  it('rolls back: the live ConfigMap holds exactly v1, pods restarted, verification passes', async () => {
    const t0 = Date.now();
    const res = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'config',
      '--yes',
      '-o',
      'json',
    ]);
    const elapsedMs = Date.now() - t0;
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as {
      status: string;
      summary: { measuredMs: number; withinRto: boolean; line: string };
      steps: Array<{ stepId: string; status: string }>;
    };
    expect(out.status).toBe('succeeded');
    expect(out.summary.withinRto).toBe(true);
    console.log(`config rollback: ${out.summary.line} (command wall time ${elapsedMs} ms)`);

    const [live, v1] = await Promise.all([
      configMap(ns.name, 'venue-service-config'),
      configMap(ns.name, 'venue-service-config-v1'),
    ]);
    expect(live.data).toEqual(v1.data);
    expect(live.metadata?.labels).toEqual({ app: 'venue-service' });

    const d = await deployment(ns.name);
    const restartedAt = d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
    expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const pods = (
      await core().listNamespacedPod({ namespace: ns.name, labelSelector: 'app=venue-service' })
    ).items.filter((p) => !p.metadata?.deletionTimestamp);
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(podsBefore).not.toContain(p.metadata?.name);
      expect(p.spec?.containers[0]?.image).toBe('venue-service:v1.2.7');
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
    const health = await fetch(`${url}/api/venues/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-venue-version')).toBe('v1.2.7');
  });

  it('a second rollback to v1 is skipped: the ConfigMap already holds v1', async () => {
    const before = await fingerprint(ns.name);
    const res = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'config',
      '--to-version',
      '1',
      '--yes',
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(
      /skipped rollback \(configmap\/venue-service-config already holds exactly v1's data/,
    );
    expect(await fingerprint(ns.name)).toEqual(before);
  });
});
