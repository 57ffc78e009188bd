import { describe, expect, it } from 'vitest';
import { evaluateRecovery, type RecoveryObservation } from '../../src/core/detect/recovery.js';

const opts = { threshold: 0.01, latencyRatio: 1.5, minRequests: 20 };
const healthy: RecoveryObservation = {
  errors: { requests: 400, errors: 0 },
  baselineRate: 0.002,
  p50: 0.013,
  baselineP50: 0.012,
  alerts: [],
  alertsChecked: true,
};

describe('evaluateRecovery', () => {
  it('passes when the error rate, P50 and alerts are back to normal', () => {
    expect(evaluateRecovery(healthy, opts).map((i) => i.ok)).toEqual([true, true, true]);
  });

  it('fails each item on its own: 5xx above max(1%, baseline), P50 above 1.5x, a firing alert', () => {
    const items = evaluateRecovery(
      {
        ...healthy,
        errors: { requests: 400, errors: 12 },
        p50: 0.02,
        alerts: [{ name: 'VenueServiceHighErrorRate', since: '2026-11-27T10:00:00Z' }],
      },
      opts,
    );
    expect(items.map((i) => [i.name, i.ok])).toEqual([
      ['error-rate', false],
      ['latency', false],
      ['alerts', false],
    ]);
    expect(items[2]?.detail).toBe('firing: VenueServiceHighErrorRate since 2026-11-27T10:00:00Z');
  });

  it('a service that always had 3% 5xx is recovered at 3%; too little traffic is never recovered', () => {
    const usual = { ...healthy, baselineRate: 0.03, errors: { requests: 1000, errors: 30 } };
    expect(evaluateRecovery(usual, opts)[0]?.ok).toBe(true);
    const quiet = { ...healthy, errors: { requests: 5, errors: 0 } };
    expect(evaluateRecovery(quiet, opts)[0]).toMatchObject({ ok: false });
  });
});
