import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import type { z } from 'zod';
import { ShareInjector, simulateWork, simulatedWorkMs, startLeak } from './faults.js';
import { HttpError, readJsonBody, sendJson } from './http.js';
import { redact, silentLogger, type Logger } from './log.js';
import { createMetrics, type VenueMetrics } from './metrics.js';
import { findRelease, type Release } from './releases.js';
import { readServiceConfig, type ServiceConfigResult } from './service-config.js';
import { ListQuery, NewVenue, VenueId, VenueStore, priceFor, type VenueRow } from './venues.js';

export interface VenueAppOptions {
  /** A tag from releases.json (e.g. `v1.2.3`) or a release already looked up. */
  release: string | Release;
  /** Owned by the caller, who destroys it after close(). */
  db: Knex;
  /** FEATURE_NEW_PRICING, or a function asked per request when the flag can change while running (Unleash). */
  featureNewPricing?: boolean | (() => boolean);
  /** Overrides the release's declared 5xx share (VENUE_ERROR_RATE). */
  errorRate?: number;
  /** Where the ConfigMap keys are read from; process.env by default. */
  env?: Record<string, string | undefined>;
  log?: Logger;
}

/** A venue-service instance, not yet listening. */
export interface VenueApp {
  release: Release;
  server: Server;
  metrics: VenueMetrics;
  config: ServiceConfigResult;
  listen(port: number, host?: string): Promise<{ host: string; port: number; url: string }>;
  /** Stops accepting connections, lets in-flight requests finish (up to timeoutMs), stops the leak. */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void>;
interface Route {
  /** The label in metrics: the pattern, never the raw path, to keep series few. */
  pattern: string;
  regex: RegExp;
  methods: Record<string, Handler>;
  /** Release faults (errors, latency) and config checks apply; health and metrics stay honest. */
  api: boolean;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const HEALTH_DB_TIMEOUT_MS = 800;

/** Builds the venue-service HTTP server for one release; `listen` starts it (tests use port 0). */
export function createApp(opts: VenueAppOptions): VenueApp {
  const release = typeof opts.release === 'string' ? findRelease(opts.release) : opts.release;
  const log = opts.log ?? silentLogger;
  const config = readServiceConfig(opts.env ?? process.env);
  const metrics = createMetrics();
  const store = new VenueStore(opts.db, release.venueColumns);
  const errors = new ShareInjector(opts.errorRate ?? release.behaviour.errorRate ?? 0);
  const flag = opts.featureNewPricing;
  const newPricing = typeof flag === 'function' ? flag : () => flag === true;
  const pricingErrors = new ShareInjector(release.newPricingErrorRate);
  const cacheHeader: Record<string, string> = config.ok
    ? { 'cache-control': `max-age=${config.config.VENUE_CACHE_TTL_SECONDS}` }
    : {};
  let closing = false;
  let leak: ReturnType<typeof startLeak> | undefined;

  const withPricing = (v: VenueRow): Record<string, unknown> => {
    if (!newPricing() || !config.ok) return v;
    return { ...v, pricing: priceFor(v, config.config.VENUE_PRICING_MODE) };
  };
  const failPricing = (): void => {
    if (newPricing() && pricingErrors.next()) throw new HttpError(500, { error: 'pricing failed' });
  };

  const health: Handler = async (_req, res) => {
    const db = await dbReachable(opts.db);
    const ok = db && config.ok;
    const body: Record<string, unknown> = {
      status: ok ? 'ok' : 'unavailable',
      release: release.tag,
      db: db ? 'ok' : 'unreachable',
    };
    if (!config.ok) body.config = `invalid: ${config.invalidKey}`;
    sendJson(res, ok ? 200 : 503, body);
  };

  const list: Handler = async (_req, res, url) => {
    const q = parseOr400(ListQuery, Object.fromEntries(url.searchParams));
    const rows = await store.list(q.limit);
    failPricing();
    sendJson(res, 200, rows.map(withPricing), cacheHeader);
  };

  const get: Handler = async (_req, res, _url, [rawId]) => {
    const id = parseOr400(VenueId, rawId, 'id');
    const row = await store.get(id);
    if (!row) throw new HttpError(404, { error: 'venue not found', id });
    failPricing();
    sendJson(res, 200, withPricing(row), cacheHeader);
  };

  const create: Handler = async (req, res) => {
    const input = parseOr400(NewVenue, await readJsonBody(req));
    const row = await store.insert(input);
    sendJson(res, 201, row, { location: `/api/venues/${row.id}` });
  };

  const metricsRoute: Handler = async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(text);
  };

