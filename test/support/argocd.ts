/** An Argo CD Application for venue-service in a test namespace, on the sandbox's Argo CD stand-in. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  APPLICATIONS,
  ARGOCD_GROUP,
  ARGOCD_VERSION,
  IN_CLUSTER,
} from '../../src/sandbox/argocd/application.js';
import {
  commitDirectory,
  ensureManifestRepo,
  releaseManifests,
} from '../../src/sandbox/argocd/manifest-repo.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { ripcord } from './cli.js';
import { waitFor } from '../../src/sandbox/process.js';
import { readArgoTokens } from '../../src/sandbox/argocd/tokens.js';
import { adminKubeConfig, sandbox, testNamespace, venueDatabase, venueRoute } from './sandbox.js';
import { writeServiceConfig } from './service-config.js';

export interface AppView {
  metadata?: { annotations?: Record<string, string> };
  spec?: { syncPolicy?: { automated?: unknown } | null; revisionHistoryLimit?: number };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    operationState?: {
      phase?: string;
      finishedAt?: string;
      syncResult?: { revision?: string; resources?: Array<{ kind: string; name: string; status: string }> };
    };
    resources?: Array<{ kind: string; name: string; status: string; requiresPruning?: boolean }>;
    history?: Array<{
      id: number;
      revision: string;
      initiatedBy?: { username?: string; automated?: boolean };
    }>;
    summary?: { images?: string[] };
    reconciledAt?: string;
  };
  operation?: unknown;
}

/**
 * The last operation succeeded and the Application was reconciled after it, with `history` entries and the
 * given health: what `argocd app wait` waits for (a status written before the operation ended is stale).
 */
export function settled(a: AppView, history: number, health = 'Healthy'): boolean {
  const s = a.status;
  return (
    s?.operationState?.phase === 'Succeeded' &&
    s.history?.length === history &&
    Date.parse(s.reconciledAt ?? '') > Date.parse(s.operationState.finishedAt ?? '') &&
    s.health?.status === health
  );
}

