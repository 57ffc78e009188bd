/**
 * The Argo CD API stand-in (src/sandbox/argocd/api-server.ts) against Argo CD's documented endpoints and errors,
 * and the runbook's section 7 on it: with auto-sync on, `POST .../rollback` is refused with Argo CD's error;
 * after auto-sync is turned off through the API, a rollback to the previous history id serves v1.2.2 and the
 * Application shows OutOfSync against the branch head.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArgoTokens } from '../../src/sandbox/argocd/tokens.js';
import { waitFor } from '../../src/sandbox/process.js';
import { argoVenue, settled, type AppView } from '../support/argocd.js';
import { sandbox, testNamespace, venueRoute, versionsServed } from '../support/sandbox.js';

interface ApiError {
  error: string;
  code: number;
  message: string;
}

describe('Argo CD API stand-in', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let argo: Awaited<ReturnType<typeof argoVenue>>;
  let base = '';
  let admin = '';
  let readonly = '';
  let v122 = '';
  let v123 = '';

  const call = async (
    method: string,
    path: string,
    opts: { token?: string; body?: unknown } = {},
  ): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  };
  const app = () => `/api/v1/applications/venue-service?appNamespace=${ns.name}`;
  const action = (a: string) => `/api/v1/applications/venue-service/${a}?appNamespace=${ns.name}`;

  beforeAll(async () => {
    const st = sandbox();
    if (!st.argocd) throw new Error('the sandbox has no Argo CD stand-in (state.argocd missing)');
    base = st.argocd.url;
    const t = readArgoTokens(st.argocd.tokensFile);
    admin = t.admin;
    readonly = t.readonly;
    ns = await testNamespace('argoapi');
    argo = await argoVenue(ns.name);
    v122 = await argo.release('v1.2.2');
    await argo.create();
  });
  afterAll(async () => {
    await ns?.cleanup();
    argo?.cleanup();
  });

  it('auth: /api/version is public; no token or a wrong one is 401 in grpc-gateway JSON; unknown app 404', async () => {
    const version = await call('GET', '/api/version');
    expect(version.status).toBe(200);
    expect((version.json as { Version: string }).Version).toMatch(/^v3\./);
    expect(await call('GET', app())).toEqual({
      status: 401,
      json: { error: 'no session information', code: 16, message: 'no session information', details: [] },
    });
    const wrong = await call('GET', app(), { token: 'x'.repeat(48) });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ code: 16, error: 'invalid session: token signature is invalid' });
    const missing = await call('GET', `/api/v1/applications/nope?appNamespace=${ns.name}`, { token: admin });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 5, message: 'applications.argoproj.io "nope" not found' });
  });

  it('sync through the API: the operation runs, history records it; a second sync at the same moment is refused', async () => {
    const r = await call('POST', action('sync'), { token: admin, body: { revision: 'main' } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect((r.json as { operation: { sync: { revision: string } } }).operation.sync.revision).toBe(v122);
    await argo.until('the first sync', (a) => settled(a, 1), 120_000);

    v123 = await argo.release('v1.2.3');
    // Two syncs at once: the guarded write lets one through; the other finds its operation set.
    const both = await Promise.all([
      call('POST', action('sync'), { token: admin, body: {} }),
      call('POST', action('sync'), { token: admin, body: {} }),
    ]);
    expect(both.map((b) => b.status).sort()).toEqual([200, 400]);
    expect(both.find((b) => b.status === 400)?.json).toMatchObject({
      code: 9,
      error: 'another operation is already in progress',
    });
    await argo.until('the sync to v1.2.3', (a) => settled(a, 2), 120_000);
    expect((await argo.read()).status?.history?.at(-1)).toMatchObject({
      id: 1,
      revision: v123,
      initiatedBy: { username: 'admin' },
    });
    expect(Object.keys(await versionsServed(await venueRoute(ns.name), 6))).toEqual(['v1.2.3']);
  });

  it('a read-only token may get, not sync or roll back (permission denied, 403)', async () => {
    const got = await call('GET', app(), { token: readonly });
    expect(got.status).toBe(200);
    expect((got.json as { metadata: { name: string } }).metadata.name).toBe('venue-service');
    const denied = await call('POST', action('rollback'), { token: readonly, body: { id: 0 } });
    expect(denied).toEqual({
      status: 403,
      json: {
        error: 'permission denied: applications, sync, default/venue-service, sub: readonly',
        code: 7,
        message: 'permission denied: applications, sync, default/venue-service, sub: readonly',
        details: [],
      },
    });
  });

  it('with auto-sync on, rollback and sync --revision are refused; off through PATCH, rollback to id 0 serves v1.2.2 and the app is OutOfSync', async () => {
    const on = await call('PATCH', app(), {
      token: admin,
      body: {
        patch: JSON.stringify({ spec: { syncPolicy: { automated: { selfHeal: true } } } }),
        patchType: 'merge',
      },
    });
    expect(on.status, JSON.stringify(on.json)).toBe(200);
    expect((on.json as AppView).spec?.syncPolicy?.automated).toEqual({ selfHeal: true });

    const refused = await call('POST', action('rollback'), { token: admin, body: { id: 0 } });
    expect(refused).toEqual({
      status: 400,
      json: {
        error: 'rollback cannot be initiated when auto-sync is enabled',
        code: 9,
        message: 'rollback cannot be initiated when auto-sync is enabled',
        details: [],
      },
    });
    const pinned = await call('POST', action('sync'), { token: admin, body: { revision: v122 } });
    expect(pinned.status).toBe(400);
    expect(pinned.json).toMatchObject({
      code: 9,
      error: `Cannot sync to ${v122}: auto-sync currently set to main`,
    });

    const off = await call('PATCH', app(), {
      token: admin,
      body: { patch: JSON.stringify([{ op: 'remove', path: '/spec/syncPolicy' }]), patchType: 'json' },
    });
    expect(off.status, JSON.stringify(off.json)).toBe(200);
    expect((off.json as AppView).spec?.syncPolicy).toBeUndefined();

    const unknown = await call('POST', action('rollback'), { token: admin, body: { id: 99 } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({
      code: 3,
      error: `application ${ns.name}/venue-service does not have deployment with id 99`,
    });

    const back = await call('POST', action('rollback'), { token: admin, body: { id: 0 } });
    expect(back.status, JSON.stringify(back.json)).toBe(200);
    await waitFor(
      'v1.2.2 to be rolled out',
      async () => (await argo.image()) === 'venue-service:v1.2.2',
      60_000,
    );
    await argo.until(
      'the rollback in history, OutOfSync against the head',
      (a) => settled(a, 3) && a.status?.sync?.status === 'OutOfSync',
      120_000,
    );
    const a = await argo.read();
    expect(a.status?.history?.at(-1)).toMatchObject({ id: 2, revision: v122 });
    expect(a.status?.sync?.revision).toBe(v123);
    expect(Object.keys(await versionsServed(await venueRoute(ns.name), 6))).toEqual(['v1.2.2']);
  });

  it('bad input: a rollback without an id, a body that is not JSON, a patch that is not JSON: 400 InvalidArgument', async () => {
    const noId = await call('POST', action('rollback'), { token: admin, body: {} });
    expect(noId.status).toBe(400);
    expect(noId.json).toMatchObject({ code: 3 });
    expect((noId.json as ApiError).error).toMatch(/^id: /);
    const res = await fetch(`${base}${action('sync')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ApiError).code).toBe(3);
    const badPatch = await call('PATCH', app(), { token: admin, body: { patch: '{', patchType: 'merge' } });
    expect(badPatch.status).toBe(400);
    expect(badPatch.json).toMatchObject({ code: 3, error: 'patch: not valid JSON' });
  });
});
