import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';

/**
 * The scheduler's part: with one node there is nothing to choose, so every pending pod for the default
 * scheduler is bound to it. kube-system is left alone (nothing there is meant for the sandbox node), as
 * are pods naming another scheduler.
 */
export function needsBinding(pod: V1Pod): boolean {
  const scheduler = pod.spec?.schedulerName;
  return (
    !pod.spec?.nodeName &&
    !pod.metadata?.deletionTimestamp &&
    pod.metadata?.namespace !== 'kube-system' &&
    (pod.status?.phase ?? 'Pending') === 'Pending' &&
    (!scheduler || scheduler === 'default-scheduler')
  );
}

/**
 * Binds `pod` to `nodeName` through the pods/binding subresource, as kube-scheduler does (the API server
 * then sets spec.nodeName and condition PodScheduled). A pod already bound or gone is not an error.
 */
export async function bindPod(core: CoreV1Api, pod: V1Pod, nodeName: string): Promise<boolean> {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  try {
    await core.createNamespacedPodBinding({
      name,
      namespace,
      body: {
        metadata: { name, namespace, ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      },
    });
    return true;
  } catch (err) {
    const code = apiStatus(err);
    if (code === 409 || code === 404) return false;
    throw err;
  }
}
