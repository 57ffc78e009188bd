/**
 * `kubectl set env deployment/D VAR=value` as one JSON patch. A strategic merge patch cannot do it: merging
 * `{name, value}` into an entry that has `valueFrom` leaves both, which the API server rejects. So the entry is
 * replaced whole (what kubectl does), with `test` ops on the container's and the variable's name so a patch
 * computed against an older read fails instead of changing the wrong entry.
 */
import { PatchStrategy, setHeaderOptions, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { DeploymentEnvPort } from '../../core/ports.js';
import { RipcordError } from '../../core/errors.js';
import { kubeApis, type KubeApiOptions } from './api-client.js';

export type JsonPatchOp =
  { op: 'test' | 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** RFC 6901: `~` and `/` in a key (annotation names have slashes). */
function pointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The JSON patch that sets `vars` as literals on `container` and `annotations` on the Deployment. Pure. */
export function envJsonPatch(
  deployment: V1Deployment,
  change: { container: string; vars: Record<string, string>; annotations?: Record<string, string> },
): JsonPatchOp[] {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  const i = containers.findIndex((c) => c.name === change.container);
  if (i < 0) {
    throw new RipcordError(
      'invalid',
      `deployment/${deployment.metadata?.name ?? '?'} has no container "${change.container}"`,
    );
  }
  const base = `/spec/template/spec/containers/${i}`;
  const ops: JsonPatchOp[] = [{ op: 'test', path: `${base}/name`, value: change.container }];
  const env = containers[i]?.env;
  if (!env) {
    ops.push({
      op: 'add',
      path: `${base}/env`,
      value: Object.entries(change.vars).map(([name, value]) => ({ name, value })),
    });
  } else {
    for (const [name, value] of Object.entries(change.vars)) {
      const j = env.findIndex((e) => e.name === name);
      if (j < 0) {
        ops.push({ op: 'add', path: `${base}/env/-`, value: { name, value } });
      } else {
        ops.push({ op: 'test', path: `${base}/env/${j}/name`, value: name });
        ops.push({ op: 'replace', path: `${base}/env/${j}`, value: { name, value } });
      }
    }
  }
  const annotations = change.annotations ?? {};
  if (Object.keys(annotations).length > 0) {
    if (!deployment.metadata?.annotations) {
      ops.push({ op: 'add', path: '/metadata/annotations', value: annotations });
    } else {
      for (const [k, v] of Object.entries(annotations)) {
        ops.push({ op: 'add', path: `/metadata/annotations/${pointerKey(k)}`, value: v });
      }
    }
  }
  return ops;
}

/** DeploymentEnvPort over @kubernetes/client-node: read, compute the patch, send it. */
export function createDeploymentEnvAdapter(kc: KubeConfig, o: KubeApiOptions = {}): DeploymentEnvPort {
  const k = kubeApis(kc, o);
  const { apps } = k;
  const kubeCall = k.call;
  return {
    async setContainerEnv(namespace, name, change) {
      const op = { resource: 'deployments', group: 'apps', namespace, name };
      const deployment = await kubeCall({ verb: 'get', ...op }, () =>
        apps.readNamespacedDeployment({ name, namespace }),
      );
      // The guard's resourceVersion (or this read's) as a precondition: the API server refuses the patch with a
      // 409 when the Deployment changed since, instead of applying it to a template nobody checked.
      const resourceVersion = change.resourceVersion ?? deployment.metadata?.resourceVersion;
      const body: JsonPatchOp[] = [
        ...(resourceVersion
          ? [{ op: 'replace' as const, path: '/metadata/resourceVersion', value: resourceVersion }]
          : []),
        ...envJsonPatch(deployment, change),
      ];
      await kubeCall({ verb: 'patch', ...op }, () =>
        apps.patchNamespacedDeployment(
          { name, namespace, body },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
    },
  };
}
