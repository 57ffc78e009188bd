/**
 * bench/traffic-rollback: how fast requests stop reaching the bad release when traffic is switched back, for
 * `ripcord rollback --scenario blue-green|canary` versus the runbook's commands (sections 5 and 6: `kubectl
 * patch` the Service selector / the VirtualService weights, then `kubectl scale` the bad release to 0), while
 * 50 rps of open-loop load run through the sandbox router in this process.
 *
 * Per run, each tool in a namespace of its own (set up untimed: blue v1.2.2 + green v1.2.3 live, or stable
 * v1.2.2 + a 20% canary v1.2.3 behind an Istio VirtualService), the load's per-second timeline gives:
 *   (a) command start -> the last response answered by the bad release (v1.2.3);
 *   (b) the selector/weight write acknowledged -> that last bad response: the physical part (the router's
 *       watch, its endpoint view, requests in flight). Ripcord's write time is its journal's finishedAt of the
 *       switch / set-weights step (the step returns right after the API server acknowledged the write);
 *       kubectl's is the exit of `kubectl patch`;
 *   (c) the whole command's wall time (Ripcord: plan, lock, switch, traffic check, verify, scale-down, unlock;
 *       kubectl: patch + scale).
 * Prints p50 and p95 (nearest rank: with 5 runs, p95 is the slowest) and the ratios Ripcord/kubectl.
 *
 * Runs against the sandbox named by RIPCORD_SANDBOX_DIR (or ./.ripcord/sandbox); start one with
 * `npx ripcord sandbox up`. Usage: node dist/bench/traffic-rollback.js [--runs 5] [--rps 50]
 * [--scenarios blue-green,canary] [--verify-window 1s] [--scale-down-after 1s]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { deployBlueGreen } from '../src/sandbox/blue-green.js';
import { deployCanary } from '../src/sandbox/canary.js';
import { repoRoot } from '../src/sandbox/control-plane/binaries.js';
import { loadKubeConfig } from '../src/sandbox/kube-clients.js';
import { NO_VERSION, runLoad, type LoadReport } from '../src/sandbox/load/index.js';
import { waitForRoute } from '../src/sandbox/router/routes.js';
import { readState, sandboxDir, sandboxPaths, type SandboxState } from '../src/sandbox/state.js';
import { namespaceFor } from './support/bench-namespace.js';
import { arg, sec, sleep, stats, served } from './support/bench-cli.js';
import { reportGoal } from './support/goals.js';

const execFileP = promisify(execFile);

const GOOD = 'v1.2.2';
const BAD = 'v1.2.3';
const SCENARIOS = ['blue-green', 'canary'] as const;
type Scenario = (typeof SCENARIOS)[number];
type Tool = 'ripcord' | 'kubectl';
const CANARY_WEIGHT = 20;

/** The step whose one write moves the traffic, by scenario (its journal finishedAt is the write time). */
const SWITCH_STEP: Record<Scenario, string> = { 'blue-green': 'switch', canary: 'set-weights' };

/** Runbook 5 and 6, verbatim but for the namespace (kubeconfig and -n are added per run). */
const RUNBOOK: Record<Scenario, { patch: string[]; scale: string[] }> = {
  'blue-green': {
    patch: ['patch', 'service', 'venue-service', '-p', '{"spec":{"selector":{"version":"blue"}}}'],
    scale: ['scale', 'deployment/venue-service-green', '--replicas=0'],
  },
  canary: {
    patch: [
      'patch',
      'virtualservice',
      'venue-service',
      '--type=merge',
      '-p',
      '{"spec":{"http":[{"route":[{"destination":{"host":"venue-service","subset":"stable"},"weight":100}]}]}}',
    ],
    scale: ['scale', 'deployment/venue-service-canary', '--replicas=0'],
  },
};

/**
 * Epoch ms on the load's clock: the load report's times are relative to performance.now(), anchored by its
 * startedAtEpochMs (timeOrigin-based), so every moment here is taken the same way.
 */
const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * A Date stamp from another process (Ripcord's journal) on the load's clock. Both processes read the same
 * system clock; the offset corrects this process's drift between timeOrigin and Date.now() (a few ms at most).
 */
function journalToEpoch(iso: string): number {
  return Date.parse(iso) - (Date.now() - epochNow());
}

/** Waits until the router serves the run's starting point: only the bad release, or both for a canary. */
async function waitForStart(url: string, scenario: Scenario): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const seen = await served(url, 20);
    const keys = Object.keys(seen).sort().join(',');
    if (keys === (scenario === 'blue-green' ? BAD : `${GOOD},${BAD}`)) return;
    if (Date.now() > end)
      throw new Error(`${scenario}: the starting point never served: ${JSON.stringify(seen)}`);
    await sleep(300);
  }
}

