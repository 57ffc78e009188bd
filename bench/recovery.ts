/**
 * bench/recovery: how often "error rate returned to baseline" passes a service that is still broken, and how
 * long it takes to pass one that has recovered.
 *
 * Synthetic request streams after a rollback, in 5 s blocks of `rps * 5` requests, each a 5xx with the stream's
 * true rate (seeded, so reruns agree). Limit 1% (the runbook's "> 1% 5xx"). Two rules replayed on the same
 * streams:
 * - today's rule (the peer; the verify step before judge/recovery-sprt.ts): every 5 s poll looks at the last
 *   10 s window and passes once errors / requests <= 1% with >= 20 requests; first poll at 10 s (so every window
 *   lies wholly after the rollback), until the verify timeout.
 * - Ripcord's new rule: judgeErrorRecovery (Wald SPRT, limit 1%, goodRate 0.5%, falsePass 1%, falseFail 5%,
 *   >= 100 requests) on 10 s intervals (Prometheus increase() granularity), judged at each interval's end.
 * Verify timeouts 60 s and 180 s; "no timeout" runs the new rule for up to an hour.
 *
 * (a) still broken at 1% (the limit itself: the design point of the bound), 2% and 5%: false-pass rate.
 * (b) recovered at 0.1%: share passed and time to pass, and how the new rule's undecided runs end.
 * (c) at 5 rps, where the defaults need more traffic than 180 s brings: what other settings would buy.
 *
 * Usage: node dist/bench/recovery.js [--runs 20000] [--seed 20261203]. Bounded: stops adding runs after 50 s.
 */
import {
  binomial,
  judgeErrorRecovery,
  seededRandom,
  type ErrorRecoveryOptions,
  type IntervalCounts,
  type Random,
  type VerdictKind,
} from '../src/core/judge/index.js';

const LIMIT = 0.01;
const BLOCK = 5;
const INTERVAL = 10;
const TIMEOUTS = [60, 180] as const;
const NO_TIMEOUT = 3600;
const TODAY_MIN_REQUESTS = 20;
const RATES = [5, 50, 500];
const BAD_RATES = [0.01, 0.02, 0.05];
const HEALTHY_RATE = 0.001;
const TIME_BUDGET_MS = 50_000;
const VARIANTS: Array<[string, Partial<ErrorRecoveryOptions>]> = [
  ['defaults (goodRate 0.5%, falsePass 1%, falseFail 5%)', {}],
  ['goodRate 0.25%', { goodRate: 0.0025 }],
  ['falsePass 5%', { falsePass: 0.05 }],
  ['goodRate 0.25%, falsePass 5%', { goodRate: 0.0025, falsePass: 0.05 }],
];

/** Errors per 5 s block, `seconds` long. */
function blocks(rand: Random, p: number, rps: number, seconds: number, into: number[] = []): number[] {
  const n = rps * BLOCK;
  while (into.length < seconds / BLOCK) into.push(binomial(rand, n, p));
  return into;
}

/** Today's rule: seconds to the first passing poll within `timeout`, or null. */
function today(errs: number[], rps: number, timeout: number): number | null {
  const per = rps * BLOCK;
  for (let t = INTERVAL; t <= timeout; t += BLOCK) {
    const b = t / BLOCK;
    const requests = 2 * per;
    const errors = (errs[b - 2] ?? 0) + (errs[b - 1] ?? 0);
    if (requests >= TODAY_MIN_REQUESTS && errors / requests <= LIMIT) return t;
  }
  return null;
}

/** The new rule on the first `timeout` seconds: its verdict and, for a decision, when it came. */
function ripcord(
  errs: number[],
  rps: number,
  timeout: number,
  opts: Partial<ErrorRecoveryOptions> = {},
): { verdict: VerdictKind; at: number | null } {
  const perInterval = INTERVAL / BLOCK;
  const counts: IntervalCounts[] = [];
  for (let i = 0; (i + 1) * INTERVAL <= timeout; i++) {
    let errors = 0;
    for (let k = 0; k < perInterval; k++) errors += errs[i * perInterval + k] ?? 0;
    counts.push({ requests: rps * INTERVAL, errors });
  }
  const v = judgeErrorRecovery(counts, { ...opts, limit: LIMIT });
  const d = v.evidence.decidedAtInterval;
  return { verdict: v.verdict, at: d === null ? null : (d + 1) * INTERVAL };
}

