import { describe, expect, it } from 'vitest';
import { createHttpProbe, displayUrl } from '../../src/adapters/http/probe.js';
import { RipcordError } from '../../src/core/errors.js';

describe('createHttpProbe', () => {
  it('returns status, body and latency for any HTTP answer', async () => {
    const probe = createHttpProbe({
      fetch: async () => new Response('{"status":"degraded"}', { status: 503 }),
    });
    const r = await probe.get('http://venue/health');
    expect(r).toMatchObject({ status: 503, body: '{"status":"degraded"}' });
    expect(r.ms).toBeGreaterThanOrEqual(0);
  });

  it('turns a timeout into unreachable, without credentials in the message', async () => {
    const probe = createHttpProbe({
      fetch: (_url, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    });
    const err = await probe.get('http://admin:pw@venue/health', { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('unreachable');
    expect((err as RipcordError).message).toBe('GET http://venue/health timed out after 20ms');
  });

  it('names the connection error code', async () => {
    const probe = createHttpProbe({
      fetch: async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
        });
      },
    });
    await expect(probe.get('http://venue/health')).rejects.toThrow(
      'GET http://venue/health failed (ECONNREFUSED)',
    );
  });

  it('strips user info from URLs it shows', () => {
    expect(displayUrl('https://u:p@h/x?y=1')).toBe('https://h/x?y=1');
  });
});
