import { describe, expect, it } from 'vitest';
import { judgeLatency, normal, seededRandom, type LatencyInterval } from '../../src/core/judge/index.js';

const at = (ratio: number, samples = 100): LatencyInterval => ({
  p50: 0.05 * ratio,
  baselineP50: 0.05,
  samples,
});

describe('judgeLatency (ratio in k consecutive intervals)', () => {
  it('fails after 3 consecutive intervals above 1.5x, with the ratios as evidence', () => {
    const v = judgeLatency([at(1), at(1.6), at(1.7), at(1.6), at(1)]);
    expect(v.verdict).toBe('fail');
    expect(v.evidence.decidedAtInterval).toBe(3);
    expect(v.evidence.ratios.map((r) => r?.toFixed(1))).toEqual(['1.0', '1.6', '1.7', '1.6']);
    expect(v.reason).toMatch(/3 consecutive intervals/);
  });

  it('does not fail on isolated spikes, and passes once enough quiet intervals are in', () => {
    const v = judgeLatency([at(1.6), at(1.6), at(1), at(1.6), at(1)]);
    expect(v.verdict).toBe('pass');
    expect(v.evidence.longestStreak).toBe(2);
    expect(judgeLatency([at(1), at(1.6)]).verdict).toBe('continue');
    // Exactly 1.5x is not "more than 50%".
    const exact: LatencyInterval = { p50: 3, baselineP50: 2, samples: 100 };
    expect(judgeLatency([exact, exact, exact]).verdict).toBe('pass');
  });

  it('ignores intervals with too few samples: they break a streak', () => {
    expect(judgeLatency([at(3, 10), at(3, 10), at(3, 10)]).verdict).toBe('not-enough-traffic');
    const broken = judgeLatency([at(1.6), at(1.6), at(1.6, 10), at(1.6)]);
    expect(broken.verdict).toBe('continue');
    expect(broken.evidence).toMatchObject({ lowTrafficIntervals: 1, longestStreak: 2, currentStreak: 1 });
    expect(judgeLatency([at(1), at(1), at(1), at(1, 10)]).verdict).toBe('inconclusive');
    expect(judgeLatency([at(1.6)], { minSamples: 5, consecutive: 1 }).verdict).toBe('fail');
    expect(
      judgeLatency([{ p50: 0.1, baselineP50: 0.05, samples: 100, baselineSamples: 3 }], { consecutive: 1 })
        .verdict,
    ).toBe('not-enough-traffic');
  });

  it('treats missing or NaN P50s as inconclusive, never a pass', () => {
    expect(judgeLatency([]).verdict).toBe('inconclusive');
    expect(judgeLatency([null, null]).verdict).toBe('inconclusive');
    expect(judgeLatency([at(1), at(1), at(1), null]).verdict).toBe('inconclusive');
    expect(judgeLatency([at(1), { p50: NaN, baselineP50: 0.05, samples: 100 }, at(1), at(1)]).verdict).toBe(
      'inconclusive',
    );
    expect(judgeLatency([at(1), at(1), { p50: 0.05, baselineP50: 0, samples: 100 }]).verdict).toBe(
      'inconclusive',
    );
  });

  it('rarely alarms on noisy healthy latency and catches +60% within a few intervals (seeded)', () => {
    const rand = seededRandom(11);
    // 10% interval-to-interval jitter on each side, as load swings give.
    const noisy = (shift: number): LatencyInterval => ({
      p50: 0.05 * shift * Math.exp(0.1 * normal(rand)),
      baselineP50: 0.05 * Math.exp(0.1 * normal(rand)),
      samples: 500,
    });
    let alarms = 0;
    let detected = 0;
    let detectedWithin5 = 0;
    for (let run = 0; run < 1000; run++) {
      if (judgeLatency(Array.from({ length: 60 }, () => noisy(1))).verdict === 'fail') alarms++;
      const bad = judgeLatency(Array.from({ length: 60 }, () => noisy(1.6)));
      if (bad.verdict === 'fail') detected++;
      if (bad.verdict === 'fail' && (bad.evidence.decidedAtInterval ?? 99) < 5) detectedWithin5++;
    }
    expect(alarms).toBe(0);
    // +60% is close to the 1.5x line, so 14% jitter on the ratio hides it in about a third of intervals.
    expect(detected / 1000).toBeGreaterThan(0.99);
    expect(detectedWithin5 / 1000).toBeGreaterThan(0.4);
  });
});
