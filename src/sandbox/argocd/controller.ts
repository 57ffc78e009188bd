/**
 * The Argo CD application-controller stand-in of the sandbox. Argo CD cannot be installed here (no npm or
 * Debian package), so this reproduces the behaviour a rollback meets, as Argo CD documents it
 * (docs/user-guide/auto_sync.md, docs/operator-manual/reconcile.md, docs/user-guide/tracking_strategies.md) and
 * as controller/appcontroller.go and controller/sync.go implement it:
 * - Each Application's source (a directory of plain manifests in a local git repository) is rendered at
 *   `spec.source.targetRevision`, resolved to a SHA once per reconciliation period (`timeout.reconciliation`,
 *   180 s in Argo CD, a few seconds in tests) or on the `argocd.argoproj.io/refresh` annotation, which is then
 *   removed. Between resolutions the live objects are compared every tick, as Argo CD's watch of managed
 *   resources does: `status.sync` (Synced/OutOfSync against the resolved revision), `status.health`,
 *   `status.resources`, `status.summary.images`, `status.reconciledAt`.
 * - An `operation` (a sync to a revision, optionally with a source: what `argocd app sync --revision` and
 *   `argocd app rollback` write) is executed: manifests applied by server-side apply with field manager
 *   `argocd-controller` and Argo CD 3's tracking annotation, `status.operationState` Running then
 *   Succeeded/Failed with `syncResult`, a `status.history` entry on success (ids counting up, trimmed to
 *   `revisionHistoryLimit`, 10 by default), and the `operation` field removed.
 * - `syncPolicy.automated`: a sync is started only when OutOfSync and only once per resolved SHA (the last
 *   operation's `syncResult.revision`); with `selfHeal` again once the last sync finished `selfHealTimeout`
 *   ago (5 s by default). So after a manual sync to an older revision, auto-sync puts the branch head back:
 *   the reason Argo CD refuses a rollback while auto-sync is on.
 * - Prune: live objects with the Application's tracking id that the manifests no longer hold are OutOfSync
 *   (`requiresPruning`), deleted by a sync with `prune` ('Pruned'), else left ('PruneSkipped'); auto-sync does
 *   not start for them alone unless `automated.prune`.
 * - AppProject sync windows (sync-windows.ts): no automated sync while a window blocks it.
 * Left out: sync waves and hooks, retries,
 * multiple sources, other clusters, Helm/Kustomize, other AppProject restrictions, the self-heal backoff.
 */
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { apiStatus, apiStatusMessage } from '../kube-clients.js';
import { errorText, type RouterLog } from '../router/router-log.js';
import { compareApp, groupVersion, type ResourceStatus } from './app-state.js';
import {
  APPLICATIONS,
  ARGOCD_GROUP,
  ARGOCD_VERSION,
  Application,
  FIELD_MANAGER,
  TRACKING_ID_ANNOTATION,
  appendHistory,
  instanceName,
  nextHistoryId,
  trackingId,
  type Operation,
  type Source,
} from './application.js';
import { renderDirectory, resolveRevision } from './git-source.js';
import { startReconcileLoop } from './reconcile-loop.js';
import { projectReader } from './project-reader.js';
import { appWindows, canSync } from './sync-windows.js';

export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';

export interface AppControllerOptions {
  kc: KubeConfig;
  /** timeout.reconciliation: how often the source revision is resolved again (Argo CD: 180 s). */
  resyncMs: number;
  /** --self-heal-timeout-seconds (Argo CD: 5 s). */
  selfHealTimeoutMs?: number;
  /** How often live objects are compared and operations picked up. */
  tickMs?: number;
  log: RouterLog;
}

interface Resolved {
  sha: string;
  at: number;
  key: string;
  objects: KubernetesObject[];
}

