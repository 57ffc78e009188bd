/**
 * A silent API server with the default request timeout (issue 26, hole 0). The server accepts TCP connections
 * and never completes the TLS handshake (a hung API server, a load balancer with a dead backend). With
 * `kube.requestTimeout` at 20 s every command exited 4; with the default 30 s they printed nothing and were
 * still running after 150 s: Node's AbortSignal.timeout() holds its signal weakly, and a garbage collection
 * while node-fetch waited on the socket dropped the deadline (src/adapters/http/deadline-signal.ts). Each command
 * must end at its deadline, exit 4, naming the server, with nothing written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ripcord } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ripcord-silent-'));
const sockets = new Set<Socket>();
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(
    join(dir, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: c, cluster: { server: '${url}', insecure-skip-tls-verify: true } }]`,
      'users: [{ name: u, user: { token: not-a-real-token } }]',
      'contexts: [{ name: x, context: { cluster: c, user: u, namespace: default } }]',
      'current-context: x',
      '',
    ].join('\n'),
  );
  // No requestTimeout: the default (30 s) is what a new user gets.
  writeFileSync(
    join(dir, 'ripcord.yaml'),
    [
      'version: 1',
      `journal: { driver: sqlite, path: ${join(dir, 'journal.db')} }`,
      'services:',
      '  venue-service:',
      `    kube: { namespace: default, kubeconfig: ${join(dir, 'kubeconfig')} }`,
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('a silent API server with the default 30 s request timeout', () => {
  it('status, history, plan and rollback each exit 4 at the deadline naming the server; no run is journaled', async () => {
    const config = join(dir, 'ripcord.yaml');
    const t0 = Date.now();
    const results = await Promise.all(
      [
        ['status', 'venue-service'],
        ['history', 'venue-service'],
        ['plan', 'venue-service'],
        ['rollback', 'venue-service', '--yes'],
      ].map(async (args) => ({
        args,
        r: await ripcord(['--config', config, ...args], {}, 90_000),
        at: Date.now() - t0,
      })),
    );
    for (const { args, r, at } of results) {
      const what = `ripcord ${args.join(' ')} (${at} ms): ${r.stdout}${r.stderr}`;
      expect(r.code, what).toBe(4);
      expect(r.stderr, what).toContain(`the Kubernetes API server ${url} did not answer within 30s`);
      // The default deadline was honoured: not earlier (a shorter timeout), and not much later (a lost one).
      expect(at, what).toBeGreaterThanOrEqual(29_000);
      expect(at, what).toBeLessThan(60_000);
    }
    const runs = await ripcord(['--config', config, 'runs', '-o', 'json']);
    expect(JSON.parse(runs.stdout)).toEqual([]);
  }, 120_000);
});
