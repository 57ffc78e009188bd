/**
 * Silent API servers with the default request timeout (issue 26, hole 0). The first accepts TCP connections
 * and never completes the TLS handshake (a hung API server, a load balancer with a dead backend): as with
 * kubectl, the handshake ends at 10 s ("TLS handshake timeout"). The second completes the handshake and never
 * answers: the request deadline (30 s by default) ends it. With `kube.requestTimeout` at 20 s every command
 * exited 4; with the default 30 s they printed nothing and were still running after 150 s: Node's
 * AbortSignal.timeout() holds its signal weakly, and a garbage collection while node-fetch waited on the socket
 * dropped the deadline (src/adapters/http/deadline-signal.ts). Each command must end at its bound, exit 4,
 * naming the server, with nothing written.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ripcord } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ripcord-silent-'));
const sockets = new Set<Socket>();
const servers: Server[] = [];

/** A ripcord.yaml (no requestTimeout: the default is what a new user gets) for a cluster at `url`. */
function writeConfig(name: string, url: string): string {
  const kubeconfig = join(dir, `${name}.kubeconfig`);
  writeFileSync(
    kubeconfig,
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
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    [
      'version: 1',
      `journal: { driver: sqlite, path: ${join(dir, `${name}.db`)} }`,
      'services:',
      '  venue-service:',
      `    kube: { namespace: default, kubeconfig: ${kubeconfig} }`,
      '',
    ].join('\n'),
  );
  return config;
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const hold = (s: Socket): void => {
  sockets.add(s);
  s.on('error', () => undefined);
};

let tcpUrl = '';
let tlsUrl = '';
beforeAll(async () => {
  tcpUrl = await listen(createServer(hold));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '1', '-subj', '/CN=127.0.0.1',
  ], { stdio: 'ignore' }); // prettier-ignore
  const tls = createTlsServer(
    { key: readFileSync(join(dir, 'tls.key')), cert: readFileSync(join(dir, 'tls.crt')) },
    hold,
  );
  tlsUrl = await listen(tls);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

const COMMANDS = [
  ['status', 'venue-service'],
  ['history', 'venue-service'],
  ['plan', 'venue-service'],
  ['rollback', 'venue-service', '--yes'],
];

describe('a silent API server with the default 30 s request timeout', () => {
  it('no TLS handshake: status, history, plan and rollback each exit 4 at 10 s naming the server and the handshake', async () => {
    const config = writeConfig('tcp', tcpUrl);
    const t0 = Date.now();
    const results = await Promise.all(
      COMMANDS.map(async (args) => ({
        args,
        r: await ripcord(['--config', config, ...args], {}, 60_000),
        at: Date.now() - t0,
      })),
    );
    for (const { args, r, at } of results) {
      const what = `ripcord ${args.join(' ')} (${at} ms): ${r.stdout}${r.stderr}`;
      expect(r.code, what).toBe(4);
      expect(r.stderr, what).toContain(
        `the Kubernetes API server ${tcpUrl} did not complete the TLS handshake within 10s (TLS handshake timeout)`,
      );
      // kubectl's 10 s handshake bound: not earlier, and well before the 30 s request deadline.
      expect(at, what).toBeGreaterThanOrEqual(9_500);
      expect(at, what).toBeLessThan(29_000);
    }
    const runs = await ripcord(['--config', config, 'runs', '-o', 'json']);
    expect(JSON.parse(runs.stdout)).toEqual([]);
  }, 90_000);

  it('a handshake and then silence: status, history, plan and rollback each exit 4 at the 30 s deadline naming the server; no run is journaled', async () => {
    const config = writeConfig('tls', tlsUrl);
    const url = tlsUrl;
    const t0 = Date.now();
    const results = await Promise.all(
      COMMANDS.map(async (args) => ({
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
