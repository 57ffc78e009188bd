/**
 * Replica steps both traffic scenarios use: scale a Deployment (up before traffic goes to it, down once it no
 * longer gets any) and wait until it has enough ready replicas. Blue-green scales the colour it switches to and
 * the colour it left; canary scales stable up when it cannot take all traffic, and the canary down after.
 * The kind strings keep their first scenario's prefix: journals written before they were shared still resume.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import * as z from 'zod';
import { labelSelectorToString } from '../app-rollback/deployment-util.js';
import { formatDuration } from '../duration.js';
import { RipcordError } from '../errors.js';
import type { StepHandlers } from '../executor.js';
import type { PlanStep } from '../plan.js';
import type {
  KubernetesPort,
  ScalePort,
  ServiceSelectorPort,
  TrafficRef,
  TrafficRouterPort,
} from '../ports.js';
import { desiredOf } from './desired.js';
import { guardedWrite } from './guarded-write.js';
import { pauseOrAbort } from './pause.js';
import { TrafficRefSchema } from './traffic-ref.js';

export const REPLICA_STEP_KINDS = {
  scale: 'bluegreen.scale',
  waitReady: 'bluegreen.wait-ready',
} as const;

/** desired of `bluegreen.scale`: the Deployment wants `replicas`, set no sooner than `afterMs` into the step. */
export const ScaleDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  deploymentUid: z.string(),
  replicas: z.number().int().nonnegative(),
  afterMs: z.number().nonnegative(),
  /**
   * A scale-down's re-check, made after the drain delay and on every resume: the Deployment must no longer get
   * traffic — the Service does not select its colour (blue-green), the route gives its backend 0 (canary). A
   * switch-back or a promotion since the plan keeps it running: refused, not scaled to 0 under traffic.
   */
  notServing: z
    .discriminatedUnion('kind', [
      z.object({
        kind: z.literal('selector'),
        service: z.string().min(1),
        key: z.string().min(1),
        value: z.string().min(1),
      }),
      z.object({ kind: z.literal('weight'), ref: TrafficRefSchema, backend: z.string().min(1) }),
    ])
    .optional(),
});
export type ScaleDesired = z.infer<typeof ScaleDesired>;

/** desired of `bluegreen.wait-ready`: at least `readyReplicas` ready; else back to `restoreReplicas`, refused. */
export const WaitReadyDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  readyReplicas: z.number().int().positive(),
  timeoutMs: z.number().positive(),
  restoreReplicas: z.number().int().nonnegative(),
  /** What the refusal says stayed as it was (default: the selector, blue-green's first wording). */
  unmoved: z.string().min(1).optional(),
});
export type WaitReadyDesired = z.infer<typeof WaitReadyDesired>;

/** Scale `name` (planned as `d`, whose UID a recreated Deployment would not have) to `replicas`. */
export function scaleStep(o: {
  id: string;
  namespace: string;
  name: string;
  deployment: V1Deployment;
  replicas: number;
  why: string;
  afterMs?: number;
  notServing?: ScaleDesired['notServing'];
}): PlanStep {
  const { namespace, name, replicas } = o;
  const afterMs = o.afterMs ?? 0;
  return {
    id: o.id,
    kind: REPLICA_STEP_KINDS.scale,
    role: 'change',
    description: `Scale deployment/${name} to ${replicas}${afterMs ? ` after ${formatDuration(afterMs)}` : ''}`,
    target: `deployment/${name} -n ${namespace}`,
    why: o.why,
    precondition: `deployment/${name} has UID ${o.deployment.metadata?.uid ?? '?'}.`,
    desired: {
      namespace,
      deployment: name,
      deploymentUid: o.deployment.metadata?.uid ?? '',
      replicas,
      afterMs,
      ...(o.notServing ? { notServing: o.notServing } : {}),
    } satisfies ScaleDesired,
    postcondition: `deployment/${name} wants ${replicas} replica(s).`,
    danger: replicas === 0 ? 'caution' : 'safe',
    expectedDurationMs: 1_000 + afterMs,
  };
}

