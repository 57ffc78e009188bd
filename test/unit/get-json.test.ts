/**
 * The shared JSON HTTP helper (src/adapters/http/get-json.ts): its one mapping of "no answer", HTTP statuses and
 * bad bodies to RipcordErrors, which the Prometheus, Alertmanager, Vault and Unleash clients all rely on.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { getJson, requestJson, statusKind } from '../../src/adapters/http/get-json.js';
import { RipcordError } from '../../src/core/errors.js';

const Thing = z.object({ name: z.string() });

/** A fetch that answers once, recording the request. */
function answer(status: number, body: string) {
  const seen: { url?: string; init?: RequestInit } = {};
  const impl: typeof fetch = async (url, init) => {
    seen.url = String(url);
    seen.init = init;
    return new Response(body, { status });
  };
  return { impl, seen };
}

async function failure(p: Promise<unknown>): Promise<RipcordError> {
  const err: unknown = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RipcordError);
  return err as RipcordError;
}

describe('statusKind', () => {
  it('maps statuses the same way for every client', () => {
    expect(statusKind(401)).toEqual({ kind: 'forbidden', retryable: false });
    expect(statusKind(403)).toEqual({ kind: 'forbidden', retryable: false });
    expect(statusKind(400)).toEqual({ kind: 'invalid', retryable: false });
    expect(statusKind(404)).toEqual({ kind: 'failed', retryable: false });
    expect(statusKind(404, 'invalid')).toEqual({ kind: 'invalid', retryable: false });
    expect(statusKind(429)).toEqual({ kind: 'unreachable', retryable: true });
    expect(statusKind(503)).toEqual({ kind: 'unreachable', retryable: true });
    expect(statusKind(409)).toEqual({ kind: 'failed', retryable: false });
  });
});

describe('getJson', () => {
  it('returns the validated body and sends Accept and the caller headers', async () => {
    const f = answer(200, '{"name":"x","extra":1}');
    expect(
      await getJson('http://api/thing', Thing, { timeoutMs: 1000, headers: { 'X-A': 'b' }, fetch: f.impl }),
    ).toEqual({ name: 'x' });
    expect(f.seen.init?.method).toBe('GET');
    expect(f.seen.init?.headers).toMatchObject({ Accept: 'application/json', 'X-A': 'b' });
  });

  it('names the URL without credentials and the zod issue when the shape is wrong (invalid)', async () => {
    const f = answer(200, '{"name":3}');
    const err = await failure(getJson('http://u:pw@api/thing', Thing, { timeoutMs: 1000, fetch: f.impl }));
    expect(err).toMatchObject({ kind: 'invalid', retryable: false });
    expect(err.message).toMatch(/^GET http:\/\/api\/thing answered HTTP 200 in an unexpected shape: name: /);
    expect(err.message).not.toContain('pw');
    const notJson = await failure(
      getJson('http://api/thing', Thing, { timeoutMs: 1000, fetch: answer(200, '<html>').impl }),
    );
    expect(notJson.message).toBe('GET http://api/thing answered HTTP 200 with a body that is not JSON');
  });

  it('maps error statuses by the table, with the caller naming the call', async () => {
    const get = (status: number, notFound?: 'invalid') =>
      failure(
        getJson('http://api/thing', Thing, {
          timeoutMs: 1000,
          what: 'Thing API GET http://api/thing',
          notFound,
          fetch: answer(status, '{"name":"x"}').impl,
        }),
      );
    expect(await get(403)).toMatchObject({ kind: 'forbidden', retryable: false });
    expect((await get(403)).message).toMatch(
      /^Thing API GET http:\/\/api\/thing answered HTTP 403 \(access denied/,
    );
    expect(await get(404)).toMatchObject({ kind: 'failed' });
    expect(await get(404, 'invalid')).toMatchObject({ kind: 'invalid' });
    expect(await get(502)).toMatchObject({ kind: 'unreachable', retryable: true });
  });

  it('is unreachable, naming the server and the system error, when nothing answers', async () => {
    const refused: typeof fetch = async () => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
      });
    };
    const err = await failure(
      getJson('http://admin:pw@api/thing', Thing, { timeoutMs: 1000, fetch: refused }),
    );
    expect(err).toMatchObject({ kind: 'unreachable', retryable: true });
    expect(err.message).toBe('GET http://api/thing failed (ECONNREFUSED)');
  });

  it('times out, or is abandoned when the caller aborts', async () => {
    const hang: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
      });
    const slow = await failure(getJson('http://api/thing', Thing, { timeoutMs: 20, fetch: hang }));
    expect(slow.message).toBe('GET http://api/thing timed out after 20ms');
    const ac = new AbortController();
    const p = getJson('http://api/thing', Thing, { timeoutMs: 60_000, signal: ac.signal, fetch: hang });
    ac.abort();
    expect((await failure(p)).message).toBe('GET http://api/thing was abandoned: the caller stopped');
  });
});

describe('requestJson', () => {
  it('sends JSON or a form, and with anyStatus returns error answers the schema describes', async () => {
    const f = answer(400, '{"name":"bad"}');
    const a = await requestJson('http://api/thing', Thing, {
      method: 'POST',
      json: { a: 1 },
      timeoutMs: 1000,
      anyStatus: true,
      fetch: f.impl,
    });
    expect(a).toMatchObject({ status: 400, data: { name: 'bad' } });
    expect(a.headers).toBeInstanceOf(Headers);
    expect(f.seen.init?.body).toBe('{"a":1}');
    expect(f.seen.init?.headers).toMatchObject({ 'Content-Type': 'application/json' });

    // A JSON media type with parameters (LaunchDarkly's semantic patch) is the caller's to name.
    const semantic = answer(200, '{"name":"ok"}');
    const type = 'application/json; domain-model=launchdarkly.semanticpatch';
    await requestJson('http://api/flag', Thing, {
      method: 'PATCH',
      json: { instructions: [] },
      headers: { 'Content-Type': type },
      timeoutMs: 1000,
      fetch: semantic.impl,
    });
    expect(semantic.seen.init?.headers).toMatchObject({ 'Content-Type': type });

    const form = answer(200, '{"name":"ok"}');
    await requestJson('http://api/q', Thing, {
      method: 'POST',
      form: new URLSearchParams({ query: 'up' }),
      timeoutMs: 1000,
      fetch: form.impl,
    });
    expect(String(form.seen.init?.body)).toBe('query=up');
  });

  it('with anyStatus, an answer the schema does not describe is still an error by its status', async () => {
    const err = await failure(
      requestJson('http://api/thing', Thing, {
        method: 'GET',
        timeoutMs: 1000,
        anyStatus: true,
        fetch: answer(503, '<html>down</html>').impl,
      }),
    );
    expect(err).toMatchObject({ kind: 'unreachable', retryable: true });
    expect(err.message).toBe('GET http://api/thing answered HTTP 503');
  });

  it('with z.unknown() and anyStatus, returns every answer; an empty or non-JSON body as undefined', async () => {
    const r = await requestJson('http://api/x', z.unknown(), {
      method: 'DELETE',
      timeoutMs: 1000,
      anyStatus: true,
      fetch: answer(502, 'bad gateway').impl,
    });
    expect(r).toMatchObject({ status: 502, data: undefined });
  });
});
