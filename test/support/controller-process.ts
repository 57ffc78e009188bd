/** A `ripcord controller` replica as a child process, with its log and its /metrics + /healthz URL. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { adminKubeConfig, sandbox } from './sandbox.js';

export interface ControllerProcess {
  proc: ChildProcess;
  log: string[];
  url: () => string | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startControllerProcess(
  config: string,
  identity: string,
  leaseNamespace: string,
  opts: { env?: NodeJS.ProcessEnv; args?: string[] } = {},
): ControllerProcess {
  const log: string[] = [];
  const proc = spawn(
    process.execPath,
    [
      join(repoRoot(), 'bin', 'ripcord.js'),
      '--config',
      config,
      'controller',
      '--identity',
      identity,
      '--lease-namespace',
      leaseNamespace,
      '--lease-seconds',
      '4',
      '--listen',
      '127.0.0.1:0',
      ...(opts.args ?? []),
    ],
    {
      env: { ...process.env, KUBECONFIG: sandbox().kube.kubeconfig, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  proc.stderr?.on('data', (b: Buffer) => log.push(...b.toString().split('\n').filter(Boolean)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    log,
    exited,
    url: () => log.map((l) => /serving \/metrics and \/healthz on (http:\/\/\S+)/.exec(l)?.[1]).find(Boolean),
  };
}

export async function leaderLeaseHolder(ns: string): Promise<string | undefined> {
  const api = adminKubeConfig().makeApiClient(CoordinationV1Api);
  try {
    return (await api.readNamespacedLease({ name: 'ripcord-controller', namespace: ns })).spec
      ?.holderIdentity;
  } catch {
    return undefined;
  }
}

export async function healthz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** One sample of the controller's /metrics, e.g. `ripcord_leader` or `x_total{service="s"}`; 0 when absent. */
export async function metricValue(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