/** A bare git repo of venue-service manifests and an Application named venue-service syncing it into `namespace`. */
export async function argoVenue(namespace: string) {
  await venueDatabase(namespace);
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-argo-'));
  const repo = join(dir, 'manifests.git');
  const repoURL = await ensureManifestRepo(repo);
  const kc = adminKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: ARGOCD_GROUP, version: ARGOCD_VERSION, plural: APPLICATIONS, namespace };
  const read = async (): Promise<AppView> =>
    (await custom.getNamespacedCustomObject({ ...ref, name: 'venue-service' })) as AppView;
  /** An Application in `namespace` rendering directory `path` of the repo on main (in-cluster, project default). */
  const application = (name: string, path: string, syncPolicy?: object) => ({
    apiVersion: `${ARGOCD_GROUP}/${ARGOCD_VERSION}`,
    kind: 'Application',
    metadata: { name, namespace },
    spec: {
      project: 'default',
      source: { repoURL, path, targetRevision: 'main' },
      destination: { server: IN_CLUSTER, namespace },
      ...(syncPolicy ? { syncPolicy } : {}),
    },
  });
  return {
    repoURL,
    /** The bare repository's directory (for `git --git-dir`). */
    repo,
    /** Commits the release's manifests (2 replicas) to main; returns the commit SHA. */
    release: (tag: string) =>
      commitDirectory(
        repo,
        'venue-service',
        releaseManifests(`venue-service:${tag}`, { replicas: 2 }),
        `venue-service ${tag}`,
      ),
    /** Commits `files` (e.g. a release's manifests with one file left out) as the app's directory. */
    commit: (files: Record<string, string>, message: string) =>
      commitDirectory(repo, 'venue-service', files, message),
    create: (extra: { operation?: object; syncPolicy?: object } = {}) =>
      custom.createNamespacedCustomObject({
        ...ref,
        body: {
          ...application('venue-service', 'venue-service', extra.syncPolicy),
          ...(extra.operation ? { operation: extra.operation } : {}),
        },
      }),
    /**
     * App of apps: commits this Application (as `create` makes it, with `syncPolicy`) as directory `apps`, and
     * creates Application `apps` rendering it, with auto-sync and self-heal, as teams bootstrap with a root app.
     */
    createParent: async (syncPolicy: object, parentPolicy: object = PARENT_POLICY) => {
      const child = application('venue-service', 'venue-service', syncPolicy);
      await commitDirectory(repo, 'apps', { 'venue-service.yaml': stringify(child) }, 'apps: venue-service');
      await custom.createNamespacedCustomObject({ ...ref, body: application('apps', 'apps', parentPolicy) });
    },
    /**
     * An ApplicationSet `services` with a list generator of one element, whose template is the Application
     * `create` makes (with `syncPolicy`): the ApplicationSet controller stand-in then creates venue-service.
     */
    createAppSet: (syncPolicy: object) =>
      custom.createNamespacedCustomObject({
        ...ref,
        plural: 'applicationsets',
        body: {
          apiVersion: `${ARGOCD_GROUP}/${ARGOCD_VERSION}`,
          kind: 'ApplicationSet',
          metadata: { name: 'services', namespace },
          spec: {
            generators: [{ list: { elements: [{ svc: 'venue-service' }] } }],
            template: {
              metadata: { name: '{{svc}}' },
              spec: application('{{svc}}', '{{svc}}', syncPolicy).spec,
            },
          },
        },
      }),
    readAppSet: async () =>
      (await custom.getNamespacedCustomObject({ ...ref, plural: 'applicationsets', name: 'services' })) as {
        spec: { ignoreApplicationDifferences?: unknown[] };
      },
    readParent: async (): Promise<AppView> =>
      (await custom.getNamespacedCustomObject({ ...ref, name: 'apps' })) as AppView,
    patchParent: (body: object) =>
      custom.patchNamespacedCustomObject(
        { ...ref, name: 'apps', body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    read,
    patch: (body: object) =>
      custom.patchNamespacedCustomObject(
        { ...ref, name: 'venue-service', body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    until: (what: string, check: (a: AppView) => boolean, ms = 60_000) =>
      waitFor(what, async () => check(await read()), ms),
    image: async () =>
      (await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'venue-service', namespace })).spec
        ?.template.spec?.containers[0]?.image,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The root app's policy in the app-of-apps tests: auto-sync and self-heal, no prune. */
export const PARENT_POLICY = { automated: { prune: false, selfHeal: true } };

/** The sync policy the argocd scenario's tests start from: auto-sync with prune and self-heal, one option. */
export const ARGO_POLICY = {
  automated: { prune: true, selfHeal: true },
  syncOptions: ['ApplyOutOfSyncOnly=true'],
};

/**
 * venue-service deployed by an Application with ARGO_POLICY: v1.2.2 synced, then v1.2.3 committed and
 * auto-synced (history 0 and 1). `config()` writes a ripcord.yaml with the argocd section; `env` holds the
 * admin token as ARGOCD_AUTH_TOKEN; `reset()` puts the bad release back (auto-sync on again syncs the head).
 */
export async function argoBadRelease(prefix: string, opts: { via?: 'application' | 'applicationset' } = {}) {
  const st = sandbox();
  if (!st.argocd) throw new Error('the sandbox has no Argo CD stand-in (state.argocd missing)');
  const server = st.argocd.url;
  const env = { ARGOCD_AUTH_TOKEN: readArgoTokens(st.argocd.tokensFile).admin };
  const ns = await testNamespace(prefix);
  const argo = await argoVenue(ns.name);
  await argo.release('v1.2.2');
  if (opts.via === 'applicationset') await argo.createAppSet(ARGO_POLICY);
  else await argo.create({ syncPolicy: ARGO_POLICY });
  await argo.until('auto-sync of v1.2.2', (a) => settled(a, 1), 120_000);
  await argo.release('v1.2.3');
  await argo.patch({ metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } });
  await argo.until('auto-sync of v1.2.3', (a) => settled(a, 2), 120_000);
  const url = await venueRoute(ns.name);
  const config = (extra: string[] = []) =>
    writeServiceConfig({
      namespace: ns.name,
      url,
      verifyWindow: '1s',
      extra: ['    argocd:', `      server: ${server}`, '      syncTimeout: 2m', ...extra],
    });
  return {
    ns,
    argo,
    url,
    server,
    env,
    config,
    /** Auto-sync back on: the head (v1.2.3) synced again and rolled out. */
    async reset(): Promise<void> {
      const before = (await argo.read()).status?.history?.at(-1)?.id ?? -1;
      await argo.patch({
        spec: { syncPolicy: ARGO_POLICY },
        metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } },
      });
      await argo.until(
        'auto-sync of v1.2.3 again',
        (a) => (a.status?.history?.at(-1)?.id ?? -1) > before && settled(a, a.status?.history?.length ?? 0),
        120_000,
      );
      await waitFor('v1.2.3 to serve', async () => (await argo.image()) === 'venue-service:v1.2.3', 60_000);
    },
    async cleanup(): Promise<void> {
      await ns.cleanup();
      argo.cleanup();
    },
  };
}

