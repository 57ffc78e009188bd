import { describe, expect, it } from 'vitest';
import {
  binomial,
  judgeErrorRate,
  judgeErrorRecovery,
  judgeLatencyRecovery,
  seededRandom,
  sprtBoundaries,
  type IntervalCounts,
  type LatencyInterval,
  type Random,
} from '../../src/core/judge/index.js';

const LIMIT = { limit: 0.01 };

/** Per-interval counts of a stream: `rps * intervalSeconds` requests, each failing with chance p. */
function stream(
  rand: Random,
  p: number,
  rps: number,
  intervals: number,
  intervalSeconds = 10,
): IntervalCounts[] {
  const n = rps * intervalSeconds;
  return Array.from({ length: intervals }, () => ({ requests: n, errors: binomial(rand, n, p) }));
}

describe('judgeErrorRecovery (the detection SPRT turned around)', () => {
  it('is judgeErrorRate with p0 = goodRate, p1 = limit, alpha = falseFail, beta = falsePass', () => {
    const counts: IntervalCounts[] = [
      { requests: 400, errors: 1 },
      { requests: 400, errors: 0 },
      { requests: 400, errors: 2 },
    ];
    const v = judgeErrorRecovery(counts, LIMIT);
    const inner = judgeErrorRate(counts, { p0: 0.005, p1: 0.01, alpha: 0.05, beta: 0.01, minRequests: 100 });
    const { upper, lower } = sprtBoundaries(0.05, 0.01);
    expect(v.verdict).toBe(inner.verdict);
    expect(v.evidence).toMatchObject({
      test: 'wald-sprt-recovery',
      limit: 0.01,
      goodRate: 0.005,
      falsePass: 0.01,
      falseFail: 0.05,
      minRequests: 100,
      upper,
      lower,
      llr: inner.evidence.llr,
      trace: inner.evidence.trace,
      requests: 1200,
      errors: 3,
    });
    expect(lower).toBeCloseTo(Math.log(0.01 / 0.95));
    expect(v.evidence.falsePassBound).toBeCloseTo(0.01 / 0.95);
    expect(v.evidence.falseFailBound).toBeCloseTo(0.05 / 0.99);
    expect(judgeErrorRecovery([], { limit: 0.02, goodRate: 0.001 }).evidence).toMatchObject({
      limit: 0.02,
      goodRate: 0.001,
    });
  });

  it('passes 0 errors over enough traffic, with the false-pass bound in the reason', () => {
    const v = judgeErrorRecovery([{ requests: 1000, errors: 0 }], LIMIT);
    expect(v.verdict).toBe('pass');
    expect(v.evidence.decidedAtInterval).toBe(0);
    expect(v.reason).toMatch(/0 of 1000 requests failed/);
    expect(v.reason).toMatch(/<= 1\.05%/);
    // With no errors a pass takes ln(0.01 / 0.95) / ln(0.99 / 0.995) = 904 requests, not 20.
    expect(judgeErrorRecovery([{ requests: 900, errors: 0 }], LIMIT).verdict).toBe('continue');
    expect(judgeErrorRecovery([{ requests: 905, errors: 0 }], LIMIT).verdict).toBe('pass');
    // The one-window rule's pass: 0 errors in 30 requests, which a 5% service shows 21% of the time.
    expect(judgeErrorRecovery([{ requests: 30, errors: 0 }], LIMIT).verdict).toBe('not-enough-traffic');
  });

  it('never passes 3% against a 1% limit, and fails it', () => {
    expect(judgeErrorRecovery([{ requests: 1000, errors: 30 }], LIMIT).verdict).toBe('fail');
    const rand = seededRandom(3);
    for (let run = 0; run < 50; run++) {
      const counts = stream(rand, 0.03, 20, 30);
      for (let k = 1; k <= counts.length; k++)
        expect(judgeErrorRecovery(counts.slice(0, k), LIMIT).verdict).not.toBe('pass');
      const v = judgeErrorRecovery(counts, LIMIT);
      expect(v.verdict).toBe('fail');
      expect(v.reason).toMatch(/still at or above the limit 1\.00%/);
    }
  });

  it('says not-enough-traffic below the minimum, even with every request failed', () => {
    expect(judgeErrorRecovery([{ requests: 50, errors: 0 }], LIMIT).verdict).toBe('not-enough-traffic');
    expect(judgeErrorRecovery([{ requests: 99, errors: 99 }], LIMIT).verdict).toBe('not-enough-traffic');
    const v = judgeErrorRecovery([{ requests: 50, errors: 0 }], { limit: 0.01, minRequests: 500 });
    expect(v.reason).toMatch(/at least 500/);
  });

  it('treats gaps as inconclusive, never as a pass', () => {
    expect(judgeErrorRecovery([], LIMIT).verdict).toBe('inconclusive');
    expect(judgeErrorRecovery([null, null], LIMIT).verdict).toBe('inconclusive');
    const gap = judgeErrorRecovery([null, { requests: 2000, errors: 0 }], LIMIT);
    expect(gap.verdict).toBe('inconclusive');
    expect(gap.evidence.missingIntervals).toBe(1);
    expect(judgeErrorRecovery([{ requests: 500, errors: 0 }, null], LIMIT).verdict).toBe('inconclusive');
    // Errors that did arrive still show the service broken.
    expect(judgeErrorRecovery([null, { requests: 1000, errors: 50 }], LIMIT).verdict).toBe('fail');
  });

  it('rejects a good rate that is not below the limit', () => {
    expect(() => judgeErrorRecovery([], { limit: 0.01, goodRate: 0.01 })).toThrow(RangeError);
    expect(() => judgeErrorRecovery([], { limit: 0 })).toThrow(RangeError);
    expect(() => judgeErrorRecovery([], { limit: 0.01, falsePass: 0.6, falseFail: 0.5 })).toThrow(RangeError);
  });
});

