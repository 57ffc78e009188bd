/**
 * Whether the stable backend a canary rollback sends all traffic to really reaches the stable pods, and only
 * them. Istio routes a destination's subset to the Service's endpoints whose pods also carry the subset's
 * labels (DestinationRule `subsets`); a subset no DestinationRule defines is a 503 for every request ("no
 * healthy upstream"), and a subset whose labels also match the canary's pods keeps sending requests to the bad
 * release after the weights read 100/0. A Gateway API backendRef is a Service: its selector decides alike.
 * Pure: the DestinationRules, the Service's selector and both pod templates' labels come in.
 */
import type { Backend } from './canary-reach.js';
import { shortHost } from './canary-reach.js';
import { labelText, selects } from '../labels.js';

type Labels = Record<string, string>;

export interface StableBackendWorld {
  /** The selector of the Service the stable backend names; undefined when that Service does not exist. */
  serviceSelector: Labels | undefined;
  /** The namespace's DestinationRules (Istio only; undefined when they could not be read). */
  destinationRules?: ReadonlyArray<{ name: string; spec: Record<string, unknown> }>;
  stablePodLabels: Labels;
  canaryPodLabels: Labels;
}

const text = (l: Labels): string => labelText(l);

/** The labels of `subset` for `host` in the DestinationRules, and the rule that defines it. */
function subsetLabels(
  rules: NonNullable<StableBackendWorld['destinationRules']>,
  host: string,
  subset: string,
  namespace: string,
): { rule: string; labels: Labels } | undefined {
  for (const r of rules) {
    if (typeof r.spec.host !== 'string' || shortHost(r.spec.host, namespace) !== host) continue;
    const subsets = Array.isArray(r.spec.subsets) ? (r.spec.subsets as Array<Record<string, unknown>>) : [];
    const found = subsets.find((s) => s.name === subset);
    if (found) {
      const labels = (found.labels ?? {}) as Labels;
      return { rule: r.name, labels };
    }
  }
  return undefined;
}

/**
 * Why sending all traffic to `stable` would not land on the stable pods alone, or undefined when it would.
 * `undefined` DestinationRules (not readable) skip the subset part: the caller says it was not checked.
 */
export function stableBackendProblem(
  stable: Backend,
  namespace: string,
  world: StableBackendWorld,
  names: { stableDeployment: string; canaryDeployment: string },
): string | undefined {
  const svc = `service/${stable.service}`;
  if (!world.serviceSelector) {
    return `${svc}, which the stable backend names, does not exist: every request sent to it would fail`;
  }
  let selector: Labels = world.serviceSelector;
  let what = `${svc} (selector ${text(selector)})`;
  if (stable.subset !== undefined) {
    // The subset narrows the Service's pods: without the rules, which pods it picks cannot be judged.
    if (!world.destinationRules) return undefined;
    const found = subsetLabels(world.destinationRules, stable.service, stable.subset, namespace);
    if (!found) {
      return (
        `no DestinationRule for host ${stable.service} defines subset "${stable.subset}": Istio would answer ` +
        `every request sent to it with 503 (no healthy upstream)`
      );
    }
    selector = { ...selector, ...found.labels };
    what = `${svc} subset ${stable.subset} (destinationrule/${found.rule}: ${text(selector)})`;
  }
  if (!selects(selector, world.stablePodLabels)) {
    return `${what} does not select deployment/${names.stableDeployment}'s pods (${text(world.stablePodLabels)}): all traffic would go to no stable pod`;
  }
  if (selects(selector, world.canaryPodLabels)) {
    return `${what} also selects deployment/${names.canaryDeployment}'s pods (${text(world.canaryPodLabels)}): requests sent to stable would still reach the canary`;
  }
  return undefined;
}

/**
 * VirtualService destinations (routes and mirrors) to `host` with no subset: Istio sends those to every pod of
 * the Service, the canary's included when its selector picks them. They are not rewritten (they do not point at
 * the canary alone, and a subset chosen for them would change who else they reach), so the plan names them:
 * until the canary is scaled to 0 (never, with --keep) they still reach it.
 */
export function bareHostDestinations(
  objects: ReadonlyArray<{ kind: string; name: string; spec: Record<string, unknown> }>,
  host: string,
  namespace: string,
): string[] {
  const out: string[] = [];
  const bare = (d: unknown): boolean => {
    const t = (d ?? {}) as { host?: unknown; subset?: unknown };
    return typeof t.host === 'string' && shortHost(t.host, namespace) === host && t.subset === undefined;
  };
  for (const o of objects) {
    if (o.kind !== 'VirtualService') continue;
    const http = Array.isArray(o.spec.http) ? (o.spec.http as Array<Record<string, unknown>>) : [];
    http.forEach((r, i) => {
      const where = `virtualservice/${o.name} http[${i}]${typeof r.name === 'string' ? ` ${r.name}` : ''}`;
      const routes = Array.isArray(r.route) ? (r.route as Array<{ destination?: unknown }>) : [];
      if (routes.some((x) => bare(x.destination))) out.push(where);
      const mirrors = Array.isArray(r.mirrors) ? (r.mirrors as Array<{ destination?: unknown }>) : [];
      if (bare(r.mirror) || mirrors.some((m) => bare(m.destination))) out.push(`${where} (mirror)`);
    });
  }
  return out;
}