interface RunResult {
  today: Record<number, number | null>;
  ripcord: Record<number, { verdict: VerdictKind; at: number | null }>;
}

function simulate(rand: Random, p: number, rps: number): RunResult {
  const errs = blocks(rand, p, rps, Math.max(...TIMEOUTS));
  const res: RunResult = { today: {}, ripcord: {} };
  for (const t of TIMEOUTS) {
    res.today[t] = today(errs, rps, t);
    res.ripcord[t] = ripcord(errs, rps, t);
  }
  const last = res.ripcord[Math.max(...TIMEOUTS)];
  // Undecided at the longest timeout: keep observing (same stream, extended) to see where it ends.
  res.ripcord[NO_TIMEOUT] =
    last && last.verdict !== 'pass' && last.verdict !== 'fail'
      ? ripcord(blocks(rand, p, rps, NO_TIMEOUT, errs), rps, NO_TIMEOUT)
      : (last ?? { verdict: 'continue', at: null });
  return res;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

const pct = (k: number, n: number) => `${((100 * k) / Math.max(1, n)).toFixed(2)}%`;

/** today / new false-pass ratio; with no new false pass, a lower bound from the rule of three (95%). */
function ratio(todayPasses: number, newPasses: number, runs: number): string {
  if (todayPasses === 0 && newPasses === 0) return '— (both 0)';
  if (newPasses === 0) return `≥ ${(todayPasses / runs / (3 / runs)).toFixed(0)}× (new 0 of ${runs})`;
  return `${(todayPasses / newPasses).toFixed(1)}×`;
}

const times = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null);
const delay = (xs: number[]) => (xs.length ? `${quantile(xs, 0.5)} s / ${quantile(xs, 0.95)} s` : 'never');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

