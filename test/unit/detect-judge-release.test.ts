import { describe, expect, it } from 'vitest';
import { checkGuards, recentlyBadImages, DEFAULT_GUARDS } from '../../src/core/detect/guards.js';
import {
  DEFAULT_DETECT_OPTIONS,
  judgeRelease,
  type ReleaseObservation,
  type ReleaseSample,
} from '../../src/core/detect/judge-release.js';
import type { RunRecord } from '../../src/core/journal.js';
import type { Plan } from '../../src/core/plan.js';

const release = {
  namespace: 'tickettoken',
  deployment: 'venue-service',
  revision: 5,
  podTemplateHash: 'abc',
  images: ['venue-service:v1.2.3'],
  previous: { revision: 4, podTemplateHash: 'old', images: ['venue-service:v1.2.2'] },
  startedAt: '2026-11-27T10:00:00.000Z',
};

function sample(i: number, requests: number | null, errors = 0, checkOk = true): ReleaseSample {
  return {
    at: new Date(Date.parse(release.startedAt) + i * 10_000).toISOString(),
    errors: requests === null ? null : { requests, errors },
    latency: { p50: 0.012, baselineP50: 0.012, samples: requests ?? 0, baselineSamples: 500 },
    checks: [{ name: 'venues', ok: checkOk, detail: checkOk ? '200' : '500' }],
  };
}

function observe(samples: ReleaseSample[], elapsedS: number, extra: Partial<ReleaseObservation> = {}) {
  return judgeRelease(
    {
      release,
      samples,
      memory: {},
      podProblems: [],
      baselineRate: 0,
      now: new Date(Date.parse(release.startedAt) + elapsedS * 1000).toISOString(),
      ...extra,
    },
    { ...DEFAULT_DETECT_OPTIONS, bakeMs: 60_000, maxBakeMs: 120_000 },
  );
}

describe('judgeRelease', () => {
  it('rolls back on 5% 5xx before the bake ends, naming the trigger', () => {
    const j = observe([sample(0, 300, 15), sample(1, 300, 15)], 20);
    expect(j.decision).toBe('rollback');
    expect(j.reason).toMatch(/^error-rate: 15 of 300 requests failed: LLR [0-9.]+ reached 4\.60/);
  });

  it('keeps watching a clean release until the bake is over, then calls it healthy', () => {
    // 6 × 150 clean requests: LLR 900 × ln(0.984 / 0.99) = −5.5, past the pass boundary ln(0.005 / 0.99) = −5.3.
    const clean = Array.from({ length: 6 }, (_, i) => sample(i, 150));
    expect(observe(clean.slice(0, 3), 30).decision).toBe('watching');
    const j = observe(clean, 60);
    expect(j.decision).toBe('healthy');
  });

  it('too little traffic at the end of the bake is reported, never a pass', () => {
    const j = observe([sample(0, 5), sample(1, 5), sample(2, 5)], 125);
    expect(j.decision).toBe('not-enough-traffic');
  });

  it('a gap followed by data loses nothing (cumulative counts); data that stops is inconclusive, never a pass', () => {
    // 5 × 200 clean requests: LLR −6.1, past the pass boundary ln(0.005 / 0.99) = −5.3.
    const gap = [sample(0, 200), sample(1, null), ...Array.from({ length: 4 }, (_, i) => sample(i + 2, 200))];
    expect(observe(gap, 60).decision).toBe('healthy');
    const stopped = [
      ...Array.from({ length: 4 }, (_, i) => sample(i, 100)),
      sample(4, null),
      sample(5, null),
    ];
    expect(observe(stopped, 60).decision).toBe('watching');
    expect(observe(stopped, 125).decision).toBe('inconclusive');
    const late = [
      sample(0, null),
      sample(1, null),
      ...Array.from({ length: 4 }, (_, i) => sample(i + 2, 250)),
    ];
    expect(observe(late, 60).decision).toBe('healthy');
  });

  it('pod problems and three failed smoke checks in a row are each enough to roll back', () => {
    expect(observe([sample(0, 100)], 10, { podProblems: ['pod a: CrashLoopBackOff'] }).reason).toBe(
      'pods: pod a: CrashLoopBackOff',
    );
    const failing = [sample(0, 100, 0, false), sample(1, 100, 0, false), sample(2, 100, 0, false)];
    const j = observe(failing, 30);
    expect(j.decision).toBe('rollback');
    expect(j.triggers.find((t) => t.trigger === 'smoke-checks')?.verdict).toBe('fail');
  });

  it('ignores the warm-up of fresh pods when judging memory', () => {
    // 10 MiB/s for the first 30 s (warm-up), then flat: not a leak.
    const series = Array.from({ length: 40 }, (_, i) => ({
      t: Date.parse(release.startedAt) / 1000 + i * 10,
      bytes: (80 + Math.min(i, 3) * 100) * 1024 * 1024,
    }));
    const j = observe([sample(0, 100)], 30, { memory: { 'pod-a': series } });
    expect(j.triggers.find((t) => t.trigger === 'memory-leak')?.verdict).not.toBe('fail');
  });
});

function run(
  id: string,
  createdAt: string,
  trigger: boolean,
  fromImages = ['venue-service:v1.2.3'],
): RunRecord {
  const plan = {
    service: 'venue-service',
    from: { revision: 5, images: fromImages },
    to: { revision: 4, images: ['venue-service:v1.2.2'] },
    ...(trigger ? { trigger: {} } : {}),
  } as unknown as Plan;
  return {
    id,
    service: 'venue-service',
    scenario: 'app',
    status: 'succeeded',
    plan,
    createdAt,
    updatedAt: createdAt,
  };
}

describe('guards on automatic rollbacks', () => {
  const now = new Date('2026-11-27T12:00:00Z');
  const target = { service: 'venue-service', toRevisionImages: ['venue-service:v1.2.2'] };

  it('allows the first automatic rollback', () => {
    expect(checkGuards([], target, new Set(), now, DEFAULT_GUARDS)).toEqual({ ok: true });
  });

  it('refuses a fourth automatic rollback in 24 h, but runs started by people do not count', () => {
    const runs = ['01', '03', '05'].map((h) => run(`r${h}`, `2026-11-27T${h}:00:00Z`, true));
    expect(checkGuards(runs, target, new Set(), now, DEFAULT_GUARDS)).toMatchObject({
      ok: false,
      reason: '3 automatic rollbacks of venue-service in 24 h (limit 3)',
    });
    const manual = ['01', '03', '05'].map((h) => run(`r${h}`, `2026-11-27T${h}:00:00Z`, false));
    expect(checkGuards(manual, target, new Set(), now, DEFAULT_GUARDS).ok).toBe(true);
  });

  it('holds a rollback during the cooldown', () => {
    const runs = [run('r1', '2026-11-27T11:55:00Z', true)];
    const g = checkGuards(runs, target, new Set(), now, DEFAULT_GUARDS);
    expect(g).toMatchObject({ ok: false });
    expect((g as { reason: string }).reason).toMatch(/^cooldown: the last automatic rollback was 300s ago/);
  });

  it('never rolls back onto an image that was itself rolled back recently', () => {
    const runs = [run('r1', '2026-11-27T02:00:00Z', true, ['venue-service:v1.2.2'])];
    const bad = recentlyBadImages(runs, 'venue-service', now, DEFAULT_GUARDS);
    expect(bad).toEqual(new Set(['venue-service:v1.2.2']));
    expect(checkGuards([], target, bad, now, DEFAULT_GUARDS)).toEqual({
      ok: false,
      reason: 'the target runs venue-service:v1.2.2, which failed recently; not rolling back onto it',
    });
  });
});