  // Order matters: /api/venues/health before /api/venues/:id.
  const routes: Route[] = [
    { pattern: '/api/venues/health', regex: /^\/api\/venues\/health$/, methods: { GET: health }, api: false },
    { pattern: '/api/venues', regex: /^\/api\/venues\/?$/, methods: { GET: list, POST: create }, api: true },
    { pattern: '/api/venues/:id', regex: /^\/api\/venues\/([^/]+)$/, methods: { GET: get }, api: true },
    { pattern: '/metrics', regex: /^\/metrics$/, methods: { GET: metricsRoute }, api: false },
  ];

  // "Handlers take 1.8x as long" must hold for the whole request, not only the simulated part: the time spent
  // outside it (database, JSON, scheduling) is tracked as a moving average and scaled by the factor too.
  let overheadMs = 2;
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    let simulatedMs: number | undefined;
    const method = KNOWN_METHODS.has(req.method ?? '') ? (req.method as string) : 'OTHER';
    const url = new URL(req.url ?? '/', 'http://venue-service');
    let route: Route | undefined;
    let params: string[] = [];
    for (const r of routes) {
      const m = r.regex.exec(url.pathname);
      if (m) {
        route = r;
        params = m.slice(1);
        break;
      }
    }
    res.setHeader('x-venue-version', release.tag);
    if (closing) res.setHeader('connection', 'close');
    res.on('finish', () => {
      const labels = { method, route: route?.pattern ?? 'unmatched', status: String(res.statusCode) };
      metrics.requests.inc(labels);
      const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
      metrics.duration.observe(labels, totalMs / 1000);
      if (simulatedMs !== undefined) overheadMs += 0.05 * (Math.max(0, totalMs - simulatedMs) - overheadMs);
    });

    const run = async (): Promise<void> => {
      if (!route) throw new HttpError(404, { error: 'not found' });
      const handler = route.methods[method];
      if (!handler) {
        res.setHeader('allow', Object.keys(route.methods).join(', '));
        throw new HttpError(405, { error: 'method not allowed' });
      }
      if (route.api) {
        if (!config.ok) throw new HttpError(503, { error: `config invalid: ${config.invalidKey}` });
        const factor = release.behaviour.latencyFactor ?? 1;
        simulatedMs = simulatedWorkMs(release.baseLatencyMs, factor) + (factor - 1) * overheadMs;
        await simulateWork(simulatedMs);
        if (errors.next()) throw new HttpError(500, { error: 'internal error' });
        if (release.behaviour.logErrors) logSwallowedError(log, method, route.pattern);
      }
      await handler(req, res, url, params);
    };
    run().catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendJson(res, err.status, err.body);
        return;
      }
      log('error', 'request failed', { method, route: route?.pattern, error: errorMessage(err) });
      sendJson(res, 500, { error: 'internal error' });
    });
  });

  return {
    release,
    server,
    metrics,
    config,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          if (release.behaviour.leak) leak = startLeak(release.behaviour.leak);
          const addr = server.address() as AddressInfo;
          const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
          resolve({ host: addr.address, port: addr.port, url: `http://${h}:${addr.port}` });
        });
      }),
    close: async ({ timeoutMs = 8000 } = {}) => {
      closing = true;
      leak?.stop();
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // server.close() drops only the keep-alive connections idle at that moment; those whose request was in
      // flight go idle later and would hold the exit for keepAliveTimeout, so sweep until all are gone.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(force);
    },
  };
}

/** `select 1` within the probe's budget; a hung database counts as unreachable. */
async function dbReachable(db: Knex): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), HEALTH_DB_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      db.raw('select 1').then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Parses with `schema` or throws 400 naming the offending field. */
function parseOr400<S extends z.ZodType>(schema: S, value: unknown, field?: string): z.output<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  const name = field ?? (issue?.path.map(String).join('.') || 'body');
  throw new HttpError(400, {
    error: `invalid field: ${name}`,
    field: name,
    message: issue?.message ?? 'invalid',
  });
}

function errorMessage(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

/**
 * v1.2.9's fault: a caught exception logged (with its stack, as pino does) on every API request while the answer stays
 * correct, the kind of release only its logs give away (the `logs` verification item).
 */
function logSwallowedError(log: Logger, method: string, route: string): void {
  const err = new TypeError("Cannot read properties of undefined (reading 'seatMap')");
  log('error', 'venue enrichment failed', { method, route, error: err.message, stack: err.stack });
}
