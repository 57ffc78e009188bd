/**
 * The blue-green ports over @kubernetes/client-node: a Service's selector (read, replaced exactly) and its ready
 * endpoints (the Endpoints object the endpoints controller keeps, what kube-proxy routes to; without one, that
 * controller's rule applied to the selected pods), and a Deployment's replicas. Writes are JSON patches that also set metadata.resourceVersion to the one read: the API server then
 * refuses (409) a write to an object that changed since, the way `kubectl replace` does.
 */
import { PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { ScalePort, ServiceSelectorPort } from '../../core/ports.js';
import { kubeApis, type KubeApiOptions } from './api-client.js';

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export function createServiceSelectorAdapter(kc: KubeConfig, o: KubeApiOptions = {}): ServiceSelectorPort {
  const k = kubeApis(kc, o);
  const op = (verb: string, namespace: string, name: string, resource = 'services') => ({
    verb,
    resource,
    namespace,
    name,
  });
  return {
    async read(namespace, name) {
      const s = await k.call(op('get', namespace, name), () =>
        k.core.readNamespacedService({ name, namespace }),
      );
      return {
        selector: { ...(s.spec?.selector ?? {}) },
        resourceVersion: s.metadata?.resourceVersion ?? '',
        annotations: { ...(s.metadata?.annotations ?? {}) },
      };
    },
    async setSelector(namespace, name, selector, expectResourceVersion, annotations) {
      const body = [
        { op: 'replace', path: '/metadata/resourceVersion', value: expectResourceVersion },
        { op: 'replace', path: '/spec/selector', value: selector },
        // 'add' sets the member whether or not the Service had annotations; the resourceVersion op above
        // makes it the map just read plus the change, never a lost update.
        ...(annotations ? [{ op: 'add', path: '/metadata/annotations', value: annotations }] : []),
      ];
      await k.call(op('patch', namespace, name), () =>
        k.core.patchNamespacedService({ name, namespace, body }, jsonPatch),
      );
    },
    async readyEndpoints(namespace, name) {
      const ep = await k
        .call(op('get', namespace, name, 'endpoints'), () =>
          k.core.readNamespacedEndpoints({ name, namespace }),
        )
        .catch((err: unknown) => {
          if (err instanceof Error && /not found/.test(err.message)) return undefined;
          throw err;
        });
      const list = async (labelSelector?: string) =>
        (
          await k.call(op('list', namespace, '', 'pods'), () =>
            k.core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) }),
          )
        ).items;
      if (ep) {
        // What kube-proxy routes to: the ready addresses the endpoints controller wrote.
        const names = (ep.subsets ?? []).flatMap((s) =>
          (s.addresses ?? []).map((a) => a.targetRef?.name).filter((n): n is string => !!n),
        );
        if (names.length === 0) return [];
        const labels = new Map((await list()).map((p) => [p.metadata?.name ?? '', p.metadata?.labels ?? {}]));
        return [...new Set(names)].sort().map((pod) => ({ pod, labels: { ...(labels.get(pod) ?? {}) } }));
      }
      // No Endpoints object (a cluster without the endpoints controller, like the sandbox, whose loopback pod
      // IPs the API would reject): the endpoints controller's own rule over the Service's selector.
      const svc = await k.call(op('get', namespace, name), () =>
        k.core.readNamespacedService({ name, namespace }),
      );
      const selector = Object.entries(svc.spec?.selector ?? {})
        .map(([key, v]) => `${key}=${v}`)
        .join(',');
      if (!selector) return [];
      return (await list(selector))
        .filter(
          (p) =>
            !p.metadata?.deletionTimestamp &&
            !!p.status?.podIP &&
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        )
        .map((p) => ({ pod: p.metadata?.name ?? '', labels: { ...(p.metadata?.labels ?? {}) } }))
        .sort((x, y) => x.pod.localeCompare(y.pod));
    },
  };
}

export function createScaleAdapter(kc: KubeConfig, o: KubeApiOptions = {}): ScalePort {
  const k = kubeApis(kc, o);
  const op = (verb: string, namespace: string, name: string) => ({
    verb,
    resource: 'deployments',
    group: 'apps',
    namespace,
    name,
  });
  return {
    async getScale(namespace, deployment) {
      const d = await k.call(op('get', namespace, deployment), () =>
        k.apps.readNamespacedDeployment({ name: deployment, namespace }),
      );
      return {
        replicas: d.spec?.replicas ?? 1,
        readyReplicas: d.status?.readyReplicas ?? 0,
        resourceVersion: d.metadata?.resourceVersion ?? '',
      };
    },
    async setReplicas(namespace, deployment, replicas, expectResourceVersion) {
      const body = [
        { op: 'replace', path: '/metadata/resourceVersion', value: expectResourceVersion },
        { op: 'replace', path: '/spec/replicas', value: replicas },
      ];
      await k.call(op('patch', namespace, deployment), () =>
        k.apps.patchNamespacedDeployment({ name: deployment, namespace, body }, jsonPatch),
      );
    },
  };
}