/**
 * argoBadRelease whose Application is rendered by a parent `apps` (app of apps, PARENT_POLICY): ready once the
 * parent synced and tracks the child. `synced()` waits for the child Synced and reconciled (a plan is refused
 * while Argo CD is about to sync); `reset()` turns the parent's auto-sync back on, which puts the child's back,
 * and waits for v1.2.3 to run again.
 */
export async function argoAppOfApps(prefix: string) {
  const t = await argoBadRelease(prefix);
  await t.argo.createParent(ARGO_POLICY);
  await waitFor(
    'the parent to sync and track the child',
    async () => {
      const p = await t.argo.readParent();
      const c = await t.argo.read();
      return (
        settled(p, 1) &&
        p.status?.sync?.status === 'Synced' &&
        (c.metadata?.annotations?.['argocd.argoproj.io/tracking-id'] ?? '').startsWith(`${t.ns.name}_apps:`)
      );
    },
    120_000,
  );
  const synced = () =>
    t.argo.until(
      'the child Synced and reconciled',
      (a) => a.status?.sync?.status === 'Synced' && settled(a, a.status?.history?.length ?? 0),
      60_000,
    );
  return {
    ...t,
    synced,
    async reset(): Promise<void> {
      await t.argo.patchParent({ spec: { syncPolicy: PARENT_POLICY } });
      await waitFor(
        'the child to run v1.2.3 again',
        async () => (await t.argo.image()) === 'venue-service:v1.2.3',
        120_000,
      );
      await synced();
    },
  };
}

/** A journaled step as `ripcord show RUN -o json` lists it. */
export type ShownStep = { stepId: string; status: string; evidence?: { prior?: unknown } };

/**
 * `ripcord rollback venue-service --scenario argocd` killed (SIGKILL failpoint) right after `step` is
 * journaled, `whileDeadMs` spent with the run dead, then `ripcord resume RUN`: asserts the kill and a
 * succeeded resume, and returns the run id and its journaled steps.
 */
export async function killedAndResumed(
  config: string,
  env: NodeJS.ProcessEnv,
  step: string,
  whileDeadMs = 0,
  flags: string[] = [],
): Promise<{ runId: string; steps: ShownStep[] }> {
  const killed = await ripcord(
    ['--config', config, 'rollback', 'venue-service', '--scenario', 'argocd', '--yes', ...flags],
    { ...env, RIPCORD_FAILPOINT: `kill-after:${step}` },
  );
  expect(killed.code, killed.stderr).not.toBe(0);
  const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(killed.stderr)?.[1] ?? '';
  expect(runId, killed.stderr).not.toBe('');
  if (whileDeadMs > 0) await sleep(whileDeadMs);
  const resumed = await ripcord(['--config', config, 'resume', runId, '-o', 'json'], env);
  expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
  expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('succeeded');
  const shown = await ripcord(['--config', config, 'show', runId, '-o', 'json']);
  return { runId, steps: (JSON.parse(shown.stdout) as { steps: ShownStep[] }).steps };
}
