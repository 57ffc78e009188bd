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
import { waitFor } from '../../src/sandbox/process.js';
import { adminKubeConfig, venueDatabase } from './sandbox.js';

export interface AppView {
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
  return {
    repoURL,
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
          apiVersion: `${ARGOCD_GROUP}/${ARGOCD_VERSION}`,
          kind: 'Application',
          metadata: { name: 'venue-service', namespace },
          spec: {
            project: 'default',
            source: { repoURL, path: 'venue-service', targetRevision: 'main' },
            destination: { server: IN_CLUSTER, namespace },
            ...(extra.syncPolicy ? { syncPolicy: extra.syncPolicy } : {}),
          },
          ...(extra.operation ? { operation: extra.operation } : {}),
        },
      }),
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
