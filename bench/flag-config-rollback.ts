/**
 * bench/flag-config-rollback: recovery time of the runbook's section 3 and 4 rollbacks on the sandbox, against
 * the runbook's targets (flag < 1 min, config < 5 min) and against the runbook's own commands, timed in the
 * same script on the same Deployment under the same load (GET /api/venues at 30 rps through the router).
 *
 * Flag, Unleash: `ripcord rollback --scenario flag --flag new-pricing` versus the runbook's "toggle flag ... via
 *   API" (one POST to Unleash's admin API, what `curl` does). Measured: command start to Unleash reporting the
 *   flag off (polled every 20 ms), the command's wall time, and command start to the last 5xx users saw.
 * Flag, LaunchDarkly and ConfigCat (issue 17): the same, against each provider's bare API call (LaunchDarkly's
 *   semantic patch turnFlagOff; ConfigCat's JSON Patch of the default value), on the doubles of test/support (run
 *   in this process; neither service can run here), the pods reading the flag through each provider's SDK.
 * Flag, env var: `ripcord rollback --scenario flag --flag new-pricing-env` versus the runbook's
 *   `kubectl set env deployment/venue-service FEATURE_NEW_PRICING=false` + `kubectl rollout status`.
 * Config: `ripcord rollback --scenario config --to-version 1` versus the runbook's `kubectl apply -f` (v1's data
 *   under the live name) + `kubectl rollout restart` + `kubectl rollout status`, after config v2 broke the pods.
 *
 * Runs against the sandbox named by RIPCORD_SANDBOX_DIR (or ./.ripcord/sandbox), which must include Unleash.
 * Usage: node dist/bench/flag-config-rollback.js [--runs 3] [--replicas 3]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { repoRoot } from '../src/sandbox/control-plane/binaries.js';
import { deployRelease } from '../src/sandbox/deploy.js';
import { loadKubeConfig } from '../src/sandbox/kube-clients.js';
import { createDatabase } from '../src/sandbox/postgres.js';
import { waitForRoute } from '../src/sandbox/router/routes.js';
import { putDatabaseSecret } from '../src/sandbox/sandbox.js';
import { readState, sandboxDir, sandboxPaths } from '../src/sandbox/state.js';
import { lastErrorAt, recordStatuses } from '../src/sandbox/status-recorder.js';
import {
  ensureFeature,
  putUnleashSecret,
  readUnleashSecrets,
  setFeatureEnabled,
  UNLEASH_ENVIRONMENT,
  UNLEASH_PROJECT,
} from '../src/sandbox/unleash.js';
import { waitForDeploymentRollout } from '../src/sandbox/wait-rollout.js';
import { startConfigCatDouble } from '../test/support/configcat-double.js';
import { startLaunchDarklyDouble } from '../test/support/launchdarkly-double.js';
import { arg, sec } from './support/bench-cli.js';
import { reportGoal } from './support/goals.js';

const run = promisify(execFile);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** One timed run: command start to flag off (when observable), to command exit, to the last 5xx. */
interface Sample {
  offMs?: number;
  doneMs: number;
  last5xxMs: number;
  /** 5xx among the requests of the 3 s before the start: proof the bad flag or config was live for users. */
  errorsBefore: number;
}

interface Row {
  scenario: string;
  method: string;
  targetMs: number;
  samples: Sample[];
}

