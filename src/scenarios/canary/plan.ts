/**
 * The runbook's section 6 (canary) as a plan. Pure: the route's weights and both Deployments come in.
 *
 * The runbook's command is a merge patch that replaces the VirtualService's whole `http` list, dropping every
 * other route, match, retry and header rule. Here every route of every object of the router's kind in the
 * namespace that still reaches the canary is rewritten (core/traffic/canary-reach.ts): the managed route's
 * weights go to stable 100 / canary 0, a header route to the canary points at stable, a mirror to it goes;
 * nothing else changes, and objects that never reach the canary are not written. One guarded write per
 * object, managed object first. Then every rewritten object is read back (nothing reaches the canary) and,
 * with a release header, requests must all be answered by the stable release; then the stable pods are
 * verified and the canary scaled to 0 (or --keep). An object driven by Flagger or Argo Rollouts is refused:
 * that controller would undo the change.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { CompiledCanary } from '../../config/compile-canary.js';
import { revisionRefOf } from '../../core/app-rollback/history.js';
import { formatDuration } from '../../core/duration.js';
import { RipcordError } from '../../core/errors.js';
import type { Plan, PlanStep } from '../../core/plan.js';
import type { PlanService } from '../../core/plan-service.js';
import type { TrafficRef } from '../../core/ports.js';
import { selects } from '../../core/labels.js';
import { leaseSecondsFor, lockAround } from '../../core/steps/lock.js';
import { scaleStep, waitReadyStep } from '../../core/steps/replicas.js';
import {
  rerouteFromCanary,
  sidesOf,
  type Backend,
  type RouteRewrite,
  type RoutingObject,
} from '../../core/traffic/canary-reach.js';
import { managedRoute, routeWeights } from '../../core/traffic/weighted-routes.js';
import {
  bareHostDestinations,
  stableBackendProblem,
  type StableBackendWorld,
} from '../../core/traffic/stable-backend.js';
import { verifyFor } from '../../core/steps/verify.js';
import { releaseOf } from '../blue-green/plan.js';
import { CANARY_STEP_KINDS, type RerouteDesired, type VerifyTrafficDesired } from './steps.js';

export type CanarySettings = CompiledCanary;

export interface CanarySnapshot {
  weights: Record<string, number>;
  resourceVersion: string;
  managedBy?: { controller: 'Flagger' | 'Argo Rollouts'; name: string };
  /** Every object of the router's kind in the namespace, the managed one included. */
  objects: RoutingObject[];
  /** Why the Rollouts of the namespace could not be read (whether Argo Rollouts drives a route is not checked). */
  ownershipUnchecked?: string;
  /**
   * What decides where the stable backend's requests land (its Service's selector, the DestinationRules), or
   * why that could not be read; absent when the route names no stable backend (the plan says so itself).
   */
  stableBackend?: Omit<StableBackendWorld, 'stablePodLabels' | 'canaryPodLabels'> | { unchecked: string };
  stable?: V1Deployment;
  canary?: V1Deployment;
}

/**
 * What the controller's users run instead, for the refusal: Argo Rollouts' abort (traffic back to stable,
 * the Rollout Degraded); for Flagger, a `rollback` webhook on the Canary's analysis, which Flagger documents
 * as the way to fail a canary while it runs (flagger-loadtester serves one: POST /rollback/open).
 */
const INSTEAD = {
  'Argo Rollouts': (name: string) => `kubectl argo rollouts abort ${name}`,
  Flagger: (name: string) =>
    `fail canary/${name}'s analysis through its rollback webhook (spec.analysis.webhooks type: rollback; with flagger-loadtester: POST /rollback/open); Flagger then routes all traffic to the primary`,
};

/** The managed route of the service's canary section, as the traffic port names it. */
export function routeRefOf(
  s: CanarySettings,
  namespace: string,
): TrafficRef & { kind: CanarySettings['router']['kind'] } {
  return {
    namespace,
    kind: s.router.kind,
    name: s.router.name,
    ...(s.router.route ? { route: s.router.route } : {}),
  };
}

/** The stable backend the managed route names (what the scenario reads the Service and subset of), if any. */
export function stableSideOf(
  s: CanarySettings,
  objects: readonly RoutingObject[],
  namespace: string,
): Backend | undefined {
  const managed = objects.find((o) => o.name === s.router.name);
  if (!managed) return undefined;
  try {
    const where = `${s.router.kind.toLowerCase()}/${s.router.name} -n ${namespace}`;
    const found = managedRoute(s.router.kind, { spec: managed.spec }, where, s.router.route);
    return sidesOf(s.router.kind, managed.spec, namespace, found.index, s)?.stable;
  } catch {
    return undefined; // the plan refuses the route itself, with the reason
  }
}

