/**
 * bench/detection: how fast each rule notices a bad release, and how often it cries wolf on a good one.
 *
 * Synthetic request streams, replayed identically to three rule sets:
 * - Ripcord: Wald SPRT on 5xx counts per 10 s interval (p0 = max(1%, baseline 0.5%) = 1%, p1 = today's default
 *   1.6 p0, alpha 1%, beta = today's default 0.5%, at least 100 requests), and P50 > 1.5x baseline in 3
 *   consecutive 10 s intervals of >= 50 samples. Two earlier defaults replayed beside it: "H1 2×" (p1 = 2%,
 *   beta 0.5%; the morning of 2026-12-07) and "before issue 30" (p1 = 2%, beta 10%).
 * - A bound, not a rule anyone could run: the best fixed-sample test on the whole bake's 5xx counts at the same
 *   alpha (Neyman-Pearson, errors above the binomial 99th percentile at 1%), decided at the bake's end. No
 *   test at alpha 1% catches more bad releases within the bake than it does; a sequential test trades a few of
 *   them for deciding early.
 * - Flagger: a check every 60 s (analysis.interval 1m); a check fails when the 5xx share of the last minute is
 *   above the fixed 1% (request-success-rate min 99) or P50 is above 1.5x the baseline; rollback once failed
 *   checks reach analysis.threshold 5. Failed checks accumulate, they are not reset by a passing check.
 * - Argo Rollouts: an AnalysisRun measuring every 60 s with successCondition "error rate < 1%" (and the same P50
 *   ratio); the run fails when failed measurements exceed failureLimit 3, i.e. at the 4th.
 *
 * Streams (the release is bad from its first second, 10-minute bake, `rps` requests each second): healthy 0.5%
 * 5xx; near-threshold 0.9% 5xx (still healthy by the runbook); 2% and 5% 5xx; +60% P50 latency. Latency is
 * modelled per 10 s block: log P50 = log(50 ms * shift) + load jitter N(0, 0.1) + sampling noise of the median
 * of n lognormal(sigma 0.5) requests, N(0, 1.2533 * 0.5 / sqrt(n)); a longer window averages its blocks, so all
 * rules see one consistent stream. The baseline gets its own jitter and noise. Seeded, so reruns agree.
 *
 * Usage: node dist/bench/detection.js [--runs 2000] [--seed 20261127]. Bounded: stops adding runs after 50 s.
 */
import {
  binomial,
  DEFAULT_H1_FACTOR,
  DEFAULT_MISS_CHANCE,
  judgeErrorRate,
  judgeLatency,
  normal,
  seededRandom,
  type IntervalCounts,
  type LatencyInterval,
  type Random,
} from '../src/core/judge/index.js';

const BAKE_SECONDS = 600;
const BLOCK = 10;
const PEER_INTERVAL = 60;
const BASE_P50 = 0.05;
const BASELINE_ERROR_RATE = 0.005;
const TIME_BUDGET_MS = 50_000;

interface StreamSpec {
  name: string;
  errorRate: number;
  latencyShift: number;
  bad: boolean;
}

const STREAMS: StreamSpec[] = [
  { name: 'healthy 0.5% 5xx', errorRate: 0.005, latencyShift: 1, bad: false },
  { name: 'healthy 0.9% 5xx (near limit)', errorRate: 0.009, latencyShift: 1, bad: false },
  { name: 'bad 2% 5xx', errorRate: 0.02, latencyShift: 1, bad: true },
  { name: 'bad 5% 5xx', errorRate: 0.05, latencyShift: 1, bad: true },
  { name: 'bad +60% P50', errorRate: 0.005, latencyShift: 1.6, bad: true },
];
const RATES = [5, 50, 500];

/** One release's 10-minute stream: per-10 s-block counts and log-P50s for release and baseline. */
interface Stream {
  requests: number[];
  errors: number[];
  logP50: number[];
  baseLogP50: number[];
}

