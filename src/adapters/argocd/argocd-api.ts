/**
 * Argo CD's REST API (ApplicationService, as documented in Argo CD's API reference and served by
 * server/application/application.go), the calls a rollback of an Argo CD-managed service needs:
 *   GET   /api/v1/applications/{name}?appNamespace=    the Application: spec, history, sync, health, operation
 *         (&refresh=normal: answered once Argo CD resolved the branch and compared again)
 *   PATCH /api/v1/applications/{name}                    { patch, patchType: merge } e.g. the sync policy
 *   POST  /api/v1/applications/{name}/rollback           { id, prune, dryRun }: sync to a history entry
 *   POST  /api/v1/applications/{name}/sync               { revision, prune, dryRun }
 *   GET   /api/v1/applications/{name}/manifests?revision= what the source renders at a revision
 * The bearer token (ARGOCD_AUTH_TOKEN, or a file) is read at each call and never reaches a message. Errors
 * come as grpc-gateway JSON ({ error, code, message }) and map to Ripcord's kinds by their gRPC code:
 * Unauthenticated/PermissionDenied -> forbidden (exit 5), NotFound and InvalidArgument -> invalid (exit 2),
 * FailedPrecondition (auto-sync on, an operation in progress) -> refused (exit 3), Unavailable and 5xx ->
 * unreachable (exit 4).
 */
import { z } from 'zod';
import { RipcordError, type ErrorKind } from '../../core/errors.js';
import type { TokenSource } from '../../core/ports.js';
import { requestJson, statusKind } from '../http/get-json.js';
import { readTokenSource } from '../http/token-file.js';

const Source = z.looseObject({
  repoURL: z.string(),
  path: z.string().optional(),
  targetRevision: z.string().optional(),
});

export const ArgoApplication = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    resourceVersion: z.string().optional(),
    // Argo CD's tracking of a child Application by the parent that renders it (app of apps).
    annotations: z.record(z.string(), z.string()).nullable().optional(),
    labels: z.record(z.string(), z.string()).nullable().optional(),
    // An ApplicationSet owns the Applications it generates.
    ownerReferences: z
      .array(z.looseObject({ kind: z.string(), name: z.string() }))
      .nullable()
      .optional(),
  }),
  spec: z.looseObject({
    project: z.string().optional(),
    source: Source.optional(),
    syncPolicy: z
      .looseObject({ automated: z.looseObject({}).nullable().optional() })
      .nullable()
      .optional(),
  }),
  status: z
    .looseObject({
      sync: z.looseObject({ status: z.string().optional(), revision: z.string().optional() }).optional(),
      health: z.looseObject({ status: z.string().optional() }).optional(),
      history: z
        .array(
          z.looseObject({
            id: z.number().int(),
            revision: z.string(),
            deployedAt: z.string().optional(),
            source: Source.optional(),
          }),
        )
        .nullable()
        .optional(),
      operationState: z
        .looseObject({
          phase: z.string(),
          message: z.string().optional(),
          finishedAt: z.string().optional(),
          syncResult: z.looseObject({ revision: z.string().optional() }).optional(),
        })
        .optional(),
      reconciledAt: z.string().optional(),
    })
    .nullable()
    .optional(),
  operation: z.unknown().optional(),
});
export type ArgoApplication = z.infer<typeof ArgoApplication>;

/** An ignoreApplicationDifferences rule of an ApplicationSet. */
export const ArgoIgnoreRule = z.looseObject({
  name: z.string().optional(),
  jsonPointers: z.array(z.string()).optional(),
  jqPathExpressions: z.array(z.string()).optional(),
});
export type ArgoIgnoreRule = z.infer<typeof ArgoIgnoreRule>;

/** The fields of an ApplicationSet a rollback reads; the rest is kept as it came, for the upsert. */
export const ArgoApplicationSet = z.looseObject({
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
  spec: z.looseObject({
    syncPolicy: z.looseObject({ applicationsSync: z.string().optional() }).nullable().optional(),
    ignoreApplicationDifferences: z.array(ArgoIgnoreRule).nullable().optional(),
  }),
});
export type ArgoApplicationSet = z.infer<typeof ArgoApplicationSet>;

/** A sync window as the API shows it. */
export const ArgoSyncWindow = z.looseObject({
  kind: z.string(),
  schedule: z.string(),
  duration: z.string(),
  manualSync: z.boolean().optional(),
  applications: z.array(z.string()).nullable().optional(),
});
export type ArgoSyncWindow = z.infer<typeof ArgoSyncWindow>;

