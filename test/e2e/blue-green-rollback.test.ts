/**
 * Blue-green rollback (runbook 5) on the sandbox: two colour Deployments of venue-service behind one Service
 * whose selector picks the live one; the router routes by the Service's real endpoints. Each test asserts the
 * outcome in the cluster (the selector, the colours' replicas) and which release answered requests.
 */
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ripcord, spawnRipcord } from '../support/cli.js';
import {
  adminKubeConfig,
  deployBlueGreenVenue,
  kubectl,
  sandbox,
  testNamespace,
  versionsServed,
} from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const BLUE_GREEN = [
  '    blueGreen:',
  '      service: venue-service',
  '      selectorKey: version',
  '      colours: { blue: venue-service-blue, green: venue-service-green }',
  '      scaleDownAfter: 1s',
  '      readyTimeout: 10s',
  '      releaseHeader: x-venue-version',
];

const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);
const core = () => adminKubeConfig().makeApiClient(CoreV1Api);

async function selector(ns: string): Promise<Record<string, string>> {
  return (await core().readNamespacedService({ name: 'venue-service', namespace: ns })).spec?.selector ?? {};
}
async function replicas(ns: string, colour: string): Promise<number | undefined> {
  return (await apps().readNamespacedDeployment({ name: `venue-service-${colour}`, namespace: ns })).spec
    ?.replicas;
}
async function scaleTo(ns: string, colour: string, n: number, image?: string): Promise<void> {
  await apps().patchNamespacedDeployment(
    {
      name: `venue-service-${colour}`,
      namespace: ns,
      body: {
        spec: {
          replicas: n,
          ...(image ? { template: { spec: { containers: [{ name: 'venue-service', image }] } } } : {}),
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
}
async function waitReplicas(ns: string, colour: string, want: number, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const d = await apps().readNamespacedDeployment({ name: `venue-service-${colour}`, namespace: ns });
    if ((d.status?.readyReplicas ?? 0) === want && (d.spec?.replicas ?? 0) === want) return;
    if (Date.now() > end) throw new Error(`${colour}: not ${want} ready replicas after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The runbook's starting point again: green (the bad release) scaled up, ready and selected. */
async function greenLiveAgain(ns: string): Promise<void> {
  await scaleTo(ns, 'green', 2);
  await waitReplicas(ns, 'green', 2);
  await core().patchNamespacedService(
    {
      name: 'venue-service',
      namespace: ns,
      body: { spec: { selector: { app: 'venue-service', version: 'green' } } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** A namespace with blue on v1.2.2 and green, live, on the bad v1.2.3; blue keeps its 2 replicas. */
async function setUp(prefix: string) {
  const ns = await testNamespace(prefix);
  await deployBlueGreenVenue(ns.name, 'v1.2.2');
  const { url } = await deployBlueGreenVenue(ns.name, 'v1.2.3');
  const config = writeServiceConfig({ namespace: ns.name, url, verifyWindow: '1s', extra: BLUE_GREEN });
  return { ns, url, config };
}

/**
 * One namespace for the comparison's Ripcord side, the drain test and the crash tests: each starts from
 * greenLiveAgain, so they need no fresh colours of their own (each setUp deploys two and waits for them).
 */
let shared: Awaited<ReturnType<typeof setUp>> | undefined;
async function sharedEnv(): Promise<Awaited<ReturnType<typeof setUp>>> {
  shared ??= await setUp('bg-shared');
  await greenLiveAgain(shared.ns.name);
  return shared;
}
afterAll(async () => shared?.ns.cleanup());

describe('blue-green rollback: --scenario blue-green', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    env = await setUp('bg');
  }, 240_000);
  afterAll(async () => env?.ns.cleanup());

  it('blue healthy: one selector write to blue, every request answered by v1.2.2, green scaled to 0', async () => {
    const ns = env.ns.name;
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'green' });
    expect(await versionsServed(env.url, 10)).toEqual({ 'v1.2.3': 10 });
    const planned = await ripcord([
      '--config',
      env.config,
      'plan',
      'venue-service',
      '--scenario',
      'blue-green',
    ]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain(
      'changed  service-selector service/venue-service -n ' +
        `${ns}: app=venue-service, version=green -> app=venue-service, version=blue`,
    );
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'green' }); // plan changes nothing

    const r = await ripcord([
      '--config',
      env.config,
      'rollback',
      'venue-service',
      '--scenario',
      'blue-green',
      '--yes',
      '-o',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      status: string;
      steps: Array<{ stepId: string; evidence?: { served?: unknown } }>;
    };
    expect(out.status).toBe('succeeded');
    expect(out.steps.map((s) => s.stepId)).toEqual([
      'acquire-lock',
      'switch',
      'verify-traffic',
      'verify',
      'verify-checks',
      'scale-down',
      'release-lock',
    ]);
    expect(out.steps.find((s) => s.stepId === 'verify-traffic')?.evidence?.served).toEqual({ 'v1.2.2': 20 });
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'blue' });
    expect(await versionsServed(env.url, 20)).toEqual({ 'v1.2.2': 20 });
    expect(await replicas(ns, 'green')).toBe(0);
    expect(await replicas(ns, 'blue')).toBe(2);

    const st = await ripcord(['--config', env.config, 'status', 'venue-service', '-o', 'json']);
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as {
      deployment: string;
      blueGreen: {
        live: string;
        colours: Array<{ colour: string; ready: number; desired: number; images: string[] }>;
      };
    };
    expect(status.deployment).toBe('venue-service-blue');
    expect(status.blueGreen.live).toBe('blue');
    expect(status.blueGreen.colours).toEqual([
      expect.objectContaining({ colour: 'blue', ready: 2, desired: 2, images: ['venue-service:v1.2.2'] }),
      expect.objectContaining({ colour: 'green', desired: 0, images: ['venue-service:v1.2.3'] }),
    ]);

    // A second rollback would go back to the bad colour: nothing to do, exit 0, nothing changed.
    const again = await ripcord([
      '--config',
      env.config,
      'rollback',
      'venue-service',
      '--scenario',
      'blue-green',
      '--yes',
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(
      /already serves blue, which rollback r-[0-9a-f-]+ switched to/,
    );
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'blue' });
    // Read from the Service, not this machine's journal: another machine (a config with an empty journal) sees it.
    const elsewhere = writeServiceConfig({ namespace: ns, url: env.url, extra: BLUE_GREEN });
    const other = await ripcord(['--config', elsewhere, 'plan', 'venue-service', '--scenario', 'blue-green']);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout + other.stderr).toMatch(
      /already serves blue, which rollback r-[0-9a-f-]+ switched to/,
    );
  }, 120_000);

  it('blue scaled to 0: scaled up and ready BEFORE the switch, never a blackout', async () => {
    const ns = env.ns.name;
    // Back to the runbook's starting point: green (bad) live, and now blue scaled to 0.
    await greenLiveAgain(ns);
    await scaleTo(ns, 'blue', 0);
    await waitReplicas(ns, 'blue', 0);
    // A fresh journal: the last rollback (to blue) is history in this namespace's story, not this scenario's.
    // readyTimeout 60s, not the file's 10s: two pods from zero took longer than 10s on a loaded CI machine
    // (2026-12-07, exit 3 "0 ready"); the wait ends as soon as they are ready, so a healthy run costs nothing.
    const config = writeServiceConfig({
      namespace: ns,
      url: env.url,
      verifyWindow: '1s',
      extra: BLUE_GREEN.map((l) => l.replace('readyTimeout: 10s', 'readyTimeout: 60s')),
    });
    const r = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'blue-green',
      '--yes',
      '-o',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { steps: Array<{ stepId: string }> };
    expect(out.steps.map((s) => s.stepId).slice(0, 4)).toEqual([
      'acquire-lock',
      'scale-up',
      'wait-ready',
      'switch',
    ]);
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'blue' });
    expect(await replicas(ns, 'blue')).toBe(2);
    expect(await versionsServed(env.url, 20)).toEqual({ 'v1.2.2': 20 });
  }, 120_000);

  it('blue cannot become ready (an image that does not run): refused (exit 3) saying why; the selector never moved', async () => {
    const ns = env.ns.name;
    await greenLiveAgain(ns);
    await scaleTo(ns, 'blue', 0, 'venue-service:v9.9.9');
    await waitReplicas(ns, 'blue', 0);
    const config = writeServiceConfig({ namespace: ns, url: env.url, verifyWindow: '1s', extra: BLUE_GREEN });
    const r = await ripcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'blue-green',
      '--yes',
    ]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      // Why, as the pods show it: waiting in a back-off, or (caught between two restarts) the last exit code.
      /deployment\/venue-service-blue did not get 2 ready replica\(s\) within 10s .*(ErrImagePull|ImagePullBackOff|CrashLoopBackOff|restarted \d+x \(last exit: [^)]*, code [1-9]\d*\))/,
    );
    expect(r.stderr).toMatch(/scaled back to 0; the selector was not switched/);
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'green' });
    expect(await replicas(ns, 'blue')).toBe(0);
    expect(await versionsServed(env.url, 10)).toEqual({ 'v1.2.3': 10 });
  }, 120_000);

  it('bad input: no blueGreen section, a selector key the Service lacks: exit 2 naming the field, nothing changed', async () => {
    const ns = env.ns.name;
    const before = await selector(ns);
    const none = writeServiceConfig({ namespace: ns, url: env.url });
    const a = await ripcord(['--config', none, 'plan', 'venue-service', '--scenario', 'blue-green']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/services\.venue-service\.blueGreen: not configured/);
    const badKey = writeServiceConfig({
      namespace: ns,
      url: env.url,
      extra: BLUE_GREEN.map((l) => l.replace('selectorKey: version', 'selectorKey: colour')),
    });
    const b = await ripcord([
      '--config',
      badKey,
      'rollback',
      'venue-service',
      '--scenario',
      'blue-green',
      '--yes',
    ]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(
      /blueGreen\.selectorKey: service\/venue-service's selector has no "colour" label/,
    );
    const c = await ripcord([
      '--config',
      env.config,
      'plan',
      'venue-service',
      '--scenario',
      'blue-green',
      '--to-revision',
      '2',
    ]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--to-revision: does not apply to --scenario blue-green/);
    expect(await selector(ns)).toEqual(before);
  }, 60_000);
  it('sandbox deploy --strategy blue-green (the CLI): the idle colour gets the release, then the Service', async () => {
    const ns = env.ns.name;
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'green' });
    const bad = await ripcord([
      'sandbox',
      'deploy',
      'venue-service:v1.2.2',
      '--strategy',
      'purple',
      '-n',
      ns,
      '--sandbox-dir',
      sandbox().dir,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--strategy: expected rolling, blue-green, canary or argocd, got "purple"/);
    const r = await ripcord([
      'sandbox',
      'deploy',
      'venue-service:v1.2.2',
      '--strategy',
      'blue-green',
      '--replicas',
      '2',
      '-n',
      ns,
      '--sandbox-dir',
      sandbox().dir,
      '-o',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      strategy: 'blue-green',
      from: 'green',
      to: 'blue',
      deployment: 'venue-service-blue',
    });
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'blue' });
    expect(await replicas(ns, 'blue')).toBe(2);
    expect(await versionsServed(env.url, 10)).toEqual({ 'v1.2.2': 10 });
  }, 120_000);
});

describe('blue-green: same end state as the runbook’s two commands when blue is healthy', () => {
  it('kubectl patch service + kubectl scale leave what ripcord leaves', async () => {
    const a = await setUp('bg-rb');
    const b = await sharedEnv();
    try {
      const patch = await kubectl([
        '-n',
        a.ns.name,
        'patch',
        'service',
        'venue-service',
        '-p',
        '{"spec":{"selector":{"version":"blue"}}}',
      ]);
      expect(patch.code, patch.stderr).toBe(0);
      const scale = await kubectl([
        '-n',
        a.ns.name,
        'scale',
        'deployment',
        'venue-service-green',
        '--replicas=0',
      ]);
      expect(scale.code, scale.stderr).toBe(0);
      const r = await ripcord([
        '--config',
        b.config,
        'rollback',
        'venue-service',
        '--scenario',
        'blue-green',
        '--yes',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(await selector(b.ns.name)).toEqual(await selector(a.ns.name));
      for (const c of ['blue', 'green'])
        expect(await replicas(b.ns.name, c)).toBe(await replicas(a.ns.name, c));
      expect(await versionsServed(b.url, 10)).toEqual({ 'v1.2.2': 10 });
    } finally {
      await a.ns.cleanup();
    }
  }, 300_000);
});

const STEPS = [
  'acquire-lock',
  'switch',
  'verify-traffic',
  'verify',
  'verify-checks',
  'scale-down',
  'release-lock',
];

describe('blue-green: a switch-back during the drain is not scaled to zero under traffic', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    env = await sharedEnv();
  }, 240_000);

  it('someone switches the Service back to green while Ripcord drains it: refused (exit 3), green keeps its pods and serves', async () => {
    const ns = env.ns.name;
    const config = writeServiceConfig({
      namespace: ns,
      url: env.url,
      verifyWindow: '1s',
      extra: BLUE_GREEN.map((l) => l.replace('scaleDownAfter: 1s', 'scaleDownAfter: 20s')),
    });
    const run = spawnRipcord([
      '--config',
      config,
      'rollback',
      'venue-service',
      '--scenario',
      'blue-green',
      '--yes',
    ]);
    const deadline = Date.now() + 90_000;
    while (!/scaling deployment\/venue-service-green to 0 in/.test(run.output())) {
      if (Date.now() > deadline) throw new Error(`the drain never started:\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'blue' });
    // The operator's switch-back (the runbook's own kubectl patch, the other way).
    await core().patchNamespacedService(
      {
        name: 'venue-service',
        namespace: ns,
        body: { spec: { selector: { app: 'venue-service', version: 'green' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const r = await run.done;
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(
      /service\/venue-service selects version=green again since the plan was made: deployment\/venue-service-green still serves, so it was not scaled to 0/,
    );
    expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'green' });
    expect(await replicas(ns, 'green')).toBe(2);
    expect(await versionsServed(env.url, 10)).toEqual({ 'v1.2.3': 10 });
  }, 180_000);
});

describe('blue-green crash safety: SIGKILL at every step boundary, then resume', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    env = await sharedEnv();
  }, 240_000);

  it.each(STEPS)(
    'killed right after %s, resume converges: blue live, green at 0',
    async (step) => {
      const ns = env.ns.name;
      await greenLiveAgain(ns);
      const config = writeServiceConfig({
        namespace: ns,
        url: env.url,
        verifyWindow: '1s',
        extra: BLUE_GREEN,
      });
      const killed = await ripcord(
        ['--config', config, 'rollback', 'venue-service', '--scenario', 'blue-green', '--yes'],
        {
          RIPCORD_FAILPOINT: `kill-after:${step}`,
        },
      );
      expect(killed.code, killed.stderr).not.toBe(0);
      const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(killed.stderr)?.[1] ?? '';
      expect(runId, killed.stderr).not.toBe('');
      const resumed = await ripcord(['--config', config, 'resume', runId, '-o', 'json']);
      expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
      expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('succeeded');
      expect(await selector(ns)).toEqual({ app: 'venue-service', version: 'blue' });
      expect(await replicas(ns, 'green')).toBe(0);
      expect(await versionsServed(env.url, 10)).toEqual({ 'v1.2.2': 10 });
    },
    120_000,
  );
});