describe('judgeErrorRecovery simulation (seeded)', () => {
  const runs = 2000;
  const intervals = 360; // an hour of 10 s intervals: long enough that almost every run decides
  const bound = 0.01 / 0.95;

  function outcomes(p: number, rps: number, seed: number, length = intervals): Record<string, number> {
    const rand = seededRandom(seed);
    const seen: Record<string, number> = {};
    for (let i = 0; i < runs; i++) {
      const v = judgeErrorRecovery(stream(rand, p, rps, length), LIMIT).verdict;
      seen[v] = (seen[v] ?? 0) + 1;
    }
    return seen;
  }

  it('calls a service still at the limit recovered at most falsePass / (1 - falseFail) of the time', () => {
    // Three standard errors of slack for the Monte-Carlo estimate itself.
    const slack = 3 * Math.sqrt((bound * (1 - bound)) / runs);
    for (const rps of [5, 50]) {
      const seen = outcomes(0.01, rps, 11 + rps);
      expect((seen.pass ?? 0) / runs).toBeLessThanOrEqual(bound + slack);
      expect((seen.fail ?? 0) / runs).toBeGreaterThan(0.95);
    }
  });

  it('passes still-broken services at 2% and 5% far less often than the bound', () => {
    for (const p of [0.02, 0.05]) {
      // At 50 rps these decide within a few intervals; 10 minutes is plenty.
      const seen = outcomes(p, 50, 23 + p * 1000, 60);
      expect((seen.pass ?? 0) / runs).toBeLessThanOrEqual(bound / 10);
      expect(seen.fail).toBe(runs);
    }
  });

  it('keeps false fails at the good rate within falseFail / (1 - falsePass), and passes a healthy 0.1%', () => {
    const atGood = outcomes(0.005, 50, 31);
    const failBound = 0.05 / 0.99;
    const slack = 3 * Math.sqrt((failBound * (1 - failBound)) / runs);
    expect((atGood.fail ?? 0) / runs).toBeLessThanOrEqual(failBound + slack);
    const healthy = outcomes(0.001, 50, 37);
    expect((healthy.pass ?? 0) / runs).toBeGreaterThan(0.999);
  });
});

