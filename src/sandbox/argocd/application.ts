/**
 * The fields of Argo CD's Application (argoproj.io/v1alpha1, pkg/apis/application/v1alpha1/types.go) that the
 * sandbox's stand-in reads and writes, validated with zod where it reads them. Everything else an operator
 * writes is kept as written (the CRD preserves unknown fields) and ignored.
 */
import { z } from 'zod';
import { groupVersion } from './app-state.js';

export const ARGOCD_GROUP = 'argoproj.io';
export const ARGOCD_VERSION = 'v1alpha1';
export const APPLICATIONS = 'applications';

/** Argo CD 3's default resource tracking: this annotation, `<app>:<group>/<kind>:<namespace>/<name>`. */
export const TRACKING_ID_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** The field manager Argo CD's controller applies with (server-side apply). */
export const FIELD_MANAGER = 'argocd-controller';
/** Argo CD's default `spec.revisionHistoryLimit`. */
export const DEFAULT_HISTORY_LIMIT = 10;
/** The in-cluster destination's server URL. */
export const IN_CLUSTER = 'https://kubernetes.default.svc';

export const Source = z.looseObject({
  repoURL: z.string().min(1),
  path: z.string().default('.'),
  targetRevision: z.string().optional(),
});
export type Source = z.infer<typeof Source>;

export const SyncPolicy = z.looseObject({
  automated: z
    .looseObject({
      prune: z.boolean().optional(),
      selfHeal: z.boolean().optional(),
      allowEmpty: z.boolean().optional(),
      enabled: z.boolean().optional(),
    })
    .nullable()
    .optional(),
});

export const AppSpec = z.looseObject({
  project: z.string().default('default'),
  source: Source,
  destination: z.looseObject({
    server: z.string().optional(),
    name: z.string().optional(),
    namespace: z.string().optional(),
  }),
  syncPolicy: SyncPolicy.nullable().optional(),
  revisionHistoryLimit: z.number().int().nonnegative().nullable().optional(),
});
export type AppSpec = z.infer<typeof AppSpec>;

export const Operation = z.looseObject({
  sync: z
    .looseObject({
      revision: z.string().optional(),
      prune: z.boolean().optional(),
      dryRun: z.boolean().optional(),
      source: Source.optional(),
    })
    .optional(),
  initiatedBy: z
    .looseObject({ username: z.string().optional(), automated: z.boolean().optional() })
    .optional(),
});
export type Operation = z.infer<typeof Operation>;

export const HistoryEntry = z.looseObject({
  id: z.number().int(),
  revision: z.string(),
  deployedAt: z.string(),
  deployStartedAt: z.string().optional(),
  source: Source.optional(),
  initiatedBy: z
    .looseObject({ username: z.string().optional(), automated: z.boolean().optional() })
    .optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const OperationState = z.looseObject({
  operation: Operation,
  phase: z.enum(['Running', 'Succeeded', 'Failed', 'Error', 'Terminating']),
  message: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  syncResult: z.looseObject({ revision: z.string(), source: Source.optional() }).optional(),
});
export type OperationState = z.infer<typeof OperationState>;

export const AppStatus = z.looseObject({
  health: z.looseObject({ status: z.string(), message: z.string().optional() }).optional(),
  history: z.array(HistoryEntry).optional(),
  operationState: OperationState.optional(),
  reconciledAt: z.string().optional(),
  sync: z.looseObject({ status: z.string(), revision: z.string().optional() }).optional(),
});
export type AppStatus = z.infer<typeof AppStatus>;

export const Application = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string(),
    resourceVersion: z.string().optional(),
  }),
  spec: AppSpec,
  status: AppStatus.nullable().optional(),
  operation: Operation.nullable().optional(),
});
export type Application = z.infer<typeof Application>;

/** Argo CD's control-plane namespace: where its API looks when `appNamespace` is not given. */
export const ARGOCD_NAMESPACE = 'argocd';

/**
 * The name an Application goes by in tracking values (Application.InstanceName): its name in the control-plane
 * namespace, `<namespace>_<name>` elsewhere ("applications in any namespace").
 */
export function instanceName(app: { name: string; namespace: string }): string {
  return app.namespace === ARGOCD_NAMESPACE ? app.name : `${app.namespace}_${app.name}`;
}

/** The tracking id Argo CD writes on each resource it manages (annotation tracking); `app` its instance name. */
export function trackingId(
  app: string,
  obj: { apiVersion?: string; kind?: string },
  namespace: string,
  name: string,
): string {
  const { group } = groupVersion(obj.apiVersion);
  return `${app}:${group}/${obj.kind ?? ''}:${namespace}/${name}`;
}

/** The next history entry's id: one more than the last, 0 for the first (Argo CD's rule). */
export function nextHistoryId(history: readonly HistoryEntry[]): number {
  const last = history.at(-1);
  return last ? last.id + 1 : 0;
}

/** History with `entry` appended, trimmed to the limit (the oldest dropped first). */
export function appendHistory(
  history: readonly HistoryEntry[],
  entry: HistoryEntry,
  limit: number | null | undefined,
): HistoryEntry[] {
  const max = limit ?? DEFAULT_HISTORY_LIMIT;
  const all = [...history, entry];
  return all.slice(Math.max(0, all.length - max));
}