/** Wait until `name` has `ready` ready replicas; past `timeoutMs` it goes back to `restore` and the run is refused. */
export function waitReadyStep(o: {
  namespace: string;
  name: string;
  ready: number;
  timeoutMs: number;
  restore: number;
  why: string;
  unmoved: string;
}): PlanStep {
  return {
    id: 'wait-ready',
    kind: REPLICA_STEP_KINDS.waitReady,
    role: 'wait',
    description: `Wait until deployment/${o.name} has ${o.ready} ready replica(s)`,
    target: `deployment/${o.name} -n ${o.namespace}`,
    why: o.why,
    precondition: `deployment/${o.name} is scaled up.`,
    desired: {
      namespace: o.namespace,
      deployment: o.name,
      readyReplicas: o.ready,
      timeoutMs: o.timeoutMs,
      restoreReplicas: o.restore,
      unmoved: o.unmoved,
    } satisfies WaitReadyDesired,
    postcondition: `deployment/${o.name} has at least ${o.ready} ready replica(s); else it is scaled back to ${o.restore} and the rollback is refused (exit 3), saying why.`,
    danger: 'safe',
    expectedDurationMs: 30_000,
  };
}

export interface ReplicaHandlerDeps {
  kube: KubernetesPort;
  scale: ScalePort;
  /** Blue-green's scale-down re-check: the Service no longer selects the colour. */
  services?: Pick<ServiceSelectorPort, 'read'>;
  /** Canary's scale-down re-check: the route gives the canary no weight. */
  router?: (kind: TrafficRef['kind']) => Pick<TrafficRouterPort, 'getWeights'>;
  /** Between readiness polls; shorter in tests. */
  pollMs?: number;
}

/** Why a Deployment's pods are not ready, from their container states and the Deployment's conditions. */
async function notReadyReasons(kube: KubernetesPort, namespace: string, deployment: string): Promise<string> {
  const { deployment: d } = await kube.snapshot(namespace, deployment);
  const reasons = new Set<string>();
  for (const c of d.status?.conditions ?? []) {
    if (c.status === 'True' && c.type === 'ReplicaFailure')
      reasons.add(`${c.reason ?? c.type}: ${c.message ?? ''}`);
  }
  const pods = await kube.listPods(namespace, labelSelectorToString(d.spec?.selector));
  for (const p of pods) {
    for (const cs of p.status?.containerStatuses ?? []) {
      const w = cs.state?.waiting;
      if (w?.reason) reasons.add(`${p.metadata?.name}: ${w.reason}${w.message ? ` (${w.message})` : ''}`);
      if ((cs.restartCount ?? 0) > 0 && !cs.ready) {
        // Between restarts the container is briefly running, not waiting: its last exit still says why.
        const last = cs.lastState?.terminated;
        const exit = last ? ` (last exit: ${last.reason ?? 'terminated'}, code ${last.exitCode})` : '';
        reasons.add(`${p.metadata?.name}: restarted ${cs.restartCount}x${exit}`);
      }
    }
  }
  return [...reasons].join('; ') || 'no pod became ready (no reason reported yet)';
}

