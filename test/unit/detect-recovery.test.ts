import { describe, expect, it } from 'vitest';
import { candidateWindows, chooseBaseline, type BaselineCandidate } from '../../src/core/detect/baseline.js';
import { evaluateRecovery, type RecoveryObservation } from '../../src/core/detect/recovery.js';

const opts = {
  threshold: 0.01,
  latencyRatio: 1.5,
  minRequests: 100,
  falsePass: 0.01,
  minSamples: 50,
  latencyIntervals: 3,
};
const baseline = { rate: 0.001, p50: 0.012, why: 'test', skipped: [] };
const healthy = (n: number): RecoveryObservation => ({
  errorIntervals: Array.from({ length: n }, () => ({ requests: 400, errors: 0 })),
  p50Intervals: Array.from({ length: n }, () => ({ p50: 0.013, samples: 400 })),
  baseline,
  alerts: [],
  alertsChecked: true,
  final: false,
  observedSeconds: n * 10,
});
const status = (o: RecoveryObservation) =>
  Object.fromEntries(evaluateRecovery(o, opts).items.map((i) => [i.name, i.status]));

describe('evaluateRecovery', () => {
  it('passes only once the sequential test has seen enough clean traffic', () => {
    // 400 clean requests are not yet proof at a 1% false-pass chance (about 900 are needed).
    const early = evaluateRecovery(healthy(1), opts);
    expect(early.decided).toBe(false);
    expect(early.items.map((i) => i.name)).not.toContain('error-rate');
    expect(status(healthy(3))).toEqual({ 'error-rate': 'passed', latency: 'passed', alerts: 'passed' });
    expect(evaluateRecovery(healthy(3), opts).decided).toBe(true);
  });

  it('a 3% service is never called recovered: it fails', () => {
    const o = healthy(6);
    o.errorIntervals = o.errorIntervals.map(() => ({ requests: 400, errors: 12 }));
    expect(status(o)['error-rate']).toBe('failed');
  });

  it('too little traffic is not checked at the deadline, never passed', () => {
    const o: RecoveryObservation = {
      ...healthy(6),
      errorIntervals: Array.from({ length: 6 }, () => ({ requests: 10, errors: 0 })),
      p50Intervals: Array.from({ length: 6 }, () => ({ p50: 0.013, samples: 10 })),
    };
    expect(evaluateRecovery(o, opts).decided).toBe(false);
    const r = evaluateRecovery({ ...o, final: true }, opts);
    expect(r.decided).toBe(true);
    const er = r.items.find((i) => i.name === 'error-rate');
    expect(er?.status).toBe('not-checked');
    expect(er?.detail).toMatch(/^not verified: not enough traffic/);
    expect(r.items.find((i) => i.name === 'latency')?.status).toBe('not-checked');
  });

  it('alerts: not configured is not checked; still firing at the deadline fails', () => {
    const none = evaluateRecovery({ ...healthy(3), alertsChecked: false }, opts);
    expect(none.items.find((i) => i.name === 'alerts')).toMatchObject({
      status: 'not-checked',
      enable: 'detect.alertmanagerUrl',
    });
    const firing = { ...healthy(3), alerts: [{ name: 'HighErrorRate', since: '2026-12-03T10:00:00Z' }] };
    expect(evaluateRecovery(firing, opts).decided).toBe(false);
    expect(status({ ...firing, final: true }).alerts).toBe('failed');
  });

  it('latency without a baseline is not checked, and a slow P50 at the deadline fails', () => {
    const noBase = { ...healthy(3), baseline: { rate: null, p50: null, why: 'none healthy', skipped: [] } };
    expect(status(noBase).latency).toBe('not-checked');
    const slow = {
      ...healthy(3),
      p50Intervals: healthy(3).p50Intervals.map(() => ({ p50: 0.03, samples: 400 })),
    };
    expect(status({ ...slow, final: true }).latency).toBe('failed');
  });
});

describe('chooseBaseline', () => {
  const end = new Date('2026-12-03T12:00:00Z');
  const windows = candidateWindows(end, 300, 3);
  const cand = (i: number, c: Partial<BaselineCandidate>): BaselineCandidate => ({
    ...windows[i]!,
    counts: { requests: 1000, errors: 1 },
    p50: 0.012,
    alerts: [],
    ...c,
  });

  it('windows go back from the incident, newest first', () => {
    expect(windows[0]).toEqual({ from: '2026-12-03T11:55:00.000Z', to: '2026-12-03T12:00:00.000Z' });
    expect(windows[2]?.from).toBe('2026-12-03T11:45:00.000Z');
  });

  it('skips a window of the previous incident (5xx above the threshold, an alert) for the last healthy one', () => {
    const c = chooseBaseline(
      [
        cand(0, { counts: { requests: 1000, errors: 24 } }),
        cand(1, { alerts: ['HighErrorRate'] }),
        cand(2, {}),
      ],
      [],
      0.01,
    );
    expect(c.window).toEqual(windows[2]);
    expect(c.rate).toBeCloseTo(0.001);
    expect(c.skipped.map((s) => s.why)).toEqual([
      "5xx 2.40% is above the runbook's 1.00%",
      'alert firing: HighErrorRate',
    ]);
    expect(c.why).toMatch(/last healthy window; 2 newer ones were skipped/);
  });

  it('skips a window overlapping a rollout or a Ripcord run, and says when none is healthy', () => {
    const busy = [
      { from: '2026-12-03T11:58:00Z', to: '2026-12-03T11:59:00Z', what: 'the rollout of revision 4' },
    ];
    const c = chooseBaseline([cand(0, {}), cand(1, {})], busy, 0.01);
    expect(c.window).toEqual(windows[1]);
    expect(c.skipped[0]?.why).toBe('overlaps the rollout of revision 4');
    const none = chooseBaseline([cand(0, { counts: null })], [], 0.01);
    expect(none).toMatchObject({
      rate: null,
      p50: null,
      why: 'none of the 1 windows before the incident was healthy',
    });
  });
});
