/**
 * bench/cli-start: how long a new `ripcord` process takes before it is useful, against the commands an SRE
 * would run instead, in the same script on the same machine (issue 16's goals):
 * - `ripcord --version` and `--help` against `node -e 0` (the floor: Node's own start) and
 *   `kubectl version --client`;
 * - `ripcord status venue-service` against `kubectl get deploy venue-service -o json`, on one sandbox Deployment.
 * Each command runs `--runs` times (new process each, interleaved so load drifts hit all alike); the table
 * shows median and p95 wall time, the ratio to the peer, and peak RSS (from /usr/bin/time when present).
 * Then a second table: each heavy dependency's load cost in a new process (moduleCosts below).
 *
 * Runs against the sandbox named by RIPCORD_SANDBOX_DIR (or ./.ripcord/sandbox). Usage:
 * node dist/bench/cli-start.js [--runs 10]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../src/sandbox/control-plane/binaries.js';
import { deployRelease } from '../src/sandbox/deploy.js';
import { loadKubeConfig } from '../src/sandbox/kube-clients.js';
import { readState, sandboxDir } from '../src/sandbox/state.js';
import { waitForDeploymentRollout } from '../src/sandbox/wait-rollout.js';
import { arg, stats } from './support/bench-cli.js';
import { reportGoal } from './support/goals.js';
import { namespaceFor } from './support/bench-namespace.js';

const TIME = '/usr/bin/time';

interface Sample {
  ms: number;
  rssKb?: number;
}

/** One new process: wall time, and peak RSS when /usr/bin/time can report it. */
function once(cmd: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const timed = existsSync(TIME);
  const t0 = performance.now();
  const r = timed
    ? spawnSync(TIME, ['-f', 'RSS_KB=%M', cmd, ...args], { env, encoding: 'utf8', timeout: 60_000 })
    : spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 60_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').slice(-400)}`);
  }
  const rss = /RSS_KB=(\d+)/.exec(r.stderr ?? '')?.[1];
  return { ms, ...(rss ? { rssKb: Number(rss) } : {}) };
}

