import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { createIfMissing } from '../kube-clients.js';
import { waitFor } from '../process.js';

export const RIPCORD_SA_NAMESPACE = 'ripcord-system';
export const RIPCORD_SA_NAME = 'ripcord';

/** Creates a namespace unless it exists. */
export async function ensureNamespace(kc: KubeConfig, name: string, labels: Record<string, string> = {}) {
  const core = kc.makeApiClient(CoreV1Api);
  await createIfMissing(() => core.createNamespace({ body: { metadata: { name, labels } } }));
}

/**
 * Creates the `ripcord` ServiceAccount and returns its token. Kubernetes 1.20's token controller still
 * creates a long-lived token Secret per ServiceAccount; we wait for it rather than call TokenRequest so
 * the kubeconfig keeps working across sandbox restarts.
 */
export async function ensureRipcordServiceAccount(kc: KubeConfig): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  await ensureNamespace(kc, RIPCORD_SA_NAMESPACE);
  await createIfMissing(() =>
    core.createNamespacedServiceAccount({
      namespace: RIPCORD_SA_NAMESPACE,
      body: { metadata: { name: RIPCORD_SA_NAME } },
    }),
  );
  let token = '';
  await waitFor(
    'the ripcord ServiceAccount token secret',
    async () => {
      const sa = await core.readNamespacedServiceAccount({
        name: RIPCORD_SA_NAME,
        namespace: RIPCORD_SA_NAMESPACE,
      });
      const secretName = sa.secrets?.[0]?.name;
      if (!secretName) return false;
      const secret = await core.readNamespacedSecret({ name: secretName, namespace: RIPCORD_SA_NAMESPACE });
      const data = secret.data?.token;
      if (!data) return false;
      token = Buffer.from(data, 'base64').toString('utf8');
      return true;
    },
    60_000,
    300,
  );
  return token;
}