/** Ripcord's config as the e2e tests write it (test/support/service-config.ts plus the scenario's section). */
function ripcordConfig(o: {
  scenario: Scenario;
  namespace: string;
  kubeconfig: string;
  url: string;
  verifyWindow: string;
  scaleDownAfter: string;
}): string {
  const section =
    o.scenario === 'blue-green'
      ? [
          '    blueGreen:',
          '      service: venue-service',
          '      selectorKey: version',
          '      colours: { blue: venue-service-blue, green: venue-service-green }',
          `      scaleDownAfter: ${o.scaleDownAfter}`,
          '      readyTimeout: 10s',
          '      releaseHeader: x-venue-version',
        ]
      : [
          '    canary:',
          '      router: { kind: VirtualService, name: venue-service }',
          '      stable: stable',
          '      canary: canary',
          '      canaryDeployment: venue-service-canary',
          `      scaleDownAfter: ${o.scaleDownAfter}`,
          '      releaseHeader: x-venue-version',
        ];
  const file = join(mkdtempSync(join(tmpdir(), 'ripcord-bench-traffic-')), 'ripcord.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'journal: { driver: sqlite, path: journal.db }',
      'services:',
      '  venue-service:',
      `    kube: { namespace: ${o.namespace}, kubeconfig: ${o.kubeconfig} }`,
      `    healthUrl: ${o.url}/api/venues/health`,
      `    verify: { window: ${o.verifyWindow}, require: [pods, health] }`,
      '    rollout: { timeout: 3m }',
      '    lock: { leaseSeconds: 30 }',
      ...section,
      '',
    ].join('\n'),
  );
  return file;
}

interface Env {
  state: SandboxState;
  kc: KubeConfig;
  kubectl: string;
  ripcordBin: string;
  rps: number;
  verifyWindow: string;
  scaleDownAfter: string;
}

interface RunResult {
  scenario: Scenario;
  tool: Tool;
  /** (a) command start -> last response answered by the bad release. */
  toLastBadMs: number;
  /** (b) write acknowledged -> last response answered by the bad release. */
  physicalMs: number;
  /** (c) whole command. */
  wallMs: number;
  /** command start -> write acknowledged: the tool's own overhead before traffic can move. */
  toWriteMs: number;
  /** write acknowledged -> the last request *sent* that the bad release answered (routing, without latency). */
  lastBadSentAfterWriteMs: number;
  /**
   * Network errors and 5xx among requests sent from the command's start second on: a blackout would show here,
   * but so do the bad release's own 5xx until the switch (its declared error share).
   */
  errors: number;
  /** Network errors plus answers no release stamped (router 503s) over the whole load: a blackout. */
  blackout: number;
  /** Ripcord only: the switch step's duration, within which the write landed (the uncertainty of writeAt). */
  switchStepMs?: number;
}

