import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../../src/sandbox/process.js';

/*
 * Stand-ins for what the sandbox kubelet does for a pod: a process listening on the pod's own loopback IP and
 * container port, and the pod's status (IP, phase, Ready) written through pods/status.
 */

/** A loopback /16 of its own per run, so parallel runs and the sandbox's pod network do not collide. */
export function podNetwork(): (n: number) => string {
  const a = 200 + Math.floor(Math.random() * 50);
  const b = 1 + Math.floor(Math.random() * 250);
  return (n) => `127.${a}.${b}.${n}`;
}

/** An HTTP server answering every request with `x-venue-version: version` and a JSON body naming the pod. */
export async function servePod(ip: string, port: number, pod: string, version: string): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.method === 'POST' ? 201 : 200, {
        'content-type': 'application/json',
        'x-venue-version': version,
      });
      res.end(JSON.stringify({ pod, port, path: req.url }));
    });
  });
  server.listen(port, ip);
  await once(server, 'listening');
  return server;
}

export interface FakePodSpec {
  name: string;
  labels: Record<string, string>;
  ip: string;
  ready?: boolean;
  ports?: Array<{ name: string; containerPort: number }>;
  /** Keeps the pod in "being deleted" after a delete, until the finalizer is removed. */
  holdOnDelete?: boolean;
}

export const HOLD_FINALIZER = 'ripcord.dev/test-hold';

/** Creates a plain Pod (never scheduled: nothing runs it) and gives it a Running status at `ip`. */
export async function createFakePod(core: CoreV1Api, namespace: string, spec: FakePodSpec): Promise<V1Pod> {
  const body: V1Pod = {
    metadata: {
      name: spec.name,
      labels: spec.labels,
      finalizers: spec.holdOnDelete ? [HOLD_FINALIZER] : undefined,
    },
    spec: {
      // A scheduler name nobody serves keeps a real scheduler or kubelet away from these fakes.
      schedulerName: 'ripcord-test-none',
      automountServiceAccountToken: false,
      containers: [
        {
          name: 'app',
          image: 'venue-service:fake',
          ports: spec.ports ?? [{ name: 'http', containerPort: 8080 }],
        },
      ],
    },
  };
  let created: V1Pod | undefined;
  // The namespace's default ServiceAccount appears a moment after the namespace; admission waits for it.
  await waitFor(
    `pod ${namespace}/${spec.name} to be created`,
    async () => {
      created = await core.createNamespacedPod({ namespace, body });
      return true;
    },
    30_000,
  );
  await setPodStatus(core, namespace, spec.name, spec.ip, spec.ready ?? true);
  return created as V1Pod;
}

/** Writes pods/status as a kubelet would: Running at `ip`, Ready True or False. */
export async function setPodStatus(
  core: CoreV1Api,
  namespace: string,
  name: string,
  ip: string,
  ready: boolean,
) {
  const pod = await core.readNamespacedPod({ name, namespace });
  const now = new Date();
  pod.status = {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '127.0.0.1',
    startTime: now,
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
      { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
    ],
  };
  await core.replaceNamespacedPodStatus({ name, namespace, body: pod });
}

/** Lets a held pod finish deleting. */
export async function releasePod(core: CoreV1Api, namespace: string, name: string): Promise<void> {
  const pod = await core.readNamespacedPod({ name, namespace });
  pod.metadata = {
    ...pod.metadata,
    finalizers: (pod.metadata?.finalizers ?? []).filter((f) => f !== HOLD_FINALIZER),
  };
  await core.replaceNamespacedPod({ name, namespace, body: pod });
}

/** Sends `n` requests one after another; counts answers by `x-sandbox-pod` (or `status-N` without it). */
export async function hits(
  url: string,
  n: number,
  init: { method?: string; path?: string; headers?: Record<string, string> } = {},
): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}${init.path ?? '/api/venues'}`, {
      method: init.method ?? 'GET',
      body: init.method === 'POST' ? '{"name":"x"}' : undefined,
      headers: {
        ...(init.method === 'POST' ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
    });
    await res.arrayBuffer();
    const key = res.status < 300 ? (res.headers.get('x-sandbox-pod') ?? 'no-pod') : `status-${res.status}`;
    seen[key] = (seen[key] ?? 0) + 1;
  }
  return seen;
}
