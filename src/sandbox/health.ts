/**
 * Is every part of a sandbox doing its job, not merely running? Each part is asked the way its own operators
 * ask it: the API server's `/readyz` (which includes etcd), PostgreSQL `SELECT 1`, Prometheus' and
 * Alertmanager's `/-/ready`, Unleash's `/health`, the Node's Ready condition and heartbeat age (the kubelet),
 * and a TCP connect to one of the router's listeners. The e2e watchdog (test/support/sandbox-watchdog.ts) and
 * `ripcord sandbox status` use it; a dead part is named with the tail of its log.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { pgDriver } from '../adapters/postgres/lazy-drivers.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { httpsGet } from './control-plane/https-get.js';
import { DEFAULT_NODE_NAME } from './kubelet/kubelet.js';
import { isAlive } from './process.js';
import { readRoutes } from './router/routes.js';
import { readState, sandboxPaths, type SandboxState } from './state.js';

export interface PartHealth {
  name: string;
  ok: boolean;
  /** What was asked and what it answered, one line. */
  detail: string;
  /** The part's log file, when the sandbox started it as a process. */
  log?: string;
}

/** The Node's heartbeat is refreshed every 10 s; three missed beats mean the kubelet is not doing its work. */
export const HEARTBEAT_STALE_MS = 40_000;
const PROBE_TIMEOUT_MS = 3_000;

const Kubeconfig = z.object({
  clusters: z.array(z.object({ cluster: z.object({ 'certificate-authority': z.string() }) })).min(1),
  users: z.array(z.object({ user: z.object({ token: z.string() }) })).min(1),
});

const NodeStatus = z.object({
  status: z.object({
    conditions: z
      .array(z.object({ type: z.string(), status: z.string(), lastHeartbeatTime: z.string().nullish() }))
      .nullish(),
  }),
});

/** Every part of the sandbox in `dir`, probed in parallel; undefined when no sandbox was started there. */
export async function checkSandboxHealth(
  dir: string,
  now = () => Date.now(),
): Promise<PartHealth[] | undefined> {
  const state = readState(dir);
  if (!state) return undefined;
  const probes = probesFor(state, now);
  return Promise.all(
    state.processes.map(async (p): Promise<PartHealth> => {
      if (!isAlive(p.pid))
        return { name: p.name, ok: false, detail: `process ${p.pid} is not running`, log: p.log };
      const probe = probes[p.name];
      if (!probe) return { name: p.name, ok: true, detail: `process ${p.pid} running`, log: p.log };
      try {
        return { name: p.name, ok: true, detail: await probe(), log: p.log };
      } catch (err) {
        return { name: p.name, ok: false, detail: (err as Error).message, log: p.log };
      }
    }),
  );
}

/** The last `lines` lines of a part's log ('' when it cannot be read). */
export function logTail(file: string | undefined, lines = 20): string {
  if (!file) return '';
  try {
    const text = readFileSync(file, 'utf8');
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** One probe per part name; each resolves to a one-line detail or throws saying what went wrong. */
function probesFor(state: SandboxState, now: () => number): Record<string, () => Promise<string>> {
  const api = apiAccess(state);
  const httpReady = (url: string | undefined, path: string) => async () => {
    if (!url) throw new Error('no URL recorded in the sandbox state');
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch(
      (err: unknown) => {
        throw new Error(`GET ${url}${path}: ${causeText(err)}`);
      },
    );
    if (res.status !== 200) throw new Error(`GET ${url}${path} answered ${res.status}`);
    return `GET ${path} 200`;
  };
  return {
    'kube-apiserver': async () => {
      const r = await httpsGet(`${state.kube.server}/readyz`, { ...api, timeoutMs: PROBE_TIMEOUT_MS });
      if (r.status !== 200) throw new Error(`GET /readyz answered ${r.status}: ${r.body.trim().slice(-200)}`);
      return 'GET /readyz 200';
    },
    etcd: async () => {
      const r = await httpsGet(`${state.kube.server}/readyz/etcd`, { ...api, timeoutMs: PROBE_TIMEOUT_MS });
      if (r.status !== 200) throw new Error(`the API server's etcd check answered ${r.status}`);
      return 'the API server reaches it (/readyz/etcd 200)';
    },
    postgres: () => selectOne(state.postgres?.url),
    prometheus: httpReady(state.prometheus?.url, '/-/ready'),
    alertmanager: httpReady(state.alertmanager?.url, '/-/ready'),
    unleash: httpReady(state.unleash?.url, '/health'),
    argocd: httpReady(state.argocd?.url, '/api/version'),
    kubelet: async () => {
      const r = await httpsGet(`${state.kube.server}/api/v1/nodes/${DEFAULT_NODE_NAME}`, {
        ...api,
        timeoutMs: PROBE_TIMEOUT_MS,
      });
      if (r.status !== 200) throw new Error(`GET node ${DEFAULT_NODE_NAME} answered ${r.status}`);
      const ready = NodeStatus.parse(JSON.parse(r.body)).status.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True')
        throw new Error(`node ${DEFAULT_NODE_NAME} is not Ready (${ready?.status})`);
      const age = now() - Date.parse(ready.lastHeartbeatTime ?? '');
      if (!(age <= HEARTBEAT_STALE_MS)) {
        throw new Error(`node ${DEFAULT_NODE_NAME}'s last heartbeat is ${Math.round(age / 1000)} s old`);
      }
      return `node Ready, heartbeat ${Math.round(age / 1000)} s ago`;
    },
    router: async () => {
      const routes = Object.entries(readRoutes(sandboxPaths(state.dir).routes));
      const first = routes[0];
      if (!first) return 'running, no Service routed yet';
      await tcpConnect(first[1].url);
      return `${routes.length} Services routed; ${first[0]} accepts connections`;
    },
  };
}

/** The CA file and admin token of the sandbox's kubeconfig, for plain HTTPS probes. */
function apiAccess(state: SandboxState): { ca?: string; token?: string } {
  try {
    const kc = Kubeconfig.parse(parseYaml(readFileSync(state.kube.kubeconfig, 'utf8')));
    return {
      ca: readFileSync(kc.clusters[0]!.cluster['certificate-authority'], 'utf8'),
      token: kc.users[0]!.user.token,
    };
  } catch {
    return {};
  }
}

async function selectOne(url: string | undefined): Promise<string> {
  if (!url) throw new Error('no URL recorded in the sandbox state');
  const client = new (pgDriver().Client)({
    connectionString: url,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'SELECT 1 answered';
  } catch (err) {
    // pg's messages carry no password; the URL is not repeated.
    throw new Error(`SELECT 1 failed: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function tcpConnect(url: string): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(new Error(`connect to ${u.host} timed out`)));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => reject(new Error(`connect to ${u.host}: ${err.message}`)));
  });
}

function causeText(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
