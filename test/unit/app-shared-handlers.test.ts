import { describe, expect, it } from 'vitest';
import { sharedHandlers } from '../../src/app/handlers.js';
import { RECOVERY_STEP_KIND, recoveryStep } from '../../src/core/steps/recovery.js';
import type { ScenarioContext } from '../../src/scenarios/types.js';

/** A context whose ports record which Prometheus and Alertmanager the recovery check asked. */
function context(detect: { prometheusUrl?: string; alertmanagerUrl?: string }) {
  const asked: string[] = [];
  const ctx = {
    service: { name: 'venue-service', detect },
    ports: {
      metrics: (url: string) => {
        asked.push(`prometheus ${url}`);
        return {
          errorCounts: async (_sel: unknown, w: { windowSeconds: number }, now: Date) => {
            asked.push(`window from ${now.getTime() - w.windowSeconds * 1000}`);
            return { requests: 1000, errors: 0 };
          },
          p50: async () => ({ p50: 0.01, samples: 100 }),
          alertsFiredIn: async () => [],
        };
      },
      alerts: (url: string) => {
        asked.push(`alertmanager ${url}`);
        return { firing: async () => [] };
      },
      notifier: () => ({ channels: [], send: async () => [], drain: async () => undefined, outcomes: [] }),
      log: () => undefined,
      config: {},
    },
  } as unknown as ScenarioContext;
  return { ctx, asked };
}

const step = recoveryStep(
  {
    namespace: 'tickettoken',
    app: 'venue-service',
    prometheusUrl: 'http://journal-says-prometheus:9090',
    alertmanagerUrl: 'http://journal-says-alertmanager:9093',
    windowSeconds: 0.01,
    timeoutMs: 60_000,
    threshold: 0.01,
    latencyRatio: 1.5,
    minRequests: 20,
    baselineWindowSeconds: 60,
  },
  'venue-service',
);
const stepCtx = {
  runId: 'r-1',
  signal: new AbortController().signal,
  clock: { now: () => new Date() },
  progress: () => undefined,
};

describe('the shared step handlers the app layer adds to every plan', () => {
  it('the recovery check asks the CURRENT config’s Prometheus and Alertmanager, not the journaled ones', async () => {
    const { ctx, asked } = context({ prometheusUrl: 'http://prom:9090', alertmanagerUrl: 'http://am:9093' });
    const handler = sharedHandlers(ctx)[RECOVERY_STEP_KIND];
    // 1000 clean requests settle the error rate at once; with no baseline window the P50 is not checked.
    await expect(handler?.apply(step, stepCtx)).resolves.toMatchObject({
      attempts: 1,
      items: [
        { name: 'error-rate', status: 'passed' },
        { name: 'latency', status: 'not-checked' },
        { name: 'alerts', status: 'passed' },
      ],
    });
    expect(asked.filter((a) => !a.startsWith('window'))).toEqual([
      'prometheus http://prom:9090',
      'alertmanager http://am:9093',
    ]);
  });

  it('the first interval asked for lies wholly after the step began (traffic already moved), never before it', async () => {
    const { ctx, asked } = context({ prometheusUrl: 'http://prom:9090' });
    const began = Date.now();
    await sharedHandlers(ctx)[RECOVERY_STEP_KIND]?.apply(step, stepCtx);
    const from = asked.filter((a) => a.startsWith('window from ')).map((a) => Number(a.slice(12)));
    expect(from.length).toBeGreaterThan(0);
    expect(from[0]).toBeGreaterThanOrEqual(began);
  });

  it('a timer that fires early by the step’s clock does not pull the first window before the step began', async () => {
    // What a busy process shows: the timer's loop clock runs ahead of the wall clock the windows are cut on.
    // A clock at 0.9 speed makes every 10 ms pause look like 9 ms, every time (the flake seen in full runs, 1 ms).
    const base = Date.now();
    const slow = { now: () => new Date(base + Math.floor((Date.now() - base) * 0.9)) };
    const { ctx, asked } = context({ prometheusUrl: 'http://prom:9090' });
    const began = slow.now().getTime();
    await sharedHandlers(ctx)[RECOVERY_STEP_KIND]?.apply(step, { ...stepCtx, clock: slow });
    const from = asked.filter((a) => a.startsWith('window from ')).map((a) => Number(a.slice(12)));
    expect(from[0]).toBeGreaterThanOrEqual(began);
  });

  it('a plan from a config that no longer names them uses the journaled URLs', async () => {
    const { ctx, asked } = context({});
    await sharedHandlers(ctx)[RECOVERY_STEP_KIND]?.apply(step, stepCtx);
    expect(asked.filter((a) => !a.startsWith('window'))).toEqual([
      'prometheus http://journal-says-prometheus:9090',
      'alertmanager http://journal-says-alertmanager:9093',
    ]);
  });
});
