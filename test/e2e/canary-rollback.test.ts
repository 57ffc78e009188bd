/**
 * Canary rollback (runbook 6) on the sandbox with an Istio VirtualService and DestinationRule subsets: the
 * sandbox router splits requests by the VirtualService's weights, so which release answered shows where
 * traffic went. Asserts the object in the cluster (only the managed route's weights changed) and the answers.
 */
import { AppsV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANARY_STEPS,
  expectNothingToDo,
  ISTIO_CANARY_SECTION,
  rollBackCanary,
} from '../support/canary-rollback.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployCanaryVenue, testNamespace, versionsServed } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const CANARY = ISTIO_CANARY_SECTION;
const ISTIO = { group: 'networking.istio.io', version: 'v1beta1' };

const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);
const custom = () => adminKubeConfig().makeApiClient(CustomObjectsApi);

function virtualService(stable: number, canary: number) {
  return {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'venue-service' },
    spec: {
      hosts: ['venue-service'],
      http: [
        {
          name: 'primary',
          retries: { attempts: 3, perTryTimeout: '2s' },
          headers: { request: { set: { 'x-team': 'venues' } } },
          route: [
            { destination: { host: 'venue-service', subset: 'stable' }, weight: stable },
            { destination: { host: 'venue-service', subset: 'canary' }, weight: canary },
          ],
        },
        {
          name: 'legacy',
          match: [{ uri: { prefix: '/v0' } }],
          route: [{ destination: { host: 'venue-service', subset: 'stable' } }],
        },
      ],
    },
  };
}

async function readVs(ns: string) {
  return (await custom().getNamespacedCustomObject({
    ...ISTIO,
    namespace: ns,
    plural: 'virtualservices',
    name: 'venue-service',
  })) as {
    metadata: { resourceVersion: string };
    spec: { http: Array<{ route: Array<{ weight?: number }> }> };
  };
}
async function replicas(ns: string, name: string): Promise<number | undefined> {
  return (await apps().readNamespacedDeployment({ name, namespace: ns })).spec?.replicas;
}

/** venue-service v1.2.2 (stable, 2 pods) and venue-service-canary v1.2.3 (1 pod), split 50/50 by Istio. */
async function setUp(prefix: string) {
  const ns = await testNamespace(prefix);
  // examples/venue-service/manifests/canary/: the DestinationRule and the VirtualService with its retries,
  // header rule and legacy route.
  const url = await deployCanaryVenue(ns.name, { weight: 50, router: 'VirtualService' });
  const config = writeServiceConfig({ namespace: ns.name, url, verifyWindow: '1s', extra: CANARY });
  return { ns, url, config };
}

