import type { V1Deployment } from '@kubernetes/client-node';
import { RipcordError } from '../../core/errors.js';
import type { KubernetesPort } from '../../core/ports.js';

/**
 * Reads the Deployment a step is about to change and refuses, before any write, when it is not the one the
 * plan was made for (deleted and recreated: a new UID) or when it is paused (a change would never roll out).
 * `pausedMessage` keeps each caller's wording, which follows kubectl's for the same command.
 */
export async function deploymentForChange(
  kube: KubernetesPort,
  d: { namespace: string; deployment: string; deploymentUid?: string | undefined },
  pausedMessage: string,
): Promise<V1Deployment> {
  const { deployment } = await kube.snapshot(d.namespace, d.deployment);
  if (d.deploymentUid && deployment.metadata?.uid !== d.deploymentUid) {
    throw new RipcordError(
      'refused',
      `deployment/${d.deployment} was recreated since the plan was made (UID ${deployment.metadata?.uid}, planned ${d.deploymentUid}); plan again`,
    );
  }
  if (deployment.spec?.paused) throw new RipcordError('refused', pausedMessage);
  return deployment;
}
