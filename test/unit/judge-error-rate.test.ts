import { describe, expect, it } from 'vitest';
import {
  binomial,
  judgeErrorRate,
  seededRandom,
  sprtBoundaries,
  type IntervalCounts,
  type Random,
} from '../../src/core/judge/index.js';

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

describe('judgeErrorRate (Wald SPRT)', () => {
  it('uses Wald boundaries and max(1%, baseline) as p0', () => {
    const v = judgeErrorRate([{ requests: 1000, errors: 50 }]);
    // β 0.005 (DEFAULT_MISS_CHANCE): a release at p1 passes one time in 200 (bench/detection).
    const { upper, lower } = sprtBoundaries(0.01, 0.005);
    expect(v.evidence).toMatchObject({ p0: 0.01, p1: 0.016, alpha: 0.01, beta: 0.005, upper, lower });
    expect(upper).toBeCloseTo(Math.log(99.5));
    expect(lower).toBeCloseTo(Math.log(0.005 / 0.99));
    expect(v.evidence.falseAlarmBound).toBeCloseTo(0.01 / 0.995);
    expect(judgeErrorRate([], { baselineRate: 0.03 }).evidence).toMatchObject({ p0: 0.03, p1: 0.048 });
    expect(judgeErrorRate([], { baselineRate: 0.002 }).evidence.p0).toBe(0.01);
    expect(judgeErrorRate([], { p0: 0.02, p1: 0.05 }).evidence).toMatchObject({ p0: 0.02, p1: 0.05 });
  });

  it('fails on a clearly bad release, with the LLR and counts as evidence', () => {
    const v = judgeErrorRate([
      { requests: 500, errors: 25 },
      { requests: 500, errors: 25 },
    ]);
    expect(v.verdict).toBe('fail');
    const llr = 25 * Math.log(1.6) + 475 * Math.log(0.984 / 0.99);
    expect(v.evidence.llr).toBeCloseTo(llr);
    expect(v.evidence).toMatchObject({ requests: 500, errors: 25, decidedAtInterval: 0, observedRate: 0.05 });
    expect(v.evidence.trace).toEqual([v.evidence.llr]);
    expect(v.reason).toMatch(/25 of 500 requests failed/);
  });

  it('passes a healthy release once enough requests are in', () => {
    // 3 × ln 1.6 + 1197 × ln(0.984 / 0.99) = −5.9, past ln(0.005 / 0.99) = −5.3 (1 000 requests are not: −4.7).
    const v = judgeErrorRate([{ requests: 1200, errors: 3 }]);
    expect(v.verdict).toBe('pass');
    expect(judgeErrorRate([{ requests: 1000, errors: 3 }]).verdict).toBe('continue');
    expect(v.evidence.llr).toBeLessThanOrEqual(v.evidence.lower);
  });

  it('continues between the boundaries', () => {
    expect(judgeErrorRate([{ requests: 200, errors: 3 }]).verdict).toBe('continue');
  });

  it('says not-enough-traffic below the minimum, even when every request failed', () => {
    expect(judgeErrorRate([{ requests: 40, errors: 40 }]).verdict).toBe('not-enough-traffic');
    expect(judgeErrorRate([{ requests: 99, errors: 0 }]).verdict).toBe('not-enough-traffic');
    expect(judgeErrorRate([{ requests: 40, errors: 40 }], { minRequests: 10 }).verdict).toBe('fail');
  });

  it('treats missing data as inconclusive, never as a pass', () => {
    expect(judgeErrorRate([]).verdict).toBe('inconclusive');
    expect(judgeErrorRate([null, null]).verdict).toBe('inconclusive');
    // Would pass on the data seen, but an interval is missing.
    const gap = judgeErrorRate([null, { requests: 1000, errors: 0 }]);
    expect(gap.verdict).toBe('inconclusive');
    expect(gap.evidence.missingIntervals).toBe(1);
    // Undecided and the latest interval has no data.
    expect(judgeErrorRate([{ requests: 200, errors: 3 }, null]).verdict).toBe('inconclusive');
    // Counts that cannot be right count as missing.
    expect(
      judgeErrorRate([
        { requests: 10, errors: 20 },
        { requests: -1, errors: 0 },
      ]).verdict,
    ).toBe('inconclusive');
    // A fail from the data that did arrive stands.
    expect(judgeErrorRate([null, { requests: 500, errors: 50 }]).verdict).toBe('fail');
  });

  it('rejects impossible hypotheses', () => {
    expect(() => judgeErrorRate([], { p0: 0.05, p1: 0.02 })).toThrow(RangeError);
    expect(() => judgeErrorRate([], { alpha: 0.6, beta: 0.5 })).toThrow(RangeError);
  });
});

describe('judgeErrorRate simulation (seeded)', () => {
  const runs = 2000;
  const intervals = 60; // a 10-minute bake in 10 s intervals

  function falseAlarms(p: number, rps: number, seed: number): number {
    const rand = seededRandom(seed);
    let alarms = 0;
    for (let i = 0; i < runs; i++)
      if (judgeErrorRate(stream(rand, p, rps, intervals)).verdict === 'fail') alarms++;
    return alarms;
  }

  it('keeps healthy 0.5% streams far below the false-alarm bound', () => {
    for (const rps of [5, 50])
      expect(falseAlarms(0.005, rps, 42 + rps) / runs).toBeLessThanOrEqual(0.01 / 0.9);
  });

  it('stays within alpha / (1 - beta) even at exactly p0 = 1%, the worst case under H0', () => {
    const bound = 0.01 / 0.9;
    // Three standard errors of slack for the Monte-Carlo estimate itself.
    const slack = 3 * Math.sqrt((bound * (1 - bound)) / runs);
    expect(falseAlarms(0.01, 50, 7) / runs).toBeLessThanOrEqual(bound + slack);
  });

  it('detects 5% error streams at 50 rps within a few intervals', () => {
    const rand = seededRandom(99);
    const delays: number[] = [];
    for (let i = 0; i < 500; i++) {
      const v = judgeErrorRate(stream(rand, 0.05, 50, intervals));
      expect(v.verdict).toBe('fail');
      delays.push((v.evidence.decidedAtInterval ?? Infinity) + 1);
    }
    expect(Math.max(...delays)).toBeLessThanOrEqual(3);
    expect(delays.filter((d) => d === 1).length / delays.length).toBeGreaterThan(0.9);
  });

  it('detects most 2% streams (above p1) within the bake, as 1 - beta promises', () => {
    const rand = seededRandom(5);
    let detected = 0;
    for (let i = 0; i < 500; i++)
      if (judgeErrorRate(stream(rand, 0.02, 50, intervals)).verdict === 'fail') detected++;
    expect(detected / 500).toBeGreaterThanOrEqual(0.85);
  });
});
