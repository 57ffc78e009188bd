/**
 * TEST DOUBLE of a ticket system's incoming JSON webhook (any receiver of `ripcord.notification/v1`): records
 * every JSON body and its headers, answers 200 `{"ok":true}`, 400 for a body that is not JSON, and injected
 * faults N times. No particular product: the generic webhook is Ripcord's own documented format.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerFault, FaultQueue, readBody, type Fault } from './http-double-faults.js';

export interface WebhookDouble {
  url: string;
  received: Array<{ path: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }>;
  requests: Array<{ status: number; at: number }>;
  fail(f: Fault): void;
  close(): Promise<void>;
}

export async function startWebhookDouble(): Promise<WebhookDouble> {
  const faults = new FaultQueue();
  const received: WebhookDouble['received'] = [];
  const requests: WebhookDouble['requests'] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const fault = faults.take();
      if (fault) {
        requests.push({ status: fault.status, at: Date.now() });
        await answerFault(res, fault, () => ({
          body: '{"error":"injected"}',
          contentType: 'application/json',
        }));
        return;
      }
      try {
        received.push({
          path: req.url ?? '/',
          headers: req.headers,
          body: JSON.parse(raw) as Record<string, unknown>,
        });
      } catch {
        requests.push({ status: 400, at: Date.now() });
        res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"not json"}');
        return;
      }
      requests.push({ status: 200, at: Date.now() });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${Math.random().toString(36).slice(2, 12)}`;
  return {
    url,
    received,
    requests,
    fail: (f) => faults.add(f),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
