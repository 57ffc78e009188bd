import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryInstant } from '../../src/sandbox/monitoring/prom-client.js';
import { waitFor } from '../../src/sandbox/process.js';
import { errorsBetween, lastErrorAt, recordStatuses } from '../../src/sandbox/status-recorder.js';
import {
  ensureFeature,
  putUnleashSecret,
  readUnleashSecrets,
  setFeatureEnabled,
} from '../../src/sandbox/unleash.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, kubectl, sandbox, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);

function unleash(): { url: string; adminToken: string; clientToken: string } {
  const u = sandbox().unleash;
  if (!u) throw new Error('the sandbox has no Unleash (started before flags were added? restart it)');
  const s = readUnleashSecrets(u.secretsFile);
  return { url: u.url, adminToken: s.adminToken, clientToken: s.clientToken };
}

/** What Unleash itself says about the flag in the development environment. */
async function enabledInUnleash(feature: string): Promise<boolean> {
  const u = unleash();
  const res = await fetch(`${u.url}/api/admin/projects/default/features/${feature}`, {
    headers: { Authorization: u.adminToken },
  });
  const body = (await res.json()) as { environments: Array<{ name: string; enabled: boolean }> };
  return body.environments.find((e) => e.name === 'development')?.enabled === true;
}

async function generation(ns: string): Promise<number | undefined> {
  return (await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns })).metadata
    ?.generation;
}

async function templateEnv(ns: string, name: string): Promise<string | undefined> {
  const d = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns });
  return d.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === name)?.value;
}

async function podNames(ns: string): Promise<string[]> {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=venue-service' });
  return pods.items.map((p) => p.metadata?.name ?? '').sort();
}

/** 5xx over the last `window` in Prometheus, from the pods' own http_requests_total. */
async function promErrors(ns: string, window: string): Promise<number> {
  const prom = sandbox().prometheus?.url ?? '';
  const r = await queryInstant(
    prom,
    `sum(increase(http_requests_total{namespace="${ns}",status=~"5.."}[${window}])) or vector(0)`,
  );
  return r[0]?.value ?? 0;
}

