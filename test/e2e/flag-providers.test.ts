/**
 * The flag rollback through LaunchDarkly and ConfigCat, end to end: the built CLI against the LaunchDarkly and
 * ConfigCat doubles (test/support/, written from each provider's API documentation; neither service can run
 * here), and the example service on the sandbox reading new-pricing through each provider's own server-side SDK
 * (@launchdarkly/node-server-sdk streaming from the double, configcat-node polling it every second). Proof that
 * the service's behaviour changes: the 5xx that new-pricing causes under load stop once Ripcord turns it off.
 * Then a SIGKILL at every step boundary and `ripcord resume`, for both providers.
 */
import { performance } from 'node:perf_hooks';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/sandbox/process.js';
import { errorsBetween, lastErrorAt, recordStatuses } from '../../src/sandbox/status-recorder.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import { startConfigCatDouble, type ConfigCatDouble } from '../support/configcat-double.js';
import { errorsStopAfter } from '../support/flag-load.js';
import { startLaunchDarklyDouble, type LaunchDarklyDouble } from '../support/launchdarkly-double.js';
import { adminKubeConfig, deployVenueService, kubectl, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const STEPS = ['acquire-lock', 'flag-off', 'verify', 'verify-checks', 'release-lock'];

/** Writes Secret venue-service-flags (what the pods read their flag service from) with exactly `data`. */
async function putFlagsSecret(namespace: string, data: Record<string, string>): Promise<void> {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  await core.deleteNamespacedSecret({ name: 'venue-service-flags', namespace }).catch(() => undefined);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'venue-service-flags' }, type: 'Opaque', stringData: data },
  });
}

