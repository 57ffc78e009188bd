import { createServer, type Server } from 'node:http';
import type { ControllerMetrics } from './metrics.js';

export interface ControllerStatus {
  leading: boolean;
  identity: string;
  /** Why the controller cannot do its job right now (a watch without data, a watch that stopped); empty when fine. */
  problems: string[];
}

/**
 * `/metrics` (Prometheus text format) and `/healthz`: 200 `{ ok: true }` while every watch can judge, 503
 * `{ ok: false, reason }` when one cannot (so a probe or an alert sees a blind controller, not a healthy one).
 */
export async function startControllerServer(
  host: string,
  port: number,
  metrics: ControllerMetrics,
  status: () => ControllerStatus,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      } else if (req.url === '/healthz') {
        const st = status();
        const ok = st.problems.length === 0;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok, ...(ok ? {} : { reason: st.problems.join('; ') }), ...st }));
      } else {
        res.writeHead(404).end();
      }
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : port };
}
