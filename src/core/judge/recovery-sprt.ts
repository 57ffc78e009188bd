/**
 * "Error rate returned to baseline" after a rollback, as a sequential test: the detection SPRT turned around.
 *
 * Why not one window: a service still failing 5% of its requests shows no error at all in 30 requests with
 * chance 0.95^30 = 21%, so "rate <= limit over >= 20 requests" calls it recovered one time in five, and polling
 * that rule until a timeout only adds chances. Here "recovered" must be shown, at a chosen false-pass chance.
 *
 * The test is judgeErrorRate (error-rate-sprt.ts) with the hypotheses swapped in meaning:
 *
 *   H0: p <= goodRate (recovered; default limit / 2)      p0 = goodRate
 *   H1: p >= limit    (still broken; the runbook's limit) p1 = limit
 *   alpha = falseFail (default 5%)                       beta = falsePass (default 1%)
 *
 * A "pass" is the SPRT accepting H0, which it only does when the likelihood ratio L = P_H1(data) / P_H0(data)
 * has fallen to e^B = beta / (1 - alpha) or below. Summing over every sample path that stops with a pass,
 * P_H1(pass) <= e^B * P_H0(pass) <= beta / (1 - alpha) = falsePass / (1 - falseFail) (1.05% at the defaults),
 * for any number of polls: the verify loop may call this on every new interval. For a true rate above the limit
 * the chance is lower still (the Bernoulli likelihood ratio is monotone in p). Likewise
 * P_H0(fail) <= alpha / (1 - beta). Between goodRate and the limit is the indifference zone: a service there
 * may end either way, or stay undecided until the caller's timeout.
 *
 * The price is traffic: with no errors at all, a pass needs ln(beta / (1 - alpha)) / ln((1 - p1) / (1 - p0))
 * requests, about 900 at limit 1% and the defaults (3 minutes at 5 rps); each error adds about 140. A quiet
 * service is therefore "continue" or "not-enough-traffic" for longer, never passed on too little evidence.
 * Gaps in the data make a would-be pass "inconclusive" (missing intervals could hold the errors), as in
 * detection.
 */
import { judgeErrorRate } from './error-rate-sprt.js';
import type { IntervalCounts, Verdict } from './verdict.js';

export interface ErrorRecoveryOptions {
  /** The runbook's threshold: a service at or above it is still broken (H1). */
  limit: number;
  /** Accepted P(called recovered | true rate >= limit), Wald's beta. Default 0.01. */
  falsePass?: number;
  /** Accepted P(called still broken | true rate <= goodRate), Wald's alpha. Default 0.05. */
  falseFail?: number;
  /** The rate we call recovered (H0). Default limit / 2. */
  goodRate?: number;
  /** Below this many requests in total the verdict is "not-enough-traffic". Default 100. */
  minRequests?: number;
}

export interface ErrorRecoveryEvidence {
  test: 'wald-sprt-recovery';
  /** H1 rate: the runbook's limit. */
  limit: number;
  /** H0 rate: what counts as recovered. */
  goodRate: number;
  falsePass: number;
  falseFail: number;
  /** Wald's bound on P(pass | rate >= limit): falsePass / (1 - falseFail). */
  falsePassBound: number;
  /** Wald's bound on P(fail | rate <= goodRate): falseFail / (1 - falsePass). */
  falseFailBound: number;
  minRequests: number;
  /** Upper boundary A = ln((1 - falsePass) / falseFail): LLR at or above it is a fail (still broken). */
  upper: number;
  /** Lower boundary B = ln(falsePass / (1 - falseFail)): LLR at or below it is a pass (recovered). */
  lower: number;
  /** LLR of limit against goodRate when the test stopped (or after the last interval). */
  llr: number;
  /** LLR after each interval; null for an interval without usable counts. */
  trace: Array<number | null>;
  requests: number;
  errors: number;
  observedRate: number | null;
  intervals: number;
  missingIntervals: number;
  /** Index of the interval where a boundary was crossed, or null. */
  decidedAtInterval: number | null;
}

export type ErrorRecoveryVerdict = Verdict<ErrorRecoveryEvidence>;

const pct = (p: number) => `${(p * 100).toFixed(2)}%`;

/** Judges whether a service's 5xx share is back below `limit`, from per-interval counts since the rollback. */
export function judgeErrorRecovery(
  intervals: readonly IntervalCounts[],
  opts: ErrorRecoveryOptions,
): ErrorRecoveryVerdict {
  const { limit } = opts;
  const falsePass = opts.falsePass ?? 0.01;
  const falseFail = opts.falseFail ?? 0.05;
  const goodRate = opts.goodRate ?? limit / 2;
  const minRequests = opts.minRequests ?? 100;
  if (!(limit > 0 && limit < 1)) throw new RangeError(`recovery: limit must be in (0, 1), got ${limit}`);
  if (!(goodRate > 0 && goodRate < limit))
    throw new RangeError(`recovery: goodRate must be in (0, limit), got ${goodRate} with limit ${limit}`);

  const v = judgeErrorRate(intervals, {
    p0: goodRate,
    p1: limit,
    alpha: falseFail,
    beta: falsePass,
    minRequests,
  });
  const e = v.evidence;
  const evidence: ErrorRecoveryEvidence = {
    test: 'wald-sprt-recovery',
    limit,
    goodRate,
    falsePass,
    falseFail,
    falsePassBound: falsePass / (1 - falseFail),
    falseFailBound: falseFail / (1 - falsePass),
    minRequests,
    upper: e.upper,
    lower: e.lower,
    llr: e.llr,
    trace: e.trace,
    requests: e.requests,
    errors: e.errors,
    observedRate: e.observedRate,
    intervals: e.intervals,
    missingIntervals: e.missingIntervals,
    decidedAtInterval: e.decidedAtInterval,
  };
  const seen = `${Math.round(e.errors)} of ${Math.round(e.requests)} requests failed`;
  const llr = `LLR ${e.llr.toFixed(2)}`;

  switch (v.verdict) {
    case 'pass':
      return {
        verdict: 'pass',
        reason: `${seen}: ${llr} reached ${e.lower.toFixed(2)}, so the 5xx rate is back below the limit ${pct(limit)} (chance a service still at the limit passes <= ${pct(evidence.falsePassBound)})`,
        evidence,
      };
    case 'fail':
      return {
        verdict: 'fail',
        reason: `${seen}: ${llr} reached ${e.upper.toFixed(2)}, so the 5xx rate is still at or above the limit ${pct(limit)} (chance a recovered service at ${pct(goodRate)} fails <= ${pct(evidence.falseFailBound)})`,
        evidence,
      };
    case 'not-enough-traffic':
      return {
        verdict: 'not-enough-traffic',
        reason: `${seen}; at least ${minRequests} are needed to judge recovery`,
        evidence,
      };
    case 'continue':
      return {
        verdict: 'continue',
        reason: `${seen}: ${llr} is between ${e.lower.toFixed(2)} and ${e.upper.toFixed(2)}; not yet shown below the limit ${pct(limit)}`,
        evidence,
      };
    default:
      // inconclusive: no data, or gaps that could hide errors. The detection judge's reason says which.
      return { verdict: v.verdict, reason: v.reason, evidence };
  }
}