/** The kinds a prune looks for (the example apps' manifests hold nothing else). */
const PRUNABLE_KINDS: ReadonlyArray<[string, string]> = [
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
];

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export function startAppController(opts: AppControllerOptions): { stop(): Promise<void> } {
  const custom = opts.kc.makeApiClient(CustomObjectsApi);
  const objects = KubernetesObjectApi.makeApiClient(opts.kc);
  const selfHealMs = opts.selfHealTimeoutMs ?? 5_000;
  const tickMs = opts.tickMs ?? 1_000;
  const resolved = new Map<string, Resolved>();
  const lastStatus = new Map<string, string>();

  const patchApp = (app: Application, body: object): Promise<unknown> =>
    custom.patchNamespacedCustomObject(
      {
        group: ARGOCD_GROUP,
        version: ARGOCD_VERSION,
        plural: APPLICATIONS,
        namespace: app.metadata.namespace,
        name: app.metadata.name,
        body,
      },
      mergePatch,
    );

  const destNamespace = (app: Application, obj: KubernetesObject): string =>
    obj.metadata?.namespace ?? app.spec.destination.namespace ?? app.metadata.namespace;

  const readProject = projectReader(custom);

  async function readLive(obj: KubernetesObject, namespace: string): Promise<KubernetesObject | undefined> {
    try {
      return await objects.read({
        apiVersion: obj.apiVersion ?? '',
        kind: obj.kind ?? '',
        metadata: { name: obj.metadata?.name ?? '', namespace },
      });
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }

  /** The manifests of `source`, resolved again when due (period, refresh annotation, changed source). */
  async function desired(app: Application, source: Source, force: boolean): Promise<Resolved> {
    const id = `${app.metadata.namespace}/${app.metadata.name}`;
    const key = JSON.stringify([source.repoURL, source.path, source.targetRevision ?? '']);
    const have = resolved.get(id);
    if (have && !force && have.key === key && Date.now() - have.at < opts.resyncMs) return have;
    const sha = await resolveRevision(source.repoURL, source.targetRevision);
    const objs =
      have && have.sha === sha && have.key === key
        ? have.objects
        : await renderDirectory(source.repoURL, sha, source.path);
    const r = { sha, at: Date.now(), key, objects: objs };
    resolved.set(id, r);
    return r;
  }

  /**
   * Live objects of the kinds the sandbox's apps use that carry this Application's tracking id and that `r`'s
   * manifests do not hold: what a prune deletes. (Argo CD searches its cache of every kind in the cluster.)
   */
  async function orphansOf(app: Application, r: Resolved): Promise<KubernetesObject[]> {
    const prefix = `${instanceName(app.metadata)}:`;
    const namespaces = new Set([
      app.spec.destination.namespace ?? app.metadata.namespace,
      ...r.objects.map((o) => destNamespace(app, o)),
    ]);
    const want = new Set(r.objects.map((o) => `${o.kind}/${destNamespace(app, o)}/${o.metadata?.name}`));
    const out: KubernetesObject[] = [];
    for (const namespace of namespaces) {
      for (const [apiVersion, kind] of PRUNABLE_KINDS) {
        const list = await objects.list(apiVersion, kind, namespace);
        for (const o of list.items) {
          const id = o.metadata?.annotations?.[TRACKING_ID_ANNOTATION] ?? '';
          if (!id.startsWith(prefix) || want.has(`${kind}/${namespace}/${o.metadata?.name}`)) continue;
          out.push({ ...o, apiVersion, kind });
        }
      }
    }
    return out;
  }

  /**
   * The manifest as Argo CD applies and compares it: in its destination namespace, with the app's tracking
   * annotation (controller/state.go sets it on every target before the diff, so a live object Argo CD did not
   * apply, without the annotation, is OutOfSync until a sync adopts it).
   */
  function tracked(app: Application, o: KubernetesObject): KubernetesObject {
    const namespace = destNamespace(app, o);
    const name = o.metadata?.name ?? '';
    return {
      ...o,
      metadata: {
        ...o.metadata,
        namespace,
        annotations: {
          ...o.metadata?.annotations,
          [TRACKING_ID_ANNOTATION]: trackingId(instanceName(app.metadata), o, namespace, name),
        },
      },
    };
  }

  async function compare(app: Application, r: Resolved) {
    const pairs = [];
    for (const d of r.objects) {
      const namespace = destNamespace(app, d);
      pairs.push({ desired: tracked(app, d), live: await readLive(d, namespace), namespace });
    }
    return compareApp(pairs, await orphansOf(app, r));
  }

  async function reconcile(raw: unknown): Promise<void> {
    const parsed = Application.safeParse(raw);
    const meta = (
      raw as { metadata?: { namespace?: string; name?: string; annotations?: Record<string, string> } }
    ).metadata;
    if (!parsed.success) {
      opts.log('warn', 'application not understood', {
        app: `${meta?.namespace}/${meta?.name}`,
        error: errorText(parsed.error),
      });
      return;
    }
    const app = parsed.data;
    const id = `${app.metadata.namespace}/${app.metadata.name}`;
    if (app.operation) {
      await runOperation(app, app.operation);
      return;
    }
    const refresh = meta?.annotations?.[REFRESH_ANNOTATION] !== undefined;
    let status: Record<string, unknown>;
    let r: Resolved | undefined;
    let cmp: Awaited<ReturnType<typeof compare>> | undefined;
    try {
      r = await desired(app, app.spec.source, refresh);
      cmp = await compare(app, r);
      status = {
        sync: {
          status: cmp.sync,
          revision: r.sha,
          comparedTo: { source: app.spec.source, destination: app.spec.destination },
        },
        health: cmp.health,
        resources: cmp.resources,
        summary: { images: images(r.objects) },
        sourceType: 'Directory',
        conditions: null,
      };
    } catch (err) {
      status = {
        sync: {
          status: 'Unknown',
          comparedTo: { source: app.spec.source, destination: app.spec.destination },
        },
        conditions: [
          { type: 'ComparisonError', message: errorText(err), lastTransitionTime: new Date().toISOString() },
        ],
      };
    }
    // reconciledAt moves once per period (as Argo CD's full reconciliation), not on every tick's comparison.
    const text = JSON.stringify(status);
    const reconciledAt = Date.parse(app.status?.reconciledAt ?? '');
    const stale = Number.isNaN(reconciledAt) || reconciledAt < Date.now() - opts.resyncMs;
    if (refresh || stale || lastStatus.get(id) !== text) {
      await patchApp(app, {
        ...(refresh ? { metadata: { annotations: { [REFRESH_ANNOTATION]: null } } } : {}),
        status: { ...status, reconciledAt: new Date().toISOString() },
      });
      lastStatus.set(id, text);
    }
    if (r && cmp) await autoSync(app, r.sha, cmp.resources);
  }

  /** controller/appcontroller.go autoSync: when, and how often, an automated sync starts. */
  async function autoSync(app: Application, sha: string, resources: ResourceStatus[]): Promise<void> {
    const automated = app.spec.syncPolicy?.automated;
    if (!automated || automated.enabled === false) return;
    const outOfSync = resources.filter((x) => x.status !== 'Synced');
    if (outOfSync.length === 0) return;
    // "need to prune extra resources only but automated prune is disabled"
    if (!automated.prune && outOfSync.every((x) => x.requiresPruning)) return;
    const os = app.status?.operationState;
    const attempted = os?.syncResult?.revision === sha;
    if (attempted && (!automated.selfHeal || os?.phase !== 'Succeeded')) return;
    if (attempted && automated.selfHeal) {
      const since = Date.now() - Date.parse(os?.finishedAt ?? os?.startedAt ?? '');
      if (since < selfHealMs) return; // the next tick looks again
    }
    if (!canSync(await appWindows(readProject, app), new Date(), false)) return; // a window blocks it
    opts.log('info', 'initiated automated sync', {
      app: `${app.metadata.namespace}/${app.metadata.name}`,
      sha,
    });
    await runOperation(app, {
      sync: { revision: sha, prune: automated.prune ?? false },
      initiatedBy: { automated: true },
    });
  }

  /** controller/sync.go: apply the manifests of the operation's revision, record the result and history. */
  async function runOperation(app: Application, op: Operation): Promise<void> {
    const id = `${app.metadata.namespace}/${app.metadata.name}`;
    const startedAt = new Date().toISOString();
    const source = op.sync?.source ?? app.spec.source;
    const runningState = {
      operation: op,
      phase: 'Running',
      message: 'one or more tasks are running',
      startedAt,
    };
    await patchApp(app, { operation: null, status: { operationState: runningState } });
    let phase: 'Succeeded' | 'Failed' = 'Succeeded';
    let message = 'successfully synced (all tasks run)';
    let sha = '';
    const results: object[] = [];
    try {
      sha = await resolveRevision(source.repoURL, op.sync?.revision ?? source.targetRevision);
      const objs = await renderDirectory(source.repoURL, sha, source.path);
      const orphans = await orphansOf(app, { sha, at: Date.now(), key: '', objects: objs });
      for (const o of objs) {
        const namespace = destNamespace(app, o);
        const name = o.metadata?.name ?? '';
        const body = withProtocolDefaults(tracked(app, o));
        if (!op.sync?.dryRun) {
          await objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
        }
        results.push({
          ...groupVersion(o.apiVersion),
          kind: o.kind,
          namespace,
          name,
          status: 'Synced',
          message: `${(o.kind ?? '').toLowerCase()}/${name} ${op.sync?.dryRun ? 'configured (dry run)' : 'serverside-applied'}`,
          syncPhase: 'Sync',
        });
      }
      // Prune last, as Argo CD's default (PrunePropagationPolicy foreground aside); without prune they stay.
      for (const o of orphans) {
        const prune = op.sync?.prune === true;
        if (prune && !op.sync?.dryRun) await objects.delete(o);
        results.push({
          ...groupVersion(o.apiVersion),
          kind: o.kind,
          namespace: o.metadata?.namespace,
          name: o.metadata?.name,
          status: prune ? 'Pruned' : 'PruneSkipped',
          message: prune ? 'pruned' : 'ignored (requires pruning)',
          syncPhase: 'Sync',
        });
      }
    } catch (err) {
      phase = 'Failed';
      message = `one or more objects failed to apply, reason: ${apiErrorText(err)}`;
    }
    const finishedAt = new Date().toISOString();
    const history = app.status?.history ?? [];
    const entry = {
      id: nextHistoryId(history),
      revision: sha,
      deployedAt: finishedAt,
      deployStartedAt: startedAt,
      source,
      initiatedBy: op.initiatedBy ?? {},
    };
    await patchApp(app, {
      status: {
        operationState: {
          ...runningState,
          phase,
          message,
          finishedAt,
          ...(sha ? { syncResult: { revision: sha, source, resources: results } } : {}),
        },
        ...(phase === 'Succeeded' && !op.sync?.dryRun
          ? { history: appendHistory(history, entry, app.spec.revisionHistoryLimit) }
          : {}),
      },
    });
    lastStatus.delete(id);
    opts.log('info', 'sync finished', { app: id, phase, revision: sha, message });
  }

  return startReconcileLoop({
    what: 'application',
    list: async () =>
      (
        (await custom.listClusterCustomObject({
          group: ARGOCD_GROUP,
          version: ARGOCD_VERSION,
          plural: APPLICATIONS,
        })) as { items?: unknown[] }
      ).items ?? [],
    reconcile,
    tickMs,
    log: opts.log,
  });
}

/**
 * `protocol: TCP` written out on Service and container ports that leave it to the API default: the sandbox's
 * Kubernetes 1.20 refuses a server-side apply whose port list omits it ("associative list with keys has an
 * element that omits key field protocol", fixed in 1.21), which Argo CD's kubectl-based apply never meets.
 */
function withProtocolDefaults(o: KubernetesObject): KubernetesObject {
  const tcp = (ports: unknown): unknown =>
    Array.isArray(ports)
      ? ports.map((p: Record<string, unknown>) =>
          p && p.protocol === undefined ? { ...p, protocol: 'TCP' } : p,
        )
      : ports;
  const copy = structuredClone(o) as KubernetesObject & {
    spec?: { ports?: unknown; template?: { spec?: { containers?: Array<{ ports?: unknown }> } } };
  };
  if (copy.kind === 'Service' && copy.spec) copy.spec.ports = tcp(copy.spec.ports);
  for (const c of copy.spec?.template?.spec?.containers ?? []) if (c.ports) c.ports = tcp(c.ports);
  return copy;
}

/** An API error as one line: the Status message the API server sent, not the client's whole dump. */
function apiErrorText(err: unknown): string {
  const m = apiStatusMessage(err);
  return m !== undefined ? `${apiStatus(err)}: ${m}` : errorText(err);
}

/** Container images of the manifests (status.summary.images). */
function images(objs: KubernetesObject[]): string[] {
  const out = new Set<string>();
  for (const o of objs) {
    const spec = (o as { spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } } }).spec;
    for (const c of spec?.template?.spec?.containers ?? []) if (c.image) out.add(c.image);
  }
  return [...out];
}
