/**
 * TEST DOUBLE of the Vault KV secrets engine, version 2 — not Vault. No Vault or OpenBao server can be installed
 * here, so this small node:http server answers the documented HTTP API instead
 * (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2, the same API OpenBao documents), for the
 * parts Ripcord's Vault adapter uses:
 *
 * - GET  /v1/<mount>/data/<path>[?version=N]   read latest (or version N; 0 = latest). A deleted or destroyed
 *   version answers 404 WITH the version metadata in the body (`data.data: null`, `data.metadata`), as Vault
 *   does; a version that never existed or was pruned by max_versions answers 404 `{"errors":[]}`.
 * - POST|PUT /v1/<mount>/data/<path>            `{data, options: {cas}}` writes a new version. cas = 0 only
 *   writes if the key does not exist; cas = N only if N is the current version; otherwise 400
 *   `{"errors":["check-and-set parameter did not match the current version"]}`. Oldest versions beyond
 *   max_versions (default 10, settable per mount) are removed.
 * - DELETE /v1/<mount>/data/<path>               soft-deletes the latest version.
 * - GET  /v1/<mount>/metadata/<path>             current_version, oldest_version, max_versions and `versions`
 *   keyed by number with created_time, deletion_time ("" when live) and destroyed.
 * - POST /v1/<mount>/delete/<path> {versions}    soft delete; /undelete (not for destroyed); PUT|POST /destroy.
 * - DELETE /v1/<mount>/metadata/<path>           removes the key and all its versions.
 * - X-Vault-Token: a missing or unknown token gets 403 `{"errors":["permission denied"]}`; a token configured as
 *   'read' gets 403 on every write. X-Vault-Namespace: the namespace is prefixed to the request path (so
 *   `X-Vault-Namespace: team-a` + `/v1/kv/...` and `/v1/team-a/kv/...` are the same mount), as Vault Enterprise
 *   does; a mount is only reachable inside the namespace it was created in.
 *
 * Not implemented: ACL policies beyond read/write tokens, /config, /subkeys, PATCH, POST /metadata
 * (custom_metadata, per-key max_versions), cas_required, delete_version_after, response wrapping, leases, KV v1,
 * `Authorization: Bearer`, and the exact wording of errors other than the ones above.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TokenAccess = 'read' | 'write';

export interface VaultKv2DoubleOptions {
  /** Mount paths, namespace-qualified (`team-a/kv`). Default `['secret']`. */
  mounts?: string[];
  /** Token → what it may do. Default `{ root: 'write' }`. */
  tokens?: Record<string, TokenAccess>;
  /** Default max_versions for every mount (Vault's default is 10). */
  maxVersions?: number;
  /**
   * Called before each request is handled, so a test can act "between" a client's calls (e.g. another writer
   * racing a rollback). Awaited.
   */
  beforeRequest?: (req: { method: string; path: string }) => void | Promise<void>;
}

interface VersionRecord {
  data: Record<string, unknown> | null;
  createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

interface SecretRecord {
  versions: Map<number, VersionRecord>;
  currentVersion: number;
  createdTime: string;
  updatedTime: string;
}

interface MountRecord {
  maxVersions: number;
  secrets: Map<string, SecretRecord>;
}

export interface VaultKv2Double {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** In-process write (no token, no HTTP), for seeding and for racing writers; returns the new version. */
  put(mount: string, path: string, data: Record<string, unknown>): number;
  /** Every HTTP request received, in order, for "nothing was written" assertions. */
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; '));
  }
}

const CAS_MISMATCH = 'check-and-set parameter did not match the current version';

function now(): string {
  return new Date().toISOString();
}

function versionMetadata(version: number, v: VersionRecord): Record<string, unknown> {
  return {
    created_time: v.createdTime,
    custom_metadata: null,
    deletion_time: v.deletionTime,
    destroyed: v.destroyed,
    version,
  };
}

function envelope(data: unknown): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: 'kv',
  };
}

function writeVersion(mount: MountRecord, path: string, data: Record<string, unknown>, cas?: number) {
  const existing = mount.secrets.get(path);
  if (cas !== undefined && cas !== (existing?.currentVersion ?? 0)) throw new HttpError(400, [CAS_MISMATCH]);
  const t = now();
  const secret = existing ?? { versions: new Map(), currentVersion: 0, createdTime: t, updatedTime: t };
  const version = secret.currentVersion + 1;
  secret.versions.set(version, { data, createdTime: t, deletionTime: '', destroyed: false });
  secret.currentVersion = version;
  secret.updatedTime = t;
  // Vault removes the oldest versions once there are more than max_versions.
  for (const v of [...secret.versions.keys()].sort((a, b) => a - b)) {
    if (secret.versions.size <= mount.maxVersions) break;
    secret.versions.delete(v);
  }
  mount.secrets.set(path, secret);
  return { version, record: secret.versions.get(version) as VersionRecord };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, ['failed to parse JSON input']);
}

function versionsParam(body: Record<string, unknown>): number[] {
  const v = body['versions'];
  if (!Array.isArray(v) || v.length === 0 || !v.every((n) => Number.isInteger(n))) {
    throw new HttpError(400, ['no version number provided']);
  }
  return v as number[];
}

