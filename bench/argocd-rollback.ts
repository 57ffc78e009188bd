/**
 * bench/argocd-rollback: an Argo CD-managed venue-service (auto-sync with self-heal) running the bad v1.2.3,
 * rolled back to v1.2.2 by `ripcord rollback --scenario argocd` versus the runbook's steps done in the order a
 * person must run them against the same Argo CD (the sandbox's stand-in): `argocd app set --sync-policy none`,
 * `argocd app rollback APP ID`, `argocd app wait --health` (their API calls, made from this process: the
 * argocd CLI cannot be installed here; the wait polls every 250 ms, about what its watch stream gives).
 *
 * Per run, each tool in a namespace of its own (set up untimed: v1.2.2 synced, then v1.2.3 committed and
 * auto-synced), timed from the command's start:
 *   (a) -> v1.2.2 serving and Healthy: 10 of 10 requests answered by v1.2.2 and the Application Healthy on it;
 *   (b) the whole command (Ripcord: plan, lock, pause, rollback, wait, rollout, verify, checklist, unlock;
 *       the peer: policy off, rollback, wait).
 * Prints p50 and p95 and the ratios Ripcord/peer. Ripcord's extra time is its verification; what it buys is
 * that the rollback holds (the peer's does too here, as it also turned auto-sync off — the step people forget).
 *
 * Runs against the sandbox named by RIPCORD_SANDBOX_DIR (or ./.ripcord/sandbox); start one with
 * `npx ripcord sandbox up`. Usage: node dist/bench/argocd-rollback.js [--runs 3] [--verify-window 1s]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { createArgoCdApi, type ArgoCdApi } from '../src/adapters/argocd/argocd-api.js';
import { APPLICATIONS, ARGOCD_GROUP, ARGOCD_VERSION, IN_CLUSTER } from '../src/sandbox/argocd/application.js';
import {
  commitDirectory,
  ensureManifestRepo,
  releaseManifests,
} from '../src/sandbox/argocd/manifest-repo.js';
import { readArgoTokens } from '../src/sandbox/argocd/tokens.js';
import { repoRoot } from '../src/sandbox/control-plane/binaries.js';
import { loadKubeConfig } from '../src/sandbox/kube-clients.js';
import { waitForRoute } from '../src/sandbox/router/routes.js';
import { readState, sandboxDir, sandboxPaths, type SandboxState } from '../src/sandbox/state.js';
import { namespaceFor } from './support/bench-namespace.js';
import { arg, sec, served, sleep, stats } from './support/bench-cli.js';
import { appViewOf } from '../src/scenarios/argocd/app-view.js';
import { settledOn as settled } from '../src/scenarios/argocd/handlers.js';

const execFileP = promisify(execFile);
const GOOD = 'v1.2.2';
const BAD = 'v1.2.3';
const POLICY = { automated: { prune: true, selfHeal: true } };
type Tool = 'ripcord' | 'runbook';

interface Env {
  state: SandboxState;
  kc: KubeConfig;
  api: ArgoCdApi;
  token: string;
  ripcordBin: string;
  verifyWindow: string;
}

/** Whether every one of `n` GETs was answered by `version`. */
async function allServedBy(url: string, version: string, n: number): Promise<boolean> {
  return (await served(url, n))[version] === n;
}

/** `argocd app wait --health` on `revision`, judged as the argocd scenario's wait step judges it. */
async function settledOn(
  env: Env,
  ref: { name: string; namespace: string },
  revision: string,
): Promise<boolean> {
  return settled(appViewOf(await env.api.getApplication(ref)), revision);
}

async function until(what: string, check: () => Promise<boolean>, ms: number, pollMs = 250): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