/** Runs one tool's rollback under load in a fresh namespace; returns its numbers. */
async function oneRun(env: Env, scenario: Scenario, tool: Tool, i: number): Promise<RunResult> {
  const ns = `bt-${scenario === 'blue-green' ? 'bg' : 'cn'}-${tool === 'ripcord' ? 'rc' : 'kc'}-${i}-${randomBytes(2).toString('hex')}`;
  const space = await namespaceFor(env, ns);
  try {
    // Setup, untimed: the runbook's starting point with the bad release live.
    if (scenario === 'blue-green') {
      await deployBlueGreen(env.kc, { namespace: ns, image: `venue-service:${GOOD}`, replicas: 2 });
      await deployBlueGreen(env.kc, { namespace: ns, image: `venue-service:${BAD}`, replicas: 2 });
    } else {
      await deployCanary(env.kc, {
        namespace: ns,
        image: `venue-service:${BAD}`,
        weight: CANARY_WEIGHT,
        router: 'VirtualService',
        replicas: 2,
        canaryReplicas: 1,
      });
    }
    const url = await waitForRoute(sandboxPaths(env.state.dir).routes, ns, 'venue-service', 30_000);
    await waitForStart(url, scenario);
    const config =
      tool === 'ripcord'
        ? ripcordConfig({
            scenario,
            namespace: ns,
            kubeconfig: env.state.kube.kubeconfig,
            url,
            verifyWindow: env.verifyWindow,
            scaleDownAfter: env.scaleDownAfter,
          })
        : '';

    const stop = new AbortController();
    const load = runLoad({
      url,
      rps: env.rps,
      durationMs: 10 * 60_000,
      writeShare: 0.2,
      signal: stop.signal,
    });
    let report: LoadReport;
    let start: number;
    let end: number;
    let writeAt: number;
    let runId = '';
    let switchStepMs: number | undefined;
    try {
      // Two seconds of the bad release answering first, so the timeline shows where traffic was.
      await sleep(2000);
      start = epochNow();
      if (tool === 'kubectl') {
        const k = ['--kubeconfig', env.state.kube.kubeconfig, '-n', ns];
        await execFileP(env.kubectl, [...k, ...RUNBOOK[scenario].patch]);
        writeAt = epochNow();
        await execFileP(env.kubectl, [...k, ...RUNBOOK[scenario].scale]);
      } else {
        const r = await execFileP(
          process.execPath,
          [
            env.ripcordBin,
            '--config',
            config,
            'rollback',
            'venue-service',
            '--scenario',
            scenario,
            '--yes',
            '-o',
            'json',
          ],
          { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
        );
        const out = JSON.parse(r.stdout) as { runId: string; status: string };
        if (out.status !== 'succeeded')
          throw new Error(`ripcord ${scenario} run ${i}: ${out.status}\n${r.stderr}`);
        runId = out.runId;
        writeAt = NaN; // from the journal, below
      }
      end = epochNow();
      // And two after, so a straggling bad answer (in flight at the switch) is seen before the load stops.
      await sleep(2000);
    } finally {
      stop.abort();
      report = await load;
    }

    if (tool === 'ripcord') {
      const shown = await execFileP(process.execPath, [
        env.ripcordBin,
        '--config',
        config,
        'show',
        runId,
        '-o',
        'json',
      ]);
      const steps = (
        JSON.parse(shown.stdout) as {
          steps: Array<{ stepId: string; startedAt: string; finishedAt?: string }>;
        }
      ).steps;
      const step = steps.find((s) => s.stepId === SWITCH_STEP[scenario]);
      if (!step?.finishedAt) throw new Error(`run ${runId}: no finishedAt for step ${SWITCH_STEP[scenario]}`);
      // The step returns right after the API server acknowledged the write, like `kubectl patch` exiting.
      writeAt = journalToEpoch(step.finishedAt);
      switchStepMs = Date.parse(step.finishedAt) - Date.parse(step.startedAt);
    }

    const bad = report.lastSeen[BAD];
    if (!bad) throw new Error(`${scenario}/${tool} run ${i}: the bad release never answered the load`);
    const lastBadAnswered = report.startedAtEpochMs + bad.lastAnsweredMs;
    // A rollback that did not take would still show the bad release in the tail after the command: no result.
    const tail = Math.ceil((end - report.startedAtEpochMs + 1000) / 1000);
    if (report.timeline.some((s) => s.second >= tail && (s.byVersion[BAD] ?? 0) > 0)) {
      throw new Error(`${scenario}/${tool} run ${i}: ${BAD} still answered a second after the command ended`);
    }
    const fromSecond = Math.floor((start - report.startedAtEpochMs) / 1000);
    return {
      scenario,
      tool,
      toLastBadMs: lastBadAnswered - start,
      physicalMs: lastBadAnswered - writeAt,
      wallMs: end - start,
      toWriteMs: writeAt - start,
      lastBadSentAfterWriteMs: report.startedAtEpochMs + bad.lastSentMs - writeAt,
      errors: report.timeline.filter((s) => s.second >= fromSecond).reduce((n, s) => n + s.errors, 0),
      blackout: report.networkErrors + (report.byVersion[NO_VERSION] ?? 0),
      ...(switchStepMs !== undefined ? { switchStepMs } : {}),
    };
  } finally {
    await space.drop();
  }
}

async function main(): Promise<void> {
  const state = readState(sandboxDir());
  if (!state) throw new Error('no sandbox: run `npx ripcord sandbox up` first (or set RIPCORD_SANDBOX_DIR)');
  const runs = Number(arg('runs', '5'));
  const scenarios = arg('scenarios', SCENARIOS.join(','))
    .split(',')
    .map((s) => {
      const found = SCENARIOS.find((x) => x === s);
      if (!found) throw new Error(`--scenarios: expected blue-green and/or canary, got "${s}"`);
      return found;
    });
  const env: Env = {
    state,
    kc: loadKubeConfig(state.kube.kubeconfig),
    kubectl: join(state.kube.binDir, 'kubectl'),
    ripcordBin: join(repoRoot(), 'bin', 'ripcord.js'),
    rps: Number(arg('rps', '50')),
    verifyWindow: arg('verify-window', '1s'),
    scaleDownAfter: arg('scale-down-after', '1s'),
  };
  const results: RunResult[] = [];
  for (const scenario of scenarios) {
    for (let i = 0; i < runs; i++) {
      // Alternating which tool goes first, so neither always follows the other's namespace teardown.
      const order: Tool[] = i % 2 === 0 ? ['kubectl', 'ripcord'] : ['ripcord', 'kubectl'];
      for (const tool of order) {
        const r = await oneRun(env, scenario, tool, i);
        results.push(r);
        process.stderr.write(
          `${scenario} run ${i + 1} ${tool}: start->last bad ${sec(r.toLastBadMs)}, write->last bad ${sec(r.physicalMs)} ` +
            `(last bad sent ${sec(r.lastBadSentAfterWriteMs)} after the write), start->write ${sec(r.toWriteMs)}, ` +
            `command ${sec(r.wallMs)}, errors ${r.errors}, blackout ${r.blackout}` +
            (r.switchStepMs !== undefined ? `, switch step ${r.switchStepMs} ms` : '') +
            '\n',
        );
      }
    }
  }

  const pick = (scenario: Scenario, tool: Tool, f: (r: RunResult) => number): number[] =>
    results.filter((r) => r.scenario === scenario && r.tool === tool).map(f);
  const cell = (xs: number[]): string => {
    const s = stats(xs);
    return `${sec(s.p50)} / ${sec(s.p95)}`;
  };
  console.log(
    `bench/traffic-rollback ${new Date().toISOString()} (${env.rps} rps through the sandbox router, ${runs} runs each; p50 / p95)`,
  );
  console.log(
    '| scenario | tool | (a) start → last bad answer | (b) write → last bad answer | start → write | (c) whole command | errors¹ (max) | blackout² (max) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const scenario of scenarios) {
    for (const tool of ['kubectl', 'ripcord'] as const) {
      const label = tool === 'kubectl' ? 'kubectl patch + scale (runbook)' : 'ripcord rollback';
      console.log(
        `| ${scenario} | ${label} | ${cell(pick(scenario, tool, (r) => r.toLastBadMs))} | ` +
          `${cell(pick(scenario, tool, (r) => r.physicalMs))} | ${cell(pick(scenario, tool, (r) => r.toWriteMs))} | ` +
          `${cell(pick(scenario, tool, (r) => r.wallMs))} | ${Math.max(...pick(scenario, tool, (r) => r.errors))} | ` +
          `${Math.max(...pick(scenario, tool, (r) => r.blackout))} |`,
      );
    }
  }
  console.log(
    `¹ network errors and 5xx among requests sent from the command's start second on, the bad release's own 5xx until the switch included  \n` +
      `² network errors and answers no release stamped (router 503s) over the whole load  \n` +
      `(b) for canary is resolved to about one bad request's spacing: ${(1000 / ((env.rps * CANARY_WEIGHT) / 100)) | 0} ms at ${env.rps} rps and ${CANARY_WEIGHT}%; it can be negative (the last bad answer came before the write's acknowledgement)`,
  );
  console.log('');
  console.log(
    '| scenario | ratio ripcord/kubectl (a) p50 | ratio (c) p50 | ratio (c) p95 | goal (b) ≤ 0.5 s p95 (ripcord) | goal (c) ≤ 1.1× p50 |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const scenario of scenarios) {
    const a = (tool: Tool) => stats(pick(scenario, tool, (r) => r.toLastBadMs));
    const c = (tool: Tool) => stats(pick(scenario, tool, (r) => r.wallMs));
    const b = stats(pick(scenario, 'ripcord', (r) => r.physicalMs));
    const ratioC = c('ripcord').p50 / c('kubectl').p50;
    // A canary's last bad answer can come at (or before) kubectl's start by chance: no ratio over ~0.
    const ratioA =
      a('kubectl').p50 >= 50 ? (a('ripcord').p50 / a('kubectl').p50).toFixed(2) : 'n/a (kubectl < 50 ms)';
    console.log(
      `| ${scenario} | ${ratioA} | ${ratioC.toFixed(2)} | ` +
        `${(c('ripcord').p95 / c('kubectl').p95).toFixed(2)} | ${b.p95 <= 500 ? 'met' : 'missed'} (${sec(b.p95)}) | ` +
        `${ratioC <= 1.1 ? 'met' : 'missed'} |`,
    );
    reportGoal({
      bench: 'traffic-rollback',
      measure: `${scenario}: write → last bad answer (p95 of ${runs})`,
      goal: '≤ 0.5 s',
      measured: sec(b.p95),
      met: b.p95 <= 500,
    });
    reportGoal({
      bench: 'traffic-rollback',
      measure: `${scenario}: whole command, ripcord / kubectl (p50 of ${runs})`,
      goal: '≤ 1.1×',
      measured: `${ratioC.toFixed(2)}×`,
      met: ratioC <= 1.1,
    });
  }
}

await main();
