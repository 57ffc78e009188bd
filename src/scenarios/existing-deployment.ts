/** A Deployment that may not exist (a colour deleted after a release, a canary not deployed yet). */
import type { V1Deployment } from '@kubernetes/client-node';
import { RipcordError } from '../core/errors.js';
import type { DeploymentSnapshot, KubernetesPort } from '../core/ports.js';

/** The snapshot, or undefined when the Deployment is not there (the adapters map 404 to 'invalid'). */
export async function snapshotIfExists(
  kube: Pick<KubernetesPort, 'snapshot'>,
  namespace: string,
  name: string,
): Promise<DeploymentSnapshot | undefined> {
  return kube.snapshot(namespace, name).catch((err: unknown) => {
    if (err instanceof RipcordError && err.kind === 'invalid') return undefined;
    throw err;
  });
}

/** The Deployment itself, or undefined when it is not there. */
export async function deploymentIfExists(
  kube: Pick<KubernetesPort, 'snapshot'>,
  namespace: string,
  name: string,
): Promise<V1Deployment | undefined> {
  return (await snapshotIfExists(kube, namespace, name))?.deployment;
}