describe('flag rollback through LaunchDarkly and ConfigCat, the service reading each through its SDK', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let ld: LaunchDarklyDouble;
  let cc: ConfigCatDouble;
  let url: string;
  let config: string;
  let prod: string;
  const env = () => ({
    LAUNCHDARKLY_API_TOKEN: ld.writerToken,
    CONFIGCAT_BASIC_AUTH_USERNAME: cc.user.username,
    CONFIGCAT_BASIC_AUTH_PASSWORD: cc.user.password,
  });
  const rollback = (flag: string, extra: NodeJS.ProcessEnv = {}, more: string[] = []) =>
    ripcord(
      [
        '--config',
        config,
        'rollback',
        'venue-service',
        '--scenario',
        'flag',
        '--flag',
        flag,
        '--yes',
        ...more,
      ],
      { ...env(), ...extra },
    );
  const ldOn = () => ld.isOn('default', 'new-pricing', 'production');
  const ccOn = () => {
    const v = cc.valueOf('newPricing', prod);
    return v !== undefined && (v.defaultValue || v.targetingRules.some((r) => r.value?.boolValue === true));
  };

  beforeAll(async () => {
    [ld, cc] = await Promise.all([startLaunchDarklyDouble(), startConfigCatDouble()]);
    prod = cc.environments.production as string;
    ld.putFlag({ project: 'default', key: 'new-pricing', environments: { production: { on: true } } });
    ld.putFlag({
      project: 'default',
      key: 'guarded',
      environments: { production: { on: true, approvalRequired: true } },
    });
    cc.putSetting({
      configId: cc.configId,
      key: 'newPricing',
      values: {
        [prod]: {
          defaultValue: true,
          targetingRules: [
            {
              conditions: [{ userCondition: { comparisonAttribute: 'Email', comparator: 'contains' } }],
              value: { boolValue: true },
              percentageOptions: [],
            },
          ],
        },
      },
    });
    ns = await testNamespace('flagprov');
    await putFlagsSecret(ns.name, {
      LAUNCHDARKLY_SDK_KEY: ld.sdkKeys.production as string,
      LAUNCHDARKLY_BASE_URI: ld.url,
    });
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      verifyWindow: '1s',
      extra: [
        '    flags:',
        `      new-pricing: { provider: launchdarkly, url: ${ld.url}, environment: production }`,
        `      guarded: { provider: launchdarkly, url: ${ld.url}, environment: production }`,
        `      missing: { provider: launchdarkly, url: ${ld.url}, environment: production, feature: no-such-flag }`,
        `      new-pricing-cc: { provider: configcat, url: ${cc.url}, config: ${cc.configId}, environment: ${prod}, feature: newPricing }`,
      ],
    });
  });
  afterAll(async () => {
    await ns?.cleanup();
    await Promise.all([ld?.close(), cc?.close()]);
  });

  it('bad input and an approval-guarded environment change nothing (exit 2, 5, 3)', async () => {
    const unknown = await rollback('missing');
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(/no flag no-such-flag in project default \(HTTP 404\)/);

    const noToken = await rollback('new-pricing', { LAUNCHDARKLY_API_TOKEN: '' });
    expect(noToken.code, noToken.stderr).toBe(2);
    expect(noToken.stderr).toMatch(/LAUNCHDARKLY_API_TOKEN is not set/);

    const wrong = await rollback('new-pricing', { LAUNCHDARKLY_API_TOKEN: 'api-not-a-real-token' });
    expect(wrong.code, wrong.stderr).toBe(5);
    expect(wrong.stderr).not.toContain('api-not-a-real-token');

    const ccWrong = await rollback('new-pricing-cc', { CONFIGCAT_BASIC_AUTH_PASSWORD: 'not-the-password' });
    expect(ccWrong.code, ccWrong.stderr).toBe(5);
    expect(ccWrong.stderr).not.toContain('not-the-password');

    const guarded = await rollback('guarded');
    expect(guarded.code, guarded.stderr).toBe(3);
    expect(guarded.stderr).toContain(
      `Needs approval: request it at ${ld.url}/default/production/features/guarded`,
    );

    expect(ld.changes).toEqual([]);
    expect(cc.changes).toEqual([]);
    expect(ld.isOn('default', 'guarded', 'production')).toBe(true);
    expect(ldOn()).toBe(true);
  });

  it('LaunchDarkly: 5xx under load while on; rollback turns targeting off and the streamed SDKs stop the 5xx', async () => {
    const load = recordStatuses(`${url}/api/venues`, 40);
    try {
      await waitFor(
        'venue reads failing while new-pricing is on',
        async () => errorsBetween(load.samples, 0) > 0,
        60_000,
        100,
      );
      const t0 = performance.now();
      const res = await rollback('new-pricing', {}, ['-o', 'json']);
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout) as {
        status: string;
        runId: string;
        steps: Array<{ stepId: string; evidence?: { enabledBefore?: boolean } }>;
      };
      expect(out.status).toBe('succeeded');
      expect(out.steps.find((s) => s.stepId === 'flag-off')?.evidence?.enabledBefore).toBe(true);
      expect(ldOn()).toBe(false);
      // LaunchDarkly's audit log names the run that turned it off.
      expect(ld.changes).toEqual([
        expect.objectContaining({
          kind: 'turnFlagOff',
          environment: 'production',
          comment: expect.stringContaining(out.runId) as unknown,
        }),
      ]);
      expect(res.stdout + res.stderr).not.toContain(ld.writerToken);
      // The current revision's config was still recorded (for a later --with-config), taken while the flag went
      // off rather than before it: the run waits for it before it ends.
      const index = await adminKubeConfig()
        .makeApiClient(CoreV1Api)
        .readNamespacedConfigMap({ name: 'ripcord-records-venue-service', namespace: ns.name });
      expect(Object.keys(index.data ?? {}).length).toBeGreaterThan(0);
      const off = ld.changes[0]?.at ?? 0;
      const clean = await errorsStopAfter(load, performance.now() - (Date.now() - off));
      const samples = await load.stop();
      console.log(
        `[flag-providers] LaunchDarkly: command ${(performance.now() - t0).toFixed(0)} ms; ` +
          `${errorsBetween(samples, 0, t0)} 5xx before, none in ${samples.filter((x) => x.sentAt >= clean).length} requests from the clean streak on`,
      );
      expect(errorsBetween(samples, clean)).toBe(0);
      expect(lastErrorAt(samples) ?? 0).toBeLessThan(clean);
    } finally {
      await load.stop();
    }
    const again = await rollback('new-pricing');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already off in LaunchDarkly/);
    expect(ld.changes.length).toBe(1);
  });

  it('ConfigCat: the pods now read ConfigCat; rollback serves false to everyone, rules kept, and the 5xx stop', async () => {
    await putFlagsSecret(ns.name, {
      CONFIGCAT_SDK_KEY: cc.sdkKeys.production as string,
      CONFIGCAT_BASE_URL: cc.url,
    });
    const restart = await kubectl(['-n', ns.name, 'rollout', 'restart', 'deployment/venue-service']);
    expect(restart.code, restart.stderr).toBe(0);
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    const load = recordStatuses(`${url}/api/venues`, 40);
    try {
      await waitFor(
        'venue reads failing while newPricing is on in ConfigCat',
        async () => errorsBetween(load.samples, 0) > 0,
        60_000,
        100,
      );
      const res = await rollback('new-pricing-cc', {}, ['-o', 'json']);
      expect(res.code, res.stderr).toBe(0);
      expect((JSON.parse(res.stdout) as { status: string }).status).toBe('succeeded');
      expect(ccOn()).toBe(false);
      expect(cc.valueOf('newPricing', prod)?.targetingRules).toHaveLength(1); // the rule is kept, serving false
      expect(cc.requests.some((r) => r.method === 'PUT')).toBe(false);
      expect(res.stdout + res.stderr).not.toContain(cc.user.password);
      const off = cc.changes.at(-1)?.at ?? 0;
      const clean = await errorsStopAfter(load, performance.now() - (Date.now() - off));
      const samples = await load.stop();
      expect(errorsBetween(samples, clean)).toBe(0);
    } finally {
      await load.stop();
    }
  });

  describe.each([
    {
      provider: 'LaunchDarkly',
      flag: 'new-pricing',
      turnOn: () =>
        ld.putFlag({ project: 'default', key: 'new-pricing', environments: { production: { on: true } } }),
      isOn: () => ldOn(),
    },
    {
      provider: 'ConfigCat',
      flag: 'new-pricing-cc',
      turnOn: () =>
        cc.putSetting({
          configId: cc.configId,
          key: 'newPricing',
          values: { [prod]: { defaultValue: true } },
        }),
      isOn: () => ccOn(),
    },
  ])('$provider: SIGKILL at every step boundary, then resume', ({ flag, turnOn, isOn }) => {
    it.each(STEPS)(
      'killed right after %s: resume ends with the flag off, and again changes nothing',
      async (step) => {
        turnOn();
        const killed = await rollback(flag, { RIPCORD_FAILPOINT: `kill-after:${step}` });
        expect(killed.code, killed.stderr).not.toBe(0);
        const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(killed.stderr)?.[1] ?? '';
        expect(runId, killed.stderr).not.toBe('');
        // Killed before the off step: the flag is still on; from it on: off.
        expect(isOn()).toBe(STEPS.indexOf(step) < STEPS.indexOf('flag-off'));
        const resumed = await ripcord(['--config', config, 'resume', runId, '-o', 'json'], env());
        expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
        expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('succeeded');
        expect(isOn()).toBe(false);
        const changes = ld.changes.length + cc.changes.length;
        const again = await ripcord(['--config', config, 'resume', runId], env());
        expect(again.code, again.stderr).toBe(0);
        expect(ld.changes.length + cc.changes.length).toBe(changes);
        const shown = JSON.parse(
          (await ripcord(['--config', config, 'show', runId, '-o', 'json'])).stdout,
        ) as {
          run: { status: string };
          steps: Array<{ stepId: string; status: string }>;
        };
        expect(shown.run.status).toBe('succeeded');
        expect(shown.steps.map((s) => [s.stepId, s.status])).toEqual(STEPS.map((s) => [s, 'done']));
      },
    );
  });

  it('status and config history show each flag’s state and last change; one that cannot be read is not checked', async () => {
    type Flags = Array<{
      flag: string;
      provider: string;
      on?: boolean;
      lastChange?: { at: string; by?: string };
      notChecked?: string;
    }>;
    const res = await ripcord(['--config', config, 'status', 'venue-service', '-o', 'json'], env());
    expect(res.code, res.stderr).toBe(0);
    const flags = (JSON.parse(res.stdout) as { flags: Flags }).flags;
    const byName = Object.fromEntries(flags.map((f) => [f.flag, f]));
    expect(byName['new-pricing']).toMatchObject({ provider: 'launchdarkly', on: false });
    expect(Date.parse(byName['new-pricing']?.lastChange?.at ?? '')).toBeGreaterThan(0);
    expect(byName.guarded).toMatchObject({ provider: 'launchdarkly', on: true });
    expect(byName['new-pricing-cc']).toMatchObject({
      provider: 'configcat',
      on: false,
      lastChange: { by: 'double@example.com' },
    });
    // Not "off": a flag the service could not read is said to be unchecked, with why.
    expect(byName.missing?.on).toBeUndefined();
    expect(byName.missing?.notChecked).toMatch(/no flag no-such-flag in project default/);
    expect(res.stdout).not.toContain(ld.writerToken);

    const text = await ripcord(['--config', config, 'status', 'venue-service'], env());
    expect(text.stdout).toMatch(
      /new-pricing \(LaunchDarkly, .*default\/new-pricing@production\): off, last changed \d{4}-/,
    );
    expect(text.stdout).toMatch(/missing \(LaunchDarkly, .*\): not checked: /);

    const history = await ripcord(
      ['--config', config, 'config', 'history', 'venue-service', '-o', 'json'],
      env(),
    );
    expect(history.code, history.stderr).toBe(0);
    const hf = (JSON.parse(history.stdout) as { flags: Flags }).flags;
    expect(hf.find((f) => f.flag === 'new-pricing-cc')).toMatchObject({
      on: false,
      lastChange: { by: 'double@example.com' },
    });
  });
});