export function planCanaryRollback(
  service: PlanService,
  s: CanarySettings,
  snap: CanarySnapshot,
  opts: { keep?: boolean; scaleStable?: boolean; rtoTargetMs: number; now: Date },
): Plan {
  const namespace = service.namespace;
  const where = `${s.router.kind.toLowerCase()}/${s.router.name} -n ${namespace}`;
  if (snap.managedBy) {
    throw new RipcordError(
      'refused',
      `${where} is driven by ${snap.managedBy.controller} (${snap.managedBy.name}): it would undo a weight change. ` +
        `Run \`${INSTEAD[snap.managedBy.controller](snap.managedBy.name)}\` instead; nothing was changed`,
    );
  }
  for (const [field, key] of [
    ['stable', s.stable],
    ['canary', s.canary],
  ] as const) {
    if (snap.weights[key] === undefined) {
      throw new RipcordError(
        'invalid',
        `${s.at}.${field}: ${where}'s route has no backend "${key}" (it has ${Object.keys(snap.weights).join(', ')})`,
      );
    }
  }
  if (!snap.canary)
    throw new RipcordError(
      'invalid',
      `${s.at}.canaryDeployment: no deployment/${s.canaryDeployment} in ${namespace}`,
    );
  if (!snap.stable)
    throw new RipcordError(
      'invalid',
      `${s.at}.stableDeployment: no deployment/${s.stableDeployment} in ${namespace}`,
    );
  const managed = snap.objects.find((o) => o.name === s.router.name);
  if (!managed) throw new RipcordError('invalid', `${s.at}.router: no ${where}`);
  const found = managedRoute(s.router.kind, { spec: managed.spec }, where, s.router.route);
  const sides = sidesOf(s.router.kind, managed.spec, namespace, found.index, {
    canary: s.canary,
    stable: s.stable,
  });
  if (!sides) throw new RipcordError('invalid', `${s.at}: ${where}'s route names no backend "${s.canary}"`);
  // The managed object first: the route the canary section names is the one the runbook resets.
  const rewrites = [
    managed,
    ...snap.objects.filter((o) => o !== managed).sort((a, b) => a.name.localeCompare(b.name)),
  ]
    .map((o) => ({ object: o, rewrite: rerouteFromCanary(o, sides) }))
    .filter((x): x is { object: RoutingObject; rewrite: RouteRewrite } => x.rewrite !== undefined);
  for (const { object } of rewrites) {
    if (object.managedBy) {
      const other = `${s.router.kind.toLowerCase()}/${object.name} -n ${namespace}`;
      throw new RipcordError(
        'refused',
        `${other} also sends traffic to ${s.canary} and is driven by ${object.managedBy.controller} (${object.managedBy.name}): ` +
          `it would undo the change. Run \`${INSTEAD[object.managedBy.controller](object.managedBy.name)}\` instead; nothing was changed`,
      );
    }
  }
  const managedRewrite = rewrites.find((x) => x.object === managed)?.rewrite;
  const target = managedRewrite
    ? routeWeights(s.router.kind, { spec: applied(managed.spec, managedRewrite) }, where, s.router.route)
    : snap.weights;
  // All traffic is about to go to stable: it must be able to take it, as blue-green's target colour must. What
  // "all" needs is its own spec.replicas, or more when it was scaled down while the canary took a share.
  const stableWanted = snap.stable.spec?.replicas ?? 1;
  const stableNeeded = Math.max(1, s.stableReplicas ?? stableWanted);
  const stableReady = snap.stable.status?.readyReplicas ?? 0;
  const routeRef = routeRefOf(s, namespace);
  const objectRef = (o: RoutingObject) => `${o.kind.toLowerCase()}/${o.name} -n ${namespace}`;
  const base = {
    service: service.name,
    scenario: 'canary' as const,
    namespace,
    createdAt: opts.now.toISOString(),
    from: { ...revisionRefOf(snap.canary), changeCause: `${s.canary} ${snap.weights[s.canary]}%` },
    to: { ...revisionRefOf(snap.stable), changeCause: `${s.stable} ${target[s.stable] ?? 100}%` },
    rtoTargetMs: opts.rtoTargetMs,
    changes: [],
    // One line per route changed; the managed route's weights are one of them (a separate traffic-weights
    // line said the same thing twice).
    diff: [
      ...rewrites.map(({ object, rewrite }) => ({
        kind: 'traffic-routes' as const,
        target: objectRef(object),
        changes: rewrite.changes,
      })),
    ],
  };
  const canaryReplicas = snap.canary.spec?.replicas ?? 0;
  if (rewrites.length === 0 && (opts.keep || canaryReplicas === 0)) {
    return {
      ...base,
      diff: [],
      steps: [],
      warnings: [],
      noop: `${where} already sends 100% to ${s.stable}${opts.keep ? '' : ` and deployment/${s.canaryDeployment} is at 0`}; nothing to do`,
    };
  }
  const warnings: string[] = [];
  if (snap.ownershipUnchecked) {
    warnings.push(
      `whether Argo Rollouts drives these routes is not checked: its Rollouts could not be read (${snap.ownershipUnchecked})`,
    );
  }
  // Where "stable" really lands: a subset no DestinationRule defines is a 503 for everyone, one that also
  // matches the canary's pods keeps the bad release in traffic after the weights read 100/0.
  const podLabels = (d: V1Deployment) => d.spec?.template.metadata?.labels ?? {};
  if (snap.stableBackend && 'unchecked' in snap.stableBackend) {
    warnings.push(
      `whether ${s.stable} selects the stable pods only is not checked: ${snap.stableBackend.unchecked}`,
    );
  } else if (snap.stableBackend) {
    const problem = stableBackendProblem(
      sides.stable,
      namespace,
      {
        ...snap.stableBackend,
        stablePodLabels: podLabels(snap.stable),
        canaryPodLabels: podLabels(snap.canary),
      },
      { stableDeployment: s.stableDeployment, canaryDeployment: s.canaryDeployment },
    );
    if (problem) throw new RipcordError('refused', `${problem}; nothing was changed`);
    const selector = snap.stableBackend.serviceSelector;
    if (s.router.kind === 'VirtualService' && selector && selects(selector, podLabels(snap.canary))) {
      const bare = bareHostDestinations(snap.objects, sides.stable.service, namespace);
      if (bare.length > 0) {
        warnings.push(
          `${bare.join(', ')} send${bare.length === 1 ? 's' : ''} to host ${sides.stable.service} without a subset: its pods include the canary's, ` +
            `so those requests reach the canary until it is scaled to 0${opts.keep ? ' (with --keep: they keep reaching it)' : ''}; not rewritten`,
        );
      }
    }
    if (s.router.kind === 'VirtualService' && sides.stable.subset && !snap.stableBackend.destinationRules) {
      warnings.push(
        `subset ${sides.stable.subset}'s labels are not checked: the DestinationRules could not be read`,
      );
    }
  }
  const release = releaseOf(snap.stable);
  if (!s.releaseHeader || !service.healthUrl) {
    warnings.push(
      `${s.at}.releaseHeader or healthUrl not set: whether requests still reach the canary is not checked (the routes are)`,
    );
  }
  const body: PlanStep[] = [];
  if (rewrites.length > 0 && stableReady < stableNeeded) {
    const scaleTo = Math.max(stableNeeded, stableWanted);
    if (!opts.scaleStable) {
      throw new RipcordError(
        'refused',
        `deployment/${s.stableDeployment} has ${stableReady} ready replica(s) of the ${stableNeeded} it must have to take ` +
          `all of ${where}'s traffic (${stableNeeded - stableReady} missing): sending 100% to ${s.stable} now would ` +
          `overload it. Run again with --scale-stable to scale it to ${scaleTo} and wait until they are ready, or ` +
          `scale it yourself (kubectl scale deployment/${s.stableDeployment} --replicas=${scaleTo}); nothing was changed`,
      );
    }
    warnings.push(
      `deployment/${s.stableDeployment} has ${stableReady} ready replica(s) of the ${stableNeeded} all the traffic needs: ` +
        `it is ${scaleTo > stableWanted ? `scaled to ${scaleTo} and ` : ''}waited for before any route changes`,
    );
    if (scaleTo > stableWanted) {
      body.push(
        scaleStep({
          id: 'scale-stable',
          namespace,
          name: s.stableDeployment,
          deployment: snap.stable,
          replicas: scaleTo,
          why: `--scale-stable: ${s.stable} must serve all of ${where}'s traffic before it gets it, never after.`,
        }),
      );
    }
    body.push(
      waitReadyStep({
        namespace,
        name: s.stableDeployment,
        ready: stableNeeded,
        timeoutMs: s.readyTimeoutMs,
        restore: stableWanted,
        why: `The stable side must be able to serve all of ${where}'s traffic before the routes send it there.`,
        unmoved: 'no route was changed',
      }),
    );
  }
  for (const { object, rewrite } of rewrites) {
    const lines = rewrite.changes.map((c) => `${c.route}: ${c.from} → ${c.to}`);
    body.push({
      id: `reroute-${object.name}`,
      kind: CANARY_STEP_KINDS.reroute,
      role: 'change',
      description: `Send ${objectRef(object)}'s canary traffic to ${s.stable} (${lines.length} change${lines.length === 1 ? '' : 's'})`,
      target: objectRef(object),
      why:
        object === managed
          ? 'Runbook 6: the canary weight back to 0 — and every other route of the object that reaches the canary (header routes, mirrors) sent to stable; nothing else changes.'
          : `It also reaches ${s.canary}: left alone it would keep sending requests to the bad release after the weight reset.`,
      precondition: `The routes are still as planned: ${lines.join('; ')}.`,
      desired: {
        ref: { namespace, kind: object.kind, name: object.name },
        sides,
        sections: rewrite.sections,
        changes: rewrite.changes,
        stable: { namespace, deployment: s.stableDeployment, readyReplicas: stableNeeded },
      } satisfies RerouteDesired,
      postcondition: `No route of ${objectRef(object)} reaches ${s.canary}.`,
      danger: 'caution',
      expectedDurationMs: 1_000,
    });
  }
  if (rewrites.length > 0) {
    body.push({
      id: 'verify-traffic',
      kind: CANARY_STEP_KINDS.verifyTraffic,
      role: 'verify',
      description: `Verify no request reaches ${s.canary}`,
      target: where,
      why: 'The reset counts when traffic moved: no route reaches the canary when read back, and requests are answered by the stable release.',
      precondition: 'The routes are rewritten.',
      desired: {
        ref: routeRef,
        weights: target,
        objects: rewrites.map(({ object }) => ({ namespace, kind: object.kind, name: object.name })),
        canary: sides.canary,
        ...(s.releaseHeader && service.healthUrl && release
          ? {
              probe: {
                url: service.healthUrl,
                header: s.releaseHeader,
                release,
                requests: 20,
                timeoutMs: 15_000,
              },
            }
          : {}),
      } satisfies VerifyTrafficDesired,
      postcondition: `Routes read back with nothing to ${s.canary}${s.releaseHeader && service.healthUrl ? `; 20 requests to ${service.healthUrl} answered by ${release ?? '?'}` : ''}.`,
      danger: 'safe',
      expectedDurationMs: 2_000,
    });
  }
  body.push(
    verifyFor({ ...service, deployment: s.stableDeployment }, snap.stable, {
      why: 'Runbook 6, then the verification checklist: the stable pods Running, no restarts, health answers.',
    }),
  );
  if (opts.keep) {
    warnings.push(
      `--keep: deployment/${s.canaryDeployment} keeps running for forensics; scale it to 0 yourself`,
    );
  } else if (canaryReplicas > 0) {
    body.push(
      scaleStep({
        id: 'scale-down',
        namespace,
        name: s.canaryDeployment,
        deployment: snap.canary,
        replicas: 0,
        why: `The canary no longer serves: free its capacity after ${formatDuration(s.scaleDownAfterMs)} (connections drain).`,
        afterMs: s.scaleDownAfterMs,
        notServing: { kind: 'weight', ref: routeRef, backend: s.canary },
      }),
    );
  }
  return {
    ...base,
    steps: lockAround(
      {
        service: service.name,
        namespace,
        leaseSeconds: leaseSecondsFor(service.lockLeaseSeconds, opts.rtoTargetMs),
      },
      body,
    ),
    warnings,
  };
}

/** The object's spec with a rewrite's sections in place. */
function applied(spec: Record<string, unknown>, rewrite: RouteRewrite): Record<string, unknown> {
  const out = { ...spec };
  for (const sec of rewrite.sections) out[sec.path.replace(/^\/spec\//, '')] = sec.after;
  return out;
}