/** GetApplicationSyncWindows: the windows assigned to the app, the active ones, and whether a manual sync may run. */
export const ArgoSyncWindows = z.looseObject({
  assignedWindows: z.array(ArgoSyncWindow).nullable().optional(),
  activeWindows: z.array(ArgoSyncWindow).nullable().optional(),
  canSync: z.boolean().optional(),
});
export type ArgoSyncWindows = z.infer<typeof ArgoSyncWindows>;

/** GetManifests' answer: each manifest a JSON (or YAML) string, and the revision it was rendered at. */
export const ManifestResponse = z.looseObject({
  manifests: z.array(z.string()).nullable().optional(),
  revision: z.string().optional(),
});
export type ManifestResponse = z.infer<typeof ManifestResponse>;

/** grpc-gateway's error body. */
const ErrorBody = z.looseObject({
  error: z.string().optional(),
  message: z.string().optional(),
  code: z.number(),
});

/** gRPC codes and the kind each is to Ripcord. */
const GRPC_KINDS: Record<number, ErrorKind> = {
  3: 'invalid', // InvalidArgument
  4: 'unreachable', // DeadlineExceeded (e.g. a refresh that did not finish)
  5: 'invalid', // NotFound
  7: 'forbidden', // PermissionDenied
  9: 'refused', // FailedPrecondition
  14: 'unreachable', // Unavailable
  16: 'forbidden', // Unauthenticated
};

export interface ArgoAppRef {
  name: string;
  /** The Application's namespace (`appNamespace`); Argo CD's own namespace when absent. */
  namespace?: string;
}

