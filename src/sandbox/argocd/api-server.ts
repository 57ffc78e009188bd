/**
 * The Argo CD API server stand-in of the sandbox: the REST endpoints a rollback needs, as Argo CD's API
 * reference documents them (docs/developer-guide/api-docs.md, the swagger of ApplicationService) and
 * server/application/application.go implements them, in front of the Application CRs the controller stand-in
 * (controller.ts) reconciles:
 * - GET /api/v1/applications/{name}, PUT /api/v1/applications/{name} (spec, labels, annotations),
 *   PATCH /api/v1/applications/{name} ({ patch, patchType: merge|json }), POST .../sync ({ revision, prune,
 *   dryRun }), POST .../rollback ({ id, prune, dryRun }), GET .../manifests?revision= (GetManifests: the
 *   source rendered at a revision, { manifests: [JSON strings], revision }); `appNamespace` (query or body) names the
 *   Application's namespace, `argocd` when absent ("applications in any namespace"); GET with `?refresh=normal`
 *   answers once the controller has refreshed the app (application.go's Get waits for the annotation to go).
 * - Bearer-token auth (`Authorization: Bearer`, or the `argocd.token` cookie); an `admin` token may do
 *   everything, a `readonly` one only get (Argo CD's built-in role:readonly).
 * - The refusals a rollback meets: "rollback cannot be initiated when auto-sync is enabled", "Cannot sync to X:
 *   auto-sync currently set to Y", "another operation is already in progress", an unknown history id, not
 *   found, permission denied, no session; in grpc-gateway's error JSON ({ error, code, message, details })
 *   with its HTTP statuses (InvalidArgument and FailedPrecondition 400, Unauthenticated 401,
 *   PermissionDenied 403, NotFound 404).
 * - GET /api/v1/applicationsets/{name}, POST /api/v1/applicationsets?upsert=true (ApplicationSetService).
 * - GET .../syncwindows (the project's windows for the app, the active ones, canSync for a manual sync); a
 *   sync or rollback a window blocks is refused PermissionDenied "cannot sync: blocked by sync window".
 * Served over plain HTTP on loopback, as `argocd-server --insecure` does. Left out: gRPC, sessions and
 * accounts, projects' RBAC policies, the other ~60 endpoints, resource-tree queries.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { apiStatus, apiStatusMessage } from '../kube-clients.js';
import {
  APPLICATIONS,
  ARGOCD_GROUP,
  ARGOCD_NAMESPACE,
  ARGOCD_VERSION,
  Application,
  type Operation,
} from './application.js';
import { APPLICATIONSETS } from './applicationset.js';
import { projectReader } from './project-reader.js';
import { appWindows, canSync, windowActive } from './sync-windows.js';
import { renderDirectory, resolveRevision } from './git-source.js';
import { REFRESH_ANNOTATION } from './controller.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a Get with ?refresh waits for the controller (Argo CD's server waits on the request's context). */
const REFRESH_WAIT_MS = 30_000;

export type ApiRole = 'admin' | 'readonly';

/** What GET /api/version answers: the Argo CD version whose behaviour the stand-in follows. */
export const ARGOCD_STANDIN_VERSION = 'v3.1.0+ripcord-sandbox-standin';

/** gRPC codes grpc-gateway puts in its error JSON, and the HTTP status it answers with. */
const CODES = {
  InvalidArgument: { code: 3, http: 400 },
  NotFound: { code: 5, http: 404 },
  PermissionDenied: { code: 7, http: 403 },
  FailedPrecondition: { code: 9, http: 400 },
  Unauthenticated: { code: 16, http: 401 },
  DeadlineExceeded: { code: 4, http: 504 },
  Internal: { code: 13, http: 500 },
} as const;

class ApiError extends Error {
  constructor(
    readonly kind: keyof typeof CODES,
    message: string,
  ) {
    super(message);
  }
}

const SyncRequest = z.looseObject({
  revision: z.string().optional(),
  prune: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  appNamespace: z.string().optional(),
});
const RollbackRequest = z.looseObject({
  id: z.coerce.number().int(),
  prune: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  appNamespace: z.string().optional(),
});
const PatchRequest = z.looseObject({
  patch: z.string(),
  patchType: z.enum(['merge', 'json']).default('json'),
  appNamespace: z.string().optional(),
});

export interface ApiServerOptions {
  kc: KubeConfig;
  /** Bearer tokens and the role each has. */
  tokens: Readonly<Record<string, { role: ApiRole; subject: string }>>;
  port?: number;
}