async function oneRun(env: Env, tool: Tool, i: number): Promise<{ servingMs: number; wallMs: number }> {
  const ns = `ba-${tool === 'ripcord' ? 'rc' : 'rb'}-${i}-${randomBytes(2).toString('hex')}`;
  const space = await namespaceFor(env, ns);
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-bench-argo-'));
  try {
    // Setup, untimed: v1.2.2 synced by auto-sync, then v1.2.3 committed and auto-synced.
    const repo = join(dir, 'manifests.git');
    const repoURL = await ensureManifestRepo(repo);
    const good = await commitDirectory(
      repo,
      'venue-service',
      releaseManifests(`venue-service:${GOOD}`, { replicas: 2 }),
      GOOD,
    );
    const custom = env.kc.makeApiClient(CustomObjectsApi);
    const cr = { group: ARGOCD_GROUP, version: ARGOCD_VERSION, plural: APPLICATIONS, namespace: ns };
    await custom.createNamespacedCustomObject({
      ...cr,
      body: {
        apiVersion: `${ARGOCD_GROUP}/${ARGOCD_VERSION}`,
        kind: 'Application',
        metadata: { name: 'venue-service', namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL, path: 'venue-service', targetRevision: 'main' },
          destination: { server: IN_CLUSTER, namespace: ns },
          syncPolicy: POLICY,
        },
      },
    });
    const ref = { name: 'venue-service', namespace: ns };
    await until(`${GOOD} synced`, () => settledOn(env, ref, good), 180_000, 500);
    const bad = await commitDirectory(
      repo,
      'venue-service',
      releaseManifests(`venue-service:${BAD}`, { replicas: 2 }),
      BAD,
    );
    await custom.patchNamespacedCustomObject(
      {
        ...cr,
        name: 'venue-service',
        body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await until(`${BAD} synced`, () => settledOn(env, ref, bad), 180_000, 500);
    const url = await waitForRoute(sandboxPaths(env.state.dir).routes, ns, 'venue-service', 30_000);
    await until(`${BAD} serving`, () => allServedBy(url, BAD, 10), 60_000, 500);

    const start = Date.now();
    let servingAt = 0;
    const watching = until(
      `${GOOD} serving and Healthy`,
      async () => {
        if (!(await allServedBy(url, GOOD, 10)) || !(await settledOn(env, ref, good))) return false;
        servingAt = Date.now();
        return true;
      },
      300_000,
    );
    if (tool === 'runbook') {
      await env.api.setSyncPolicy(ref, { automated: null }); // argocd app set APP --sync-policy none
      const history = (await env.api.getApplication(ref)).status?.history ?? [];
      const target = history.findLast((h) => h.revision === good);
      if (!target) throw new Error('no history entry of the good revision');
      await env.api.rollback(ref, target.id); // argocd app rollback APP ID
      await until('argocd app wait --health', () => settledOn(env, ref, good), 300_000); // argocd app wait
    } else {
      const config = join(dir, 'ripcord.yaml');
      writeFileSync(
        config,
        [
          'version: 1',
          'journal: { driver: sqlite, path: journal.db }',
          'services:',
          '  venue-service:',
          `    kube: { namespace: ${ns}, kubeconfig: ${env.state.kube.kubeconfig} }`,
          `    healthUrl: ${url}/api/venues/health`,
          `    verify: { window: ${env.verifyWindow}, require: [pods, health] }`,
          '    rollout: { timeout: 3m }',
          '    lock: { leaseSeconds: 30 }',
          `    argocd: { server: '${env.api.server}' }`,
          '',
        ].join('\n'),
      );
      await execFileP(
        process.execPath,
        [env.ripcordBin, '--config', config, 'rollback', 'venue-service', '--scenario', 'argocd', '--yes'],
        {
          env: { ...process.env, ARGOCD_AUTH_TOKEN: env.token },
          maxBuffer: 16 * 1024 * 1024,
          timeout: 300_000,
        },
      );
    }
    const wallMs = Date.now() - start;
    await watching;
    return { servingMs: servingAt - start, wallMs };
  } finally {
    await space.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const state = readState(sandboxDir());
  if (!state?.argocd)
    throw new Error(
      'no sandbox with Argo CD: run `npx ripcord sandbox up` first (or set RIPCORD_SANDBOX_DIR)',
    );
  const token = readArgoTokens(state.argocd.tokensFile).admin;
  const TOKEN_ENV = 'RIPCORD_BENCH_ARGOCD_TOKEN';
  process.env[TOKEN_ENV] = token;
  const env: Env = {
    state,
    kc: loadKubeConfig(state.kube.kubeconfig),
    api: createArgoCdApi({ url: state.argocd.url, token: { env: TOKEN_ENV }, timeoutMs: 10_000 }),
    token,
    ripcordBin: join(repoRoot(), 'bin', 'ripcord.js'),
    verifyWindow: arg('verify-window', '1s'),
  };
  const runs = Number(arg('runs', '3'));
  const results: Record<Tool, Array<{ servingMs: number; wallMs: number }>> = { ripcord: [], runbook: [] };
  for (let i = 0; i < runs; i++) {
    // Alternating which tool goes first, so neither always follows the other's namespace teardown.
    for (const tool of (i % 2 === 0 ? ['runbook', 'ripcord'] : ['ripcord', 'runbook']) as Tool[]) {
      const r = await oneRun(env, tool, i);
      results[tool].push(r);
      process.stderr.write(
        `run ${i + 1} ${tool}: ${GOOD} serving and Healthy ${sec(r.servingMs)}, command ${sec(r.wallMs)}\n`,
      );
    }
  }
  const cell = (xs: number[]): string => {
    const s = stats(xs);
    return `${sec(s.p50)} / ${sec(s.p95)}`;
  };
  const p50 = (t: Tool, f: 'servingMs' | 'wallMs'): number => stats(results[t].map((r) => r[f])).p50;
  console.log(
    `bench/argocd-rollback ${new Date().toISOString()} (${runs} runs each, sandbox Argo CD stand-in; p50 / p95)`,
  );
  console.log('| tool | start -> v1.2.2 serving and Healthy | whole command |');
  console.log('|---|---|---|');
  console.log(
    `| runbook (policy off, rollback, wait) | ${cell(results.runbook.map((r) => r.servingMs))} | ${cell(results.runbook.map((r) => r.wallMs))} |`,
  );
  console.log(
    `| ripcord --scenario argocd | ${cell(results.ripcord.map((r) => r.servingMs))} | ${cell(results.ripcord.map((r) => r.wallMs))} |`,
  );
  console.log(
    `ratio ripcord/runbook (p50): serving ${(p50('ripcord', 'servingMs') / p50('runbook', 'servingMs')).toFixed(2)}, ` +
      `command ${(p50('ripcord', 'wallMs') / p50('runbook', 'wallMs')).toFixed(2)}`,
  );
}

await main();
