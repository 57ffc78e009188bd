/**
 * bench/app-rollback: wall time from command start to "rolled out and healthy" for `ripcord rollback` versus
 * the runbook's `kubectl rollout undo && kubectl rollout status` (+ the runbook's health curl), on the same
 * sandbox Deployment, at 3 and 20 replicas, several runs each. Prints medians and the ratio.
 *
 * Runs against the sandbox named by RIPCORD_SANDBOX_DIR (or ./.ripcord/sandbox); start one with
 * `npx ripcord sandbox up`. Usage: node dist/bench/app-rollback.js [--runs 3] [--replicas 3,20]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { repoRoot } from '../src/sandbox/control-plane/binaries.js';
import { deployRelease } from '../src/sandbox/deploy.js';
import { loadKubeConfig } from '../src/sandbox/kube-clients.js';
import { createDatabase } from '../src/sandbox/postgres.js';
import { waitForRoute } from '../src/sandbox/router/routes.js';
import { putDatabaseSecret } from '../src/sandbox/sandbox.js';
import { readState, sandboxDir, sandboxPaths } from '../src/sandbox/state.js';
import { waitForDeploymentRollout } from '../src/sandbox/wait-rollout.js';
import { arg } from './support/bench-cli.js';
import { reportGoal } from './support/goals.js';

const run = promisify(execFile);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const state = readState(sandboxDir());
  if (!state) throw new Error('no sandbox: run `npx ripcord sandbox up` first (or set RIPCORD_SANDBOX_DIR)');
  const runs = Number(arg('runs', '3'));
  const sizes = arg('replicas', '3,20').split(',').map(Number);
  const kc = loadKubeConfig(state.kube.kubeconfig);
  const kubectl = join(state.kube.binDir, 'kubectl');
  const ripcordBin = join(repoRoot(), 'bin', 'ripcord.js');
  const rows: string[] = [];

  for (const replicas of sizes) {
    const ns = `bench-app-${replicas}-${Date.now() % 100000}`;
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
    const dbUrl = await createDatabase(state.postgres?.url ?? '', `bench_${ns.replace(/-/g, '_')}`);
    await putDatabaseSecret(kc, ns, dbUrl);
    const deploy = async (tag: string): Promise<void> => {
      await deployRelease(kc, { namespace: ns, image: `venue-service:${tag}`, replicas });
      await waitForDeploymentRollout(kc, ns, 'venue-service', { timeoutMs: 600_000 });
    };
    await deploy('v1.2.2');
    const url = await waitForRoute(sandboxPaths(state.dir).routes, ns, 'venue-service', 30_000);
    const cfgDir = mkdtempSync(join(tmpdir(), 'ripcord-bench-'));
    const config = join(cfgDir, 'ripcord.yaml');
    writeFileSync(
      config,
      `version: 1\njournal: { driver: sqlite, path: journal.db }\nservices:\n  venue-service:\n` +
        `    kube: { namespace: ${ns}, kubeconfig: ${state.kube.kubeconfig} }\n` +
        `    healthUrl: ${url}/api/venues/health\n    verify: { window: 0s, require: [pods, health] }\n    rollout: { timeout: 10m }\n`,
    );
    const peer: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < runs; i++) {
      await deploy('v1.2.3');
      let t0 = performance.now();
      const k = ['--kubeconfig', state.kube.kubeconfig, '-n', ns];
      await run(kubectl, [...k, 'rollout', 'undo', 'deployment/venue-service']);
      await run(kubectl, [...k, 'rollout', 'status', 'deployment/venue-service', '--timeout=10m']);
      const health = await fetch(`${url}/api/venues/health`);
      if (health.status !== 200) throw new Error(`kubectl run ${i}: health ${health.status}`);
      peer.push(performance.now() - t0);

      await deploy('v1.2.3');
      t0 = performance.now();
      await run(process.execPath, [ripcordBin, '--config', config, 'rollback', 'venue-service', '--yes']);
      ours.push(performance.now() - t0);
      process.stderr.write(
        `replicas ${replicas} run ${i + 1}: kubectl ${(peer.at(-1) ?? 0).toFixed(0)} ms, ripcord ${(ours.at(-1) ?? 0).toFixed(0)} ms\n`,
      );
    }
    const p = median(peer);
    const o = median(ours);
    rows.push(
      `| ${replicas} | ${runs} | ${(p / 1000).toFixed(2)} s | ${(o / 1000).toFixed(2)} s | ${(o / p).toFixed(2)} |`,
    );
    reportGoal({
      bench: 'app-rollback',
      measure: `ripcord rollback, ${replicas} replicas (median of ${runs})`,
      goal: '≤ 1.05× kubectl undo + status + curl',
      measured: `${(o / p).toFixed(2)}× (${(o / 1000).toFixed(2)} s vs ${(p / 1000).toFixed(2)} s)`,
      met: o / p <= 1.05,
    });
    await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: ns });
  }
  console.log(`bench/app-rollback ${new Date().toISOString()} (median wall time to rolled out and healthy)`);
  console.log(
    '| replicas | runs | kubectl rollout undo + status + curl | ripcord rollback (plan, lock, rollout, verify) | ratio ripcord/kubectl |',
  );
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();