export async function startArgoApiServer(opts: ApiServerOptions): Promise<{ url: string; server: Server }> {
  const custom = opts.kc.makeApiClient(CustomObjectsApi);
  const ref = (namespace: string, name: string) => ({
    group: ARGOCD_GROUP,
    version: ARGOCD_VERSION,
    plural: APPLICATIONS,
    namespace,
    name,
  });

  async function read(namespace: string, name: string): Promise<Record<string, unknown>> {
    try {
      return (await custom.getNamespacedCustomObject(ref(namespace, name))) as Record<string, unknown>;
    } catch (err) {
      if (apiStatus(err) === 404) {
        throw new ApiError('NotFound', `applications.argoproj.io "${name}" not found`);
      }
      throw err;
    }
  }

  const readProject = projectReader(custom);

  /**
   * Get with `?refresh=normal|hard`, as application.go's Get does: set the refresh annotation, then answer with
   * the Application once the controller has taken it off (the refresh is done), or fail past the deadline.
   */
  async function refreshed(namespace: string, name: string, kind: string): Promise<unknown> {
    if (kind !== 'normal' && kind !== 'hard') {
      throw new ApiError('InvalidArgument', `unknown refresh type ${JSON.stringify(kind)}`);
    }
    await custom.patchNamespacedCustomObject(
      { ...ref(namespace, name), body: { metadata: { annotations: { [REFRESH_ANNOTATION]: kind } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const deadline = Date.now() + REFRESH_WAIT_MS;
    for (;;) {
      const app = await read(namespace, name);
      const annotations = (app.metadata as { annotations?: Record<string, string> } | undefined)?.annotations;
      if (annotations?.[REFRESH_ANNOTATION] === undefined) return app;
      if (Date.now() >= deadline)
        throw new ApiError('DeadlineExceeded', 'application refresh deadline exceeded');
      await sleep(200);
    }
  }

  /** Writes `body` as a merge patch guarded by the resourceVersion read (409: the caller decides again). */
  async function write(namespace: string, name: string, rv: unknown, body: object): Promise<unknown> {
    return custom.patchNamespacedCustomObject(
      { ...ref(namespace, name), body: { ...body, metadata: { resourceVersion: rv } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** argo.SetAppOperation: refused while another operation is set or running; retried on a conflict. */
  async function setOperation(namespace: string, name: string, decide: (app: Application) => Operation) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await read(namespace, name);
      const app = Application.parse(raw);
      if (app.operation || app.status?.operationState?.phase === 'Running') {
        throw new ApiError('FailedPrecondition', 'another operation is already in progress');
      }
      const op = decide(app);
      try {
        return await write(namespace, name, app.metadata.resourceVersion, { operation: op });
      } catch (err) {
        if (apiStatus(err) !== 409) throw err;
      }
    }
    throw new ApiError('Internal', 'the application kept changing while setting the operation');
  }

  function authenticate(req: IncomingMessage): { role: ApiRole; subject: string } {
    const header = req.headers.authorization ?? '';
    const cookie = /(?:^|;\s*)argocd\.token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : cookie;
    if (!token) throw new ApiError('Unauthenticated', 'no session information');
    const who = opts.tokens[token];
    if (!who) throw new ApiError('Unauthenticated', 'invalid session: token signature is invalid');
    return who;
  }

  function enforce(who: { role: ApiRole; subject: string }, action: string, app: Application): void {
    if (who.role === 'admin' || action === 'get') return;
    throw new ApiError(
      'PermissionDenied',
      `permission denied: applications, ${action}, ${app.spec.project}/${app.metadata.name}, sub: ${who.subject}`,
    );
  }

  async function handle(req: IncomingMessage, url: URL): Promise<unknown> {
    // Public in Argo CD too: the argocd CLI asks it before logging in.
    if (req.method === 'GET' && url.pathname === '/api/version') return { Version: ARGOCD_STANDIN_VERSION };
    if (url.pathname.startsWith('/api/v1/applicationsets')) return handleAppSet(req, url);
    const m = /^\/api\/v1\/applications\/([^/]+)(?:\/(sync|rollback|spec|manifests|syncwindows))?$/.exec(
      url.pathname,
    );
    if (!m) throw new ApiError('NotFound', `Not Found: ${req.method} ${url.pathname}`);
    const who = authenticate(req);
    const name = decodeURIComponent(m[1] ?? '');
    const action = m[2];
    const body = req.method === 'GET' ? {} : await readJson(req);
    const namespace =
      url.searchParams.get('appNamespace') ??
      (typeof (body as { appNamespace?: unknown }).appNamespace === 'string'
        ? (body as { appNamespace: string }).appNamespace
        : ARGOCD_NAMESPACE);
    const current = Application.parse(await read(namespace, name));

    if (req.method === 'GET' && !action) {
      enforce(who, 'get', current);
      const refresh = url.searchParams.get('refresh');
      return refresh ? refreshed(namespace, name, refresh) : read(namespace, name);
    }
    if (req.method === 'GET' && action === 'syncwindows') {
      // ApplicationService.GetApplicationSyncWindows: canSync is for a manual sync (CanSync(true)).
      enforce(who, 'get', current);
      const assigned = await appWindows(readProject, current);
      const now = new Date();
      return {
        assignedWindows: assigned,
        activeWindows: assigned.filter((w) => windowActive(w, now)),
        canSync: canSync(assigned, now, true),
      };
    }
    if (req.method === 'GET' && action === 'manifests') {
      // ApplicationService.GetManifests: what the source renders at `revision` (default: targetRevision).
      enforce(who, 'get', current);
      const source = current.spec.source;
      let sha: string;
      try {
        sha = await resolveRevision(
          source.repoURL,
          url.searchParams.get('revision') || source.targetRevision || 'HEAD',
        );
      } catch (err) {
        throw new ApiError('InvalidArgument', (err as Error).message);
      }
      let objects: unknown[];
      try {
        objects = await renderDirectory(source.repoURL, sha, source.path);
      } catch (err) {
        throw new ApiError('InvalidArgument', (err as Error).message);
      }
      return {
        manifests: objects.map((o) => JSON.stringify(o)),
        namespace: current.spec.destination.namespace ?? '',
        server: current.spec.destination.server ?? '',
        revision: sha,
        sourceType: 'Directory',
      };
    }
    if (req.method === 'POST' && (action === 'sync' || action === 'rollback')) {
      if (!canSync(await appWindows(readProject, current), new Date(), true)) {
        throw new ApiError('PermissionDenied', 'cannot sync: blocked by sync window');
      }
    }
    if (req.method === 'POST' && action === 'sync') {
      enforce(who, 'sync', current);
      const r = parse(SyncRequest, body);
      const target = current.spec.source.targetRevision || 'HEAD';
      if (current.spec.syncPolicy?.automated && r.revision && r.revision !== target && !r.dryRun) {
        throw new ApiError(
          'FailedPrecondition',
          `Cannot sync to ${r.revision}: auto-sync currently set to ${current.spec.source.targetRevision ?? ''}`,
        );
      }
      let sha: string;
      try {
        sha = await resolveRevision(current.spec.source.repoURL, r.revision ?? target);
      } catch (err) {
        throw new ApiError('FailedPrecondition', (err as Error).message);
      }
      return setOperation(namespace, name, () => ({
        sync: { revision: sha, prune: r.prune ?? false, ...(r.dryRun ? { dryRun: true } : {}) },
        initiatedBy: { username: who.subject },
      }));
    }
    if (req.method === 'POST' && action === 'rollback') {
      enforce(who, 'sync', current);
      const r = parse(RollbackRequest, body);
      return setOperation(namespace, name, (app) => {
        if (app.spec.syncPolicy?.automated && app.spec.syncPolicy.automated.enabled !== false) {
          throw new ApiError('FailedPrecondition', 'rollback cannot be initiated when auto-sync is enabled');
        }
        const entry = app.status?.history?.find((h) => h.id === r.id);
        if (!entry) {
          throw new ApiError(
            'InvalidArgument',
            `application ${namespace}/${name} does not have deployment with id ${r.id}`,
          );
        }
        return {
          sync: {
            revision: entry.revision,
            prune: r.prune ?? false,
            ...(r.dryRun ? { dryRun: true } : {}),
            ...(entry.source ? { source: entry.source } : {}),
          },
          initiatedBy: { username: who.subject },
        };
      });
    }
    if (req.method === 'PUT' && (!action || action === 'spec')) {
      enforce(who, 'update', current);
      const b = body as { spec?: unknown; metadata?: { labels?: unknown; annotations?: unknown } };
      const spec = action === 'spec' ? body : b.spec;
      if (!spec || typeof spec !== 'object') throw new ApiError('InvalidArgument', 'spec: required');
      const updated = await custom.replaceNamespacedCustomObject({
        ...ref(namespace, name),
        body: {
          ...(await read(namespace, name)),
          spec,
          ...(action !== 'spec' && b.metadata
            ? {
                metadata: {
                  ...current.metadata,
                  labels: b.metadata.labels,
                  annotations: b.metadata.annotations,
                },
              }
            : {}),
        },
      });
      return action === 'spec' ? (updated as { spec: unknown }).spec : updated;
    }
    if (req.method === 'PATCH' && !action) {
      enforce(who, 'update', current);
      const r = parse(PatchRequest, body);
      let patch: unknown;
      try {
        patch = JSON.parse(r.patch);
      } catch {
        throw new ApiError('InvalidArgument', 'patch: not valid JSON');
      }
      return custom.patchNamespacedCustomObject(
        { ...ref(namespace, name), body: patch as object },
        setHeaderOptions(
          'Content-Type',
          r.patchType === 'merge' ? PatchStrategy.MergePatch : PatchStrategy.JsonPatch,
        ),
      );
    }
    throw new ApiError('NotFound', `Not Found: ${req.method} ${url.pathname}`);
  }

  const appsetRef = (namespace: string) => ({
    group: ARGOCD_GROUP,
    version: ARGOCD_VERSION,
    plural: APPLICATIONSETS,
    namespace,
  });

  /**
   * ApplicationSetService (server/applicationset/applicationset.go): GET /api/v1/applicationsets/{name}
   * (`appsetNamespace` query, `argocd` when absent), and POST /api/v1/applicationsets (Create) whose `upsert`
   * query replaces an existing one's spec, labels and annotations; without it an existing ApplicationSet with
   * another spec is refused, as Argo CD does.
   */
  async function handleAppSet(req: IncomingMessage, url: URL): Promise<unknown> {
    const who = authenticate(req);
    const get = /^\/api\/v1\/applicationsets\/([^/]+)$/.exec(url.pathname);
    const readSet = async (namespace: string, name: string) => {
      try {
        return (await custom.getNamespacedCustomObject({ ...appsetRef(namespace), name })) as Record<
          string,
          unknown
        > & { metadata: Record<string, unknown>; spec?: unknown };
      } catch (err) {
        if (apiStatus(err) === 404)
          throw new ApiError('NotFound', `applicationsets.argoproj.io "${name}" not found`);
        throw err;
      }
    };
    if (req.method === 'GET' && get) {
      const namespace = url.searchParams.get('appsetNamespace') ?? ARGOCD_NAMESPACE;
      return readSet(namespace, decodeURIComponent(get[1] ?? ''));
    }
    if (req.method === 'POST' && url.pathname === '/api/v1/applicationsets') {
      const b = (await readJson(req)) as {
        metadata?: { name?: string; namespace?: string; labels?: unknown; annotations?: unknown };
        spec?: unknown;
      };
      const name = b.metadata?.name;
      if (!name || !b.spec) throw new ApiError('InvalidArgument', 'metadata.name and spec: required');
      if (who.role !== 'admin') {
        throw new ApiError(
          'PermissionDenied',
          `permission denied: applicationsets, update, ${name}, sub: ${who.subject}`,
        );
      }
      const namespace = b.metadata?.namespace ?? ARGOCD_NAMESPACE;
      let existing: Awaited<ReturnType<typeof readSet>> | undefined;
      try {
        existing = await readSet(namespace, name);
      } catch (err) {
        if (!(err instanceof ApiError && err.kind === 'NotFound')) throw err;
      }
      if (!existing) {
        return custom.createNamespacedCustomObject({
          ...appsetRef(namespace),
          body: { apiVersion: `${ARGOCD_GROUP}/${ARGOCD_VERSION}`, kind: 'ApplicationSet', ...b },
        });
      }
      if (JSON.stringify(existing.spec) === JSON.stringify(b.spec)) return existing;
      if (url.searchParams.get('upsert') !== 'true') {
        throw new ApiError(
          'InvalidArgument',
          `existing ApplicationSet spec is different, use upsert flag to force update`,
        );
      }
      return custom.replaceNamespacedCustomObject({
        ...appsetRef(namespace),
        name,
        body: {
          ...existing,
          metadata: {
            ...existing.metadata,
            ...(b.metadata?.labels !== undefined ? { labels: b.metadata.labels } : {}),
            ...(b.metadata?.annotations !== undefined ? { annotations: b.metadata.annotations } : {}),
          },
          spec: b.spec,
        },
      });
    }
    throw new ApiError('NotFound', `Not Found: ${req.method} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    handle(req, url).then(
      (out) => send(res, 200, out),
      (err: unknown) => {
        const e =
          err instanceof ApiError
            ? err
            : new ApiError(
                apiStatus(err) === 422 || apiStatus(err) === 400 ? 'InvalidArgument' : 'Internal',
                apiStatusMessage(err) ?? (err instanceof Error ? err.message : String(err)),
              );
        const c = CODES[e.kind];
        send(res, c.http, { error: e.message, code: c.code, message: e.message, details: [] });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ApiError('InvalidArgument', `${i?.path.join('.') || 'body'}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) throw new ApiError('InvalidArgument', 'request body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError('InvalidArgument', 'invalid character in the request body (not JSON)');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
