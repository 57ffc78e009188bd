import { CoreV1Api, makeInformer, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { KubeletLog } from './log.js';

/** Delay before re-listing and re-watching after the watch failed (API server restarting, say). */
const RECONNECT_MS = 2000;

export interface PodCache {
  list(): readonly V1Pod[];
  stop(): Promise<void>;
}

/**
 * A pod informer (list + watch, kept in memory) that reconnects on its own: the client's informer stops
 * on an error, so it is restarted after a pause. `changed` is called for every add, update and delete.
 * Resolves once the first list has been loaded.
 */
export async function startPodInformer(
  kc: KubeConfig,
  namespace: string | undefined,
  changed: () => void,
  log: KubeletLog,
): Promise<PodCache> {
  const core = kc.makeApiClient(CoreV1Api);
  const path = namespace ? `/api/v1/namespaces/${namespace}/pods` : '/api/v1/pods';
  const list = namespace ? () => core.listNamespacedPod({ namespace }) : () => core.listPodForAllNamespaces();
  const informer = makeInformer<V1Pod>(kc, path, list);
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let lastError: unknown;
  informer.on('add', changed);
  informer.on('update', changed);
  informer.on('delete', changed);
  informer.on('error', (err: unknown) => {
    lastError = err;
    if (stopped || retry) return;
    log(`pod watch failed (${(err as Error)?.message ?? String(err)}); reconnecting in ${RECONNECT_MS} ms`);
    retry = setTimeout(() => {
      retry = undefined;
      if (!stopped) void informer.start();
    }, RECONNECT_MS);
  });
  await informer.start();
  if (lastError) {
    stopped = true;
    if (retry) clearTimeout(retry);
    await informer.stop();
    throw new Error(`cannot list pods: ${(lastError as Error).message ?? String(lastError)}`);
  }
  return {
    list: () => informer.list(),
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      await informer.stop();
    },
  };
}
