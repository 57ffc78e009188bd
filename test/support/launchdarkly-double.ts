/**
 * TEST DOUBLE of LaunchDarkly — not LaunchDarkly. LaunchDarkly is a hosted service that cannot run here, so this
 * small node:http server follows its public documentation for the calls Ripcord and the example service make:
 *
 * REST API v2 (https://launchdarkly.com/docs/api, "Authentication", "Errors", "Rate limiting", "Updates using
 * semantic patch"; feature-flags/get-feature-flag and feature-flags/patch-feature-flag):
 * - GET /api/v2/flags/:project/:flag[?env=a,b]: the flag with `environments.<key>.{on, version, lastModified,
 *   _site, _environmentName}`; `env` keeps only the named environments, as documented ("filter configurations").
 * - PATCH /api/v2/flags/:project/:flag with `Content-Type: application/json; domain-model=launchdarkly.semanticpatch`
 *   and { environmentKey, comment?, instructions: [{ kind: turnFlagOff | turnFlagOn }] }: 200 with the flag.
 *   Anything else in the body (JSON patch, other instructions) is 400 invalid_request here.
 * - Authorization: the access token as is. Unknown token 401 `{"code":"unauthorized","message":"Invalid access
 *   token"}`; a reader token PATCHing 403 `forbidden`; unknown project or flag 404 `not_found`; an environment
 *   that requires approvals 405 `approval_required` (what the API answers a direct change there; the change is
 *   then requested through the approvals API, which this double does not implement); 409 `conflict` and 5xx by
 *   injected fault; 429 `rate_limited` with `Retry-After` (seconds) and `X-Ratelimit-Reset` (epoch ms) once a
 *   route's limit per window is used up, or by injected fault.
 * Every error body is the documented envelope `{ code, message }`.
 *
 * Server-side SDKs (what @launchdarkly/node-server-sdk asks with its base and stream URIs set here; the flag data
 * model and the streaming events as the SDK's own data source reads them, js-server-sdk-common's
 * createStreamListeners): the SDK key in Authorization, for that key's environment,
 * - GET /sdk/latest-all (polling): `{ flags: { <key>: <flag config> }, segments: {} }`;
 * - GET /all (streaming, the SDKs' default): Server-Sent Events, first `put` with `{ path: "/", data: { flags,
 *   segments } }`, then a `patch` `{ path: "/flags/<key>", data: <flag config> }` on every change.
 * A boolean flag serves variation 0 (true) when on, its off variation (1, false, unless set to 0) when off.
 *
 * Not implemented: JSON patch and merge patch updates, approval requests, targeting rules, scheduled changes,
 * the events endpoints (turn the SDK's event sending off against this double).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultQueue, readBody, type Fault } from './http-double-faults.js';
import { listen } from './listen.js';

export interface LaunchDarklyDoubleFlag {
  project: string;
  key: string;
  /** Environments by key: targeting on, and whether changes there need an approval. */
  environments: Record<string, { on: boolean; approvalRequired?: boolean; offVariation?: 0 | 1 }>;
}

export interface LaunchDarklyChange {
  at: number;
  project: string;
  flag: string;
  environment: string;
  kind: string;
  comment?: string;
}

export interface LaunchDarklyDouble {
  /** Base URL of the API and the web app: `http://127.0.0.1:<port>`. */
  url: string;
  /** An API access token allowed to change flags (writer role). */
  writerToken: string;
  /** An API access token that may only read (reader role): PATCH answers 403. */
  readerToken: string;
  /** The SDK key of each environment (for the example service's SDK). */
  sdkKeys: Record<string, string>;
  /** Every request: method, path (no query), status, and the Authorization header's kind. */
  requests: Array<{ method: string; path: string; status: number; at: number }>;
  /** Accepted changes, in order. */
  changes: LaunchDarklyChange[];
  /** Adds (or replaces) a flag. */
  putFlag(f: LaunchDarklyDoubleFlag): void;
  /** A flag's targeting state in one environment, or undefined when there is no such flag or environment. */
  isOn(project: string, key: string, environment: string): boolean | undefined;
  /** Every request to /api/v2 gets a 429 once `limit` requests came in the current `windowMs`. */
  rateLimit(r: { limit: number; windowMs: number } | undefined): void;
  /** The next API requests answer with this fault (status, times, delay, Retry-After). */
  fail(f: Fault): void;
  close(): Promise<void>;
}

interface StoredEnv {
  on: boolean;
  /** 0 serves true, 1 (the default) false. */
  offVariation: 0 | 1;
  approvalRequired: boolean;
  version: number;
  lastModified: number;
  salt: string;
}

interface StoredFlag {
  project: string;
  key: string;
  version: number;
  environments: Map<string, StoredEnv>;
}

const SEMANTIC_PATCH = /^application\/json\s*;\s*domain-model=launchdarkly\.semanticpatch\s*$/i;

