/**
 * "Latency back to normal" after a rollback: the P50 at or below `ratio` x its baseline in the last k
 * consecutive qualifying intervals (default 3, each with at least 50 samples).
 *
 * Why persistence and not an SPRT: the P50 comes from histogram_quantile, whose sampling variance depends on the
 * bucket layout and the load, so there is no per-request likelihood to bound a false pass with (see
 * latency-ratio.ts). Requiring k qualified intervals in a row is the plain, explainable substitute: if a
 * still-slow service dips under the ratio in one interval with chance q, independently, it passes at a given
 * point with chance q^k. An interval with too few samples, or without data, breaks the streak rather than
 * extending it: a quiet interval's P50 is mostly noise, and silence is not health.
 *
 * Why this judge never fails: right after a rollback the P50 is often high for a while (cold caches, JIT,
 * connection pools refilling), and without a likelihood there is no false-fail bound to offer. It says
 * "continue" until the caller's timeout, which decides what a P50 still above the ratio means. With no baseline
 * P50 at all there is nothing to compare with: "inconclusive", never a pass.
 */
import type { LatencyInterval } from './latency-ratio.js';
import type { Verdict } from './verdict.js';

export interface LatencyRecoveryOptions {
  /** P50 may be at most this multiple of the baseline P50, e.g. 1.5 (the trigger's own ratio). */
  ratio: number;
  /** Qualifying intervals in a row, at or below the ratio, needed to pass. Default 3. */
  consecutive?: number;
  /** Samples an interval (and its baseline, when `baselineSamples` is given) needs to qualify. Default 50. */
  minSamples?: number;
}

export interface LatencyRecoveryEvidence {
  test: 'latency-ratio-recovery';
  ratio: number;
  consecutive: number;
  minSamples: number;
  /** P50 / baseline P50 per interval; null when the interval did not qualify. */
  ratios: Array<number | null>;
  /** Both P50s (seconds) per interval with data, so `explain` shows the numbers behind each ratio. */
  p50s: Array<{ p50: number; baselineP50: number } | null>;
  /** Intervals with data but too few samples. */
  lowTrafficIntervals: number;
  /** Intervals without a usable P50 or baseline P50. */
  missingIntervals: number;
  qualifiedIntervals: number;
  /** Qualifying intervals at or below the ratio at the end of the window, without a break. */
  streak: number;
  /** The newest qualifying ratio, or null. */
  lastRatio: number | null;
}

export type LatencyRecoveryVerdict = Verdict<LatencyRecoveryEvidence>;

const usableP50 = (x: number | null): x is number => x !== null && Number.isFinite(x) && x >= 0;
const usableBase = (x: number | null): x is number => x !== null && Number.isFinite(x) && x > 0;

/** Judges whether the P50 is back within `ratio` x its baseline, from per-interval P50s since the rollback. */
export function judgeLatencyRecovery(
  intervals: readonly LatencyInterval[],
  opts: LatencyRecoveryOptions,
): LatencyRecoveryVerdict {
  const { ratio } = opts;
  const consecutive = opts.consecutive ?? 3;
  const minSamples = opts.minSamples ?? 50;
  if (!(ratio > 0) || !(consecutive >= 1)) throw new RangeError('latency recovery: bad thresholds');

  const ratios: Array<number | null> = [];
  const p50s: LatencyRecoveryEvidence['p50s'] = [];
  let low = 0;
  let missing = 0;
  let qualified = 0;
  let streak = 0;
  let lastRatio: number | null = null;
  let anyData = false;
  let anyBaseline = false;

  for (const c of intervals) {
    if (c !== null) anyData = true;
    if (c !== null && usableBase(c.baselineP50)) anyBaseline = true;
    if (c === null || !usableP50(c.p50) || !usableBase(c.baselineP50)) {
      missing++;
      ratios.push(null);
      p50s.push(null);
      streak = 0;
      continue;
    }
    p50s.push({ p50: c.p50, baselineP50: c.baselineP50 });
    if (c.samples < minSamples || (c.baselineSamples !== undefined && c.baselineSamples < minSamples)) {
      low++;
      ratios.push(null);
      streak = 0;
      continue;
    }
    qualified++;
    const r = c.p50 / c.baselineP50;
    ratios.push(r);
    lastRatio = r;
    streak = r <= ratio ? streak + 1 : 0;
  }

  const evidence: LatencyRecoveryEvidence = {
    test: 'latency-ratio-recovery',
    ratio,
    consecutive,
    minSamples,
    ratios,
    p50s,
    lowTrafficIntervals: low,
    missingIntervals: missing,
    qualifiedIntervals: qualified,
    streak,
    lastRatio,
  };

  if (!anyData) return { verdict: 'not-enough-traffic', reason: 'no latency data yet', evidence };
  if (!anyBaseline)
    return {
      verdict: 'inconclusive',
      reason: 'no P50 baseline to compare with; latency recovery cannot be judged',
      evidence,
    };
  if (qualified === 0)
    return {
      verdict: 'not-enough-traffic',
      reason: `no interval had the ${minSamples} samples needed to compare P50 with the baseline`,
      evidence,
    };
  const shown = ratios
    .filter((x): x is number => x !== null)
    .slice(-consecutive)
    .map((x) => x.toFixed(2))
    .join(', ');
  if (streak >= consecutive)
    return {
      verdict: 'pass',
      reason: `P50 was ${shown} times the baseline in the last ${consecutive} intervals (limit ${ratio})`,
      evidence,
    };
  return {
    verdict: 'continue',
    reason: `${streak} of ${consecutive} intervals in a row within ${ratio}x the baseline (last ratio ${lastRatio?.toFixed(2) ?? 'n/a'})`,
    evidence,
  };
}
