/**
 * TrafficRouterPort, one adapter per routing API, the way Flagger's pkg/router and Argo Rollouts'
 * trafficrouting reconcilers each drive one: Istio `VirtualService` (networking.istio.io/v1beta1) and Gateway
 * API `HTTPRoute` (gateway.networking.k8s.io/v1). Both read the object, compute the weights of the one managed
 * route (weighted-routes.ts) and write a JSON patch that changes only those weights.
 */
import { PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { RipcordError } from '../../core/errors.js';
import type { TrafficRef, TrafficRouterPort } from '../../core/ports.js';
import type { RoutingObject } from '../../core/traffic/canary-reach.js';
import { kubeApis, type KubeApiOptions } from './api-client.js';
import { isNotFound } from './errors.js';
import { routeWeights, weightPatch, type RoutingKind } from '../../core/traffic/weighted-routes.js';

const API: Record<RoutingKind, { group: string; version: string; plural: string }> = {
  VirtualService: { group: 'networking.istio.io', version: 'v1beta1', plural: 'virtualservices' },
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
};

interface RoutingMeta {
  resourceVersion?: string;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind?: string; apiVersion?: string; name?: string }>;
}

/**
 * Flagger generates the objects it drives and owns them (an ownerReference to its Canary), as does a Rollout
 * that created one. Argo Rollouts writes nothing on a route it merely drives: its Rollout names the route,
 * which the canary scenario reads (core/traffic/route-owners.ts).
 */
function managedByOf(
  meta: RoutingMeta,
): { controller: 'Flagger' | 'Argo Rollouts'; name: string } | undefined {
  const owner = meta.ownerReferences?.find(
    (o) =>
      (o.kind === 'Canary' && o.apiVersion?.startsWith('flagger.app/')) ||
      (o.kind === 'Rollout' && o.apiVersion?.startsWith('argoproj.io/')),
  );
  if (!owner) return undefined;
  return { controller: owner.kind === 'Canary' ? 'Flagger' : 'Argo Rollouts', name: owner.name ?? '?' };
}

function routingObject(kind: RoutingKind, namespace: string, raw: unknown): RoutingObject {
  const o = (raw ?? {}) as { metadata?: RoutingMeta & { name?: string }; spec?: Record<string, unknown> };
  const managedBy = managedByOf(o.metadata ?? {});
  return {
    kind,
    namespace,
    name: o.metadata?.name ?? '?',
    resourceVersion: o.metadata?.resourceVersion ?? '',
    spec: o.spec ?? {},
    ...(managedBy ? { managedBy } : {}),
  };
}

export function createTrafficRouter(
  kind: RoutingKind,
  kc: KubeConfig,
  o: KubeApiOptions = {},
): TrafficRouterPort {
  const k = kubeApis(kc, o);
  const api = API[kind];
  const op = (verb: string, ref: TrafficRef) => ({
    verb,
    resource: api.plural,
    group: api.group,
    namespace: ref.namespace,
    name: ref.name,
  });
  const where = (ref: TrafficRef) => `${kind.toLowerCase()}/${ref.name} -n ${ref.namespace}`;
  const read = async (ref: TrafficRef) =>
    (await k.call(op('get', ref), () =>
      k.custom.getNamespacedCustomObject({ ...api, namespace: ref.namespace, name: ref.name }),
    )) as Record<string, unknown>;
  const check = (ref: TrafficRef) => {
    if (ref.kind !== kind)
      throw new RipcordError('invalid', `${where(ref)}: this router drives ${kind}, not ${ref.kind}`);
  };
  return {
    kind,
    async getWeights(ref) {
      check(ref);
      const object = await read(ref);
      const meta = (object.metadata ?? {}) as RoutingMeta;
      const managedBy = managedByOf(meta);
      return {
        weights: routeWeights(kind, object, where(ref), ref.route),
        resourceVersion: meta.resourceVersion ?? '',
        ...(managedBy ? { managedBy } : {}),
      };
    },
    async setWeights(ref, weights, expectResourceVersion) {
      check(ref);
      const object = await read(ref);
      const body = weightPatch(kind, object, where(ref), weights, expectResourceVersion, ref.route);
      await k.call(op('patch', ref), () =>
        k.custom.patchNamespacedCustomObject(
          { ...api, namespace: ref.namespace, name: ref.name, body },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
    },
    // Neither API reports what the data plane applies (Istio's proxy-status is per pod, outside the API):
    // the canary scenario proves it by which release answers requests instead.
    verifyWeights: async () => undefined,
    async list(namespace) {
      const listOp = { verb: 'list', resource: api.plural, group: api.group, namespace };
      let listed: unknown;
      try {
        listed = await k.custom.listNamespacedCustomObject({ ...api, namespace });
      } catch (err) {
        // The API not served here (no Istio, no Gateway API): there are none of these objects.
        if (isNotFound(err)) return [];
        throw k.fail(err, listOp);
      }
      return ((listed as { items?: unknown[] }).items ?? []).map((o) => routingObject(kind, namespace, o));
    },
    async get(namespace, name) {
      return routingObject(kind, namespace, await read({ namespace, kind, name }));
    },
    async replaceSections(namespace, name, sections, resourceVersion) {
      const ref = { namespace, kind, name };
      const body = [
        { op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion },
        ...sections.flatMap((s) => [
          { op: 'test', path: s.path, value: s.before },
          { op: 'replace', path: s.path, value: s.after },
        ]),
      ];
      await k.call(op('patch', ref), () =>
        k.custom.patchNamespacedCustomObject(
          { ...api, namespace, name, body },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
    },
  };
}