export interface ArgoCdApiOptions {
  /** e.g. `https://argocd.example.com` or `http://127.0.0.1:8080` (the sandbox's, plain HTTP). */
  url: string;
  token: TokenSource;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export interface ArgoCdApi {
  readonly server: string;
  /**
   * `refresh: 'normal'` asks Argo CD to resolve the branch and compare again (as a git webhook would) and answers
   * once it has: `argocd app get --refresh`.
   */
  getApplication(
    ref: ArgoAppRef,
    signal?: AbortSignal,
    opts?: { refresh?: 'normal' | 'hard' },
  ): Promise<ArgoApplication>;
  /** What the app's source renders at `revision` (default: its targetRevision): GetManifests. */
  getManifests(ref: ArgoAppRef, revision?: string, signal?: AbortSignal): Promise<ManifestResponse>;
  /** GET /api/v1/applicationsets/{name}: `namespace` is the ApplicationSet's (`appsetNamespace`). */
  getApplicationSet(ref: ArgoAppRef, signal?: AbortSignal): Promise<ArgoApplicationSet>;
  /** POST /api/v1/applicationsets?upsert=true: replaces the ApplicationSet's spec with `set`'s. */
  upsertApplicationSet(set: ArgoApplicationSet, signal?: AbortSignal): Promise<ArgoApplicationSet>;
  /** GET /api/v1/applications/{name}/syncwindows. */
  getSyncWindows(ref: ArgoAppRef, signal?: AbortSignal): Promise<ArgoSyncWindows>;
  /** Sets `spec.syncPolicy` (null removes it: auto-sync off). */
  setSyncPolicy(ref: ArgoAppRef, syncPolicy: unknown, signal?: AbortSignal): Promise<ArgoApplication>;
  rollback(
    ref: ArgoAppRef,
    id: number,
    opts?: { prune?: boolean; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<ArgoApplication>;
  sync(
    ref: ArgoAppRef,
    opts?: { revision?: string; prune?: boolean; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<ArgoApplication>;
}

export function createArgoCdApi(opts: ArgoCdApiOptions): ArgoCdApi {
  const server = opts.url.replace(/\/+$/, '');
  const origin = 'env' in opts.token ? `$${opts.token.env}` : opts.token.file;
  const appPath = (ref: ArgoAppRef, action = ''): string =>
    `/api/v1/applications/${encodeURIComponent(ref.name)}${action}${
      ref.namespace ? `?appNamespace=${encodeURIComponent(ref.namespace)}` : ''
    }`;
  const appName = (ref: ArgoAppRef): string => (ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name);

  const call = (
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    what: string,
    json?: unknown,
    signal?: AbortSignal,
  ): Promise<ArgoApplication> => callFor(ArgoApplication, method, path, what, json, signal);

  async function callFor<T>(
    schema: z.ZodType<T>,
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    what: string,
    json?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const token = await readTokenSource(opts.token, 'Argo CD');
    const { status, data } = await requestJson(`${server}${path}`, z.unknown(), {
      method,
      headers: { Authorization: `Bearer ${token}` },
      ...(json !== undefined ? { json } : {}),
      timeoutMs: opts.timeoutMs,
      what: `Argo CD at ${server}: ${what}`,
      anyStatus: true,
      ...(signal ? { signal } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    if (status >= 200 && status < 300) {
      const app = schema.safeParse(data);
      if (app.success) return app.data;
      throw new RipcordError(
        'invalid',
        `Argo CD at ${server}: ${what} answered in an unexpected shape (${app.error.issues[0]?.path.join('.') ?? ''}: ${app.error.issues[0]?.message ?? ''})`,
      );
    }
    const body = ErrorBody.safeParse(data);
    const said = body.success ? (body.data.message ?? body.data.error ?? '').split(token).join('****') : '';
    const kind = body.success
      ? (GRPC_KINDS[body.data.code] ?? statusKind(status).kind)
      : statusKind(status, 'invalid').kind;
    const hint = status === 401 ? ` (the token from ${origin} was not accepted)` : '';
    throw new RipcordError(
      kind,
      `Argo CD at ${server} refused to ${what}: ${said || `HTTP ${status}`}${hint}`,
      { retryable: kind === 'unreachable' },
    );
  }

  return {
    server,
    getManifests: (ref, revision, signal) => {
      const path = appPath(ref, '/manifests');
      const q = revision ? `${path.includes('?') ? '&' : '?'}revision=${encodeURIComponent(revision)}` : '';
      return callFor(
        ManifestResponse,
        'GET',
        `${path}${q}`,
        `render application ${appName(ref)}${revision ? ` at ${revision}` : ''}`,
        undefined,
        signal,
      );
    },
    getApplication: (ref, signal, o) => {
      const path = appPath(ref);
      const q = o?.refresh ? `${path.includes('?') ? '&' : '?'}refresh=${o.refresh}` : '';
      return call(
        'GET',
        `${path}${q}`,
        `${o?.refresh ? 'refresh' : 'get'} application ${appName(ref)}`,
        undefined,
        signal,
      );
    },
    getSyncWindows: (ref, signal) =>
      callFor(
        ArgoSyncWindows,
        'GET',
        appPath(ref, '/syncwindows'),
        `read the sync windows of application ${appName(ref)}`,
        undefined,
        signal,
      ),
    getApplicationSet: (ref, signal) =>
      callFor(
        ArgoApplicationSet,
        'GET',
        `/api/v1/applicationsets/${encodeURIComponent(ref.name)}${
          ref.namespace ? `?appsetNamespace=${encodeURIComponent(ref.namespace)}` : ''
        }`,
        `get applicationset ${appName(ref)}`,
        undefined,
        signal,
      ),
    upsertApplicationSet: (set, signal) =>
      callFor(
        ArgoApplicationSet,
        'POST',
        '/api/v1/applicationsets?upsert=true',
        `update applicationset ${appName({ name: set.metadata.name, ...(set.metadata.namespace ? { namespace: set.metadata.namespace } : {}) })}`,
        set,
        signal,
      ),
    setSyncPolicy: (ref, syncPolicy, signal) =>
      call(
        'PATCH',
        appPath(ref),
        `set the sync policy of ${appName(ref)}`,
        {
          patch: JSON.stringify({ spec: { syncPolicy } }),
          patchType: 'merge',
          ...(ref.namespace ? { appNamespace: ref.namespace } : {}),
        },
        signal,
      ),
    rollback: (ref, id, o = {}) =>
      call(
        'POST',
        appPath(ref, '/rollback'),
        `roll back ${appName(ref)} to history id ${id}`,
        { id, prune: o.prune ?? false, dryRun: o.dryRun ?? false },
        o.signal,
      ),
    sync: (ref, o = {}) =>
      call(
        'POST',
        appPath(ref, '/sync'),
        `sync ${appName(ref)}${o.revision ? ` to ${o.revision}` : ''}`,
        {
          ...(o.revision ? { revision: o.revision } : {}),
          prune: o.prune ?? false,
          dryRun: o.dryRun ?? false,
        },
        o.signal,
      ),
  };
}