interface Row {
  name: string;
  cmd: string;
  args: string[];
  peer?: string;
  goal?: { medianMs?: number; ratio?: number };
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '10'));
  const state = readState(sandboxDir());
  if (!state) throw new Error('no sandbox: run `npx ripcord sandbox up` first (or set RIPCORD_SANDBOX_DIR)');
  const kc = loadKubeConfig(state.kube.kubeconfig);
  const kubectl = join(state.kube.binDir, 'kubectl');
  const ripcord = join(repoRoot(), 'bin', 'ripcord.js');
  const ns = `bench-cli-${Date.now() % 100000}`;
  const space = await namespaceFor({ kc, state }, ns);
  try {
    await deployRelease(kc, { namespace: ns, image: 'venue-service:v1.2.2', replicas: 1 });
    await waitForDeploymentRollout(kc, ns, 'venue-service', { timeoutMs: 300_000 });
    const dir = mkdtempSync(join(tmpdir(), 'ripcord-bench-cli-'));
    const config = join(dir, 'ripcord.yaml');
    writeFileSync(
      config,
      `version: 1\njournal: { driver: sqlite, path: journal.db }\nservices:\n  venue-service:\n` +
        `    kube: { namespace: ${ns}, kubeconfig: ${state.kube.kubeconfig} }\n` +
        `    healthUrl: http://127.0.0.1:1/health\n`,
    );
    const env = { ...process.env, KUBECONFIG: state.kube.kubeconfig };
    const node = process.execPath;
    const rows: Row[] = [
      { name: 'node -e 0', cmd: node, args: ['-e', '0'] },
      { name: 'kubectl version --client', cmd: kubectl, args: ['version', '--client'] },
      {
        name: 'ripcord --version',
        cmd: node,
        args: [ripcord, '--version'],
        peer: 'node -e 0',
        goal: { medianMs: 200, ratio: 2 },
      },
      {
        name: 'ripcord --help',
        cmd: node,
        args: [ripcord, '--help'],
        peer: 'node -e 0',
        goal: { medianMs: 200, ratio: 2 },
      },
      {
        name: 'kubectl get deploy -o json',
        cmd: kubectl,
        args: ['-n', ns, 'get', 'deploy', 'venue-service', '-o', 'json'],
      },
      {
        name: 'ripcord status venue-service',
        cmd: node,
        args: [ripcord, '--config', config, 'status', 'venue-service'],
        peer: 'kubectl get deploy -o json',
        goal: { medianMs: 500, ratio: 3 },
      },
    ];
    // Warm the page cache once, untimed, then interleave the rows run by run.
    for (const r of rows) once(r.cmd, r.args, env);
    const samples = new Map<string, Sample[]>(rows.map((r) => [r.name, []]));
    for (let i = 0; i < runs; i++) for (const r of rows) samples.get(r.name)?.push(once(r.cmd, r.args, env));

    const median = (name: string) => stats((samples.get(name) ?? []).map((s) => s.ms)).p50;
    const kubectlRssKb = (samples.get('kubectl get deploy -o json') ?? [])
      .map((s) => s.rssKb)
      .filter((x): x is number => x !== undefined);
    const kubectlRss = kubectlRssKb.length ? `${(stats(kubectlRssKb).p50 / 1024).toFixed(0)} MiB` : 'n/a';
    console.log(`bench/cli-start ${new Date().toISOString()}, ${runs} runs each, new process each`);
    console.log('| command | median | p95 | peak RSS (median) | peer | ratio to peer | goal | met |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const xs = samples.get(r.name) ?? [];
      const { p50, p95 } = stats(xs.map((s) => s.ms));
      const rss = xs.map((s) => s.rssKb).filter((x): x is number => x !== undefined);
      const rssText = rss.length ? `${(stats(rss).p50 / 1024).toFixed(0)} MiB` : 'n/a';
      const ratio = r.peer ? p50 / median(r.peer) : undefined;
      const goal = r.goal
        ? [
            r.goal.medianMs ? `≤ ${(r.goal.medianMs / 1000).toFixed(1)} s` : '',
            r.goal.ratio ? `≤ ${r.goal.ratio}× peer` : '',
          ]
            .filter(Boolean)
            .join(', ')
        : '';
      const met = r.goal
        ? (r.goal.medianMs === undefined || p50 <= r.goal.medianMs) &&
          (r.goal.ratio === undefined || (ratio ?? Infinity) <= r.goal.ratio)
          ? 'met'
          : 'not met'
        : '';
      console.log(
        `| ${r.name} | ${(p50 / 1000).toFixed(2)} s | ${(p95 / 1000).toFixed(2)} s | ${rssText} | ${r.peer ?? ''} | ${ratio !== undefined ? `${ratio.toFixed(1)}×` : ''} | ${goal} | ${met} |`,
      );
      if (r.goal) {
        reportGoal({
          bench: 'cli-start',
          measure: `${r.name} (median, new process)`,
          goal,
          measured: `${(p50 / 1000).toFixed(2)} s, ${ratio?.toFixed(1)}× ${r.peer ?? ''}`,
          met: met === 'met',
        });
      }
      if (r.name.startsWith('ripcord') && rss.length) {
        reportGoal({
          bench: 'cli-start',
          measure: `${r.name} peak RSS (median)`,
          goal: 'report (kubectl beside it)',
          measured: `${rssText}; kubectl get deploy ${kubectlRss}`,
        });
      }
    }
  } finally {
    await space.drop();
  }
}

/**
 * What each heavy dependency costs a new process to load (issue 16: "a bench/cli-start that prints the per-module
 * cost"): `import()` of the module alone, as installed, in a fresh Node, timed inside that process, median of
 * `runs`. The CLI does not load them this way: its commands come from one minified bundle compiled from V8's code
 * cache (scripts/bundle-cli.mjs), so these are upper bounds that rank where a command's start-up goes; the first
 * table's `--version` and `--help` rows are what the bundle itself costs.
 */
function moduleCosts(runs: number): void {
  const root = repoRoot();
  const probe = (code: string): number => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`module probe failed: ${(r.stderr ?? '').slice(-300)}`);
    return Number(r.stdout.trim());
  };
  const timed = (load: string) =>
    `const t = performance.now(); ${load}; process.stdout.write(String(performance.now() - t));`;
  const rows: Array<[string, string]> = [
    ...[
      '@kubernetes/client-node',
      'zod',
      'knex',
      'pg',
      'yaml',
      'commander',
      'better-sqlite3',
      'unleash-client',
    ].map((m): [string, string] => [m, timed(`await import(${JSON.stringify(m)})`)]),
  ];
  console.log('');
  console.log(
    `module load cost as installed (unbundled), new process each, import() alone, median of ${runs}`,
  );
  console.log('| module | median | p95 |');
  console.log('|---|---|---|');
  for (const [name, code] of rows) {
    probe(code); // warm the page cache
    const { p50, p95 } = stats(Array.from({ length: runs }, () => probe(code)));
    console.log(`| ${name} | ${p50.toFixed(0)} ms | ${p95.toFixed(0)} ms |`);
  }
}

await main();
moduleCosts(Number(arg('runs', '10')));