export async function startLaunchDarklyDouble(
  opts: { environments?: string[]; projects?: string[] } = {},
): Promise<LaunchDarklyDouble> {
  const environments = opts.environments ?? ['production', 'test'];
  const projects = new Set(opts.projects ?? ['default']);
  const writerToken = `api-${randomUUID()}`;
  const readerToken = `api-${randomUUID()}`;
  const sdkKeys = Object.fromEntries(environments.map((e) => [e, `sdk-${randomUUID()}`]));
  const flags = new Map<string, StoredFlag>();
  const requests: LaunchDarklyDouble['requests'] = [];
  const changes: LaunchDarklyChange[] = [];
  const faults = new FaultQueue();
  let limit: { limit: number; windowMs: number } | undefined;
  let window = { start: 0, used: 0 };
  let url = '';

  const id = (project: string, key: string) => `${project}/${key}`;
  const site = (f: StoredFlag, env: string) => `/${f.project}/${env}/features/${f.key}`;

  const flagJson = (f: StoredFlag, only?: Set<string>) => ({
    key: f.key,
    name: f.key,
    kind: 'boolean',
    _version: f.version,
    archived: false,
    variations: [
      { _id: 'v-true', value: true },
      { _id: 'v-false', value: false },
    ],
    _links: { self: { href: `/api/v2/flags/${f.project}/${f.key}`, type: 'application/json' } },
    environments: Object.fromEntries(
      [...f.environments]
        .filter(([k]) => !only || only.has(k))
        .map(([k, e]) => [
          k,
          {
            on: e.on,
            offVariation: e.offVariation,
            archived: false,
            salt: e.salt,
            lastModified: e.lastModified,
            version: e.version,
            _environmentName: k,
            _site: { href: site(f, k), type: 'text/html' },
          },
        ]),
    ),
  });

  /** The flag config the server-side SDK evaluates (its "flag data model"). */
  const sdkFlag = (f: StoredFlag, e: StoredEnv) => ({
    key: f.key,
    version: e.version,
    on: e.on,
    variations: [true, false],
    offVariation: e.offVariation,
    fallthrough: { variation: 0 },
    targets: [],
    contextTargets: [],
    rules: [],
    prerequisites: [],
    salt: e.salt,
    trackEvents: false,
    trackEventsFallthrough: false,
    clientSide: false,
    deleted: false,
  });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
    return status;
  };
  const error = (res: ServerResponse, status: number, code: string, message: string, h = {}) =>
    send(res, status, { code, message }, h);

  async function api(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) {
    const fault = faults.take();
    if (fault) {
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) {
        headers['Retry-After'] = String(fault.retryAfter);
        headers['X-Ratelimit-Reset'] = String(Date.now() + fault.retryAfter * 1000);
      }
      const codes: Record<number, string> = { 409: 'conflict', 429: 'rate_limited', 500: 'internal_error' };
      if (fault.body !== undefined) {
        res.writeHead(fault.status, { 'Content-Type': 'application/json', ...headers }).end(fault.body);
        return fault.status;
      }
      return error(
        res,
        fault.status,
        codes[fault.status] ?? 'error',
        `injected HTTP ${fault.status}`,
        headers,
      );
    }
    const now = Date.now();
    if (limit) {
      if (now - window.start >= limit.windowMs) window = { start: now, used: 0 };
      window.used += 1;
      if (window.used > limit.limit) {
        const reset = window.start + limit.windowMs;
        return error(res, 429, 'rate_limited', "You've exceeded the API rate limit. Try again later.", {
          'Retry-After': String(Math.max(1, Math.ceil((reset - now) / 1000))),
          'X-Ratelimit-Reset': String(reset),
          'X-Ratelimit-Route-Remaining': '0',
        });
      }
    }
    const token = req.headers.authorization ?? '';
    if (token !== writerToken && token !== readerToken) {
      return error(res, 401, 'unauthorized', 'Invalid access token');
    }
    const m = /^\/api\/v2\/flags\/([^/]+)\/([^/]+)$/.exec(path);
    if (!m) return error(res, 404, 'not_found', 'Invalid resource identifier');
    const project = decodeURIComponent(m[1] as string);
    const key = decodeURIComponent(m[2] as string);
    if (!projects.has(project)) return error(res, 404, 'not_found', 'Unknown project');
    const flag = flags.get(id(project, key));
    if (!flag) return error(res, 404, 'not_found', 'Unknown feature flag');

    if (req.method === 'GET') {
      const env = query.get('env');
      return send(res, 200, flagJson(flag, env ? new Set(env.split(',')) : undefined));
    }
    if (req.method !== 'PATCH') return error(res, 405, 'method_not_allowed', 'Method not allowed');
    const raw = await readBody(req);
    if (token === readerToken) {
      return error(res, 403, 'forbidden', 'Access to the requested resource was denied');
    }
    if (!SEMANTIC_PATCH.test(req.headers['content-type'] ?? '')) {
      return error(res, 400, 'invalid_request', 'this double implements semantic patch only');
    }
    let body: { environmentKey?: unknown; comment?: unknown; instructions?: unknown };
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      return error(res, 400, 'invalid_request', 'Invalid request body');
    }
    const envKey = typeof body.environmentKey === 'string' ? body.environmentKey : undefined;
    const env = envKey ? flag.environments.get(envKey) : undefined;
    if (!envKey || !env) {
      return error(res, 400, 'invalid_request', `unknown environment key ${String(body.environmentKey)}`);
    }
    const instructions = Array.isArray(body.instructions)
      ? (body.instructions as Array<{ kind?: unknown }>)
      : [];
    const kinds = instructions.map((i) => i.kind);
    if (kinds.length === 0 || kinds.some((k) => k !== 'turnFlagOff' && k !== 'turnFlagOn')) {
      return error(res, 400, 'invalid_request', `unsupported instructions ${JSON.stringify(kinds)}`);
    }
    if (env.approvalRequired) {
      return error(res, 405, 'approval_required', 'This environment requires approval for changes to flags');
    }
    for (const kind of kinds) {
      const on = kind === 'turnFlagOn';
      if (env.on !== on) {
        env.on = on;
        env.version += 1;
        env.lastModified = now;
        flag.version += 1;
        publish(flag, envKey);
      }
      changes.push({
        at: now,
        project,
        flag: key,
        environment: envKey,
        kind: kind as string,
        ...(typeof body.comment === 'string' ? { comment: body.comment } : {}),
      });
    }
    return send(res, 200, flagJson(flag));
  }

  const sdkEnv = (req: IncomingMessage) =>
    Object.entries(sdkKeys).find(([, k]) => k === req.headers.authorization)?.[0];
  const allFlags = (env: string) => {
    const out: Record<string, unknown> = {};
    for (const f of flags.values()) {
      const e = f.environments.get(env);
      if (e) out[f.key] = sdkFlag(f, e);
    }
    return { flags: out, segments: {} };
  };

  function sdk(req: IncomingMessage, res: ServerResponse): number {
    const env = sdkEnv(req);
    if (!env) return send(res, 401, { message: 'invalid SDK key' });
    return send(res, 200, allFlags(env));
  }

  /** Open streams by environment: each gets a `patch` when a flag changes there. */
  const streams = new Map<ServerResponse, string>();
  function stream(req: IncomingMessage, res: ServerResponse): number {
    const env = sdkEnv(req);
    if (!env) return send(res, 401, { message: 'invalid SDK key' });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(`event: put\ndata: ${JSON.stringify({ path: '/', data: allFlags(env) })}\n\n`);
    streams.set(res, env);
    res.on('close', () => streams.delete(res));
    return 200;
  }
  const publish = (f: StoredFlag, env: string) => {
    const e = f.environments.get(env);
    if (!e) return;
    const event = `event: patch\ndata: ${JSON.stringify({ path: `/flags/${f.key}`, data: sdkFlag(f, e) })}\n\n`;
    for (const [res, streamEnv] of streams) if (streamEnv === env) res.write(event);
  };

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://double');
    const at = Date.now();
    const done = (status: number) =>
      requests.push({ method: req.method ?? '?', path: u.pathname, status, at });
    const route =
      u.pathname === '/sdk/latest-all' && req.method === 'GET'
        ? Promise.resolve(sdk(req, res))
        : u.pathname === '/all' && req.method === 'GET'
          ? Promise.resolve(stream(req, res))
          : u.pathname.startsWith('/api/v2/')
            ? api(req, res, u.pathname, u.searchParams)
            : Promise.resolve(error(res, 404, 'not_found', 'Invalid resource identifier'));
    route.then(done, (err: unknown) => {
      done(500);
      if (!res.headersSent) error(res, 500, 'internal_error', String(err));
    });
  });
  await listen(server, 0);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    writerToken,
    readerToken,
    sdkKeys,
    requests,
    changes,
    putFlag(f) {
      projects.add(f.project);
      const previous = flags.get(id(f.project, f.key));
      const now = Date.now();
      const stored: StoredFlag = {
        project: f.project,
        key: f.key,
        version: (previous?.version ?? 0) + 1,
        environments: new Map(
          Object.entries(f.environments).map(([k, e]) => [
            k,
            {
              on: e.on,
              offVariation: e.offVariation ?? 1,
              approvalRequired: e.approvalRequired === true,
              // Above any version an SDK holds: a `patch` with an older version is ignored by the SDK.
              version: (previous?.environments.get(k)?.version ?? 0) + 1,
              lastModified: now,
              salt: randomBytes(8).toString('hex'),
            },
          ]),
        ),
      };
      flags.set(id(f.project, f.key), stored);
      for (const env of stored.environments.keys()) publish(stored, env);
    },
    isOn(project, key, environment) {
      return flags.get(id(project, key))?.environments.get(environment)?.on;
    },
    rateLimit(r) {
      limit = r;
      window = { start: Date.now(), used: 0 };
    },
    fail(f) {
      faults.add(f);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
