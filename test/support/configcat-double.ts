/**
 * TEST DOUBLE of ConfigCat's Public Management API — not ConfigCat. ConfigCat is a hosted service that cannot run
 * here, so this small node:http server follows its public reference (configcat.com/docs/api/reference:
 * "ConfigCat Public Management API" for authentication and "Throttling and rate limits"; "Get settings" v1;
 * "Get value", "Update value" v2 (update-setting-value-v-2) and "Replace value" v2):
 *
 * - Basic authentication with Public API credentials. Unknown credentials 401; the read-only user this double
 *   also knows gets 403 on changes (ConfigCat answers a user whose permission group may not change the
 *   environment with 403).
 * - GET /v1/configs/:configId/settings: `[{ settingId, key, name, hint, order, settingType, configId }]`; unknown
 *   config 404.
 * - GET /v2/environments/:environmentId/settings/:settingId/value: `{ setting, defaultValue, targetingRules,
 *   percentageEvaluationAttribute, readOnly, updatedAt }`, values as `{ boolValue }`; unknown environment or
 *   setting 404.
 * - PATCH of the same path with a JSON Patch (RFC 6902) and an optional `reason` query parameter: only
 *   `defaultValue`, `targetingRules` and `percentageEvaluationAttribute` are modifiable (as documented); this double
 *   applies `replace` and `test` ops to paths under those, answers 200 with the new value, 400 for anything else.
 * - PUT of the same path replaces the whole value: whatever is not sent is reset, so targeting rules not sent are
 *   deleted (documented; kept so a test can prove Ripcord never sends it).
 * - Rate limits: every answer carries `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` while a limit is set; over
 *   it, 429 with `Retry-After` (seconds). Faults (status, times, delay, Retry-After) can be injected.
 *
 * The SDKs' config download (what configcat-node fetches with its `baseUrl` set here, in the config_v6.json shape
 * configcat-common's ConfigJson.d.ts describes): GET /configuration-files/<SDK key>/config_v6.json, the SDK key
 * of one environment (in ConfigCat's own `configcat-sdk-1/<22>/<22>` form, which the SDK checks), answering
 * `{ p: { u, r: 0, s }, f: { <key>: { t: 0, v: { b: <default value> } } } }`. Only the default value is served:
 * the targeting rules are not in the file (the example service asks without a user, which no rule would match).
 *
 * Not implemented: the other endpoints (products, configs, environments, tags, audit log), the v1 value model,
 * JSON Patch `add`/`remove`/`move`/`copy`, segment and prerequisite conditions.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultQueue, readBody, type Fault } from './http-double-faults.js';
import { listen } from './listen.js';

export interface ConfigCatRule {
  /** Opaque here: the double never evaluates conditions. */
  conditions: unknown[];
  /** Served to whom the rule matches, unless it splits by percentage. */
  value: { boolValue: boolean } | null;
  percentageOptions: Array<{ percentage: number; value: { boolValue: boolean } }>;
}

export interface ConfigCatDoubleSetting {
  configId: string;
  key: string;
  settingType?: 'boolean' | 'string' | 'int' | 'double';
  /** Values by environment id. */
  values: Record<string, { defaultValue: boolean; targetingRules?: ConfigCatRule[] }>;
}

export interface ConfigCatChange {
  at: number;
  environmentId: string;
  settingId: number;
  method: string;
  ops: unknown;
  reason?: string;
}

export interface ConfigCatDouble {
  url: string;
  /** Public API credentials allowed to change flags. */
  user: { username: string; password: string };
  /** Credentials of a user whose permission group may only read. */
  reader: { username: string; password: string };
  configId: string;
  /** Environment ids by name. */
  environments: Record<string, string>;
  /** The SDK key of each environment, by name (for the example service's SDK). */
  sdkKeys: Record<string, string>;
  requests: Array<{ method: string; path: string; status: number; at: number }>;
  changes: ConfigCatChange[];
  putSetting(s: ConfigCatDoubleSetting): number;
  /** The setting's value in one environment (a copy), or undefined. */
  valueOf(
    key: string,
    environmentId: string,
  ): { defaultValue: boolean; targetingRules: ConfigCatRule[] } | undefined;
  rateLimit(r: { limit: number; windowMs: number } | undefined): void;
  fail(f: Fault): void;
  close(): Promise<void>;
}

interface Stored {
  settingId: number;
  configId: string;
  key: string;
  settingType: string;
  values: Map<string, { defaultValue: boolean; targetingRules: ConfigCatRule[]; updatedAt: string }>;
}

