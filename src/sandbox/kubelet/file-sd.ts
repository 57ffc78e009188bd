import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { writeJsonAtomic } from '../state.js';

/**
 * Prometheus file_sd targets, one file per Running pod: `<targetsDir>/<namespace>_<pod>.json`. This is the
 * sandbox's stand-in for Prometheus' kubernetes_sd: the same labels a relabelled pod role would give
 * (namespace, pod, app, pod_template_hash) and the prometheus.io/path and /port annotations.
 * A pod annotated prometheus.io/scrape: "false" gets no file. A pod annotated
 * `ripcord.dev/scrape-pod-template-hash: "false"` gets no pod_template_hash target label: the pod scrape of
 * kube-prometheus and most Helm charts, whose releases are found through kube-state-metrics instead.
 */
export const NO_RELEASE_LABEL_ANNOTATION = 'ripcord.dev/scrape-pod-template-hash';
export type FileSdGroup = Array<{ targets: string[]; labels: Record<string, string> }>;

export function targetFile(targetsDir: string, namespace: string, pod: string): string {
  return join(targetsDir, `${namespace}_${pod}.json`);
}

/** The file_sd content for `pod` at `podIP`, or undefined when it opted out of scraping. */
export function fileSdGroup(pod: V1Pod, podIP: string): FileSdGroup | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations['prometheus.io/scrape'] === 'false') return undefined;
  const labels = pod.metadata?.labels ?? {};
  const firstPort = pod.spec?.containers.flatMap((c) => c.ports ?? [])[0]?.containerPort;
  // Without a declared port the container got PORT=8080 from the kubelet, so that is where it listens.
  const port = annotations['prometheus.io/port'] ?? String(firstPort ?? 8080);
  return [
    {
      targets: [`${podIP}:${port}`],
      labels: {
        namespace: pod.metadata?.namespace ?? '',
        pod: pod.metadata?.name ?? '',
        app: labels.app ?? '',
        ...(annotations[NO_RELEASE_LABEL_ANNOTATION] === 'false'
          ? {}
          : { pod_template_hash: labels['pod-template-hash'] ?? '' }),
        __metrics_path__: annotations['prometheus.io/path'] ?? '/metrics',
      },
    },
  ];
}

/** Writes and removes target files, touching the disk only on change (Prometheus re-reads on write). */
export class FileSdWriter {
  private readonly written = new Map<string, string>();

  constructor(private readonly targetsDir: string) {
    mkdirSync(targetsDir, { recursive: true });
  }

  /** Files a previous kubelet left; their pods are re-added when they run again. */
  clearStale(): void {
    if (!existsSync(this.targetsDir)) return;
    for (const f of readdirSync(this.targetsDir)) {
      if (/^[^_]+_.+\.json(\.tmp)?$/.test(f)) rmSync(join(this.targetsDir, f), { force: true });
    }
  }

  /** The target file for `pod`: present while `running`, absent otherwise. */
  sync(pod: V1Pod, podIP: string, running: boolean): void {
    const file = targetFile(this.targetsDir, pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
    const group = running ? fileSdGroup(pod, podIP) : undefined;
    if (!group) {
      this.remove(file);
      return;
    }
    const json = JSON.stringify(group);
    if (this.written.get(file) === json) return;
    writeJsonAtomic(file, group);
    this.written.set(file, json);
  }

  removePod(namespace: string, name: string): void {
    this.remove(targetFile(this.targetsDir, namespace, name));
  }

  private remove(file: string): void {
    if (!this.written.has(file) && !existsSync(file)) return;
    rmSync(file, { force: true });
    this.written.delete(file);
  }
}
