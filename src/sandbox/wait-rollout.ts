import type { KubeConfig } from '@kubernetes/client-node';
import { createKubernetesAdapter } from '../adapters/kubernetes/kubernetes-adapter.js';

/** `kubectl rollout status` for sandbox commands and tests: the same waiter `ripcord rollback` uses. */
export async function waitForDeploymentRollout(
  kc: KubeConfig,
  namespace: string,
  name: string,
  opts: { timeoutMs: number; onProgress?: (msg: string) => void },
): Promise<void> {
  await createKubernetesAdapter(kc).waitForRollout(namespace, name, opts);
}
