/**
 * Helpers for tests against the e2e sandbox's control plane (kube-apiserver + kube-controller-manager): its
 * admin kubeconfig and its kubectl 1.20.2. Each test file works in its own namespaces.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { sandbox } from './sandbox.js';

export const kubeconfigPath = sandbox().kube.kubeconfig;

/** The admin KubeConfig, or the named context. */
export function kubeConfig(context?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  if (context) kc.setCurrentContext(context);
  return kc;
}

export function hasContext(name: string): boolean {
  return kubeConfig()
    .getContexts()
    .some((c) => c.name === name);
}

/** kubectl 1.20.2 against the sandbox (admin context unless args say otherwise). */
export { kubectl } from './sandbox.js';

/** Creates namespaces named `<prefix>-<random>[-suffix]`; cleanup deletes them. */
export async function namespaces(
  prefix: string,
  suffixes: string[] = [''],
): Promise<{ names: string[]; cleanup: () => Promise<void> }> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const id = `${prefix}-${randomBytes(3).toString('hex')}`;
  const names = suffixes.map((s) => (s ? `${id}-${s}` : id));
  for (const name of names) {
    await core.createNamespace({ body: { metadata: { name, labels: { 'ripcord.dev/test': 'true' } } } });
  }
  return {
    names,
    cleanup: async () => {
      for (const name of names) await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/** Polls `probe` until it returns a value other than undefined. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(150);
  }
}

/**
 * Read-modify-replace of a Deployment, retried on 409 Conflict the way client-go's RetryOnConflict does: the
 * controller-manager writes the revision annotation and status concurrently, so a single replace is racy.
 */
export async function updateDeployment(
  namespace: string,
  name: string,
  mutate: (d: V1Deployment) => void,
): Promise<V1Deployment> {
  const apps = kubeConfig().makeApiClient(AppsV1Api);
  for (let attempt = 0; ; attempt++) {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    mutate(d);
    try {
      return await apps.replaceNamespacedDeployment({ name, namespace, body: d });
    } catch (err) {
      if (attempt >= 10 || (err as { code?: number }).code !== 409) throw err;
      await sleep(50 * (attempt + 1));
    }
  }
}