const MODIFIABLE = /^\/(defaultValue|targetingRules|percentageEvaluationAttribute)(\/|$)/;

export async function startConfigCatDouble(): Promise<ConfigCatDouble> {
  const user = { username: `user-${randomUUID()}`, password: `pw-${randomUUID()}` };
  const reader = { username: `reader-${randomUUID()}`, password: `pw-${randomUUID()}` };
  const configId = randomUUID();
  const environments: Record<string, string> = { production: randomUUID(), test: randomUUID() };
  const key22 = () => randomUUID().replace(/-/g, '').slice(0, 22);
  const sdkKeys: Record<string, string> = Object.fromEntries(
    Object.keys(environments).map((name) => [name, `configcat-sdk-1/${key22()}/${key22()}`]),
  );
  const settings = new Map<number, Stored>();
  let nextId = 100;
  const requests: ConfigCatDouble['requests'] = [];
  const changes: ConfigCatChange[] = [];
  const faults = new FaultQueue();
  let limit: { limit: number; windowMs: number } | undefined;
  let window = { start: 0, used: 0 };
  let url = '';

  const basic = (c: { username: string; password: string }) =>
    `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
    return status;
  };

  const valueJson = (s: Stored, env: string) => {
    const v = s.values.get(env);
    return {
      setting: { settingId: s.settingId, key: s.key, name: s.key, hint: null, settingType: s.settingType },
      defaultValue: { boolValue: v?.defaultValue ?? false },
      targetingRules: structuredClone(v?.targetingRules ?? []),
      percentageEvaluationAttribute: null,
      readOnly: false,
      updatedAt: v?.updatedAt,
      lastUpdaterUserEmail: 'double@example.com',
    };
  };

  /** A JSON Pointer's parent object and last key, inside `doc`; undefined when a step is missing. */
  const locate = (
    doc: unknown,
    path: string,
  ): { parent: Record<string, unknown>; key: string } | undefined => {
    const parts = path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = doc;
    for (const part of parts.slice(0, -1)) {
      if (node === null || typeof node !== 'object') return undefined;
      node = (node as Record<string, unknown>)[part];
    }
    const key = parts.at(-1);
    if (node === null || typeof node !== 'object' || key === undefined || !(key in node)) return undefined;
    return { parent: node as Record<string, unknown>, key };
  };

  /** The SDK's config file for the environment whose SDK key is in the path. */
  function configFile(res: ServerResponse, path: string): number {
    const name = Object.keys(sdkKeys).find(
      (n) => path === `/configuration-files/${sdkKeys[n] as string}/config_v6.json`,
    );
    const envId = name ? environments[name] : undefined;
    if (!envId) return send(res, 404, { message: 'Not found.' });
    const f: Record<string, unknown> = {};
    for (const st of settings.values()) {
      const v = st.values.get(envId);
      if (v && st.settingType === 'boolean')
        f[st.key] = { t: 0, v: { b: v.defaultValue }, i: `v-${st.settingId}` };
    }
    return send(res, 200, { p: { u: url, r: 0, s: 'double-salt' }, f });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, u: URL): Promise<number> {
    if (req.method === 'GET' && u.pathname.startsWith('/configuration-files/'))
      return configFile(res, u.pathname);
    const fault = faults.take();
    if (fault) {
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      const h: Record<string, string> = {};
      if (fault.retryAfter !== undefined) h['Retry-After'] = String(fault.retryAfter);
      return send(res, fault.status, fault.body ?? { message: `injected HTTP ${fault.status}` }, h);
    }
    const now = Date.now();
    const rate: Record<string, string> = {};
    if (limit) {
      if (now - window.start >= limit.windowMs) window = { start: now, used: 0 };
      window.used += 1;
      const reset = window.start + limit.windowMs;
      rate['X-Rate-Limit-Remaining'] = String(Math.max(0, limit.limit - window.used));
      rate['X-Rate-Limit-Reset'] = new Date(reset).toISOString();
      if (window.used > limit.limit) {
        return send(
          res,
          429,
          { message: 'Too many requests.' },
          {
            ...rate,
            'Retry-After': String(Math.max(1, Math.ceil((reset - now) / 1000))),
          },
        );
      }
    }
    const auth = req.headers.authorization;
    const role = auth === basic(user) ? 'writer' : auth === basic(reader) ? 'reader' : undefined;
    if (!role) return send(res, 401, { message: 'Unauthorized.' }, rate);

    const list = /^\/v1\/configs\/([^/]+)\/settings$/.exec(u.pathname);
    if (list && req.method === 'GET') {
      if (decodeURIComponent(list[1] as string) !== configId)
        return send(res, 404, { message: 'Not found.' }, rate);
      return send(
        res,
        200,
        [...settings.values()].map((s, order) => ({
          settingId: s.settingId,
          key: s.key,
          name: s.key,
          hint: null,
          order,
          settingType: s.settingType,
          configId: s.configId,
          configName: 'Main Config',
          tags: [],
        })),
        rate,
      );
    }
    const value = /^\/v2\/environments\/([^/]+)\/settings\/(\d+)\/value$/.exec(u.pathname);
    if (!value) return send(res, 404, { message: 'Not found.' }, rate);
    const envId = decodeURIComponent(value[1] as string);
    const s = settings.get(Number(value[2]));
    const v = s?.values.get(envId);
    if (!s || !v || !Object.values(environments).some((e) => e === envId)) {
      return send(res, 404, { message: 'Not found.' }, rate);
    }
    if (req.method === 'GET') return send(res, 200, valueJson(s, envId), rate);
    if (req.method !== 'PATCH' && req.method !== 'PUT')
      return send(res, 405, { message: 'Method not allowed.' }, rate);
    const raw = await readBody(req);
    if (role === 'reader') return send(res, 403, { message: 'Forbidden.' }, rate);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(res, 400, { message: 'Bad request.' }, rate);
    }
    const reason = u.searchParams.get('reason') ?? undefined;
    if (req.method === 'PUT') {
      // Replace value: everything not sent is reset, the targeting rules included.
      const b = body as { defaultValue?: { boolValue?: boolean }; targetingRules?: ConfigCatRule[] };
      s.values.set(envId, {
        defaultValue: b.defaultValue?.boolValue === true,
        targetingRules: b.targetingRules ?? [],
        updatedAt: new Date(now).toISOString(),
      });
    } else {
      if (!Array.isArray(body)) return send(res, 400, { message: 'Bad request.' }, rate);
      const doc = valueJson(s, envId);
      for (const op of body as Array<{ op?: unknown; path?: unknown; value?: unknown }>) {
        const path = typeof op.path === 'string' ? op.path : '';
        if (!MODIFIABLE.test(path) || (op.op !== 'replace' && op.op !== 'test')) {
          return send(res, 400, { message: `Bad request: ${String(op.op)} ${path}` }, rate);
        }
        const at = locate(doc, path);
        if (!at) return send(res, 400, { message: `Bad request: no ${path}` }, rate);
        if (op.op === 'test') {
          if (JSON.stringify(at.parent[at.key]) !== JSON.stringify(op.value)) {
            return send(res, 400, { message: `Bad request: test failed at ${path}` }, rate);
          }
        } else {
          at.parent[at.key] = op.value;
        }
      }
      s.values.set(envId, {
        defaultValue: doc.defaultValue.boolValue === true,
        targetingRules: doc.targetingRules,
        updatedAt: new Date(now).toISOString(),
      });
    }
    changes.push({
      at: now,
      environmentId: envId,
      settingId: s.settingId,
      method: req.method,
      ops: body,
      ...(reason !== undefined ? { reason } : {}),
    });
    return send(res, 200, valueJson(s, envId), rate);
  }

  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://double');
    const at = Date.now();
    handle(req, res, u).then(
      (status) => requests.push({ method: req.method ?? '?', path: u.pathname, status, at }),
      (err: unknown) => {
        requests.push({ method: req.method ?? '?', path: u.pathname, status: 500, at });
        if (!res.headersSent) send(res, 500, { message: String(err) });
      },
    );
  });
  await listen(server, 0);
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    user,
    reader,
    configId,
    environments,
    sdkKeys,
    requests,
    changes,
    putSetting(def) {
      const existing = [...settings.values()].find((s) => s.key === def.key && s.configId === def.configId);
      const settingId = existing?.settingId ?? nextId++;
      settings.set(settingId, {
        settingId,
        configId: def.configId,
        key: def.key,
        settingType: def.settingType ?? 'boolean',
        values: new Map(
          Object.entries(def.values).map(([env, v]) => [
            env,
            {
              defaultValue: v.defaultValue,
              targetingRules: structuredClone(v.targetingRules ?? []),
              updatedAt: new Date().toISOString(),
            },
          ]),
        ),
      });
      return settingId;
    },
    valueOf(key, environmentId) {
      const s = [...settings.values()].find((x) => x.key === key);
      const v = s?.values.get(environmentId);
      return v
        ? { defaultValue: v.defaultValue, targetingRules: structuredClone(v.targetingRules) }
        : undefined;
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