const at = (ratio: number, samples = 100): LatencyInterval => ({
  p50: 0.05 * ratio,
  baselineP50: 0.05,
  samples,
});

describe('judgeLatencyRecovery (k consecutive qualified intervals within the ratio)', () => {
  const opts = { ratio: 1.5 };

  it('passes when the last 3 qualified intervals are at or below the ratio', () => {
    // Exactly 1.5x is back to normal (the trigger is "more than 50%").
    const exact: LatencyInterval = { p50: 3, baselineP50: 2, samples: 100 };
    const v = judgeLatencyRecovery([at(2), at(1.4), at(1.2), exact], opts);
    expect(v.verdict).toBe('pass');
    expect(v.evidence).toMatchObject({ test: 'latency-ratio-recovery', streak: 3, qualifiedIntervals: 4 });
    expect(v.evidence.ratios.map((r) => r?.toFixed(1))).toEqual(['2.0', '1.4', '1.2', '1.5']);
    expect(v.reason).toMatch(/1\.40, 1\.20, 1\.50 times the baseline/);
    expect(judgeLatencyRecovery([at(1), at(1)], opts).verdict).toBe('continue');
    expect(judgeLatencyRecovery([at(1)], { ratio: 1.5, consecutive: 1 }).verdict).toBe('pass');
  });

  it('judges the end of the window: a slow interval or a thin one breaks the streak', () => {
    expect(judgeLatencyRecovery([at(1), at(1), at(1), at(1.6)], opts).verdict).toBe('continue');
    const thin = judgeLatencyRecovery([at(1), at(1), at(1, 10), at(1), at(1)], opts);
    expect(thin.verdict).toBe('continue');
    expect(thin.evidence).toMatchObject({ lowTrafficIntervals: 1, streak: 2 });
    expect(judgeLatencyRecovery([at(1), at(1), at(1, 10), at(1), at(1), at(1)], opts).verdict).toBe('pass');
    expect(judgeLatencyRecovery([at(1), null, at(1), at(1)], opts).verdict).toBe('continue');
    const baseThin: LatencyInterval = { p50: 0.05, baselineP50: 0.05, samples: 100, baselineSamples: 3 };
    expect(judgeLatencyRecovery([at(1), at(1), baseThin], opts).verdict).toBe('continue');
  });

  it('never fails on its own: a P50 still high is continue until the caller times out', () => {
    const v = judgeLatencyRecovery(
      Array.from({ length: 30 }, () => at(3)),
      opts,
    );
    expect(v.verdict).toBe('continue');
    expect(v.evidence.lastRatio).toBeCloseTo(3);
  });

  it('is inconclusive without a baseline and not-enough-traffic when no interval qualified', () => {
    const noBase = judgeLatencyRecovery([{ p50: 0.05, baselineP50: null, samples: 500 }, null], opts);
    expect(noBase.verdict).toBe('inconclusive');
    expect(noBase.reason).toMatch(/^no P50 baseline/);
    expect(judgeLatencyRecovery([{ p50: 0.05, baselineP50: 0, samples: 500 }], opts).verdict).toBe(
      'inconclusive',
    );
    expect(judgeLatencyRecovery([at(1, 10), at(1, 10), at(1, 10), at(1, 10)], opts).verdict).toBe(
      'not-enough-traffic',
    );
    expect(judgeLatencyRecovery([], opts).verdict).toBe('not-enough-traffic');
    expect(judgeLatencyRecovery([null, null], opts).verdict).toBe('not-enough-traffic');
    expect(judgeLatencyRecovery([at(1, 10)], { ratio: 1.5, minSamples: 5, consecutive: 1 }).verdict).toBe(
      'pass',
    );
  });

  it('rejects bad thresholds', () => {
    expect(() => judgeLatencyRecovery([], { ratio: 0 })).toThrow(RangeError);
    expect(() => judgeLatencyRecovery([], { ratio: 1.5, consecutive: 0 })).toThrow(RangeError);
  });
});
