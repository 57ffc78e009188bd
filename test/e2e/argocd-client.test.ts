/**
 * Ripcord's Argo CD API client (src/adapters/argocd/argocd-api.ts) against the sandbox's API stand-in: the
 * calls the argocd scenario will make, and each refusal mapped to the kind (and exit code) the README
 * documents, with the server named and the token never shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArgoCdApi, type ArgoCdApi } from '../../src/adapters/argocd/argocd-api.js';
import { RipcordError } from '../../src/core/errors.js';
import { readArgoTokens } from '../../src/sandbox/argocd/tokens.js';
import { waitFor } from '../../src/sandbox/process.js';
import { argoVenue, settled } from '../support/argocd.js';
import { sandbox, testNamespace, venueRoute, versionsServed } from '../support/sandbox.js';

const ENV = 'RIPCORD_E2E_ARGOCD_TOKEN';

async function failure(p: Promise<unknown>): Promise<RipcordError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RipcordError)) throw new Error(`expected a RipcordError, got ${String(err)}`);
  return err;
}

describe('Argo CD API client', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let argo: Awaited<ReturnType<typeof argoVenue>>;
  let api: ArgoCdApi;
  let tokens: { admin: string; readonly: string };
  let url = '';
  const ref = () => ({ name: 'venue-service', namespace: ns.name });

  beforeAll(async () => {
    const st = sandbox();
    if (!st.argocd) throw new Error('the sandbox has no Argo CD stand-in (state.argocd missing)');
    url = st.argocd.url;
    tokens = readArgoTokens(st.argocd.tokensFile);
    process.env[ENV] = tokens.admin;
    api = createArgoCdApi({ url, token: { env: ENV }, timeoutMs: 10_000 });
    ns = await testNamespace('argocli');
    argo = await argoVenue(ns.name);
    await argo.release('v1.2.2');
    await argo.create({ operation: { sync: { revision: 'main' }, initiatedBy: { username: 'e2e' } } });
    await argo.until('the first sync', (a) => settled(a, 1), 120_000);
    await argo.release('v1.2.3');
    await argo.patch({
      spec: { syncPolicy: { automated: { selfHeal: true } } },
      metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } },
    });
    await argo.until('auto-sync to v1.2.3', (a) => settled(a, 2), 120_000);
  });
  afterAll(async () => {
    delete process.env[ENV];
    await ns?.cleanup();
    argo?.cleanup();
  });

  it('reads the Application: auto-sync on, two history entries, Synced and Healthy', async () => {
    const app = await api.getApplication(ref());
    expect(app.spec.syncPolicy?.automated).toEqual({ selfHeal: true });
    expect(app.status?.history?.map((h) => h.id)).toEqual([0, 1]);
    expect(app.status?.sync?.status).toBe('Synced');
    expect(app.status?.health?.status).toBe('Healthy');
  });

  it('refusals: rollback with auto-sync on is refused (exit 3); unknown app invalid (exit 2); a wrong or read-only token forbidden (exit 5), the token never shown', async () => {
    const refused = await failure(api.rollback(ref(), 0));
    expect(refused.kind).toBe('refused');
    expect(refused.message).toBe(
      `Argo CD at ${url} refused to roll back ${ns.name}/venue-service to history id 0: rollback cannot be initiated when auto-sync is enabled`,
    );
    const missing = await failure(api.getApplication({ name: 'nope', namespace: ns.name }));
    expect(missing.kind).toBe('invalid');
    expect(missing.message).toContain('applications.argoproj.io "nope" not found');

    process.env[ENV] = 'w'.repeat(48);
    const wrong = await failure(api.getApplication(ref()));
    expect(wrong.kind).toBe('forbidden');
    expect(wrong.message).toBe(
      `Argo CD at ${url} refused to get application ${ns.name}/venue-service: invalid session: token signature is invalid (the token from $${ENV} was not accepted)`,
    );
    process.env[ENV] = tokens.readonly;
    const denied = await failure(api.rollback(ref(), 0));
    expect(denied.kind).toBe('forbidden');
    expect(denied.message).toContain(
      'permission denied: applications, sync, default/venue-service, sub: readonly',
    );
    for (const e of [wrong, denied]) {
      expect(e.message).not.toContain(tokens.readonly);
      expect(e.message).not.toContain(tokens.admin);
    }
    delete process.env[ENV];
    const unset = await failure(api.getApplication(ref()));
    expect(unset.kind).toBe('invalid');
    expect(unset.message).toBe(`no Argo CD token: environment variable ${ENV} is not set`);
    process.env[ENV] = tokens.admin;
  });

  it('auto-sync off, then a rollback to history id 0 serves v1.2.2', async () => {
    const off = await api.setSyncPolicy(ref(), null);
    expect(off.spec.syncPolicy ?? undefined).toBeUndefined();
    const started = await api.rollback(ref(), 0);
    expect(started.operation).toBeDefined();
    await waitFor(
      'v1.2.2 to be rolled out',
      async () => (await argo.image()) === 'venue-service:v1.2.2',
      60_000,
    );
    await argo.until('the rollback reconciled', (a) => settled(a, 3), 60_000);
    const app = await api.getApplication(ref());
    expect(app.status?.sync?.status).toBe('OutOfSync');
    expect(Object.keys(await versionsServed(await venueRoute(ns.name), 6))).toEqual(['v1.2.2']);
  });
});
