/**
 * The runbook's "> 1% 5xx" trigger as Wald's sequential probability ratio test (SPRT) on a Bernoulli rate.
 *
 * Each request is a Bernoulli trial (5xx or not). H0: p <= p0 (healthy) against H1: p >= p1 (bad). Over the
 * intervals seen so far, with n requests and x errors, the log-likelihood ratio is
 *
 *   LLR = x * ln(p1 / p0) + (n - x) * ln((1 - p1) / (1 - p0))
 *
 * and the test stops at the first interval where LLR >= A = ln((1 - beta) / alpha) ("fail": roll back) or
 * LLR <= B = ln(beta / (1 - alpha)) ("pass"). Counts from Prometheus' increase() may be fractional; the formula
 * holds for them unchanged.
 *
 * False-alarm bound (Wald 1945): a "fail" is only ever declared when the likelihood ratio is at least e^A, so
 * for any stopping rule P_H0(fail) <= e^-A * P_H1(fail) <= alpha / (1 - beta). This holds however many intervals
 * the test runs, which is what a fixed per-interval threshold cannot promise: checking "rate > 1%" every minute
 * for ten minutes multiplies its false-alarm chance by up to ten. It also still holds with the minimum-traffic
 * gate below, since the gate only delays decisions. The bound is for p <= p0; a healthy service whose true rate
 * is below p0 alarms far less often. Expected sample size is smallest when p is far from both p0 and p1, so a
 * 5% error rate is caught in a few hundred requests.
 *
 * Baseline awareness: p0 defaults to max(1%, baseline rate), so a service that always answers 3% 5xx is not
 * rolled back for staying at 3%; p1 defaults to DEFAULT_H1_FACTOR (1.6) * p0.
 *
 * Missing data: intervals without counts are skipped in the LLR (a "fail" from the data that did arrive is still
 * sound), but a window with gaps, or ending in a gap, can never "pass": it is "inconclusive" instead.
 */
import { validCounts, type IntervalCounts, type Verdict } from './verdict.js';

export interface ErrorRateSprtOptions {
  /** H0 rate. Default max(runbookThreshold, baselineRate). */
  p0?: number;
  /** H1 rate. Default h1Factor * p0 (capped below 1). */
  p1?: number;
  /** H1 as a multiple of p0, when p1 is not given. Default DEFAULT_H1_FACTOR. */
  h1Factor?: number;
  /** The runbook's threshold: "> 1% 5xx". Default 0.01. */
  runbookThreshold?: number;
  /** Error rate of the baseline (stable pods, or the service before the rollout), when known. */
  baselineRate?: number;
  /** Chance of a false alarm we accept. Default 0.01. */
  alpha?: number;
  /** Chance of missing a bad release at p1 we accept. Default DEFAULT_MISS_CHANCE. */
  beta?: number;
  /** Below this many requests in total the verdict is "not-enough-traffic", never pass or fail. Default 100. */
  minRequests?: number;
}

export interface ErrorRateSprtEvidence {
  test: 'wald-sprt-bernoulli';
  p0: number;
  p1: number;
  alpha: number;
  beta: number;
  baselineRate: number | null;
  runbookThreshold: number;
  minRequests: number;
  /** Upper boundary A: LLR at or above it is a fail. */
  upper: number;
  /** Lower boundary B: LLR at or below it is a pass. */
  lower: number;
  /** The LLR when the test stopped (or after the last interval). */
  llr: number;
  /** LLR after each interval, for plotting and `explain`; null for a skipped interval. */
  trace: Array<number | null>;
  requests: number;
  errors: number;
  /** errors / requests, or null with no requests. */
  observedRate: number | null;
  intervals: number;
  /** Intervals that had no usable counts (missing, negative or errors > requests). */
  missingIntervals: number;
  /** Index of the interval where a boundary was crossed, or null. */
  decidedAtInterval: number | null;
  /** Wald's bound on P(fail | H0): alpha / (1 - beta). */
  falseAlarmBound: number;
}

export type ErrorRateVerdict = Verdict<ErrorRateSprtEvidence>;

interface Resolved {
  p0: number;
  p1: number;
  alpha: number;
  beta: number;
  minRequests: number;
  runbookThreshold: number;
  baselineRate: number | null;
}

function resolve(o: ErrorRateSprtOptions): Resolved {
  const runbookThreshold = o.runbookThreshold ?? 0.01;
  const baselineRate =
    o.baselineRate !== undefined && Number.isFinite(o.baselineRate) ? o.baselineRate : null;
  const p0 = o.p0 ?? Math.max(runbookThreshold, baselineRate ?? 0);
  const p1 = o.p1 ?? Math.min((o.h1Factor ?? DEFAULT_H1_FACTOR) * p0, 0.999);
  const alpha = o.alpha ?? 0.01;
  const beta = o.beta ?? DEFAULT_MISS_CHANCE;
  const minRequests = o.minRequests ?? 100;
  if (!(p0 > 0 && p0 < p1 && p1 < 1))
    throw new RangeError(`SPRT needs 0 < p0 < p1 < 1, got p0=${p0} p1=${p1}`);
  if (!(alpha > 0 && alpha < 1 && beta > 0 && beta < 1 && alpha + beta < 1))
    throw new RangeError(`SPRT needs 0 < alpha, beta and alpha + beta < 1, got ${alpha}, ${beta}`);
  return { p0, p1, alpha, beta, minRequests, runbookThreshold, baselineRate };
}