describe('ripcord rollback --scenario flag: new-pricing off through Unleash, under load', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let config: string;
  let feature: string;
  const env = () => ({ UNLEASH_ADMIN_TOKEN: unleash().adminToken });

  beforeAll(async () => {
    ns = await testNamespace('flag');
    // Each namespace gets its own flag in the sandbox's Unleash, so tests never see each other's state.
    feature = `new-pricing-${ns.name}`;
    const u = unleash();
    await ensureFeature(u.url, u.adminToken, feature);
    await setFeatureEnabled(u.url, u.adminToken, feature, true);
    await putUnleashSecret(adminKubeConfig(), ns.name, { url: u.url, clientToken: u.clientToken, feature });
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: [
        '    flags:',
        `      new-pricing: { provider: unleash, url: ${u.url}, project: default, environment: development, feature: ${feature} }`,
      ],
    });
  });
  afterAll(async () => ns?.cleanup());

  it('bad input changes nothing: unknown --flag (exit 2), no token (exit 2), bad token (exit 5)', async () => {
    const before = await generation(ns.name);
    const unknown = await ripcord(
      ['--config', config, 'rollback', 'venue-service', '--scenario', 'flag', '--flag', 'nope', '--yes'],
      env(),
    );
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(
      /--flag: unknown flag "nope" for service venue-service \(known: new-pricing\)/,
    );

    const noToken = await ripcord(
      [
        '--config',
        config,
        'rollback',
        'venue-service',
        '--scenario',
        'flag',
        '--flag',
        'new-pricing',
        '--yes',
      ],
      { UNLEASH_ADMIN_TOKEN: '' },
    );
    expect(noToken.code, noToken.stderr).toBe(2);
    expect(noToken.stderr).toMatch(/UNLEASH_ADMIN_TOKEN is not set/);

    const badToken = await ripcord(
      [
        '--config',
        config,
        'rollback',
        'venue-service',
        '--scenario',
        'flag',
        '--flag',
        'new-pricing',
        '--yes',
      ],
      { UNLEASH_ADMIN_TOKEN: '*:*.not-a-real-token' },
    );
    expect(badToken.code, badToken.stderr).toBe(5);
    expect(badToken.stderr).not.toContain('not-a-real-token');

    const foreign = await ripcord(
      ['--config', config, 'plan', 'venue-service', '--scenario', 'flag', '--to-revision', '1'],
      env(),
    );
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/--to-revision: does not apply to --scenario flag/);

    expect(await enabledInUnleash(feature)).toBe(true);
    expect(await generation(ns.name)).toBe(before);
  });

  it('plan shows the Unleash change and changes nothing', async () => {
    const res = await ripcord(
      [
        '--config',
        config,
        'plan',
        'venue-service',
        '--scenario',
        'flag',
        '--flag',
        'new-pricing',
        '-o',
        'json',
      ],
      env(),
    );
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as { steps: Array<{ id: string; kind: string }>; changes: unknown[] };
    expect(plan.steps.map((s) => s.kind)).toEqual(['flag.unleash-off', 'app.verify']);
    expect(plan.changes).toEqual([
      expect.objectContaining({ change: 'changed', from: 'enabled', to: 'disabled' }),
    ]);
    expect(res.stdout).not.toContain(unleash().adminToken);
    expect(await enabledInUnleash(feature)).toBe(true);
  });

  it('5xx under load while on; rollback turns it off in Unleash and the 5xx stop within seconds', async () => {
    const load = recordStatuses(`${url}/api/venues`, 40);
    try {
      await sleep(4000);
      const before = errorsBetween(load.samples, 0);
      expect(before, 'new-pricing on: some venue reads fail').toBeGreaterThan(0);

      let offAt: number | undefined;
      const t0 = performance.now();
      const watcher = (async () => {
        while (offAt === undefined && performance.now() - t0 < 60_000) {
          if (!(await enabledInUnleash(feature))) offAt = performance.now();
          else await sleep(20);
        }
      })();
      const res = await ripcord(
        [
          '--config',
          config,
          'rollback',
          'venue-service',
          '--scenario',
          'flag',
          '--flag',
          'new-pricing',
          '--yes',
          '-o',
          'json',
        ],
        env(),
      );
      const doneAt = performance.now();
      await watcher;
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout) as {
        status: string;
        summary: { measuredMs: number; withinRto: boolean };
        steps: Array<{ stepId: string; status: string; evidence?: { enabledBefore?: boolean } }>;
      };
      expect(out.status).toBe('succeeded');
      expect(out.summary.withinRto).toBe(true);
      expect(out.steps.find((s) => s.stepId === 'flag-off')?.evidence?.enabledBefore).toBe(true);
      expect(offAt, 'Unleash reported the flag off').toBeDefined();
      expect(res.stdout + res.stderr).not.toContain(unleash().adminToken);

      // The SDK polls every second: give it two, then not a single failed read.
      await sleep(6000);
      const samples = await load.stop();
      const off = offAt as number;
      const settled = off + 2500;
      const last = lastErrorAt(samples) ?? t0;
      console.log(
        `[flag-rollback] Unleash: flag off ${(off - t0).toFixed(0)} ms after the command started; ` +
          `command done in ${(doneAt - t0).toFixed(0)} ms (run ${out.summary.measuredMs} ms incl. verify); ` +
          `last 5xx sent ${(last - t0).toFixed(0)} ms after the command started; ` +
          `${errorsBetween(samples, 0, t0)} 5xx before, ${errorsBetween(samples, settled)} after off+2.5s ` +
          `of ${samples.filter((s) => s.sentAt >= settled).length} requests`,
      );
      expect(off - t0).toBeLessThan(60_000);
      expect(samples.filter((s) => s.sentAt >= settled).length).toBeGreaterThan(100);
      expect(errorsBetween(samples, settled)).toBe(0);
    } finally {
      await load.stop();
    }
    expect(await enabledInUnleash(feature)).toBe(false);
  });

  it('Prometheus agrees: 5xx were counted while on and stop after', async () => {
    // The pods' own counters, scraped every 2 s: no new 5xx over the last 6 s once the SDKs have refreshed.
    const load = recordStatuses(`${url}/api/venues`, 20);
    try {
      await waitFor(
        'no 5xx in Prometheus over 6s',
        async () => (await promErrors(ns.name, '6s')) === 0,
        30_000,
        1000,
      );
      expect(await promErrors(ns.name, '5m')).toBeGreaterThan(0);
    } finally {
      await load.stop();
    }
  });

  it('running it again is a no-op: the flag is already off (exit 0)', async () => {
    const res = await ripcord(
      [
        '--config',
        config,
        'rollback',
        'venue-service',
        '--scenario',
        'flag',
        '--flag',
        'new-pricing',
        '--yes',
      ],
      env(),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/already off in Unleash/);
  });
});