export function createReplicaHandlers(deps: ReplicaHandlerDeps): StepHandlers {
  const { kube, scale } = deps;
  const pollMs = deps.pollMs ?? 500;

  const setReplicas = async (namespace: string, deployment: string, replicas: number): Promise<boolean> => {
    const r = await guardedWrite({
      read: async () => {
        const now = await scale.getScale(namespace, deployment);
        return { value: now.replicas, resourceVersion: now.resourceVersion };
      },
      target: replicas,
      same: (a, b) => a === b,
      what: `deployment/${deployment}'s replicas`,
      show: String,
      write: (rv) => scale.setReplicas(namespace, deployment, replicas, rv),
    });
    return r.written;
  };

  /** Why the Deployment a scale-down targets still gets traffic, or undefined when it gets none. */
  const stillServing = async (
    namespace: string,
    g: NonNullable<ScaleDesired['notServing']>,
  ): Promise<string | undefined> => {
    if (g.kind === 'selector') {
      if (!deps.services) throw new RipcordError('invalid', 'a colour scale-down needs the Service port');
      const { selector } = await deps.services.read(namespace, g.service);
      return selector[g.key] === g.value
        ? `service/${g.service} selects ${g.key}=${g.value} again`
        : undefined;
    }
    if (!deps.router) throw new RipcordError('invalid', 'a canary scale-down needs the traffic router port');
    const { weights } = await deps.router(g.ref.kind).getWeights(g.ref);
    const w = weights[g.backend] ?? 0;
    return w > 0 ? `${g.ref.kind}/${g.ref.name} sends ${w}% to ${g.backend} again` : undefined;
  };

  return {
    [REPLICA_STEP_KINDS.scale]: {
      async apply(step, ctx) {
        const d = desiredOf(step, ScaleDesired);
        const { deployment } = await kube.snapshot(d.namespace, d.deployment);
        if (d.deploymentUid && deployment.metadata?.uid !== d.deploymentUid) {
          throw new RipcordError(
            'refused',
            `deployment/${d.deployment} was recreated since the plan was made; nothing was changed. Plan again`,
          );
        }
        if ((deployment.spec?.replicas ?? 1) === d.replicas) return { replicas: d.replicas, scaled: false };
        if (d.afterMs > 0) {
          ctx.progress(
            `scaling deployment/${d.deployment} to ${d.replicas} in ${Math.round(d.afterMs / 1000)}s`,
          );
          await pauseOrAbort(d.afterMs, ctx.signal, `scaling deployment/${d.deployment}`);
        }
        // After the drain, and on a resume hours later: traffic may have been sent back to it meanwhile.
        const serving = d.notServing ? await stillServing(d.namespace, d.notServing) : undefined;
        if (serving) {
          throw new RipcordError(
            'refused',
            `${serving} since the plan was made: deployment/${d.deployment} still serves, so it was not scaled to ` +
              `${d.replicas} (it keeps ${deployment.spec?.replicas ?? 1}). Scale it down yourself once it no longer gets traffic`,
          );
        }
        const scaled = await setReplicas(d.namespace, d.deployment, d.replicas);
        return { replicas: d.replicas, scaled, previous: deployment.spec?.replicas ?? 1 };
      },
      async check(step) {
        const d = desiredOf(step, ScaleDesired);
        return (await scale.getScale(d.namespace, d.deployment)).replicas === d.replicas;
      },
    },

    [REPLICA_STEP_KINDS.waitReady]: {
      async apply(step, ctx) {
        const d = desiredOf(step, WaitReadyDesired);
        const deadline = ctx.clock.now().getTime() + d.timeoutMs;
        for (;;) {
          const s = await scale.getScale(d.namespace, d.deployment);
          if (s.readyReplicas >= d.readyReplicas) return { readyReplicas: s.readyReplicas };
          ctx.progress(`deployment/${d.deployment}: ${s.readyReplicas}/${d.readyReplicas} ready`);
          if (ctx.clock.now().getTime() >= deadline) {
            const why = await notReadyReasons(kube, d.namespace, d.deployment);
            await setReplicas(d.namespace, d.deployment, d.restoreReplicas);
            throw new RipcordError(
              'refused',
              `deployment/${d.deployment} did not get ${d.readyReplicas} ready replica(s) within ` +
                `${Math.round(d.timeoutMs / 1000)}s (${s.readyReplicas} ready): ${why}. It was scaled back to ` +
                `${d.restoreReplicas}; ${d.unmoved ?? 'the selector was not switched'}, traffic stays where it was`,
            );
          }
          await pauseOrAbort(pollMs, ctx.signal, 'waiting for readiness');
        }
      },
      async check(step) {
        const d = desiredOf(step, WaitReadyDesired);
        return (await scale.getScale(d.namespace, d.deployment)).readyReplicas >= d.readyReplicas;
      },
    },
  };
}
