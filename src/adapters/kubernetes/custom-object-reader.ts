/**
 * Custom objects read by group, version and plural (what `kubectl get applications.argoproj.io NAME` reads),
 * for callers that parse it themselves: e.g. an Argo CD Application, whose spec and status Argo CD keeps in the
 * object, so whether it self-heals can be read with the cluster credentials Ripcord already has. Absent (404,
 * or no such CRD in the cluster) is undefined; a refusal (403) or an unreachable server is the mapped error.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeApis, type KubeApiOptions } from './api-client.js';
import { isNotFound } from './errors.js';

export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

export interface CustomObjectReader {
  get(ref: CustomObjectRef): Promise<unknown>;
  /** Every object of the type in the namespace; none when the type is not served (no such CRD). */
  list(ref: Omit<CustomObjectRef, 'name'>): Promise<unknown[]>;
}

export function createCustomObjectReader(kc: KubeConfig, o: KubeApiOptions = {}): CustomObjectReader {
  const k = kubeApis(kc, o);
  return {
    async get(ref) {
      const op = {
        verb: 'get',
        resource: ref.plural,
        group: ref.group,
        namespace: ref.namespace,
        name: ref.name,
      };
      try {
        return await k.custom.getNamespacedCustomObject(ref);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw k.fail(err, op);
      }
    },
    async list(ref) {
      const op = { verb: 'list', resource: ref.plural, group: ref.group, namespace: ref.namespace };
      try {
        const listed = (await k.custom.listNamespacedCustomObject(ref)) as { items?: unknown[] };
        return listed.items ?? [];
      } catch (err) {
        if (isNotFound(err)) return [];
        throw k.fail(err, op);
      }
    },
  };
}
