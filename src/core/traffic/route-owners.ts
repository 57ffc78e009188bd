/**
 * Which progressive-delivery controller drives a routing object, detected the way those controllers really
 * mark it. Pure.
 *
 * Argo Rollouts writes nothing on the VirtualService or HTTPRoute it drives (it annotates the Rollout's
 * Services and DestinationRule): the Rollout names them in its spec, so the Rollouts of the namespace are read.
 * - Istio: `spec.strategy.canary.trafficRouting.istio.virtualService.name` or `.virtualServices[].name`; a
 *   name may be `name.namespace` (argoproj.github.io/argo-rollouts/features/traffic-management/istio).
 * - Gateway API (the argoproj-labs/gatewayAPI plugin): `trafficRouting.plugins["argoproj-labs/gatewayAPI"]`
 *   `.httpRoute` or `.httpRoutes[].name`, in the plugin's `namespace` (default: the Rollout's).
 * Flagger generates the objects it drives and owns them: an ownerReference to its Canary (read by the adapter).
 */
import type { RoutingKind } from './weighted-routes.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export const GATEWAY_API_PLUGIN = 'argoproj-labs/gatewayAPI';

/** A routing object a Rollout drives. */
export interface RolloutRoute {
  rollout: string;
  kind: RoutingKind;
  namespace: string;
  name: string;
}

function splitName(ref: string, namespace: string): { name: string; namespace: string } {
  const dot = ref.indexOf('.');
  return dot < 0 ? { name: ref, namespace } : { name: ref.slice(0, dot), namespace: ref.slice(dot + 1) };
}

/** Every VirtualService and HTTPRoute the given Rollouts (raw objects, as listed) name. */
export function rolloutRoutes(rollouts: readonly unknown[]): RolloutRoute[] {
  const out: RolloutRoute[] = [];
  for (const raw of rollouts) {
    const meta = obj(obj(raw).metadata);
    const rollout = str(meta.name);
    const namespace = str(meta.namespace);
    if (!rollout || !namespace) continue;
    const routing = obj(obj(obj(obj(obj(raw).spec).strategy).canary).trafficRouting);
    const istio = obj(routing.istio);
    const vsNames = [
      str(obj(istio.virtualService).name),
      ...arr(istio.virtualServices).map((v) => str(obj(v).name)),
    ];
    for (const n of vsNames) {
      if (n) out.push({ rollout, kind: 'VirtualService', ...splitName(n, namespace) });
    }
    const plugin = obj(obj(routing.plugins)[GATEWAY_API_PLUGIN]);
    const routeNs = str(plugin.namespace) ?? namespace;
    const routeNames = [str(plugin.httpRoute), ...arr(plugin.httpRoutes).map((r) => str(obj(r).name))];
    for (const n of routeNames) {
      if (n) out.push({ rollout, kind: 'HTTPRoute', namespace: routeNs, name: n });
    }
  }
  return out;
}

/** The Rollout that drives `kind/namespace/name`, if one does. */
export function rolloutDriving(
  routes: readonly RolloutRoute[],
  o: { kind: RoutingKind; namespace: string; name: string },
): string | undefined {
  return routes.find((r) => r.kind === o.kind && r.namespace === o.namespace && r.name === o.name)?.rollout;
}
