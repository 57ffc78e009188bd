import { describe, expect, it } from 'vitest';
import { postJson } from '../../src/adapters/notify/http-post.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDecision } from '../../src/adapters/notify/retry.js';
import { Secret } from '../../src/core/notify/secret.js';

const P = { ...DEFAULT_RETRY_POLICY, retries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

describe('retry policy', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('429 waits the Retry-After; above the cap it gives up', () => {
    expect(retryDecision(P, 1, 429, 2000, 0.5)).toEqual({ retry: true, delayMs: 2000, why: 'Retry-After' });
    expect(retryDecision(P, 1, 429, 60_000, 0.5)).toMatchObject({ retry: false });
  });

  it('5xx, 429 without Retry-After and no answer back off exponentially with jitter', () => {
    expect(retryDecision(P, 1, 500, undefined, 0)).toEqual({ retry: true, delayMs: 50, why: 'backoff' });
    expect(retryDecision(P, 2, 503, undefined, 0.999)).toMatchObject({ retry: true, delayMs: 200 });
    expect(retryDecision(P, 3, undefined, undefined, 0)).toMatchObject({ retry: true, delayMs: 200 });
    expect(retryDecision(P, 1, 429, undefined, 0)).toMatchObject({ retry: true });
  });

  it('never retries other 4xx, and stops after the configured retries', () => {
    for (const s of [400, 403, 404, 410]) expect(retryDecision(P, 1, s, undefined, 0).retry).toBe(false);
    expect(retryDecision(P, 4, 500, undefined, 0)).toEqual({ retry: false, why: 'gave up after 4 attempts' });
  });
});

function scripted(
  answers: Array<{ status: number; body?: string; headers?: Record<string, string> } | 'throw'>,
) {
  const calls: Array<{ url: string; body: string }> = [];
  const f = (async (url: string, init: RequestInit) => {
    calls.push({ url, body: String(init.body) });
    const a = answers.shift() ?? { status: 200 };
    if (a === 'throw')
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    return new Response(a.body ?? '', { status: a.status, headers: a.headers });
  }) as unknown as typeof fetch;
  return { f, calls };
}

describe('postJson', () => {
  const url = new Secret('https://hooks.example/services/T1/B1/s3cr3tpath');
  const base = { url, body: { text: 'hi' }, timeoutMs: 1000, policy: P, secrets: [url] };

  it('429 then 200: sleeps the Retry-After, two attempts', async () => {
    const { f, calls } = scripted([
      { status: 429, headers: { 'Retry-After': '2' } },
      { status: 200, body: 'ok' },
    ]);
    const slept: number[] = [];
    const r = await postJson(base, { fetch: f, sleep: async (ms) => void slept.push(ms) });
    expect(r).toMatchObject({ ok: true, status: 200, attempts: 2, body: 'ok' });
    expect(slept).toEqual([2000]);
    expect(calls).toHaveLength(2);
  });

  it('500 until the retries run out: reports the last answer, 1 + retries attempts', async () => {
    const { f } = scripted(Array.from({ length: 10 }, () => ({ status: 500, body: 'rollup_error' })));
    const r = await postJson(base, { fetch: f, sleep: async () => undefined, random: () => 0 });
    expect(r).toMatchObject({ ok: false, status: 500, attempts: 4 });
    expect(r.error).toBe('HTTP 500 rollup_error; gave up after 4 attempts');
  });

  it('404 is not retried', async () => {
    const { f, calls } = scripted([{ status: 404, body: 'no_service' }]);
    const r = await postJson(base, { fetch: f, sleep: async () => undefined });
    expect(r).toMatchObject({
      ok: false,
      status: 404,
      attempts: 1,
      error: 'HTTP 404 no_service; not retried',
    });
    expect(calls).toHaveLength(1);
  });

  it('no answer is retried and named by its code, never by the URL', async () => {
    const { f } = scripted(['throw', 'throw', 'throw', 'throw']);
    const r = await postJson(base, { fetch: f, sleep: async () => undefined });
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(4);
    expect(r.error).toContain('ECONNREFUSED');
    expect(JSON.stringify(r)).not.toContain('s3cr3tpath');
  });

  it('redacts a secret the server echoes back', async () => {
    const { f } = scripted([
      { status: 400, body: 'bad hook https://hooks.example/services/T1/B1/s3cr3tpath' },
    ]);
    const r = await postJson(base, { fetch: f, sleep: async () => undefined });
    expect(JSON.stringify(r)).not.toContain('s3cr3tpath');
    expect(r.error).toContain('<redacted>');
  });

  it('a request that hangs times out and counts as no answer', async () => {
    const hang = ((_u: string, init: RequestInit) =>
      new Promise((_r, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
      )) as unknown as typeof fetch;
    const r = await postJson({ ...base, timeoutMs: 50, policy: { ...P, retries: 0 } }, { fetch: hang });
    expect(r).toMatchObject({ ok: false, attempts: 1 });
    expect(r.error).toMatch(/no answer within 50ms/);
  });
});