async function main(): Promise<void> {
  const state = readState(sandboxDir());
  if (!state) throw new Error('no sandbox: run `npx ripcord sandbox up` first (or set RIPCORD_SANDBOX_DIR)');
  if (!state.unleash)
    throw new Error('this sandbox has no Unleash: restart it (`ripcord sandbox down && up`)');
  const runs = Number(arg('runs', '3'));
  // bench/run.ts passes app-rollback's list (3,20) to every bench: the first size is ours.
  const replicas = Number(arg('replicas', '3').split(',')[0]);
  const kc = loadKubeConfig(state.kube.kubeconfig);
  const kubectl = join(state.kube.binDir, 'kubectl');
  const ripcordBin = join(repoRoot(), 'bin', 'ripcord.js');
  const unleash = { url: state.unleash.url, ...readUnleashSecrets(state.unleash.secretsFile) };

  const [ld, cc] = await Promise.all([startLaunchDarklyDouble(), startConfigCatDouble()]);
  const ccEnv = cc.environments.production as string;
  const ldOn = () =>
    ld.putFlag({ project: 'default', key: 'new-pricing', environments: { production: { on: true } } });
  const ccOn = () =>
    cc.putSetting({ configId: cc.configId, key: 'newPricing', values: { [ccEnv]: { defaultValue: true } } });
  ldOn();
  const ccSetting = ccOn();

  const ns = `bench-flag-${Date.now() % 100000}`;
  const feature = `new-pricing-${ns}`;
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const dbUrl = await createDatabase(state.postgres?.url ?? '', `bench_${ns.replace(/-/g, '_')}`);
  await putDatabaseSecret(kc, ns, dbUrl);
  await ensureFeature(unleash.url, unleash.adminToken, feature);
  await putUnleashSecret(kc, ns, { url: unleash.url, clientToken: unleash.clientToken, feature });
  await deployRelease(kc, { namespace: ns, image: 'venue-service:v1.2.2', replicas });
  await waitForDeploymentRollout(kc, ns, 'venue-service', { timeoutMs: 600_000 });
  const url = await waitForRoute(sandboxPaths(state.dir).routes, ns, 'venue-service', 30_000);
  const config = join(mkdtempSync(join(tmpdir(), 'ripcord-bench-')), 'ripcord.yaml');
  writeFileSync(
    config,
    [
      'version: 1',
      'journal: { driver: sqlite, path: journal.db }',
      'services:',
      '  venue-service:',
      `    kube: { namespace: ${ns}, kubeconfig: ${state.kube.kubeconfig} }`,
      `    healthUrl: ${url}/api/venues/health`,
      '    verify: { window: 0s, require: [pods, health] }',
      '    rollout: { timeout: 10m }',
      '    flags:',
      `      new-pricing: { provider: unleash, url: ${unleash.url}, environment: ${UNLEASH_ENVIRONMENT}, feature: ${feature} }`,
      `      new-pricing-ld: { provider: launchdarkly, url: ${ld.url}, environment: production, feature: new-pricing }`,
      `      new-pricing-cc: { provider: configcat, url: ${cc.url}, config: ${cc.configId}, environment: ${ccEnv}, feature: newPricing }`,
      '      new-pricing-env: { provider: env, variable: FEATURE_NEW_PRICING }',
      '',
    ].join('\n'),
  );
  const env = {
    ...process.env,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    LAUNCHDARKLY_API_TOKEN: ld.writerToken,
    CONFIGCAT_BASIC_AUTH_USERNAME: cc.user.username,
    CONFIGCAT_BASIC_AUTH_PASSWORD: cc.user.password,
  };
  const k = ['--kubeconfig', state.kube.kubeconfig, '-n', ns];
  const core = kc.makeApiClient(CoreV1Api);
  const ripcord = (flag: string) =>
    run(
      process.execPath,
      [
        ripcordBin,
        '--config',
        config,
        'rollback',
        'venue-service',
        '--scenario',
        'flag',
        '--flag',
        flag,
        '--yes',
      ],
      { env },
    );

  const flagEnabled = async (): Promise<boolean> => {
    const res = await fetch(`${unleash.url}/api/admin/projects/${UNLEASH_PROJECT}/features/${feature}`, {
      headers: { Authorization: unleash.adminToken },
    });
    const body = (await res.json()) as { environments: Array<{ name: string; enabled: boolean }> };
    return body.environments.find((e) => e.name === UNLEASH_ENVIRONMENT)?.enabled === true;
  };

  /** Runs `action` under load; returns its times relative to its start. `off` observes the flag when given. */
  const timed = async (action: () => Promise<unknown>, off?: () => Promise<boolean>): Promise<Sample> => {
    const load = recordStatuses(`${url}/api/venues`, 30);
    await sleep(3000);
    const t0 = performance.now();
    let offAt: number | undefined;
    const watcher = off
      ? (async () => {
          while (offAt === undefined && performance.now() - t0 < 120_000) {
            if (await off()) offAt = performance.now();
            else await sleep(20);
          }
        })()
      : Promise.resolve();
    await action();
    const doneAt = performance.now();
    await watcher;
    // Long enough for the SDKs' 1 s poll and for the last old pod to leave the router.
    await sleep(5000);
    const samples = await load.stop();
    const last = lastErrorAt(samples.filter((s) => s.sentAt >= t0)) ?? t0;
    return {
      ...(offAt !== undefined ? { offMs: offAt - t0 } : {}),
      doneMs: doneAt - t0,
      last5xxMs: last - t0,
      errorsBefore: samples.filter((s) => s.sentAt < t0 && (s.status >= 500 || s.status === 0)).length,
    };
  };

  const rows: Row[] = [
    { scenario: 'flag (Unleash)', method: 'ripcord rollback --scenario flag', targetMs: 60_000, samples: [] },
    {
      scenario: 'flag (Unleash)',
      method: 'runbook: API call (POST .../environments/development/off)',
      targetMs: 60_000,
      samples: [],
    },
    { scenario: 'flag (env var)', method: 'ripcord rollback --scenario flag', targetMs: 60_000, samples: [] },
    {
      scenario: 'flag (env var)',
      method: 'runbook: kubectl set env + rollout status',
      targetMs: 60_000,
      samples: [],
    },
  ];
  const [ourUnleash, peerUnleash, ourEnv, peerEnv] = rows as [Row, Row, Row, Row];
  const isOff = async () => !(await flagEnabled());
  const setEnvTrue = async (): Promise<void> => {
    await run(kubectl, [...k, 'set', 'env', 'deployment/venue-service', 'FEATURE_NEW_PRICING=true']);
    await waitForDeploymentRollout(kc, ns, 'venue-service', { timeoutMs: 600_000 });
  };
  const note = (what: string, s: Sample): void => {
    process.stderr.write(
      `${what}: off ${s.offMs === undefined ? '-' : sec(s.offMs)}, done ${sec(s.doneMs)}, last 5xx ${sec(s.last5xxMs)}\n`,
    );
  };

  for (let i = 0; i < runs; i++) {
    await setFeatureEnabled(unleash.url, unleash.adminToken, feature, true);
    ourUnleash.samples.push(await timed(() => ripcord('new-pricing'), isOff));
    note(`unleash ripcord run ${i + 1}`, ourUnleash.samples.at(-1) as Sample);

    await setFeatureEnabled(unleash.url, unleash.adminToken, feature, true);
    peerUnleash.samples.push(
      await timed(() => setFeatureEnabled(unleash.url, unleash.adminToken, feature, false), isOff),
    );
    note(`unleash API run ${i + 1}`, peerUnleash.samples.at(-1) as Sample);
  }
  // ---- LAUNCHDARKLY AND CONFIGCAT (issue 17) ------------------------------------------------------------
  // The pods read the flag service Secret venue-service-flags names at start: each switch is a restart.
  const switchPods = async (data: Record<string, string> | undefined): Promise<void> => {
    await core.deleteNamespacedSecret({ name: 'venue-service-flags', namespace: ns }).catch(() => undefined);
    if (data) {
      await core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: 'venue-service-flags' }, type: 'Opaque', stringData: data },
      });
    }
    await run(kubectl, [...k, 'rollout', 'restart', 'deployment/venue-service']);
    await waitForDeploymentRollout(kc, ns, 'venue-service', { timeoutMs: 600_000 });
  };
  const ldApiOff = async (): Promise<void> => {
    const res = await fetch(`${ld.url}/api/v2/flags/default/new-pricing`, {
      method: 'PATCH',
      headers: {
        Authorization: ld.writerToken,
        'Content-Type': 'application/json; domain-model=launchdarkly.semanticpatch',
      },
      body: JSON.stringify({ environmentKey: 'production', instructions: [{ kind: 'turnFlagOff' }] }),
    });
    if (!res.ok) throw new Error(`LaunchDarkly double: PATCH ${res.status}`);
  };
  const ccApiOff = async (): Promise<void> => {
    const basic = Buffer.from(`${cc.user.username}:${cc.user.password}`).toString('base64');
    const res = await fetch(`${cc.url}/v2/environments/${ccEnv}/settings/${ccSetting}/value`, {
      method: 'PATCH',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/json' },
      body: JSON.stringify([{ op: 'replace', path: '/defaultValue/boolValue', value: false }]),
    });
    if (!res.ok) throw new Error(`ConfigCat double: PATCH ${res.status}`);
  };
  const providers: Array<{
    name: string;
    flag: string;
    api: string;
    secret: Record<string, string>;
    on: () => void;
    off: () => Promise<void>;
    isOff: () => Promise<boolean>;
  }> = [
    {
      name: 'LaunchDarkly',
      flag: 'new-pricing-ld',
      api: 'runbook: API call (PATCH semantic patch turnFlagOff)',
      secret: { LAUNCHDARKLY_SDK_KEY: ld.sdkKeys.production as string, LAUNCHDARKLY_BASE_URI: ld.url },
      on: ldOn,
      off: ldApiOff,
      isOff: async () => ld.isOn('default', 'new-pricing', 'production') === false,
    },
    {
      name: 'ConfigCat',
      flag: 'new-pricing-cc',
      api: 'runbook: API call (PATCH JSON Patch of the value)',
      secret: { CONFIGCAT_SDK_KEY: cc.sdkKeys.production as string, CONFIGCAT_BASE_URL: cc.url },
      on: () => void ccOn(),
      off: ccApiOff,
      isOff: async () => cc.valueOf('newPricing', ccEnv)?.defaultValue === false,
    },
  ];
  const serviceRows: Array<[Row, Row]> = [];
  for (const p of providers) {
    const ours: Row = {
      scenario: `flag (${p.name})`,
      method: 'ripcord rollback --scenario flag',
      targetMs: 60_000,
      samples: [],
    };
    const peer: Row = { scenario: `flag (${p.name})`, method: p.api, targetMs: 60_000, samples: [] };
    serviceRows.push([ours, peer]);
    await switchPods(p.secret);
    for (let i = 0; i < runs; i++) {
      p.on();
      ours.samples.push(await timed(() => ripcord(p.flag), p.isOff));
      note(`${p.name} ripcord run ${i + 1}`, ours.samples.at(-1) as Sample);
      p.on();
      peer.samples.push(await timed(p.off, p.isOff));
      note(`${p.name} API run ${i + 1}`, peer.samples.at(-1) as Sample);
    }
  }
  await switchPods(undefined);
  rows.splice(2, 0, ...serviceRows.flat());
  // -------------------------------------------------------------------------------------------------------

  // The env-var variant reads FEATURE_NEW_PRICING only when Unleash is not configured for the pod.
  await kc.makeApiClient(CoreV1Api).deleteNamespacedSecret({ name: 'venue-service-unleash', namespace: ns });
  for (let i = 0; i < runs; i++) {
    await setEnvTrue();
    ourEnv.samples.push(await timed(() => ripcord('new-pricing-env')));
    note(`env ripcord run ${i + 1}`, ourEnv.samples.at(-1) as Sample);

    await setEnvTrue();
    peerEnv.samples.push(
      await timed(async () => {
        await run(kubectl, [...k, 'set', 'env', 'deployment/venue-service', 'FEATURE_NEW_PRICING=false']);
        await run(kubectl, [...k, 'rollout', 'status', 'deployment/venue-service', '--timeout=10m']);
      }),
    );
    note(`env kubectl run ${i + 1}`, peerEnv.samples.at(-1) as Sample);
  }

  // ---- CONFIG SCENARIO ----------------------------------------------------------------------------------
  // Runbook 3: config v2 (invalid pricing mode) is live and restarted pods fail health. Ripcord's
  // `rollback --scenario config --to-version 1` versus the runbook's own commands: `kubectl apply -f` of
  // configmap-v1.yaml with its name renamed onto the live object (written before the clock starts, as the file
  // is in git), `kubectl rollout restart`, `kubectl rollout status`. Same Deployment, same load.
  const ourConfig: Row = {
    scenario: 'config (ConfigMap)',
    method: 'ripcord rollback --scenario config',
    targetMs: 300_000,
    samples: [],
  };
  const peerConfig: Row = {
    scenario: 'config (ConfigMap)',
    method: 'runbook: kubectl apply + rollout restart + rollout status',
    targetMs: 300_000,
    samples: [],
  };
  rows.push(ourConfig, peerConfig);
  const v1 = await core.readNamespacedConfigMap({ name: 'venue-service-config-v1', namespace: ns });
  const runbookFile = join(mkdtempSync(join(tmpdir(), 'ripcord-bench-cm-')), 'configmap-v1-as-current.json');
  writeFileSync(
    runbookFile,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'venue-service-config', labels: { app: 'venue-service' } },
      data: v1.data,
    }),
  );
  const breakConfig = async (): Promise<void> => {
    const [v2, live] = await Promise.all([
      core.readNamespacedConfigMap({ name: 'venue-service-config-v2', namespace: ns }),
      core.readNamespacedConfigMap({ name: 'venue-service-config', namespace: ns }),
    ]);
    await core.replaceNamespacedConfigMap({
      name: 'venue-service-config',
      namespace: ns,
      body: { metadata: live.metadata, data: v2.data },
    });
    await run(kubectl, [...k, 'rollout', 'restart', 'deployment/venue-service']);
    // The bad config is live once a restarted pod runs but fails its readiness probe.
    const end = performance.now() + 120_000;
    while (performance.now() < end) {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=venue-service' }))
        .items;
      const bad = pods.some(
        (p) =>
          p.status?.phase === 'Running' &&
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'False'),
      );
      if (bad) return;
      await sleep(250);
    }
    throw new Error('config v2 never produced an unready pod');
  };
  const ripcordConfig = () =>
    run(
      process.execPath,
      [
        ripcordBin,
        '--config',
        config,
        'rollback',
        'venue-service',
        '--scenario',
        'config',
        '--to-version',
        '1',
        '--yes',
      ],
      { env },
    );
  for (let i = 0; i < runs; i++) {
    await breakConfig();
    ourConfig.samples.push(await timed(ripcordConfig));
    note(`config ripcord run ${i + 1}`, ourConfig.samples.at(-1) as Sample);

    await breakConfig();
    peerConfig.samples.push(
      await timed(async () => {
        await run(kubectl, [...k, 'apply', '-f', runbookFile]);
        await run(kubectl, [...k, 'rollout', 'restart', 'deployment/venue-service']);
        await run(kubectl, [...k, 'rollout', 'status', 'deployment/venue-service', '--timeout=10m']);
      }),
    );
    note(`config kubectl run ${i + 1}`, peerConfig.samples.at(-1) as Sample);
  }
  // -------------------------------------------------------------------------------------------------------

  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns });
  await Promise.all([ld.close(), cc.close()]);
  console.log(
    `bench/flag-config-rollback ${new Date().toISOString()} (${replicas} replicas, ${runs} runs each, medians, ` +
      `times from command start; load 30 rps GET /api/venues)`,
  );
  console.log(
    '| scenario | method | 5xx in the 3 s before (sum) | to flag off | command done | last 5xx seen | RTO target | met |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const off = r.samples.map((s) => s.offMs).filter((x): x is number => x !== undefined);
    const done = median(r.samples.map((s) => s.doneMs));
    const last = median(r.samples.map((s) => s.last5xxMs));
    const recovered = Math.max(done, last);
    console.log(
      `| ${r.scenario} | ${r.method} | ${r.samples.reduce((n, x) => n + x.errorsBefore, 0)} | ` +
        `${off.length ? sec(median(off)) : '-'} | ${sec(done)} | ${sec(last)} | ` +
        `${sec(r.targetMs)} | ${recovered <= r.targetMs ? 'yes' : 'no'} |`,
    );
  }
  // Issue 16's goal for the Unleash row: command start to the flag off, under a second.
  const unleashOff = ourUnleash.samples.map((x) => x.offMs).filter((x): x is number => x !== undefined);
  reportGoal({
    bench: 'flag-config-rollback',
    measure: `Unleash flag off, command start → off (median of ${runs}, under load)`,
    goal: '< 1 s',
    measured: unleashOff.length
      ? `${sec(median(unleashOff))} (API call ${sec(median(peerUnleash.samples.map((x) => x.offMs ?? NaN)))})`
      : 'never observed off',
    met: unleashOff.length === runs && median(unleashOff) < 1000,
  });
  // Issue 17: LaunchDarkly and ConfigCat reported beside Unleash (no goal of their own).
  for (const [ours, peer] of serviceRows) {
    const off = ours.samples.map((x) => x.offMs).filter((x): x is number => x !== undefined);
    const api = peer.samples.map((x) => x.offMs).filter((x): x is number => x !== undefined);
    reportGoal({
      bench: 'flag-config-rollback',
      measure: `${ours.scenario}: command start → off (median of ${runs}, under load)`,
      goal: 'report (Unleash’s goal is < 1 s)',
      measured: off.length
        ? `${sec(median(off))} (API call ${api.length ? sec(median(api)) : '-'})`
        : 'never observed off',
    });
  }
  // Ratio of command wall times (medians), Ripcord against the runbook's commands, per scenario.
  for (const [ours, peer] of [
    [ourEnv, peerEnv],
    [ourConfig, peerConfig],
  ] as const) {
    const a = median(ours.samples.map((x) => x.doneMs));
    const b = median(peer.samples.map((x) => x.doneMs));
    console.log(
      `${ours.scenario}: ripcord/runbook = ${(a / b).toFixed(2)} (${sec(a)} vs ${sec(b)}); ` +
        `ripcord uses ${((100 * a) / ours.targetMs).toFixed(1)}% of the ${sec(ours.targetMs)} RTO target`,
    );
    // Issue 16 sets 1.1× for the config rollback; the env-var flag has no ratio goal, only its report.
    reportGoal({
      bench: 'flag-config-rollback',
      measure: `${ours.scenario}, ripcord / runbook commands (median of ${runs})`,
      goal: ours === ourConfig ? '≤ 1.1× kubectl apply + restart + status' : 'report',
      measured: `${(a / b).toFixed(2)}× (${sec(a)} vs ${sec(b)})`,
      ...(ours === ourConfig ? { met: a / b <= 1.1 } : {}),
    });
  }
}

await main();