describe('ripcord rollback --scenario flag: the env-var variant (kubectl set env FEATURE_NEW_PRICING=false)', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let config: string;

  beforeAll(async () => {
    ns = await testNamespace('flagenv');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    const set = await kubectl([
      'set',
      'env',
      'deployment/venue-service',
      'FEATURE_NEW_PRICING=true',
      '-n',
      ns.name,
    ]);
    expect(set.code, set.stderr).toBe(0);
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: ['    flags:', '      new-pricing: { provider: env, variable: FEATURE_NEW_PRICING }'],
    });
  });
  afterAll(async () => ns?.cleanup());

  it('plan says it redeploys, with the expected time against the 1m target, and changes nothing', async () => {
    const before = await generation(ns.name);
    const res = await ripcord(['--config', config, 'plan', 'venue-service', '--scenario', 'flag']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/changed +env FEATURE_NEW_PRICING \(container venue-service\): true -> false/);
    expect(res.stdout).toMatch(
      /this redeploys: .* all 2 pods are replaced; expected about .* against the flag RTO target of 1m/,
    );
    expect(res.stdout).toMatch(/set-env: Set FEATURE_NEW_PRICING=false/);
    expect(await generation(ns.name)).toBe(before);
  });

  it('unknown --flag: exit 2 naming --flag, nothing changed', async () => {
    const before = await generation(ns.name);
    const res = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'flag',
      '--flag',
      'old-pricing',
      '--yes',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--flag: unknown flag "old-pricing"/);
    expect(await generation(ns.name)).toBe(before);
    expect(await templateEnv(ns.name, 'FEATURE_NEW_PRICING')).toBe('true');
  });

  it('sets FEATURE_NEW_PRICING=false, rolls out new pods, and the 5xx stop', async () => {
    const podsBefore = await podNames(ns.name);
    const load = recordStatuses(`${url}/api/venues`, 40);
    try {
      await sleep(3000);
      expect(errorsBetween(load.samples, 0)).toBeGreaterThan(0);
      const t0 = performance.now();
      // No --flag: the service has exactly one flag.
      const res = await ripcord([
        '--config',
        config,
        'rollback',
        'venue-service',
        '--scenario',
        'flag',
        '--yes',
        '-o',
        'json',
      ]);
      const doneAt = performance.now();
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout) as { status: string; summary: { measuredMs: number } };
      expect(out.status).toBe('succeeded');
      await sleep(4000);
      const samples = await load.stop();
      const settled = doneAt + 1000;
      console.log(
        `[flag-rollback] env var: command done in ${(doneAt - t0).toFixed(0)} ms (rollout + verify); ` +
          `last 5xx sent ${((lastErrorAt(samples) ?? t0) - t0).toFixed(0)} ms after the command started; ` +
          `${errorsBetween(samples, settled)} 5xx in ${samples.filter((s) => s.sentAt >= settled).length} requests after`,
      );
      expect(errorsBetween(samples, settled)).toBe(0);
      expect(samples.filter((s) => s.sentAt >= settled).length).toBeGreaterThan(60);
    } finally {
      await load.stop();
    }
    expect(await templateEnv(ns.name, 'FEATURE_NEW_PRICING')).toBe('false');
    const podsAfter = await podNames(ns.name);
    expect(podsAfter).toHaveLength(2);
    for (const p of podsAfter) expect(podsBefore).not.toContain(p);
    const d = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns.name });
    expect(d.metadata?.annotations?.['kubernetes.io/change-cause']).toMatch(
      /--scenario flag --flag new-pricing: FEATURE_NEW_PRICING=false/,
    );

    const again = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'flag',
      '--yes',
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already off: FEATURE_NEW_PRICING=false/);
  });
});
