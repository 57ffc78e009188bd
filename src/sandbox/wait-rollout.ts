import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The sandbox's own wait for `sandbox deploy`: kubectl rollout status's completeness rule (observed generation,
 * updated = desired, no old replicas left, all updated available), or fail on ProgressDeadlineExceeded.
 */
export async function waitForDeploymentRollout(
  kc: KubeConfig,
  namespace: string,
  name: string,
  opts: { timeoutMs: number; onProgress?: (msg: string) => void },
): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    const want = d.spec?.replicas ?? 1;
    const st = d.status ?? {};
    const stalled = st.conditions?.find(
      (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
    );
    if (stalled) throw new Error(`deployment "${name}" exceeded its progress deadline`);
    if ((st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)) {
      const updated = st.updatedReplicas ?? 0;
      const msg =
        updated < want
          ? `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`
          : (st.replicas ?? 0) > updated
            ? `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - updated} old replicas are pending termination...`
            : (st.availableReplicas ?? 0) < updated
              ? `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${updated} updated replicas are available...`
              : '';
      if (msg === '') return;
      if (msg !== last) opts.onProgress?.(msg);
      last = msg;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for deployment "${name}" to roll out`);
}
