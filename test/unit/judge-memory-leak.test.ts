import { describe, expect, it } from 'vitest';
import {
  judgeMemoryLeak,
  linearFit,
  normal,
  seededRandom,
  type MemoryPoint,
} from '../../src/core/judge/index.js';

const MiB = 1048576;

/** Resident memory every 15 s for `seconds`: start + slope*t + noise. */
function series(
  seed: number,
  start: number,
  slopePerSecond: number,
  noise: number,
  seconds = 600,
): MemoryPoint[] {
  const rand = seededRandom(seed);
  return Array.from({ length: seconds / 15 + 1 }, (_, i) => ({
    t: 1_700_000_000 + i * 15,
    bytes: start + slopePerSecond * i * 15 + noise * normal(rand),
  }));
}

describe('linearFit', () => {
  it('recovers an exact line with R^2 = 1, and gives R^2 0 for a flat series', () => {
    const fit = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(fit).toMatchObject({ slope: 2, intercept: 1 });
    expect(fit.r2).toBeCloseTo(1);
    expect(linearFit([0, 1, 2], [5, 5, 5])).toEqual({ slope: 0, intercept: 5, r2: 0 });
  });
});

describe('judgeMemoryLeak', () => {
  it('fails on a steady climb and projects the time to the limit', () => {
    // 100 MiB growing 0.1 MiB/s: 160 MiB after 10 min; a 256 MiB limit is ~16 min further.
    const v = judgeMemoryLeak(series(1, 100 * MiB, 0.1 * MiB, 1 * MiB), { limitBytes: 256 * MiB });
    expect(v.verdict).toBe('fail');
    expect(v.evidence.r2).toBeGreaterThan(0.95);
    expect(v.evidence.slope / MiB).toBeCloseTo(0.1, 2);
    expect((v.evidence.timeToLimitSeconds ?? 0) / 60).toBeGreaterThan(14);
    expect((v.evidence.timeToLimitSeconds ?? 0) / 60).toBeLessThan(18);
    expect(v.reason).toMatch(/limit is reached in about 1\d min/);
  });

  it('passes flat noisy memory and a GC sawtooth', () => {
    expect(judgeMemoryLeak(series(2, 100 * MiB, 0, 3 * MiB)).verdict).toBe('pass');
    const saw = Array.from({ length: 41 }, (_, i) => ({ t: i * 15, bytes: (100 + 10 * (i % 8)) * MiB }));
    expect(judgeMemoryLeak(saw).verdict).toBe('pass');
  });

  it('passes growth too small to matter, or too slow to reach the limit within the horizon', () => {
    expect(judgeMemoryLeak(series(3, 100 * MiB, 0.001 * MiB, 0)).verdict).toBe('pass');
    const slow = judgeMemoryLeak(series(4, 100 * MiB, 0.1 * MiB, 0), {
      limitBytes: 100_000 * MiB,
      horizonSeconds: 3600,
    });
    expect(slow.verdict).toBe('pass');
    expect(slow.reason).toMatch(/not to the limit/);
  });

  it('waits for a full window, and is inconclusive without data', () => {
    expect(judgeMemoryLeak(series(5, 100 * MiB, 0.1 * MiB, 0, 120)).verdict).toBe('continue');
    expect(judgeMemoryLeak([]).verdict).toBe('inconclusive');
    const gappy = series(6, 100 * MiB, 0, 0).map((p, i) => (i % 3 === 0 ? { ...p, bytes: NaN } : p));
    expect(judgeMemoryLeak(gappy).verdict).toBe('inconclusive');
  });
});
