/**
 * A kube-state-metrics stand-in for the sandbox: `kube_pod_labels` for every pod the kubelet's informer sees
 * (kube-state-metrics' docs/metrics/workload/pod-metrics.md: `kube_pod_labels{namespace, pod, uid,
 * label_<name>...} 1`, label names sanitized to [a-zA-Z0-9_] as its `--metric-labels-allowlist` output does;
 * here every pod label is allowed), and `kube_pod_owner{owner_kind, owner_name}`. Served on loopback, scraped
 * through a file_sd target of its own with no namespace or pod target labels, so the series keep theirs as
 * kube-state-metrics' scrape (honor_labels) does. Lets the e2e run a cluster whose pod scrape puts no
 * pod_template_hash on targets (file-sd.ts) and still find a release by joining on the pod.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { writeJsonAtomic } from '../state.js';

/**
 * The target file, one per kubelet (a kubelet may watch one namespace; several share the directory). Its name
 * has no `_`, so FileSdWriter.clearStale (one file per pod) leaves it alone.
 */
export const ksmTargetFile = (namespace: string | undefined): string =>
  `kube-state-metrics-${namespace ?? 'all'}.json`;

const sanitize = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, '_');
const value = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string>): string =>
  Object.entries(l)
    .map(([k, v]) => `${k}="${value(v)}"`)
    .join(',');

/** The exposition text (Prometheus text format 0.0.4) for `pods`. */
export function kubeStateMetricsText(pods: readonly V1Pod[]): string {
  const out = [
    '# HELP kube_pod_labels Kubernetes labels converted to Prometheus labels.',
    '# TYPE kube_pod_labels gauge',
  ];
  const owners = ["# HELP kube_pod_owner Information about the Pod's owner.", '# TYPE kube_pod_owner gauge'];
  for (const p of pods) {
    const id = {
      namespace: p.metadata?.namespace ?? '',
      pod: p.metadata?.name ?? '',
      uid: p.metadata?.uid ?? '',
    };
    const podLabels = Object.fromEntries(
      Object.entries(p.metadata?.labels ?? {}).map(([k, v]) => [`label_${sanitize(k)}`, v]),
    );
    out.push(`kube_pod_labels{${labels({ ...id, ...podLabels })}} 1`);
    for (const o of p.metadata?.ownerReferences ?? []) {
      owners.push(
        `kube_pod_owner{${labels({ ...id, owner_kind: o.kind, owner_name: o.name, owner_is_controller: String(o.controller ?? false) })}} 1`,
      );
    }
  }
  return `${[...out, ...owners].join('\n')}\n`;
}

/** Serves the pods `list()` returns on 127.0.0.1 and registers the target; stop() removes both. */
export async function startKubeStateMetrics(
  list: () => readonly V1Pod[],
  targetsDir: string,
  namespace?: string,
): Promise<{ port: number; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(kubeStateMetricsText(list()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const file = join(targetsDir, ksmTargetFile(namespace));
  writeJsonAtomic(file, [{ targets: [`127.0.0.1:${port}`], labels: { __metrics_path__: '/metrics' } }]);
  return {
    port,
    stop: async () => {
      rmSync(file, { force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
