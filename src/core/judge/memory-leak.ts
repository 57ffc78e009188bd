/**
 * The runbook's "memory leaks detected" trigger: a least-squares line through resident memory over the bake
 * window. A leak is a slope that is positive, sustained (the line explains the data: R^2 at or above a
 * threshold, so a single GC sawtooth or a warm-up step does not count), large enough to matter (growth over the
 * window at least a share of the starting level), and, when the container limit is known, heading for it within a
 * horizon. The time to the limit is reported either way, so `explain` can say "OOM in about 40 minutes".
 */
import type { Verdict } from './verdict.js';

/** One sample: unix seconds and resident bytes. */
export interface MemoryPoint {
  t: number;
  bytes: number;
}

export interface MemoryLeakOptions {
  /** R^2 at or above which the upward trend counts as sustained. Default 0.8. */
  minR2?: number;
  /** Growth over the window, as a share of the fitted starting value, that matters. Default 0.05. */
  minGrowthFraction?: number;
  /** The window must span at least this many seconds before the judge decides. Default 300. */
  minWindowSeconds?: number;
  /** And hold at least this many usable points. Default 10. */
  minPoints?: number;
  /** Container memory limit in bytes, when known. */
  limitBytes?: number;
  /** With a limit: only a leak projected to reach it within this many seconds fails. Default 86400 (a day). */
  horizonSeconds?: number;
  /** More than this share of unusable points makes the window inconclusive. Default 0.2. */
  maxMissingFraction?: number;
}

export interface MemoryLeakEvidence {
  test: 'least-squares-slope';
  points: number;
  missingPoints: number;
  windowSeconds: number;
  /** Bytes per second. */
  slope: number;
  /** Fitted value at the first point, bytes. */
  start: number;
  /** Fitted value at the last point, bytes. */
  end: number;
  r2: number;
  growthFraction: number;
  limitBytes: number | null;
  /** Seconds from the last point until the fitted line reaches the limit; null without a limit or slope <= 0. */
  timeToLimitSeconds: number | null;
  minR2: number;
  minGrowthFraction: number;
  horizonSeconds: number;
}

export type MemoryLeakVerdict = Verdict<MemoryLeakEvidence>;

/** Ordinary least squares of y on x. R^2 is 0 for a flat series (nothing to explain). */
export function linearFit(
  xs: readonly number[],
  ys: readonly number[],
): { slope: number; intercept: number; r2: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] ?? 0) - mx;
    const dy = (ys[i] ?? 0) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const r2 = sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
  return { slope, intercept: my - slope * mx, r2 };
}

export function judgeMemoryLeak(
  series: readonly MemoryPoint[],
  opts: MemoryLeakOptions = {},
): MemoryLeakVerdict {
  const minR2 = opts.minR2 ?? 0.8;
  const minGrowthFraction = opts.minGrowthFraction ?? 0.05;
  const minWindowSeconds = opts.minWindowSeconds ?? 300;
  const minPoints = opts.minPoints ?? 10;
  const horizonSeconds = opts.horizonSeconds ?? 86_400;
  const maxMissingFraction = opts.maxMissingFraction ?? 0.2;
  const limitBytes = opts.limitBytes !== undefined && opts.limitBytes > 0 ? opts.limitBytes : null;

  const usable = series
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.bytes) && p.bytes >= 0)
    .slice()
    .sort((a, b) => a.t - b.t);
  const missing = series.length - usable.length;
  const t0 = usable[0]?.t ?? 0;
  const tN = usable[usable.length - 1]?.t ?? 0;
  const fit =
    usable.length >= 2
      ? linearFit(
          usable.map((p) => p.t - t0),
          usable.map((p) => p.bytes),
        )
      : { slope: 0, intercept: usable[0]?.bytes ?? 0, r2: 0 };
  const start = fit.intercept;
  const end = fit.intercept + fit.slope * (tN - t0);
  const growthFraction = start > 0 ? (end - start) / start : 0;
  const timeToLimitSeconds =
    limitBytes !== null && fit.slope > 0 ? Math.max(0, (limitBytes - end) / fit.slope) : null;

  const evidence: MemoryLeakEvidence = {
    test: 'least-squares-slope',
    points: usable.length,
    missingPoints: missing,
    windowSeconds: tN - t0,
    slope: fit.slope,
    start,
    end,
    r2: fit.r2,
    growthFraction,
    limitBytes,
    timeToLimitSeconds,
    minR2,
    minGrowthFraction,
    horizonSeconds,
  };
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

  if (usable.length === 0)
    return { verdict: 'inconclusive', reason: 'no memory data for the window', evidence };
  if (series.length > 0 && missing / series.length > maxMissingFraction)
    return {
      verdict: 'inconclusive',
      reason: `${missing} of ${series.length} memory samples were unusable`,
      evidence,
    };
  if (usable.length < minPoints || tN - t0 < minWindowSeconds)
    return {
      verdict: 'continue',
      reason: `${usable.length} points over ${tN - t0}s; need ${minPoints} over ${minWindowSeconds}s`,
      evidence,
    };

  const rising = fit.slope > 0 && fit.r2 >= minR2 && growthFraction >= minGrowthFraction;
  const soon = timeToLimitSeconds === null || timeToLimitSeconds <= horizonSeconds;
  const trend = `${mib(start)} -> ${mib(end)} in ${tN - t0}s (R^2 ${fit.r2.toFixed(2)})`;
  if (rising && soon)
    return {
      verdict: 'fail',
      reason:
        timeToLimitSeconds === null
          ? `resident memory rose steadily, ${trend}`
          : `resident memory rose steadily, ${trend}; the limit is reached in about ${Math.round(timeToLimitSeconds / 60)} min`,
      evidence,
    };
  return {
    verdict: 'pass',
    reason: rising
      ? `memory grows, ${trend}, but not to the limit within the horizon`
      : `no sustained growth: ${trend}`,
    evidence,
  };
}
