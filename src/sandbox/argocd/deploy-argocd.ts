/**
 * `ripcord sandbox deploy IMAGE --strategy argocd`: the GitOps way to release in the sandbox. The release is a
 * commit to the sandbox's manifest repository (`<sandbox>/argocd/manifests.git`, directory `<namespace>/<app>`),
 * and an Application named after the app, in the target namespace (Argo CD's "applications in any namespace"),
 * tracks that directory on `main` with automated sync and self-heal on, as most teams run it. The
 * controller stand-in then syncs; the command asks for a refresh (as a git webhook would) instead of waiting a
 * reconciliation period, and waits until the commit is synced and Healthy (`argocd app wait` semantics: the
 * operation succeeded and the app was reconciled after it).
 */
import { join } from 'node:path';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';
import { parseImage } from '../deploy.js';
import { waitFor } from '../process.js';
import { sandboxPaths } from '../state.js';
import { APPLICATIONS, ARGOCD_GROUP, ARGOCD_VERSION, AppStatus, IN_CLUSTER } from './application.js';
import { REFRESH_ANNOTATION } from './controller.js';
import { commitDirectory, ensureManifestRepo, releaseManifests } from './manifest-repo.js';

export interface ArgoDeployOptions {
  sandboxDir: string;
  namespace: string;
  image: string;
  replicas?: number;
  /** Leave auto-sync off: the command then requests the sync itself (an `operation`). */
  manualSync?: boolean;
  wait?: boolean;
  timeoutMs: number;
  onProgress?: (line: string) => void;
}

export interface ArgoDeployResult {
  application: string;
  namespace: string;
  revision: string;
  repoURL: string;
  path: string;
  created: boolean;
  sync?: string;
  health?: string;
}

/** The sandbox's manifest repository. */
export function sandboxManifestRepo(sandboxDir: string): string {
  return join(sandboxPaths(sandboxDir).argocd, 'manifests.git');
}

export async function deployWithArgoCd(kc: KubeConfig, o: ArgoDeployOptions): Promise<ArgoDeployResult> {
  const say = o.onProgress ?? (() => {});
  const { app, tag } = parseImage(o.image);
  const repoURL = await ensureManifestRepo(sandboxManifestRepo(o.sandboxDir));
  const path = `${o.namespace}/${app}`;
  const files = releaseManifests(o.image, o.replicas !== undefined ? { replicas: o.replicas } : {});
  const revision = await commitDirectory(
    sandboxManifestRepo(o.sandboxDir),
    path,
    files,
    `${app} ${tag} (ripcord sandbox deploy ${o.image})`,
  );
  say(`committed ${o.image} to ${path} on main: ${revision.slice(0, 7)}`);

  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: ARGOCD_GROUP, version: ARGOCD_VERSION, plural: APPLICATIONS, namespace: o.namespace };
  const operation = o.manualSync
    ? { operation: { sync: { revision }, initiatedBy: { username: 'ripcord-sandbox' } } }
    : {};
  let created = false;
  try {
    await custom.createNamespacedCustomObject({
      ...ref,
      body: {
        apiVersion: `${ARGOCD_GROUP}/${ARGOCD_VERSION}`,
        kind: 'Application',
        metadata: { name: app, namespace: o.namespace },
        spec: {
          project: 'default',
          source: { repoURL, path, targetRevision: 'main' },
          destination: { server: IN_CLUSTER, namespace: o.namespace },
          ...(o.manualSync ? {} : { syncPolicy: { automated: { prune: false, selfHeal: true } } }),
        },
        ...operation,
      },
    });
    created = true;
    say(
      `created application ${o.namespace}/${app} (${o.manualSync ? 'manual sync' : 'auto-sync, self-heal'})`,
    );
  } catch (err) {
    if (apiStatus(err) !== 409) throw err;
    // Refresh now, as a git webhook would, rather than after a reconciliation period.
    await custom.patchNamespacedCustomObject(
      {
        ...ref,
        name: app,
        body: { metadata: { annotations: { [REFRESH_ANNOTATION]: 'normal' } }, ...operation },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
  const result: ArgoDeployResult = {
    application: app,
    namespace: o.namespace,
    revision,
    repoURL,
    path,
    created,
  };
  if (o.wait === false) return result;

  let last: AppStatus | undefined;
  try {
    await waitFor(
      `application ${o.namespace}/${app} to sync ${revision.slice(0, 7)} and be Healthy`,
      async () => {
        const raw = (await custom.getNamespacedCustomObject({ ...ref, name: app })) as { status?: unknown };
        const s = AppStatus.safeParse(raw.status ?? {});
        last = s.success ? s.data : undefined;
        const os = last?.operationState;
        const health = last?.health?.status;
        return (
          os?.syncResult?.revision === revision &&
          os.phase === 'Succeeded' &&
          Date.parse(last?.reconciledAt ?? '') > Date.parse(os.finishedAt ?? '') &&
          health === 'Healthy'
        );
      },
      o.timeoutMs,
      500,
    );
  } catch (err) {
    const os = last?.operationState;
    throw new Error(
      `${(err as Error).message}; last seen: operation ${os?.phase ?? 'none'}${os?.message ? ` (${os.message})` : ''}, sync ${last?.sync?.status ?? '?'}`,
    );
  }
  return { ...result, sync: last?.sync?.status ?? 'Unknown', health: last?.health?.status ?? 'Unknown' };
}