function main(): void {
  const runs = arg('runs', 20000);
  const seed = arg('seed', 20261203);
  const t0 = Date.now();
  let truncated = false;

  function cell(p: number, rps: number): RunResult[] {
    // One PRNG per cell, so adding a rate or a stream does not change the others.
    const rand = seededRandom(seed + rps * 1000 + Math.round(p * 10000));
    const out: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      if (Date.now() - t0 > TIME_BUDGET_MS) {
        truncated = true;
        break;
      }
      out.push(simulate(rand, p, rps));
    }
    return out;
  }

  const falsePass: string[] = [];
  for (const p of BAD_RATES)
    for (const rps of RATES) {
      const rs = cell(p, rps);
      const n = rs.length;
      const t = (s: number) => rs.filter((r) => r.today[s] !== null).length;
      const r = (s: number) => rs.filter((x) => x.ripcord[s]?.verdict === 'pass').length;
      falsePass.push(
        `| ${(p * 100).toFixed(0)}% | ${rps} | ${n} | ${pct(t(60), n)} | ${pct(r(60), n)} | ${pct(t(180), n)} | ` +
          `${pct(r(180), n)} | ${pct(r(NO_TIMEOUT), n)} | ${ratio(t(60), r(60), n)} | ${ratio(t(180), r(180), n)} |`,
      );
    }

  const healthy: string[] = [];
  const endings: string[] = [];
  for (const rps of RATES) {
    const rs = cell(HEALTHY_RATE, rps);
    const n = rs.length;
    const tt = (s: number) => times(rs.map((r) => r.today[s] ?? null));
    const rt = (s: number) =>
      times(rs.map((r) => (r.ripcord[s]?.verdict === 'pass' ? (r.ripcord[s]?.at ?? null) : null)));
    const medRatio = (s: number) => {
      const a = tt(s);
      const b = rt(s);
      return a.length && b.length ? `${(quantile(b, 0.5) / quantile(a, 0.5)).toFixed(1)}×` : 'n/a';
    };
    healthy.push(
      `| ${rps} | ${n} | ${pct(tt(60).length, n)}, ${delay(tt(60))} | ${pct(rt(60).length, n)}, ${delay(rt(60))} | ` +
        `${pct(rt(180).length, n)}, ${delay(rt(180))} | ${pct(rt(NO_TIMEOUT).length, n)}, ${delay(rt(NO_TIMEOUT))} | ` +
        `${medRatio(60)} | ${medRatio(180)} |`,
    );
    for (const s of TIMEOUTS) {
      const k = (v: VerdictKind) => rs.filter((r) => r.ripcord[s]?.verdict === v).length;
      endings.push(
        `| ${rps} | ${s} s | ${pct(k('pass'), n)} | ${pct(k('continue'), n)} | ${pct(k('not-enough-traffic'), n)} | ` +
          `${pct(k('fail'), n)} | ${pct(k('continue') + k('not-enough-traffic'), n)} |`,
      );
    }
  }

  const variants: string[] = [];
  const variantRuns = Math.min(runs, 5000);
  for (const [name, opts] of VARIANTS) {
    const rps = 5;
    const run = (p: number) => {
      // Same seeds for every variant: the settings are compared on identical streams.
      const rand = seededRandom(seed + 7 + Math.round(p * 10000));
      const out: Array<Record<number, { verdict: VerdictKind; at: number | null }>> = [];
      for (let i = 0; i < variantRuns && Date.now() - t0 <= TIME_BUDGET_MS; i++) {
        const errs = blocks(rand, p, rps, NO_TIMEOUT);
        out.push(Object.fromEntries([...TIMEOUTS, NO_TIMEOUT].map((t) => [t, ripcord(errs, rps, t, opts)])));
      }
      if (out.length < variantRuns) truncated = true;
      return out;
    };
    const bad = run(0.01);
    const good = run(HEALTHY_RATE);
    const passedBy = (s: number) => good.filter((r) => r[s]?.verdict === 'pass').length;
    const fullOpts = { limit: LIMIT, ...opts };
    const p0 = fullOpts.goodRate ?? LIMIT / 2;
    const zeroErr =
      Math.log((fullOpts.falsePass ?? 0.01) / (1 - (fullOpts.falseFail ?? 0.05))) /
      Math.log((1 - LIMIT) / (1 - p0));
    variants.push(
      `| ${name} | ${Math.ceil(zeroErr)} (${(Math.ceil(zeroErr) / rps).toFixed(0)} s) | ` +
        `${pct(bad.filter((r) => r[NO_TIMEOUT]?.verdict === 'pass').length, bad.length)} | ` +
        `${pct(passedBy(60), good.length)} | ${pct(passedBy(180), good.length)} | ` +
        `${delay(times(good.map((r) => (r[NO_TIMEOUT]?.verdict === 'pass' ? (r[NO_TIMEOUT]?.at ?? null) : null))))} |`,
    );
  }

  console.log(`bench/recovery ${new Date().toISOString()} seed ${seed}, limit 1%, 5 s polls, 10 s intervals`);
  console.log('');
  console.log('(a) false pass: share of still-broken runs called recovered (today = the peer, new = SPRT)');
  console.log(
    '| true 5xx | rps | runs | today 60 s | new 60 s | today 180 s | new 180 s | new, no timeout (1 h) | ratio today/new 60 s | ratio today/new 180 s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of falsePass) console.log(row);
  console.log('');
  console.log(
    `(b) recovered service (true 5xx ${HEALTHY_RATE * 100}%): share passed, median / p95 seconds to pass (over runs that passed)`,
  );
  console.log(
    '| rps | runs | today 60 s | new 60 s | new 180 s | new, no timeout (1 h) | median new/today 60 s | median new/today 180 s |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of healthy) console.log(row);
  console.log('');
  console.log(
    "(b') how the new rule ends on the recovered service at the timeout (verify reports continue and not-enough-traffic alike as 'not verified: not enough traffic')",
  );
  console.log('| rps | timeout | pass | continue | not-enough-traffic | fail | undecided (not verified) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of endings) console.log(row);
  console.log('');
  console.log(
    `(c) 5 rps, ${variantRuns} runs each: the new rule with other settings (limit 1%): false pass at a true 1%, and a recovered 0.1% service`,
  );
  console.log(
    '| settings | zero-error requests to pass | false pass at 1%, 1 h | passed within 60 s | within 180 s | median / p95 to pass, 1 h |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const row of variants) console.log(row);
  console.log('');
  console.log(
    `elapsed ${((Date.now() - t0) / 1000).toFixed(1)} s${truncated ? ' (time budget hit: fewer runs)' : ''}`,
  );
}

main();
