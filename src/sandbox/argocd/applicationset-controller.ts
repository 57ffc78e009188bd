/**
 * The sandbox's ApplicationSet controller stand-in (Argo CD's applicationset-controller, as
 * applicationset.ts describes): every tick, each ApplicationSet's generated Applications are created, updated
 * (after ignoreApplicationDifferences) or deleted as its `applicationsSync` policy allows. An update replaces
 * the Application's spec with the generated one, which is how a hand-made change (auto-sync paused on a child)
 * is undone within a tick unless an ignore rule keeps it.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';
import { errorText, type RouterLog } from '../router/router-log.js';
import { APPLICATIONS, ARGOCD_GROUP, ARGOCD_VERSION } from './application.js';
import { startReconcileLoop } from './reconcile-loop.js';
import {
  APPLICATIONSETS,
  ApplicationSet,
  generate,
  mayDelete,
  mayUpdate,
  policyOf,
  withIgnored,
  type GeneratedApp,
} from './applicationset.js';
import { canonical } from '../../core/canonical-json.js';

interface LiveApp {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind?: string; name?: string; uid?: string }>;
    resourceVersion?: string;
  };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

const subset = (want: Record<string, string> | undefined, live: Record<string, string> | undefined) =>
  Object.entries(want ?? {}).every(([k, v]) => live?.[k] === v);

export function startAppSetController(opts: { kc: KubeConfig; tickMs?: number; log: RouterLog }): {
  stop(): Promise<void>;
} {
  const custom = opts.kc.makeApiClient(CustomObjectsApi);
  const tickMs = opts.tickMs ?? 1_000;
  const apps = { group: ARGOCD_GROUP, version: ARGOCD_VERSION, plural: APPLICATIONS };

  async function readApp(namespace: string, name: string): Promise<LiveApp | undefined> {
    try {
      return (await custom.getNamespacedCustomObject({ ...apps, namespace, name })) as LiveApp;
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }

  async function reconcile(set: ApplicationSet): Promise<void> {
    const id = `${set.metadata.namespace}/${set.metadata.name}`;
    const policy = policyOf(set);
    const owner = {
      apiVersion: `${ARGOCD_GROUP}/${ARGOCD_VERSION}`,
      kind: 'ApplicationSet',
      name: set.metadata.name,
      uid: set.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    const rules = set.spec.ignoreApplicationDifferences ?? [];
    const generated = generate(set);
    for (const want of generated) {
      const live = await readApp(want.metadata.namespace, want.metadata.name);
      if (!live) {
        await custom.createNamespacedCustomObject({
          ...apps,
          namespace: want.metadata.namespace,
          body: {
            apiVersion: `${ARGOCD_GROUP}/${ARGOCD_VERSION}`,
            kind: 'Application',
            metadata: { ...want.metadata, ownerReferences: [owner] },
            spec: want.spec,
          },
        });
        opts.log('info', 'applicationset created application', { appset: id, app: want.metadata.name });
        continue;
      }
      const ownedByOther = (live.metadata.ownerReferences ?? []).some(
        (o) => o.kind === 'ApplicationSet' && o.uid !== set.metadata.uid,
      );
      if (ownedByOther || !mayUpdate(policy)) continue;
      await update(live, withIgnored(want, live, rules), owner, id);
    }
    if (!mayDelete(policy)) return;
    const list = (await custom.listNamespacedCustomObject({
      ...apps,
      namespace: set.metadata.namespace,
    })) as { items?: LiveApp[] };
    const names = new Set(generated.map((g) => g.metadata.name));
    for (const app of list.items ?? []) {
      const mine = (app.metadata.ownerReferences ?? []).some((o) => o.uid === set.metadata.uid);
      if (!mine || names.has(app.metadata.name)) continue;
      await custom.deleteNamespacedCustomObject({
        ...apps,
        namespace: app.metadata.namespace,
        name: app.metadata.name,
      });
      opts.log('info', 'applicationset deleted application', { appset: id, app: app.metadata.name });
    }
  }

  /** Replaces the spec (and adds the template's labels and annotations) when they differ; status kept. */
  async function update(live: LiveApp, want: GeneratedApp, owner: object, id: string): Promise<void> {
    const same =
      canonical(want.spec) === canonical(live.spec ?? {}) &&
      subset(want.metadata.labels, live.metadata.labels) &&
      subset(want.metadata.annotations, live.metadata.annotations) &&
      (live.metadata.ownerReferences ?? []).length > 0;
    if (same) return;
    const owned = (live.metadata.ownerReferences ?? []).length > 0;
    const body = {
      ...live,
      metadata: {
        ...live.metadata,
        labels: { ...live.metadata.labels, ...want.metadata.labels },
        annotations: { ...live.metadata.annotations, ...want.metadata.annotations },
        ...(owned ? {} : { ownerReferences: [owner] }),
      },
      spec: want.spec,
    };
    try {
      await custom.replaceNamespacedCustomObject({
        ...apps,
        namespace: live.metadata.namespace,
        name: live.metadata.name,
        body,
      });
      opts.log('info', 'applicationset updated application', { appset: id, app: live.metadata.name });
    } catch (err) {
      // Someone wrote the Application since it was read: the next tick looks again.
      if (apiStatus(err) !== 409) throw err;
    }
  }

  return startReconcileLoop({
    what: 'applicationset',
    list: async () =>
      (
        (await custom.listClusterCustomObject({
          group: ARGOCD_GROUP,
          version: ARGOCD_VERSION,
          plural: APPLICATIONSETS,
        })) as { items?: unknown[] }
      ).items ?? [],
    reconcile: async (raw) => {
      const parsed = ApplicationSet.safeParse(raw);
      if (parsed.success) return reconcile(parsed.data);
      const m = (raw as { metadata?: { namespace?: string; name?: string } }).metadata;
      opts.log('warn', 'applicationset not understood', {
        appset: `${m?.namespace}/${m?.name}`,
        error: errorText(parsed.error),
      });
    },
    tickMs,
    log: opts.log,
  });
}
