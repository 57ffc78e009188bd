import type { V1Deployment } from '@kubernetes/client-node';
import { templateImages } from '../app-rollback/history.js';
import { templateHash } from '../app-rollback/template-hash.js';
import { RipcordError } from '../errors.js';
import { refuseUnlessForced } from './guarded-write.js';
import type { DeploymentSnapshot, KubernetesPort } from '../ports.js';
import type { PlannedFrom } from './desired.js';

/**
 * Reads the Deployment a step is about to change and refuses, before any write, when it is not the one the
 * plan was made for (deleted and recreated: a new UID) or when it is paused (a change would never roll out).
 * `pausedMessage` keeps each caller's wording, which follows kubectl's for the same command.
 */
export async function deploymentForChange(
  kube: KubernetesPort,
  d: { namespace: string; deployment: string; deploymentUid?: string | undefined },
  pausedMessage: string,
  snap?: DeploymentSnapshot,
): Promise<V1Deployment> {
  const { deployment } = snap ?? (await kube.snapshot(d.namespace, d.deployment));
  if (d.deploymentUid && deployment.metadata?.uid !== d.deploymentUid) {
    throw new RipcordError(
      'refused',
      `deployment/${d.deployment} was recreated since the plan was made (UID ${deployment.metadata?.uid}, planned ${d.deploymentUid}); plan again`,
    );
  }
  if (deployment.spec?.paused) throw new RipcordError('refused', pausedMessage);
  return deployment;
}

/**
 * Refuses (exit 3) to change a Deployment whose pod template is no longer the one the plan was made against:
 * somebody deployed (a fix-forward, a new release) since, and acting on the old plan would wipe that out.
 * `--force` overrides; the override is returned so the step's evidence records it. Plans journaled before
 * plans recorded this have no `from` and are not checked.
 */
export function refuseIfTemplateMoved(
  deployment: V1Deployment,
  d: {
    deployment: string;
    from?: PlannedFrom | undefined;
  },
  force: boolean,
): { overrode: string } | undefined {
  if (!d.from) return undefined;
  const now = templateHash(deployment.spec?.template);
  if (now === d.from.templateHash) return undefined;
  const images = templateImages(deployment.spec?.template);
  const what =
    images.join(',') !== d.from.images.join(',')
      ? `images ${d.from.images.join(', ')} -> ${images.join(', ')}`
      : 'the pod template (same images: env, resources, labels or annotations)';
  const line =
    `deployment/${d.deployment} changed since the plan was made: ${what} ` +
    `(resourceVersion ${d.from.resourceVersion} -> ${deployment.metadata?.resourceVersion ?? '?'})`;
  return refuseUnlessForced(line, force);
}