/**
 * β, the chance of passing a release whose 5xx share is p1 (1.6× the runbook's 1 %). A pass ends judging, so
 * β is the share of such releases let through: 0.1 let one 2 % release in 30 pass at 50 rps (bench/detection).
 * 0.005 catches 99.8 % there. It moves only the pass boundary, ln(β / (1 − α)): false alarms stay bounded by
 * α / (1 − β), and a healthy release takes about 2.3× the requests to be called healthy (5.3 vs 2.3 nats).
 */
export const DEFAULT_MISS_CHANCE = 0.005;

/**
 * H1 = 1.6 × p0, not 2×: the release the runbook calls bad and the detection goals name is at 2 %, and an SPRT
 * is slowest to fail a release sitting exactly on H1 (its steps have the most variance for their drift). With H1
 * just below 2 %, a 2 % release drifts up faster relative to its noise: bench/detection's p95 delay at 50 rps goes
 * from 70 s to 60 s and 5 rps catches 96.8 % instead of 95.3 %, with false alarms at a healthy 0.9 % unchanged
 * (α bounds them at p0 whatever H1 is). The price is a slower "healthy" near the limit (0.9 %: 60 s, was 30 s).
 */
export const DEFAULT_H1_FACTOR = 1.6;

/** Wald's boundaries for the given error chances. */
export function sprtBoundaries(alpha: number, beta: number): { upper: number; lower: number } {
  return { upper: Math.log((1 - beta) / alpha), lower: Math.log(beta / (1 - alpha)) };
}

/** Judges the 5xx share of a release from per-interval counts, oldest first. */
export function judgeErrorRate(
  intervals: readonly IntervalCounts[],
  opts: ErrorRateSprtOptions = {},
): ErrorRateVerdict {
  const r = resolve(opts);
  const { upper, lower } = sprtBoundaries(r.alpha, r.beta);
  const perError = Math.log(r.p1 / r.p0);
  const perSuccess = Math.log((1 - r.p1) / (1 - r.p0));

  let llr = 0;
  let requests = 0;
  let errors = 0;
  let missing = 0;
  let decided: 'fail' | 'pass' | null = null;
  let decidedAt: number | null = null;
  const trace: Array<number | null> = [];

  for (const [i, c] of intervals.entries()) {
    if (!validCounts(c)) {
      missing++;
      trace.push(null);
      continue;
    }
    requests += c.requests;
    errors += c.errors;
    llr += c.errors * perError + (c.requests - c.errors) * perSuccess;
    trace.push(llr);
    // The gate only postpones a decision, so Wald's bound still holds for what it lets through.
    if (requests < r.minRequests) continue;
    if (llr >= upper) decided = 'fail';
    else if (llr <= lower) decided = 'pass';
    if (decided) {
      decidedAt = i;
      break;
    }
  }

  const evidence: ErrorRateSprtEvidence = {
    test: 'wald-sprt-bernoulli',
    p0: r.p0,
    p1: r.p1,
    alpha: r.alpha,
    beta: r.beta,
    baselineRate: r.baselineRate,
    runbookThreshold: r.runbookThreshold,
    minRequests: r.minRequests,
    upper,
    lower,
    llr,
    trace,
    requests,
    errors,
    observedRate: requests > 0 ? errors / requests : null,
    intervals: intervals.length,
    missingIntervals: missing,
    decidedAtInterval: decidedAt,
    falseAlarmBound: r.alpha / (1 - r.beta),
  };
  const pct = (p: number) => `${(p * 100).toFixed(2)}%`;
  // increase() extrapolates, so counts can be fractional; whole numbers read better and lose nothing here.
  const seen = `${Math.round(errors)} of ${Math.round(requests)} requests failed`;

  if (decided === 'fail')
    return {
      verdict: 'fail',
      reason: `${seen}: LLR ${llr.toFixed(2)} reached ${upper.toFixed(2)}, so the 5xx rate is above ${pct(r.p0)} (false-alarm chance <= ${pct(evidence.falseAlarmBound)})`,
      evidence,
    };
  // Checked before pass and continue: gaps can hide the very errors we look for.
  const lastMissing = intervals.length > 0 && !validCounts(intervals[intervals.length - 1] ?? null);
  if (intervals.length === 0 || missing === intervals.length)
    return { verdict: 'inconclusive', reason: 'no error-rate data for the window', evidence };
  if (requests < r.minRequests)
    return {
      verdict: 'not-enough-traffic',
      reason: `${seen}; at least ${r.minRequests} are needed to judge`,
      evidence,
    };
  if (missing > 0 && (decided === 'pass' || lastMissing))
    return {
      verdict: 'inconclusive',
      reason: `${missing} of ${intervals.length} intervals had no data; a window with gaps is never a pass`,
      evidence,
    };
  if (decided === 'pass')
    return {
      verdict: 'pass',
      reason: `${seen}: LLR ${llr.toFixed(2)} reached ${lower.toFixed(2)}, so the 5xx rate is not above ${pct(r.p0)}`,
      evidence,
    };
  return {
    verdict: 'continue',
    reason: `${seen}: LLR ${llr.toFixed(2)} is between ${lower.toFixed(2)} and ${upper.toFixed(2)}; more data needed`,
    evidence,
  };
}