describe('canary rollback: --scenario canary on an Istio VirtualService', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    env = await setUp('canary');
  }, 240_000);
  afterAll(async () => env?.ns.cleanup());

  it('stable 100 / canary 0 on the managed route only; no request reaches the canary; canary scaled to 0', async () => {
    const ns = env.ns.name;
    const before = await readVs(ns);
    await rollBackCanary(env.config);
    const after = await readVs(ns);
    const expected = structuredClone(before.spec);
    expected.http[0]!.route[0]!.weight = 100;
    expected.http[0]!.route[1]!.weight = 0;
    // The runbook's merge patch would have dropped the retries, the header rule and the legacy route.
    expect(after.spec).toEqual(expected);
    expect(await versionsServed(env.url, 20)).toEqual({ 'v1.2.2': 20 });
    expect(await replicas(ns, 'venue-service-canary')).toBe(0);

    await expectNothingToDo(env.config, 'stable');
  }, 120_000);

  it('a VirtualService an Argo Rollouts Rollout names is refused (exit 3) with the command to run; nothing changed', async () => {
    const ns = env.ns.name;
    // What Argo Rollouts really marks: nothing on the VirtualService; the Rollout names it in its spec.
    const ROLLOUTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts', namespace: ns };
    await custom().patchNamespacedCustomObject(
      {
        ...ISTIO,
        namespace: ns,
        plural: 'virtualservices',
        name: 'venue-service',
        body: { spec: { http: virtualService(70, 30).spec.http } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await custom().createNamespacedCustomObject({
      ...ROLLOUTS,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'venue-rollout' },
        spec: {
          strategy: {
            canary: {
              trafficRouting: { istio: { virtualService: { name: 'venue-service', routes: ['primary'] } } },
            },
          },
        },
      },
    });
    const before = await readVs(ns);
    const r = await ripcord(['--config', env.config, 'plan', 'venue-service', '--scenario', 'canary']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /driven by Argo Rollouts \(venue-rollout\).*kubectl argo rollouts abort venue-rollout/,
    );
    expect((await readVs(ns)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    await custom().deleteNamespacedCustomObject({ ...ROLLOUTS, name: 'venue-rollout' });
  }, 60_000);

  it('a stable subset whose labels also pick the canary pods is refused before any write; the example subset passes', async () => {
    const ns = env.ns.name;
    const dr = { ...ISTIO, namespace: ns, plural: 'destinationrules', name: 'venue-service' };
    const subsets = (stable: Record<string, string>) => ({
      spec: {
        subsets: [
          { name: 'stable', labels: stable },
          { name: 'canary', labels: { track: 'canary' } },
        ],
      },
    });
    const patchDr = (body: unknown) =>
      custom().patchNamespacedCustomObject(
        { ...dr, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    await patchDr(subsets({ app: 'venue-service' }));
    const before = await readVs(ns);
    const r = await ripcord([
      '--config',
      env.config,
      'rollback',
      'venue-service',
      '--scenario',
      'canary',
      '--yes',
    ]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /service\/venue-service subset stable \(destinationrule\/venue-service: app=venue-service\) also selects deployment\/venue-service-canary's pods \(app=venue-service,track=canary\): requests sent to stable would still reach the canary; nothing was changed/,
    );
    expect((await readVs(ns)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    await patchDr(subsets({ track: 'stable' }));
    const ok = await ripcord(['--config', env.config, 'plan', 'venue-service', '--scenario', 'canary']);
    expect(ok.code, ok.stderr).toBe(0);
  }, 60_000);

  it('stable at 1 ready replica of the 3 all traffic needs: refused before any write; --scale-stable scales, waits, then reroutes', async () => {
    const ns = env.ns.name;
    // Left by the test before: the route at 70/30. Stable shrinks to 1 under the canary, as an HPA would.
    await apps().patchNamespacedDeploymentScale(
      { name: 'venue-service', namespace: ns, body: { spec: { replicas: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    for (const end = Date.now() + 30_000; ;) {
      const st = (await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns })).status;
      if ((st?.readyReplicas ?? 0) === 1 && (st?.replicas ?? 0) === 1) break;
      if (Date.now() > end) throw new Error(`stable never settled at 1: ${JSON.stringify(st)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const config = writeServiceConfig({
      namespace: ns,
      url: env.url,
      verifyWindow: '1s',
      extra: [...CANARY, '      stableReplicas: 3', '      readyTimeout: 60s'],
    });
    const before = await readVs(ns);
    const refused = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'canary',
      '--yes',
    ]);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toMatch(
      /deployment\/venue-service has 1 ready replica\(s\) of the 3 it must have .*\(2 missing\).*--scale-stable/,
    );
    expect((await readVs(ns)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await replicas(ns, 'venue-service')).toBe(1);

    const r = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'canary',
      '--scale-stable',
      '--yes',
      '-o',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout) as { steps: Array<{ stepId: string }> };
    const done = run.steps.map((st) => st.stepId);
    expect(done.indexOf('scale-stable')).toBeLessThan(done.indexOf('wait-ready'));
    expect(done.indexOf('wait-ready')).toBeLessThan(done.indexOf('reroute-venue-service'));
    const stable = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns });
    expect(stable.spec?.replicas).toBe(3);
    expect(stable.status?.readyReplicas).toBe(3);
    const after = await readVs(ns);
    expect(after.spec.http[0]!.route.map((x) => x.weight)).toEqual([100, 0]);
    expect(await versionsServed(env.url, 20)).toEqual({ 'v1.2.2': 20 });
  }, 120_000);

  it('bad input: a stable subset the route lacks is exit 2 naming the field', async () => {
    const bad = writeServiceConfig({
      namespace: env.ns.name,
      url: env.url,
      extra: CANARY.map((l) => l.replace('stable: stable', 'stable: primary')),
    });
    const r = await ripcord(['--config', bad, 'plan', 'venue-service', '--scenario', 'canary']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /canary\.stable: virtualservice\/venue-service -n \S+'s route has no backend "primary" \(it has stable, canary\)/,
    );
    const keep = await ripcord([
      '--config',
      env.config,
      'plan',
      'venue-service',
      '--scenario',
      'canary',
      '--to-version',
      '2',
    ]);
    expect(keep.code).toBe(2);
    expect(keep.stderr).toMatch(/--to-version: does not apply to --scenario canary/);
  }, 60_000);
});

describe('canary crash safety: SIGKILL at every step boundary, then resume', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    env = await setUp('canary-crash');
  }, 240_000);
  afterAll(async () => env?.ns.cleanup());

  it.each(CANARY_STEPS)(
    'killed right after %s, resume converges: stable 100, canary 0 and scaled down',
    async (step) => {
      const ns = env.ns.name;
      // The starting point again: a 50/50 split and one canary pod ready.
      await custom().patchNamespacedCustomObject(
        {
          ...ISTIO,
          namespace: ns,
          plural: 'virtualservices',
          name: 'venue-service',
          body: { spec: { http: virtualService(50, 50).spec.http } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await apps().patchNamespacedDeployment(
        { name: 'venue-service-canary', namespace: ns, body: { spec: { replicas: 1 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const end = Date.now() + 60_000;
      while (
        ((await apps().readNamespacedDeployment({ name: 'venue-service-canary', namespace: ns })).status
          ?.readyReplicas ?? 0) < 1
      ) {
        if (Date.now() > end) throw new Error('the canary pod never became ready');
        await new Promise((r) => setTimeout(r, 300));
      }
      const config = writeServiceConfig({ namespace: ns, url: env.url, verifyWindow: '1s', extra: CANARY });
      const killed = await ripcord(
        ['--config', config, 'rollback', 'venue-service', '--scenario', 'canary', '--yes'],
        { RIPCORD_FAILPOINT: `kill-after:${step}` },
      );
      expect(killed.code, killed.stderr).not.toBe(0);
      const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(killed.stderr)?.[1] ?? '';
      expect(runId, killed.stderr).not.toBe('');
      const resumed = await ripcord(['--config', config, 'resume', runId, '-o', 'json']);
      expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
      expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('succeeded');
      const vs = await readVs(ns);
      expect(vs.spec.http[0]?.route.map((r) => r.weight)).toEqual([100, 0]);
      expect(await replicas(ns, 'venue-service-canary')).toBe(0);
      expect(await versionsServed(env.url, 10)).toEqual({ 'v1.2.2': 10 });
    },
    120_000,
  );

  it.each(['scale-stable', 'wait-ready'])(
    'with --scale-stable, killed right after %s, resume converges: stable at 3 ready, then stable 100, canary 0',
    async (step) => {
      const ns = env.ns.name;
      // Stable shrunk to 1 under a 50/50 split, the config saying all traffic needs 3.
      await custom().patchNamespacedCustomObject(
        {
          ...ISTIO,
          namespace: ns,
          plural: 'virtualservices',
          name: 'venue-service',
          body: { spec: { http: virtualService(50, 50).spec.http } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await apps().patchNamespacedDeploymentScale(
        { name: 'venue-service', namespace: ns, body: { spec: { replicas: 1 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      for (const end = Date.now() + 60_000; ;) {
        const st = (await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns })).status;
        if ((st?.readyReplicas ?? 0) === 1 && (st?.replicas ?? 0) === 1) break;
        if (Date.now() > end) throw new Error(`stable never settled at 1: ${JSON.stringify(st)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const config = writeServiceConfig({
        namespace: ns,
        url: env.url,
        verifyWindow: '1s',
        extra: [...CANARY, '      stableReplicas: 3', '      readyTimeout: 60s'],
      });
      const rollback = ['--config', config, 'rollback', 'venue-service', '--scenario', 'canary'];
      const killed = await ripcord([...rollback, '--scale-stable', '--yes'], {
        RIPCORD_FAILPOINT: `kill-after:${step}`,
      });
      expect(killed.code, killed.stderr).not.toBe(0);
      const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(killed.stderr)?.[1] ?? '';
      expect(runId, killed.stderr).not.toBe('');
      const resumed = await ripcord(['--config', config, 'resume', runId, '-o', 'json']);
      expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
      expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('succeeded');
      const stable = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns });
      expect(stable.spec?.replicas).toBe(3);
      expect(stable.status?.readyReplicas).toBe(3);
      expect((await readVs(ns)).spec.http[0]?.route.map((r) => r.weight)).toEqual([100, 0]);
      expect(await versionsServed(env.url, 10)).toEqual({ 'v1.2.2': 10 });
    },
    120_000,
  );
});
