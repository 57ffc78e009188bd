/** The API's Application as the scenario's view (view.ts). */
import type { ArgoApplication } from '../../adapters/argocd/argocd-api.js';
import { trackedApplication } from './self-heal.js';
import { isAutoSync, type ArgoAppView } from './view.js';

export function appViewOf(app: ArgoApplication): ArgoAppView {
  const policy = (app.spec.syncPolicy ?? null) as Record<string, unknown> | null;
  const automated = policy?.automated as { selfHeal?: unknown } | null | undefined;
  const st = app.status ?? undefined;
  const os = st?.operationState;
  // A running operation has no syncResult yet: the revision it was asked for is its operation's.
  const asked = (os as { operation?: { sync?: { revision?: unknown } } } | undefined)?.operation?.sync
    ?.revision;
  const osRevision = os?.syncResult?.revision ?? (typeof asked === 'string' ? asked : undefined);
  const op = app.operation as { sync?: { revision?: unknown } } | null | undefined;
  const pendingRevision = typeof op?.sync?.revision === 'string' ? op.sync.revision : undefined;
  const health = st?.health as { status?: string; message?: unknown } | undefined;
  const appSet = (app.metadata.ownerReferences ?? []).find((o) => o.kind === 'ApplicationSet');
  const tracked = trackedApplication(app);
  // An Application tracked as its own instance is not its own parent (a hand-set label, say).
  const parent =
    tracked &&
    !(
      tracked.name === app.metadata.name &&
      (tracked.namespace ?? app.metadata.namespace) === app.metadata.namespace
    )
      ? tracked
      : undefined;
  const src = (app.spec as { sources?: unknown }).sources ? undefined : app.spec.source;
  return {
    ...(src
      ? {
          source: {
            repoURL: src.repoURL,
            ...(src.path !== undefined ? { path: src.path } : {}),
            ...(src.targetRevision !== undefined ? { targetRevision: src.targetRevision } : {}),
          },
        }
      : {}),
    ref: {
      name: app.metadata.name,
      ...(app.metadata.namespace ? { namespace: app.metadata.namespace } : {}),
    },
    syncPolicy: policy,
    autoSync: isAutoSync(policy),
    selfHeal: isAutoSync(policy) && automated?.selfHeal === true,
    ...(st?.sync?.revision ? { headRevision: st.sync.revision } : {}),
    ...(st?.sync?.status ? { syncStatus: st.sync.status } : {}),
    ...(health?.status ? { health: health.status } : {}),
    ...(typeof health?.message === 'string' && health.message ? { healthMessage: health.message } : {}),
    history: (st?.history ?? []).map((h) => ({
      id: h.id,
      revision: h.revision,
      ...(h.deployedAt ? { deployedAt: h.deployedAt } : {}),
    })),
    ...(os
      ? {
          operation: {
            phase: os.phase,
            ...(osRevision ? { revision: osRevision } : {}),
            ...(os.message ? { message: os.message } : {}),
            ...(os.finishedAt ? { finishedAt: os.finishedAt } : {}),
          },
        }
      : {}),
    ...(op ? { operationPending: pendingRevision ? { revision: pendingRevision } : {} } : {}),
    ...(st?.reconciledAt ? { reconciledAt: st.reconciledAt } : {}),
    ...(parent
      ? { managedBy: { name: parent.name, ...(parent.namespace ? { namespace: parent.namespace } : {}) } }
      : {}),
    ...(appSet
      ? {
          generatedBy: {
            name: appSet.name,
            ...(app.metadata.namespace ? { namespace: app.metadata.namespace } : {}),
          },
        }
      : {}),
  };
}