/** Starts the double on 127.0.0.1 and a free port. */
export async function startVaultKv2Double(opts: VaultKv2DoubleOptions = {}): Promise<VaultKv2Double> {
  const tokens = opts.tokens ?? { root: 'write' };
  const mounts = new Map<string, MountRecord>();
  for (const m of opts.mounts ?? ['secret']) {
    mounts.set(m.replace(/^\/+|\/+$/g, ''), { maxVersions: opts.maxVersions ?? 10, secrets: new Map() });
  }
  const requests: { method: string; path: string }[] = [];

  // Vault routes by the longest mount that prefixes the namespace-qualified path.
  function route(fullPath: string): { mount: MountRecord; op: string; key: string } {
    const candidates = [...mounts.keys()].filter((m) => fullPath.startsWith(`${m}/`));
    const name = candidates.sort((a, b) => b.length - a.length)[0];
    if (name === undefined)
      throw new HttpError(404, [`no handler for route "${fullPath}". route entry not found.`]);
    const rest = fullPath.slice(name.length + 1);
    const slash = rest.indexOf('/');
    const op = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    return { mount: mounts.get(name) as MountRecord, op, key };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname });
    await opts.beforeRequest?.({ method, path: url.pathname });

    if (!url.pathname.startsWith('/v1/')) throw new HttpError(404, []);
    const token = req.headers['x-vault-token'];
    const access = typeof token === 'string' ? tokens[token] : undefined;
    if (access === undefined) throw new HttpError(403, ['permission denied']);
    const isWrite = method !== 'GET';
    if (isWrite && access !== 'write') throw new HttpError(403, ['permission denied']);

    const ns = req.headers['x-vault-namespace'];
    const nsPrefix = typeof ns === 'string' && ns ? `${ns.replace(/^\/+|\/+$/g, '')}/` : '';
    const rel = decodeURIComponent(url.pathname.slice('/v1/'.length));
    const { mount, op, key } = route(nsPrefix + rel);
    if (!key) throw new HttpError(404, []);
    const secret = mount.secrets.get(key);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };

    if (op === 'data' && method === 'GET') {
      const asked = Number(url.searchParams.get('version') ?? '0');
      if (!Number.isInteger(asked) || asked < 0) throw new HttpError(400, ['invalid version']);
      if (!secret) throw new HttpError(404, []);
      const version = asked === 0 ? secret.currentVersion : asked;
      const v = secret.versions.get(version);
      if (!v) throw new HttpError(404, []);
      const metadata = versionMetadata(version, v);
      // Deleted and destroyed versions: 404, but the body still carries the version's metadata.
      if (v.deletionTime || v.destroyed) return send(404, envelope({ data: null, metadata }));
      return send(200, envelope({ data: v.data, metadata }));
    }
    if (op === 'data' && (method === 'POST' || method === 'PUT')) {
      const body = await readBody(req);
      const data = body['data'];
      if (!data || typeof data !== 'object' || Array.isArray(data))
        throw new HttpError(400, ['no data provided']);
      const options = body['options'] as Record<string, unknown> | undefined;
      const cas = options?.['cas'];
      if (cas !== undefined && !Number.isInteger(cas)) throw new HttpError(400, ['invalid cas parameter']);
      const { version, record } = writeVersion(
        mount,
        key,
        data as Record<string, unknown>,
        cas as number | undefined,
      );
      const meta = versionMetadata(version, record);
      return send(200, envelope(meta));
    }
    if (op === 'data' && method === 'DELETE') {
      const v = secret?.versions.get(secret.currentVersion);
      if (v && !v.deletionTime) v.deletionTime = now();
      return send(204);
    }
    if (op === 'metadata' && method === 'GET') {
      if (!secret) throw new HttpError(404, []);
      const versions: Record<string, unknown> = {};
      for (const [n, v] of secret.versions) {
        versions[String(n)] = {
          created_time: v.createdTime,
          deletion_time: v.deletionTime,
          destroyed: v.destroyed,
        };
      }
      return send(
        200,
        envelope({
          cas_required: false,
          created_time: secret.createdTime,
          current_version: secret.currentVersion,
          custom_metadata: null,
          delete_version_after: '0s',
          max_versions: mount.maxVersions,
          oldest_version: Math.min(...secret.versions.keys()),
          updated_time: secret.updatedTime,
          versions,
        }),
      );
    }
    if (op === 'metadata' && method === 'DELETE') {
      mount.secrets.delete(key);
      return send(204);
    }
    if (
      (op === 'delete' || op === 'undelete' || op === 'destroy') &&
      (method === 'POST' || method === 'PUT')
    ) {
      const versions = versionsParam(await readBody(req));
      for (const n of versions) {
        const v = secret?.versions.get(n);
        if (!v) continue;
        if (op === 'delete' && !v.deletionTime) v.deletionTime = now();
        if (op === 'undelete' && !v.destroyed) v.deletionTime = '';
        if (op === 'destroy') {
          v.destroyed = true;
          v.data = null;
        }
      }
      return send(204);
    }
    throw new HttpError(405, [`unsupported operation`]);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const errors = err instanceof HttpError ? err.errors : [String(err)];
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    put(mountName, path, data) {
      const mount = mounts.get(mountName);
      if (!mount) throw new Error(`double: no mount ${mountName}`);
      return writeVersion(mount, path, data).version;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
