/**
 * The watch's side of "safety under faults", below the e2e tests: every Prometheus query carries the watch's
 * AbortSignal (a stopping watch never waits on a hung Prometheus, not even in a retry's backoff), and failed
 * intervals back off exponentially from the interval up to the cap.
 */
import { describe, expect, it } from 'vitest';
import { createPrometheusClient } from '../../src/adapters/prometheus/client.js';
import { RipcordError } from '../../src/core/errors.js';
import { retryDelayMs } from '../../src/app/watch/watch-service.js';

describe('Prometheus client: the caller signal', () => {
  it('aborting the signal ends a query hung on a silent Prometheus, long before its timeout', async () => {
    const ac = new AbortController();
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    // A Prometheus that accepts and never answers: only the signal can end the request.
    const hang: typeof fetch = (_url, init) =>
      new Promise((_, reject) => {
        started();
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
      });
    const client = createPrometheusClient({
      baseUrl: 'http://prometheus.invalid:9090',
      fetch: hang,
      timeoutMs: 3_600_000,
      signal: ac.signal,
    });
    const q = client.instant('up');
    await inFlight;
    ac.abort();
    const err = await q.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('unreachable');
    expect((err as Error).message).toMatch(/was abandoned: the caller stopped/);
  });

  it('aborting the signal during a retry backoff ends the query without another attempt', async () => {
    const ac = new AbortController();
    let attempts = 0;
    let failed!: () => void;
    const firstFailure = new Promise<void>((r) => (failed = r));
    const unavailable: typeof fetch = async () => {
      attempts += 1;
      failed();
      return new Response('{"status":"error","errorType":"unavailable","error":"down"}', { status: 503 });
    };
    const client = createPrometheusClient({
      baseUrl: 'http://prometheus.invalid:9090',
      fetch: unavailable,
      retries: 5,
      backoffMs: 3_600_000,
      signal: ac.signal,
    });
    const q = client.instant('up');
    await firstFailure;
    ac.abort();
    await expect(q).rejects.toThrow();
    expect(attempts).toBe(1);
  });

  it('without a signal, each attempt still has its own timeout', async () => {
    const hang: typeof fetch = (_url, init) =>
      new Promise((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
      );
    const client = createPrometheusClient({
      baseUrl: 'http://prometheus.invalid:9090',
      fetch: hang,
      timeoutMs: 50,
      retries: 0,
    });
    await expect(client.instant('up')).rejects.toThrow(/timed out after 50ms/);
  });
});

describe('retryDelayMs: backoff of failed watch intervals', () => {
  it('doubles from the interval and stops at the cap; a good interval goes back to the interval', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(3_000, 20_000, n))).toEqual([
      3_000, 3_000, 6_000, 12_000, 20_000, 20_000, 20_000,
    ]);
  });

  it('a cap below the interval never makes the watch faster than its interval', () => {
    expect(retryDelayMs(10_000, 1_000, 4)).toBe(10_000);
  });
});
