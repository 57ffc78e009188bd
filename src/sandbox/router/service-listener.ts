import { once } from 'node:events';
import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint } from './endpoints.js';
import { errorText, type RouterLog } from './router-log.js';
import { chooseDestination, type MirrorChoice, type TrafficPlan } from './traffic-plan.js';

/** A local HTTP listener standing in for one Service port (what kube-proxy does for a ClusterIP:port). */
export interface ServiceListener {
  readonly port: number;
  readonly url: string;
  /** Swaps the routing for the next requests; requests already in flight keep their endpoint. */
  setPlan(plan: TrafficPlan): void;
  close(): Promise<void>;
}

export interface ServiceListenerOptions {
  plan: TrafficPlan;
  log: RouterLog;
  host?: string;
  /** Uniform in [0, 1); replaceable so weighted splits can be tested exactly. */
  random?: () => number;
}

/** Response header naming the pod that answered, so tests and demos can see where traffic went. */
export const POD_HEADER = 'x-sandbox-pod';

// Connection-scoped headers (RFC 9110 §7.6.1) belong to one hop and must not be forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  }
  return out;
}

/** A request is only replayed when nothing of it was consumed: idempotent method and no body. */
function replayable(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
  return (req.method === 'GET' || req.method === 'HEAD') && !hasBody;
}

function sendError(res: ServerResponse, status: 404 | 502 | 503, body: string, pod?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: OutgoingHttpHeaders = {
    'content-type': 'text/plain; charset=utf-8',
    'x-sandbox-router': 'error',
  };
  if (pod) headers[POD_HEADER] = pod;
  res.writeHead(status, headers);
  res.end(`sandbox router: ${body}\n`);
}

/** Opens a listener on `host` at a port the OS picks (no probe-then-bind race). */
export async function openServiceListener(opts: ServiceListenerOptions): Promise<ServiceListener> {
  let plan = opts.plan;
  const random = opts.random ?? Math.random;
  const host = opts.host ?? '127.0.0.1';
  // No keep-alive upstream: a pod that goes away must not leave pooled sockets that fail the next request.
  const agent = new Agent({ keepAlive: false });
  const turns = new Map<string, number>();

  const nextIndex = (key: string, count: number): number => {
    const n = turns.get(key) ?? 0;
    turns.set(key, n + 1);
    return n % count;
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    endpoints: Endpoint[],
    index: number,
    retries: number,
  ): void => {
    const ep = endpoints[index % endpoints.length];
    if (!ep) return sendError(res, 503, `no ready endpoints for ${plan.target}`);
    const headers = forwardable(req.headers);
    const from = req.socket.remoteAddress ?? '127.0.0.1';
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior ? `${String(prior)}, ${from}` : from;
    const up = request({ host: ep.ip, port: ep.port, method: req.method, path: req.url, headers, agent });
    let answered = false;
    const onClientGone = (): void => {
      if (!res.writableFinished) up.destroy();
    };
    res.once('close', onClientGone);
    up.on('response', (upRes) => {
      answered = true;
      const out = forwardable(upRes.headers);
      out[POD_HEADER] = ep.pod;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
      upRes.on('error', () => res.destroy());
      upRes.pipe(res);
    });
    up.on('error', (err) => {
      if (answered) {
        res.destroy();
        return;
      }
      res.off('close', onClientGone);
      if (res.destroyed) return;
      if (retries > 0 && endpoints.length > 1) {
        opts.log('warn', 'upstream failed, retrying on another endpoint', {
          target: plan.target,
          pod: ep.pod,
          error: errorText(err),
        });
        forward(req, res, endpoints, index + 1, retries - 1);
        return;
      }
      opts.log('warn', 'upstream failed', { target: plan.target, pod: ep.pod, error: errorText(err) });
      sendError(
        res,
        502,
        `upstream pod ${ep.pod} (${ep.ip}:${ep.port}) of ${plan.target} failed: ${errorText(err)}`,
        ep.pod,
      );
    });
    if (replayable(req)) {
      req.resume();
      up.end();
    } else {
      req.pipe(up);
    }
  };

  /**
   * Envoy's request mirroring, as Istio and Gateway API implementations configure it: a copy of the request
   * (body included) to one endpoint of the mirror, its Host suffixed "-shadow", fire and forget — the
   * answer and any failure are dropped and never delay the real request.
   */
  const mirror = (req: IncomingMessage, m: MirrorChoice): void => {
    const ep = m.endpoints[nextIndex(`mirror:${m.key}`, m.endpoints.length)];
    if (!ep) return;
    const headers = forwardable(req.headers);
    if (typeof headers.host === 'string') headers.host = `${headers.host}-shadow`;
    const copy = request({ host: ep.ip, port: ep.port, method: req.method, path: req.url, headers, agent });
    copy.on('response', (r) => r.resume());
    copy.on('error', (err) =>
      opts.log('debug', 'mirror failed', { target: plan.target, mirror: m.key, error: errorText(err) }),
    );
    if (replayable(req)) copy.end();
    else req.pipe(copy);
  };

  const server = createServer((req, res) => {
    const choice = chooseDestination(plan, random(), {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
    });
    if (!choice.ok) {
      // Drain any body so the client connection stays usable.
      req.resume();
      sendError(res, choice.status ?? 503, choice.reason);
      return;
    }
    for (const m of choice.mirrors ?? []) if (random() * 100 < m.percent) mirror(req, m);
    const canRetry = replayable(req);
    forward(req, res, choice.endpoints, nextIndex(choice.key, choice.endpoints.length), canRetry ? 1 : 0);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;

  return {
    port,
    url,
    setPlan(next) {
      plan = next;
    },
    async close() {
      const closed = once(server, 'close');
      server.close();
      // Keep-alive connections would hold the port open; a deleted Service must stop answering now.
      server.closeAllConnections();
      await closed;
      agent.destroy();
    },
  };
}
