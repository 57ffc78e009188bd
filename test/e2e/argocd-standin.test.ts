/**
 * The sandbox's Argo CD stand-in (src/sandbox/argocd/), as a rollback meets it: an Application synced from a
 * real git repository, its history, OutOfSync once the branch moves, and the trap of runbook section 7: with
 * automated sync and self-heal on, a `kubectl rollout undo` is reverted within seconds.
 */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACKING_ID_ANNOTATION } from '../../src/sandbox/argocd/application.js';
import { REFRESH_ANNOTATION } from '../../src/sandbox/argocd/controller.js';
import { releaseManifests } from '../../src/sandbox/argocd/manifest-repo.js';
import { waitFor } from '../../src/sandbox/process.js';
import { argoVenue, settled } from '../support/argocd.js';
import { ripcord } from '../support/cli.js';
import {
  adminKubeConfig,
  kubectl,
  sandbox,
  testNamespace,
  venueDatabase,
  venueRoute,
  versionsServed,
} from '../support/sandbox.js';

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
      // Applications outside the control-plane namespace are tracked as <namespace>_<name>.
      `${ns.name}_venue-service:apps/Deployment:${ns.name}/venue-service`,
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

  it('prune: a manifest removed from git is OutOfSync (requires pruning); auto-sync waits for automated.prune, then deletes it', async () => {
    const files = releaseManifests('venue-service:v1.2.3', { replicas: 2 });
    delete files['configmap-v1.yaml'];
    const head = await argo.commit(files, 'venue-service: drop configmap v1');
    await argo.patch({ metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } } });
    await until(
      'the orphan to be seen',
      (a) => a.status?.sync?.revision === head && a.status.sync.status === 'OutOfSync',
    );
    const seen = await app();
    expect(seen.status?.resources?.find((r) => r.requiresPruning)).toMatchObject({
      kind: 'ConfigMap',
      name: 'venue-service-config-v1',
      status: 'OutOfSync',
    });
    // Only pruning is needed and automated.prune is off: no automated sync starts.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await app()).status?.history).toHaveLength(3);
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    await core.readNamespacedConfigMap({ name: 'venue-service-config-v1', namespace: ns.name });

    await argo.patch({ spec: { syncPolicy: { automated: { selfHeal: true, prune: true } } } });
    await until('the pruning sync', (a) => settled(a, 4) && a.status?.sync?.status === 'Synced');
    const done = await app();
    expect(done.status?.operationState?.syncResult?.resources).toContainEqual(
      expect.objectContaining({ kind: 'ConfigMap', name: 'venue-service-config-v1', status: 'Pruned' }),
    );
    await expect(
      core.readNamespacedConfigMap({ name: 'venue-service-config-v1', namespace: ns.name }),
    ).rejects.toMatchObject({ code: 404 });
  });
});

describe('ripcord sandbox deploy --strategy argocd', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  const deploy = (tag: string, ...flags: string[]) =>
    ripcord([
      'sandbox',
      'deploy',
      `venue-service:${tag}`,
      '--strategy',
      'argocd',
      ...flags,
      '-n',
      ns.name,
      '--sandbox-dir',
      sandbox().dir,
      '-o',
      'json',
    ]);
  beforeAll(async () => {
    ns = await testNamespace('argodeploy');
    await venueDatabase(ns.name);
  });
  afterAll(async () => ns?.cleanup());

  it('commits each release to the manifest repo; the Application (auto-sync, self-heal) syncs it and it answers', async () => {
    const first = await deploy('v1.2.2', '--replicas', '2');
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as {
      created: boolean;
      revision: string;
      sync: string;
      health: string;
      path: string;
    };
    expect(a).toMatchObject({
      created: true,
      sync: 'Synced',
      health: 'Healthy',
      path: `${ns.name}/venue-service`,
    });
    expect(Object.keys(await versionsServed(await venueRoute(ns.name), 6))).toEqual(['v1.2.2']);

    const second = await deploy('v1.2.3');
    expect(second.code, second.stderr).toBe(0);
    const b = JSON.parse(second.stdout) as {
      created: boolean;
      revision: string;
      sync: string;
      health: string;
    };
    expect(b).toMatchObject({ created: false, sync: 'Synced', health: 'Healthy' });
    expect(b.revision).not.toBe(a.revision);
    expect(Object.keys(await versionsServed(await venueRoute(ns.name), 6))).toEqual(['v1.2.3']);
    const app = await kubectl(['-n', ns.name, 'get', 'app', 'venue-service', '-o', 'json']);
    const view = JSON.parse(app.stdout) as {
      spec: { syncPolicy: { automated: { selfHeal: boolean } } };
      status: { history: Array<{ revision: string; initiatedBy: { automated?: boolean } }> };
    };
    expect(view.spec.syncPolicy.automated.selfHeal).toBe(true);
    expect(view.status.history.map((h) => [h.revision, h.initiatedBy.automated])).toEqual([
      [a.revision, true],
      [b.revision, true],
    ]);
  });

  it('bad input: --manual-sync without --strategy argocd is exit 2 naming the flag, nothing deployed', async () => {
    const image = () =>
      kubectl([
        '-n',
        ns.name,
        'get',
        'deployment/venue-service',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]);
    const before = await image();
    const r = await ripcord([
      'sandbox',
      'deploy',
      'venue-service:v1.2.4',
      '--manual-sync',
      '-n',
      ns.name,
      '--sandbox-dir',
      sandbox().dir,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--manual-sync: only applies to --strategy argocd');
    expect((await image()).stdout).toBe(before.stdout);
  });
});
