/**
 * The kubelet's HTTPS endpoint for container logs, the one kube-apiserver proxies `pods/log` (`kubectl logs`)
 * to: `GET /containerLogs/{namespace}/{pod}/{container}` with PodLogOptions as query parameters. Status codes
 * and messages follow pkg/kubelet/server/server.go (v1.20): 400 for a query that does not decode, 422 for
 * invalid options, 404 for an unknown pod or container, 400 when the container has no log to show (waiting,
 * no previous instance).
 *
 * Authentication is by client certificate signed by the sandbox CA (the apiserver's
 * `--kubelet-client-certificate`); authorization admits the apiserver's identity (kubeadm's CN, or a member
 * of system:masters) where a real kubelet would ask the API (SubjectAccessReview on nodes/proxy).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { KUBELET_CLIENT_CN } from '../control-plane/pki.js';
import { followContainerLog, readContainerLog, type LogReadOptions } from './container-logs.js';
import type { LogSource } from './container-runtime.js';
import type { KubeletLog } from './log.js';

export interface KubeletTls {
  /** Serving certificate and key (PEM files). */
  cert: string;
  key: string;
  /** CA whose client certificates are accepted (`--client-ca-file`). */
  clientCa: string;
}

/** What the server asks the kubelet: the log source of a pod's container (see PodWorker.logSource). */
export type LogLookup = (
  namespace: string,
  pod: string,
  container: string,
  previous: boolean,
) => LogSource | 'no-such-pod' | 'no-such-container';

export interface PodLogOptions extends LogReadOptions {
  follow: boolean;
  previous: boolean;
}

/** A query that does not decode (400) or does not validate (422), with the kubelet's body. */
export class LogQueryError extends Error {
  constructor(
    readonly status: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** Go's conversion of a query value to bool: absent is false, "0"/"false" (any case) false, anything else true. */
function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
}

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw new LogQueryError(400, '{"message": "Unable to decode query."}');
  return Number(v);
}

/** PodLogOptions from the query, decoded and validated as the kubelet does; `now` anchors sinceSeconds. */
export function parseLogQuery(q: URLSearchParams, now = Date.now()): PodLogOptions {
  const query = new URLSearchParams(q);
  // Backwards compatibility with the "tail" parameter; "all" is the same as omitting it.
  const tail = query.get('tail');
  if (tail) {
    if (tail === 'all') query.delete('tailLines');
    else query.set('tailLines', tail);
  }
  const tailLines = int(query, 'tailLines');
  const limitBytes = int(query, 'limitBytes');
  const sinceSeconds = int(query, 'sinceSeconds');
  const sinceTimeRaw = query.get('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeRaw !== null && sinceTimeRaw !== '') {
    // metav1.Time decodes RFC 3339 (seconds, optional fraction).
    const m = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTimeRaw);
    sinceTime = m ? Date.parse(sinceTimeRaw) : NaN;
    if (Number.isNaN(sinceTime)) throw new LogQueryError(400, '{"message": "Unable to decode query."}');
  }
  const invalid =
    (tailLines !== undefined && tailLines < 0) ||
    (limitBytes !== undefined && limitBytes < 1) ||
    (sinceSeconds !== undefined && sinceTime !== undefined) ||
    (sinceSeconds !== undefined && sinceSeconds < 1);
  if (invalid) throw new LogQueryError(422, '{"message": "Invalid request."}');
  // kuberuntime's NewLogOptions: the later of sinceSeconds and sinceTime.
  const since = sinceSeconds !== undefined ? now - sinceSeconds * 1000 : sinceTime;
  return {
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(since !== undefined ? { since: new Date(since) } : {}),
    timestamps: bool(query, 'timestamps'),
    follow: bool(query, 'follow'),
    previous: bool(query, 'previous'),
  };
}

function fail(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}

function authorize(req: IncomingMessage, res: ServerResponse): boolean {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) {
    fail(res, 401, 'Unauthorized');
    return false;
  }
  const subject = socket.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
  const cn = [subject?.CN ?? []].flat()[0] ?? '';
  const groups = [subject?.O ?? []].flat();
  if (cn !== KUBELET_CLIENT_CN && !groups.includes('system:masters')) {
    fail(res, 403, `Forbidden (user=${cn}, verb=get, resource=nodes, subresource=proxy)`);
    return false;
  }
  return true;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  lookup: LogLookup,
  log: KubeletLog,
): Promise<void> {
  if (!authorize(req, res)) return;
  const url = new URL(req.url ?? '/', 'https://kubelet');
  const parts = url.pathname.split('/').slice(1);
  if (parts[0] !== 'containerLogs' || req.method !== 'GET') {
    fail(res, 404, '404 page not found');
    return;
  }
  const [namespace = '', pod = '', container = ''] = parts.slice(1).map(decodeURIComponent);
  if (!pod) return fail(res, 400, '{"message": "Missing podID."}');
  if (!container) return fail(res, 400, '{"message": "Missing container name."}');
  if (!namespace) return fail(res, 400, '{"message": "Missing podNamespace."}');
  let opts: PodLogOptions;
  try {
    opts = parseLogQuery(url.searchParams);
  } catch (err) {
    if (err instanceof LogQueryError) return fail(res, err.status, err.message);
    throw err;
  }
  const source = lookup(namespace, pod, container, opts.previous);
  if (source === 'no-such-pod') return fail(res, 404, `pod "${pod}" does not exist`);
  if (source === 'no-such-container')
    return fail(res, 404, `container "${container}" not found in pod "${pod}"`);
  if ('error' in source) return fail(res, 400, source.error);
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  if (!opts.follow) {
    res.end(readContainerLog(source.file, opts));
    return;
  }
  const closed = new AbortController();
  res.on('close', () => closed.abort());
  try {
    await followContainerLog(source.file, opts, (c) => res.write(c), source.running, closed.signal);
  } catch (err) {
    log(`following ${namespace}/${pod}/${container} failed: ${(err as Error).message}`);
  }
  res.end();
}

/** Starts the log endpoint on 127.0.0.1 (a free port); the port goes into the Node's daemonEndpoints. */
export async function startLogServer(
  tls: KubeletTls,
  lookup: LogLookup,
  log: KubeletLog,
): Promise<{ port: number; stop(): Promise<void> }> {
  const server: Server = createServer(
    {
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
      ca: readFileSync(tls.clientCa),
      requestCert: true,
      // Checked per request instead, so an unauthenticated client gets the kubelet's 401, not a TLS alert.
      rejectUnauthorized: false,
    },
    (req, res) => {
      handle(req, res, lookup, log).catch((err: unknown) => {
        log(`log endpoint: ${req.url}: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) fail(res, 500, (err as Error).message);
        else res.destroy();
      });
    },
  );
  await new Promise<void>((ok, no) => {
    server.once('error', no);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', no);
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    stop: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
