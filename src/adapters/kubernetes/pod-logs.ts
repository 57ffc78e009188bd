/**
 * Reads the recent log lines of every container of a set of pods through the API server (`pods/log`, what
 * `kubectl logs --tail N --since S` reads). One pod's failure never fails the others: it comes back as that
 * pod's `error` (the mapped RipcordError's message and kind), so a verification can say which pods it read.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { RipcordError, type ErrorKind } from '../../core/errors.js';
import type { PodLogRead } from '../../core/verify/log-errors.js';
import { kubeApis, type KubeApis } from './api-client.js';

export interface PodLogOptions {
  /** The last N lines of each container (kubectl --tail). */
  tailLines: number;
  /** Only lines of the last S seconds (kubectl --since). */
  sinceSeconds?: number;
  /** At most this many bytes per container (kubectl --limit-bytes); the last line may be cut. */
  limitBytes?: number;
  /** Read the previous (terminated) instance of each container instead (kubectl --previous). */
  previous?: boolean;
  /** Pods read at the same time. */
  concurrency?: number;
}

/** One container's lines, or why they could not be read; `kind` says whether retrying can help. */
export type PodLogResult = PodLogRead;

type LogApis = Pick<KubeApis, 'core' | 'call'>;

/** Lines of a log body: split at newlines, the empty string after the last newline dropped. */
export function splitLogLines(body: string): string[] {
  if (body === '') return [];
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function failure(pod: string, container: string, err: unknown): PodLogResult {
  const kind: ErrorKind | undefined = err instanceof RipcordError ? err.kind : undefined;
  return { pod, container, error: (err as Error).message ?? String(err), ...(kind ? { kind } : {}) };
}

/**
 * Reads each container of each pod in `namespace` (the pod is read first for its container names). Results
 * come in the order of `pods`, then of the containers in each pod's spec. `kc` is a kubeconfig (clients are
 * built with the default request deadline) or the API clients of a composition root.
 */
export async function readPodLogs(
  kc: KubeConfig | LogApis,
  namespace: string,
  pods: string[],
  opts: PodLogOptions,
): Promise<PodLogResult[]> {
  const apis: LogApis = kc instanceof KubeConfig ? kubeApis(kc) : kc;
  const readPod = async (pod: string): Promise<PodLogResult[]> => {
    let containers: string[];
    try {
      const p = await apis.call({ verb: 'get', resource: 'pods', namespace, name: pod }, () =>
        apis.core.readNamespacedPod({ name: pod, namespace }),
      );
      containers = (p.spec?.containers ?? []).map((c) => c.name);
    } catch (err) {
      return [failure(pod, '', err)];
    }
    return Promise.all(
      containers.map(async (container): Promise<PodLogResult> => {
        try {
          const body = await apis.call({ verb: 'get', resource: 'pods/log', namespace, name: pod }, () =>
            apis.core.readNamespacedPodLog({
              name: pod,
              namespace,
              container,
              tailLines: opts.tailLines,
              ...(opts.sinceSeconds !== undefined
                ? { sinceSeconds: Math.max(1, Math.ceil(opts.sinceSeconds)) }
                : {}),
              ...(opts.limitBytes !== undefined ? { limitBytes: opts.limitBytes } : {}),
              ...(opts.previous ? { previous: true } : {}),
            }),
          );
          return { pod, container, lines: splitLogLines(typeof body === 'string' ? body : String(body)) };
        } catch (err) {
          return failure(pod, container, err);
        }
      }),
    );
  };
  const out: PodLogResult[][] = new Array<PodLogResult[]>(pods.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pods.length) {
      const i = next++;
      out[i] = await readPod(pods[i] as string);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 4, pods.length));
  await Promise.all(Array.from({ length: n }, worker));
  return out.flat();
}