function makeStream(rand: Random, spec: StreamSpec, rps: number): Stream {
  const blocks = BAKE_SECONDS / BLOCK;
  const n = rps * BLOCK;
  const sampling = (1.2533 * 0.5) / Math.sqrt(n);
  const s: Stream = { requests: [], errors: [], logP50: [], baseLogP50: [] };
  for (let b = 0; b < blocks; b++) {
    s.requests.push(n);
    s.errors.push(binomial(rand, n, spec.errorRate));
    s.logP50.push(Math.log(BASE_P50 * spec.latencyShift) + 0.1 * normal(rand) + sampling * normal(rand));
    s.baseLogP50.push(Math.log(BASE_P50) + 0.1 * normal(rand) + sampling * normal(rand));
  }
  return s;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => sum(xs) / xs.length;

/** Seconds until Ripcord's judges fail the release, or null if they never do in the bake. */
function ripcord(s: Stream, beta = DEFAULT_MISS_CHANCE, h1Factor = DEFAULT_H1_FACTOR): number | null {
  const counts: IntervalCounts[] = s.requests.map((requests, i) => ({ requests, errors: s.errors[i] ?? 0 }));
  const p1 = h1Factor * Math.max(0.01, BASELINE_ERROR_RATE);
  const e = judgeErrorRate(counts, { baselineRate: BASELINE_ERROR_RATE, beta, p1 });
  const lat: LatencyInterval[] = s.logP50.map((l, i) => ({
    p50: Math.exp(l),
    baselineP50: Math.exp(s.baseLogP50[i] ?? 0),
    samples: s.requests[i] ?? 0,
  }));
  const l = judgeLatency(lat);
  const times = [e, l]
    .filter((v) => v.verdict === 'fail')
    .map((v) => ((v.evidence.decidedAtInterval ?? 0) + 1) * BLOCK);
  return times.length ? Math.min(...times) : null;
}

/** Failed checks per 60 s interval under a fixed 1% limit and a 1.5x P50 limit, for the peers' rules. */
function peerChecks(s: Stream): boolean[] {
  const per = PEER_INTERVAL / BLOCK;
  const checks: boolean[] = [];
  for (let start = 0; start + per <= s.requests.length; start += per) {
    const req = sum(s.requests.slice(start, start + per));
    const err = sum(s.errors.slice(start, start + per));
    const ratio = Math.exp(
      mean(s.logP50.slice(start, start + per)) - mean(s.baseLogP50.slice(start, start + per)),
    );
    checks.push(err / req > 0.01 || ratio > 1.5);
  }
  return checks;
}

/** Seconds until `failures` failed checks have accumulated, or null. */
function failAt(checks: boolean[], failures: number): number | null {
  let failed = 0;
  for (const [i, bad] of checks.entries()) {
    if (bad) failed++;
    if (failed >= failures) return (i + 1) * PEER_INTERVAL;
  }
  return null;
}

/** The smallest k with P(Binomial(n, p) > k) <= alpha: the fixed-sample test's critical count. */
function binomialCritical(n: number, p: number, alpha: number): number {
  let logPmf = n * Math.log(1 - p); // k = 0
  let cdf = Math.exp(logPmf);
  let k = 0;
  while (1 - cdf > alpha && k < n) {
    logPmf += Math.log((n - k) / (k + 1)) + Math.log(p / (1 - p));
    k++;
    cdf += Math.exp(logPmf);
  }
  return k;
}
const critical = new Map<number, number>();

/** The bound: one test on the bake's totals at alpha 1% against the runbook's 1% (5xx only). */
function fixedSampleBound(s: Stream): number | null {
  const n = sum(s.requests);
  if (!critical.has(n)) critical.set(n, binomialCritical(n, 0.01, 0.01));
  return sum(s.errors) > (critical.get(n) ?? n) ? BAKE_SECONDS : null;
}

const RULES = {
  Ripcord: (s: Stream) => ripcord(s),
  'Ripcord H1 2×': (s: Stream) => ripcord(s, DEFAULT_MISS_CHANCE, 2),
  'Ripcord before issue 30 (H1 2×, β 0.1)': (s: Stream) => ripcord(s, 0.1, 2),
  'bound: fixed-sample test at the bake end': fixedSampleBound,
  'Flagger (1m, threshold 5)': (s: Stream) => failAt(peerChecks(s), 5),
  'Argo Rollouts (1m, failureLimit 3)': (s: Stream) => failAt(peerChecks(s), 4),
} as const;
type RuleName = keyof typeof RULES;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

function main(): void {
  const runs = arg('runs', 2000);
  const seed = arg('seed', 20261127);
  const t0 = Date.now();
  const names = Object.keys(RULES) as RuleName[];
  const rows: string[] = [];
  let truncated = false;

  for (const spec of STREAMS) {
    for (const rps of RATES) {
      // One PRNG per cell, so adding a stream or rate does not change the others.
      const rand = seededRandom(seed + rps * 1000 + STREAMS.indexOf(spec));
      const delays: Record<RuleName, Array<number | null>> = Object.fromEntries(
        names.map((n) => [n, []]),
      ) as never;
      let done = 0;
      for (; done < runs; done++) {
        if (Date.now() - t0 > TIME_BUDGET_MS) {
          truncated = true;
          break;
        }
        const stream = makeStream(rand, spec, rps);
        for (const n of names) delays[n].push(RULES[n](stream));
      }
      const cells = names.map((n) => {
        const fired = delays[n].filter((d): d is number => d !== null);
        const rate = `${((100 * fired.length) / Math.max(1, done)).toFixed(1)}%`;
        if (!spec.bad) return `— | ${rate}`;
        const delay = fired.length
          ? `${quantile(fired, 0.5)} s / ${quantile(fired, 0.95)} s (${rate} caught)`
          : `never (0% caught)`;
        return `${delay} | —`;
      });
      rows.push(`| ${spec.name} | ${rps} | ${done} | ${cells.join(' | ')} |`);
    }
  }

  console.log(`bench/detection ${new Date().toISOString()} seed ${seed}, ${BAKE_SECONDS / 60}-minute bake`);
  console.log('delay = median / p95 seconds from release start to rollback decision, over runs that fired;');
  console.log('FA = false-alarm rate: share of healthy runs rolled back.');
  console.log('');
  console.log(`| stream | rps | runs | ${names.map((n) => `${n} delay | ${n} FA`).join(' | ')} |`);
  console.log(`|---|---|---|${names.map(() => '---|---|').join('')}`);
  for (const r of rows) console.log(r);
  console.log('');
  console.log(
    `elapsed ${((Date.now() - t0) / 1000).toFixed(1)} s${truncated ? ' (time budget hit: fewer runs)' : ''}`,
  );
}

main();
