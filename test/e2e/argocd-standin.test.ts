/**
 * The sandbox's Argo CD stand-in (src/sandbox/argocd/), as a rollback meets it: an Application synced from a
 * real git repository, its history, OutOfSync once the branch moves, and the trap of runbook section 7: with
 * automated sync and self-heal on, a `kubectl rollout undo` is reverted within seconds.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACKING_ID_ANNOTATION } from '../../src/sandbox/argocd/application.js';
import { waitFor } from '../../src/sandbox/process.js';
import { argoVenue, settled } from '../support/argocd.js';
import { adminKubeConfig, kubectl, testNamespace, venueRoute, versionsServed } from '../support/sandbox.js';

describe('Argo CD stand-in: an Application synced from git', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let argo: Awaited<ReturnType<typeof argoVenue>>;
  const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);
  const app = () => argo.read();
  const until: typeof argo.until = (...a) => argo.until(...a);
  const image = () => argo.image();

  beforeAll(async () => {
    ns = await testNamespace('argo');
    argo = await argoVenue(ns.name);
  });
  afterAll(async () => {
    await ns?.cleanup();
    argo?.cleanup();
  });

  it('a sync operation applies the revision, records history, and the Application shows Synced and Healthy', async () => {
    const v122 = await argo.release('v1.2.2');
    await argo.create({ operation: { sync: { revision: 'main' }, initiatedBy: { username: 'e2e' } } });
    await until(
      'the first sync to succeed and the app to be Synced and Healthy',
      (a) => settled(a, 1) && a.status?.sync?.status === 'Synced',
      120_000,
    );
    const a = await app();
    expect(a.operation).toBeUndefined();
    expect(a.status?.sync?.revision).toBe(v122);
    expect(a.status?.operationState?.syncResult?.revision).toBe(v122);
    expect(a.status?.history).toMatchObject([{ id: 0, revision: v122, initiatedBy: { username: 'e2e' } }]);
    expect(a.status?.summary?.images).toEqual(['venue-service:v1.2.2']);
    // Applied by server-side apply, tracked as Argo CD 3 tracks (annotation).
    const d = await apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns.name });
    expect(d.metadata?.annotations?.[TRACKING_ID_ANNOTATION]).toBe(
      `venue-service:apps/Deployment:${ns.name}/venue-service`,
    );
    expect(
      d.metadata?.managedFields?.some((f) => f.manager === 'argocd-controller' && f.operation === 'Apply'),
    ).toBe(true);
    expect(Object.keys(await versionsServed(await venueRoute(ns.name), 6))).toEqual(['v1.2.2']);
    // The state lives in the CR: kubectl shows it, by the short name too.
    const got = await kubectl([
      '-n',
      ns.name,
      'get',
      'app',
      'venue-service',
      '-o',
      'jsonpath={.status.sync.status}',
    ]);
    expect(got.stdout).toBe('Synced');
  });

  it('a new commit makes it OutOfSync against the branch head; without auto-sync nothing changes until a sync', async () => {
    const before = (await app()).status?.reconciledAt;
    const v123 = await argo.release('v1.2.3');
    await until(
      'OutOfSync against the new head',
      (a) => a.status?.sync?.status === 'OutOfSync' && a.status.sync.revision === v123,
    );
    expect(Date.parse((await app()).status?.reconciledAt ?? '')).toBeGreaterThan(Date.parse(before ?? ''));
    expect(await image()).toBe('venue-service:v1.2.2');

    await argo.patch({ operation: { sync: { revision: 'main' }, initiatedBy: { username: 'e2e' } } });
    await until('the sync to v1.2.3', (a) => settled(a, 2) && a.status?.sync?.status === 'Synced', 120_000);
    expect((await app()).status?.history?.map((h) => [h.id, h.revision])).toEqual([
      [0, expect.any(String)],
      [1, v123],
    ]);
    expect(Object.keys(await versionsServed(await venueRoute(ns.name), 6))).toEqual(['v1.2.3']);
  });

  it('with automated sync and self-heal, `kubectl rollout undo` is reverted within seconds', async () => {
    await argo.patch({ spec: { syncPolicy: { automated: { selfHeal: true } } } });
    const head = (await app()).status?.sync?.revision;
    const undo = await kubectl(['-n', ns.name, 'rollout', 'undo', 'deployment/venue-service']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain('rolled back');
    await waitFor(
      'self-heal to put v1.2.3 back',
      async () => (await image()) === 'venue-service:v1.2.3',
      30_000,
    );
    await until(
      'the automated sync in history',
      (a) => a.status?.history?.at(-1)?.initiatedBy?.automated === true && a.status.sync?.status === 'Synced',
    );
    const last = (await app()).status?.history?.at(-1);
    expect(last).toMatchObject({ id: 2, revision: head, initiatedBy: { automated: true } });
  });
});
