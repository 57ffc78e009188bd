/**
 * ConfigPort over @kubernetes/client-node: ConfigMaps and Secrets of a namespace, and `kubectl rollout
 * restart`. Every call goes through kubeCall (errors.ts), so 403s name the verb and resource. Secret values
 * stay base64 as the API returns them and are never put into an error message.
 */
import {
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1ConfigMap,
  type V1ObjectMeta,
  type V1OwnerReference,
  type V1Secret,
} from '@kubernetes/client-node';
import { RESTARTED_AT_ANNOTATION } from '../../core/steps/restart.js';
import type { ConfigObject, ConfigObjectWrite, ConfigPort } from '../../core/ports.js';
import { kubeApis, type KubeApiOptions } from './api-client.js';
import { isNotFound } from './errors.js';

function meta(m: V1ObjectMeta | undefined) {
  return {
    name: m?.name ?? '',
    uid: m?.uid ?? '',
    resourceVersion: m?.resourceVersion ?? '',
    ...(m?.creationTimestamp ? { createdAt: new Date(m.creationTimestamp).toISOString() } : {}),
    ...(m?.labels ? { labels: m.labels } : {}),
    ...(m?.annotations ? { annotations: m.annotations } : {}),
  };
}

function fromConfigMap(cm: V1ConfigMap): ConfigObject {
  return {
    kind: 'ConfigMap',
    ...meta(cm.metadata),
    ...(cm.immutable ? { immutable: true } : {}),
    data: cm.data ?? {},
    ...(cm.binaryData && Object.keys(cm.binaryData).length > 0 ? { binaryData: cm.binaryData } : {}),
  };
}

function fromSecret(s: V1Secret): ConfigObject {
  return {
    kind: 'Secret',
    ...meta(s.metadata),
    ...(s.immutable ? { immutable: true } : {}),
    ...(s.type ? { type: s.type } : {}),
    data: s.data ?? {},
  };
}

function ownerRefs(w: ConfigObjectWrite): V1OwnerReference[] | undefined {
  if (!w.ownerDeployment) return undefined;
  // Not a controller and no blockOwnerDeletion: the copy only follows the Deployment's lifetime, and setting
  // blockOwnerDeletion would need update on deployments/finalizers.
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: w.ownerDeployment.name, uid: w.ownerDeployment.uid },
  ];
}

/** Builds the config port for one cluster/context; connects on first use only. */
export function createConfigObjectsAdapter(kc: KubeConfig, o: KubeApiOptions = {}): ConfigPort {
  const k = kubeApis(kc, o);
  const { core, apps } = k;
  const kubeCall = k.call;
  const fail = k.fail;

  async function read(namespace: string, kind: ConfigObject['kind'], name: string) {
    const resource = kind === 'ConfigMap' ? 'configmaps' : 'secrets';
    try {
      if (kind === 'ConfigMap') return fromConfigMap(await core.readNamespacedConfigMap({ name, namespace }));
      return fromSecret(await core.readNamespacedSecret({ name, namespace }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw fail(err, { verb: 'get', resource, namespace, name });
    }
  }

  return {
    async listConfigMaps(namespace, labelSelector) {
      const list = await kubeCall({ verb: 'list', resource: 'configmaps', namespace }, () =>
        core.listNamespacedConfigMap({ namespace, ...(labelSelector ? { labelSelector } : {}) }),
      );
      return list.items.map(fromConfigMap);
    },

    read,

    async write(namespace, w, expectResourceVersion) {
      const resource = w.kind === 'ConfigMap' ? 'configmaps' : 'secrets';
      const existing = await read(namespace, w.kind, w.name);
      const owners = ownerRefs(w);
      const metadata: V1ObjectMeta = {
        name: w.name,
        namespace,
        ...(existing
          ? {
              resourceVersion: expectResourceVersion ?? existing.resourceVersion,
              ...(existing.labels || w.labels ? { labels: { ...existing.labels, ...w.labels } } : {}),
              ...(existing.annotations || w.annotations
                ? { annotations: { ...existing.annotations, ...w.annotations } }
                : {}),
            }
          : {
              ...(w.labels ? { labels: w.labels } : {}),
              ...(w.annotations ? { annotations: w.annotations } : {}),
            }),
        ...(owners ? { ownerReferences: owners } : {}),
      };
      const verb = existing ? 'update' : 'create';
      return kubeCall({ verb, resource, namespace, name: w.name }, async () => {
        if (w.kind === 'ConfigMap') {
          // A replace (PUT) sets data exactly: keys absent from the body are removed, which a patch would not do.
          const body: V1ConfigMap = {
            metadata,
            data: w.data,
            ...(w.binaryData ? { binaryData: w.binaryData } : {}),
          };
          return fromConfigMap(
            existing
              ? await core.replaceNamespacedConfigMap({ name: w.name, namespace, body })
              : await core.createNamespacedConfigMap({ namespace, body }),
          );
        }
        const type = existing?.type ?? w.type;
        const body: V1Secret = { metadata, data: w.data, ...(type ? { type } : {}) };
        return fromSecret(
          existing
            ? await core.replaceNamespacedSecret({ name: w.name, namespace, body })
            : await core.createNamespacedSecret({ namespace, body }),
        );
      });
    },

    async remove(namespace, kind, name) {
      const resource = kind === 'ConfigMap' ? 'configmaps' : 'secrets';
      try {
        if (kind === 'ConfigMap') await core.deleteNamespacedConfigMap({ name, namespace });
        else await core.deleteNamespacedSecret({ name, namespace });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw fail(err, { verb: 'delete', resource, namespace, name });
      }
    },

    async restartDeployment(namespace, name, restartedAt, guard) {
      // kubectl's patch (polymorphichelpers/objectrestarter.go): a strategic merge of one annotation, plus the
      // guard's resourceVersion, which the API server checks as a precondition (409 when the object moved on).
      const body = {
        ...(guard?.resourceVersion ? { metadata: { resourceVersion: guard.resourceVersion } } : {}),
        spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } },
      };
      await kubeCall({ verb: 'patch', resource: 'deployments', group: 'apps', namespace, name }, () =>
        apps.patchNamespacedDeployment(
          { name, namespace, body },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        ),
      );
    },
  };
}
