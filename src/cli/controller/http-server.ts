import { createServer, type Server } from 'node:http';
import type { ControllerMetrics } from './metrics.js';

/** `/metrics` (Prometheus text format) and `/healthz` (200 while the loop runs; says whether it leads). */
export async function startControllerServer(
  host: string,
  port: number,
  metrics: ControllerMetrics,
  status: () => { leading: boolean; identity: string },
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      } else if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, ...status() }));
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
