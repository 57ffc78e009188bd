/**
 * The runbook's "P50 latency increase > 50%" trigger: observed P50 / baseline P50 above 1.5 in k consecutive
 * intervals, each with enough samples.
 *
 * Why persistence and not a sequential test on the log-ratio: the P50 comes from histogram_quantile, which
 * interpolates inside buckets, so its sampling variance depends on bucket layout and load and cannot be derived
 * per request the way a Bernoulli likelihood can; a likelihood-ratio test on it would claim a false-alarm bound it
 * does not have. Persistence gives a plain, explainable bound instead: if one healthy interval breaches with
 * chance q, independently, k consecutive breaches starting at a given interval happen with chance q^k (with k = 3
 * and q = 5%, 1.25e-4 per start). Load swings are correlated across intervals, which is why k defaults to 3 and
 * intervals with too few samples break the streak rather than extend it.
 */
import type { Verdict } from './verdict.js';

/** One interval: P50 of the release and of its baseline (seconds), and how many requests each was computed from. */
export type LatencyInterval = {
  p50: number | null;
  baselineP50: number | null;
  samples: number;
  /** Samples behind the baseline P50; when left out only `samples` is checked. */
  baselineSamples?: number;
} | null;

export interface LatencyRatioOptions {
  /** The runbook's "> 50%": ratio threshold. Default 1.5. */
  ratioThreshold?: number;
  /** Consecutive breaching intervals needed for a fail. Default 3. */
  consecutive?: number;
  /** Samples an interval needs to count. Default 50. */
  minSamples?: number;
}

export interface LatencyRatioEvidence {
  test: 'latency-ratio-consecutive';
  ratioThreshold: number;
  consecutive: number;
  minSamples: number;
  /** observed / baseline per interval; null when the interval did not qualify. */
  ratios: Array<number | null>;
  /** Both sides' P50 (seconds) per interval, so `explain` shows the numbers behind each ratio. */
  p50s: Array<{ p50: number; baselineP50: number } | null>;
  /** Intervals with data but too few samples. */
  lowTrafficIntervals: number;
  /** Intervals with no data or a non-finite / non-positive P50. */
  missingIntervals: number;
  qualifiedIntervals: number;
  /** Longest run of consecutive breaches seen, and the run still open at the end. */
  longestStreak: number;
  currentStreak: number;
  decidedAtInterval: number | null;
}

export type LatencyVerdict = Verdict<LatencyRatioEvidence>;

export function judgeLatency(
  intervals: readonly LatencyInterval[],
  opts: LatencyRatioOptions = {},
): LatencyVerdict {
  const ratioThreshold = opts.ratioThreshold ?? 1.5;
  const consecutive = opts.consecutive ?? 3;
  const minSamples = opts.minSamples ?? 50;
  if (!(ratioThreshold > 0) || !(consecutive >= 1)) throw new RangeError('latency judge: bad thresholds');

  const ratios: Array<number | null> = [];
  const p50s: LatencyRatioEvidence['p50s'] = [];
  let low = 0;
  let missing = 0;
  let qualified = 0;
  let streak = 0;
  let longest = 0;
  let decidedAt: number | null = null;

  for (const [i, c] of intervals.entries()) {
    const usable =
      c !== null &&
      c.p50 !== null &&
      c.baselineP50 !== null &&
      Number.isFinite(c.p50) &&
      Number.isFinite(c.baselineP50) &&
      c.p50 >= 0 &&
      c.baselineP50 > 0;
    if (!usable) {
      missing++;
      ratios.push(null);
      p50s.push(null);
      streak = 0;
      continue;
    }
    if (c.samples < minSamples || (c.baselineSamples !== undefined && c.baselineSamples < minSamples)) {
      low++;
      ratios.push(null);
      p50s.push({ p50: c.p50 ?? 0, baselineP50: c.baselineP50 ?? 0 });
      streak = 0;
      continue;
    }
    qualified++;
    const ratio = (c.p50 ?? 0) / (c.baselineP50 ?? 1);
    ratios.push(ratio);
    p50s.push({ p50: c.p50 ?? 0, baselineP50: c.baselineP50 ?? 0 });
    streak = ratio > ratioThreshold ? streak + 1 : 0;
    longest = Math.max(longest, streak);
    if (streak >= consecutive) {
      decidedAt = i;
      break;
    }
  }

  const evidence: LatencyRatioEvidence = {
    test: 'latency-ratio-consecutive',
    ratioThreshold,
    consecutive,
    minSamples,
    ratios,
    p50s,
    lowTrafficIntervals: low,
    missingIntervals: missing,
    qualifiedIntervals: qualified,
    longestStreak: longest,
    currentStreak: streak,
    decidedAtInterval: decidedAt,
  };
  const last = ratios.filter((x): x is number => x !== null).slice(-consecutive);
  const shown = last.map((x) => x.toFixed(2)).join(', ');

  if (decidedAt !== null)
    return {
      verdict: 'fail',
      reason: `P50 was ${shown} times the baseline in ${consecutive} consecutive intervals (limit ${ratioThreshold})`,
      evidence,
    };
  if (intervals.length === 0 || missing === intervals.length)
    return { verdict: 'inconclusive', reason: 'no latency data for the window', evidence };
  if (qualified === 0)
    return {
      verdict: 'not-enough-traffic',
      reason: `no interval had the ${minSamples} samples needed to compare P50 with the baseline`,
      evidence,
    };
  const lastMissing = intervals[intervals.length - 1] === null || ratios[ratios.length - 1] === null;
  if (missing > 0 || lastMissing)
    return {
      verdict: 'inconclusive',
      reason: `${missing + low} of ${intervals.length} intervals had no usable latency data; never a pass`,
      evidence,
    };
  if (qualified >= consecutive && streak === 0)
    return {
      verdict: 'pass',
      reason: `P50 stayed within ${ratioThreshold}x the baseline (last ratios ${shown})`,
      evidence,
    };
  return {
    verdict: 'continue',
    reason: `${qualified} usable intervals, current breach streak ${streak} of ${consecutive}`,
    evidence,
  };
}
