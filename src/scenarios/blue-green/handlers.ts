/**
 * The blue-green step handlers, over the Service-selector, scale, Kubernetes and probe ports. Each apply sets a
 * desired state and is safe to repeat; each check observes it. The switch re-checks, right before its one
 * write, that the selector is still the planned one and that the target colour can serve: never a blackout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { labelSelectorToString } from '../../core/app-rollback/deployment-util.js';
import { templateImages } from '../../core/app-rollback/history.js';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';
import { StepFailedError, type StepContext, type StepHandlers } from '../../core/executor.js';
import type {
  KubernetesPort,
  ProbePort,
  ScalePort,
  ServiceSelectorPort,
  TrafficRef,
  TrafficRouterPort,
} from '../../core/ports.js';
import { answeredBy, servedText } from '../../core/steps/answered-by.js';
import { guardedWrite } from '../../core/steps/guarded-write.js';
import { desiredOf } from '../../core/steps/desired.js';
import {
  BLUE_GREEN_STEP_KINDS,
  ScaleDesired,
  SwitchDesired,
  VerifyEndpointsDesired,
  WaitReadyDesired,
} from './steps.js';

export interface BlueGreenHandlerDeps {
  kube: KubernetesPort;
  services: ServiceSelectorPort;
  scale: ScalePort;
  probe: ProbePort;
  /** The canary's route, for its scale-down's re-check that the canary gets no traffic. */
  router?: (kind: TrafficRef['kind']) => TrafficRouterPort;
  /** Between polls; shorter in tests. */
  pollMs?: number;
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>): boolean => {
  const ka = Object.keys(a).sort();
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};
const labelText = (l: Record<string, string>): string =>
  Object.entries(l)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '<none>';

async function pause(ms: number, ctx: StepContext, what: string): Promise<void> {
  try {
    await sleep(ms, undefined, { signal: ctx.signal });
  } catch {
    throw new AbortedError(`${what} aborted: ${abortReason(ctx.signal)}`);
  }
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

export function createBlueGreenHandlers(deps: BlueGreenHandlerDeps): StepHandlers {
  const { kube, services, scale } = deps;
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

  /**
   * The target colour still runs the release the plan switches to, and its rollout is complete (every replica
   * updated, no old pod left, the controller has seen the latest spec): else refused, nothing changed.
   */
  const refuseIfTargetMoved = async (d: SwitchDesired): Promise<void> => {
    const { deployment } = await kube.snapshot(d.namespace, d.targetDeployment);
    const images = templateImages(deployment.spec?.template);
    if (images.join(',') !== (d.targetImages ?? []).join(',')) {
      throw new RipcordError(
        'refused',
        `deployment/${d.targetDeployment}'s template changed since the plan was made (${(d.targetImages ?? []).join(', ')} -> ` +
          `${images.join(', ')}): it is not the release this rollback switches to; nothing was changed. Plan again`,
      );
    }
    const st = deployment.status ?? {};
    const replicas = deployment.spec?.replicas ?? 1;
    const settled =
      (st.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
      (st.updatedReplicas ?? 0) >= replicas &&
      (st.replicas ?? 0) === (st.updatedReplicas ?? 0);
    if (!settled) {
      throw new RipcordError(
        'refused',
        `deployment/${d.targetDeployment} is in the middle of a rollout (${st.updatedReplicas ?? 0} of ${replicas} ` +
          `updated, ${st.replicas ?? 0} pods): its ready pods may be old ones; nothing was changed. Wait for ` +
          `'kubectl rollout status deployment/${d.targetDeployment}' and plan again`,
      );
    }
  };

  /** Why the Deployment a scale-down targets still gets traffic, or undefined when it gets none. */
  const stillServing = async (
    namespace: string,
    g: NonNullable<ScaleDesired['notServing']>,
  ): Promise<string | undefined> => {
    if (g.kind === 'selector') {
      const { selector } = await services.read(namespace, g.service);
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
    [BLUE_GREEN_STEP_KINDS.scale]: {
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
          await pause(d.afterMs, ctx, `scaling deployment/${d.deployment}`);
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

    [BLUE_GREEN_STEP_KINDS.waitReady]: {
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
                `${d.restoreReplicas}; the selector was not switched, traffic stays where it was`,
            );
          }
          await pause(pollMs, ctx, 'waiting for readiness');
        }
      },
      async check(step) {
        const d = desiredOf(step, WaitReadyDesired);
        return (await scale.getScale(d.namespace, d.deployment)).readyReplicas >= d.readyReplicas;
      },
    },

    [BLUE_GREEN_STEP_KINDS.switchSelector]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SwitchDesired);
        const r = await guardedWrite({
          read: async () => {
            const now = await services.read(d.namespace, d.service);
            return { value: now.selector, resourceVersion: now.resourceVersion };
          },
          target: d.selector,
          planned: d.from,
          same: sameLabels,
          what: `service/${d.service}'s selector`,
          show: labelText,
          ...(ctx.force === true ? { force: true } : {}),
          // The runbook's blackout: never point the Service at a colour that cannot serve, whatever the plan said.
          beforeWrite: async () => {
            if (d.targetImages) await refuseIfTargetMoved(d);
            const ready = (await scale.getScale(d.namespace, d.targetDeployment)).readyReplicas;
            if (ready < d.readyReplicas) {
              throw new RipcordError(
                'refused',
                `deployment/${d.targetDeployment} has ${ready} ready replica(s), fewer than the ${d.readyReplicas} it ` +
                  `must serve: switching service/${d.service} now would black out traffic; nothing was changed`,
              );
            }
          },
          write: (rv) => services.setSelector(d.namespace, d.service, d.selector, rv),
        });
        if (!r.written) return { selector: d.selector, switched: false };
        return {
          selector: d.selector,
          switched: true,
          previous: r.previous,
          ...(r.forced ? { forced: r.forced } : {}),
        };
      },
      async check(step) {
        const d = desiredOf(step, SwitchDesired);
        return sameLabels((await services.read(d.namespace, d.service)).selector, d.selector);
      },
    },

    [BLUE_GREEN_STEP_KINDS.verifyEndpoints]: {
      async apply(step, ctx) {
        const d = desiredOf(step, VerifyEndpointsDesired);
        const deadline = ctx.clock.now().getTime() + d.timeoutMs;
        let endpoints: Array<{ pod: string; labels: Record<string, string> }> = [];
        for (;;) {
          endpoints = await services.readyEndpoints(d.namespace, d.service);
          const others = endpoints.filter((e) => e.labels[d.colourKey] !== d.colour);
          if (others.length === 0 && endpoints.length >= d.minEndpoints) break;
          if (ctx.clock.now().getTime() >= deadline) {
            throw new StepFailedError(
              `service/${d.service} still routes to ${others.length} pod(s) not of ${d.colourKey}=${d.colour} ` +
                `(${others.map((e) => e.pod).join(', ') || 'none'}), ${endpoints.length - others.length} of ${d.colour}`,
              { endpoints },
            );
          }
          ctx.progress(`service/${d.service}: ${others.length} endpoint(s) of the old colour left`);
          await pause(pollMs, ctx, 'verifying endpoints');
        }
        const evidence: Record<string, unknown> = {
          endpoints: endpoints.map((e) => e.pod),
        };
        if (d.probe) {
          const served = await answeredBy(deps.probe, d.probe, ctx.signal);
          evidence.served = served;
          if ((served[d.probe.release] ?? 0) !== d.probe.requests) {
            throw new StepFailedError(
              `requests to ${d.probe.url} were not all answered by ${d.probe.release}: ${servedText(served)}`,
              evidence,
            );
          }
        } else {
          evidence.served = 'not checked (no blueGreen.releaseHeader or healthUrl)';
        }
        return evidence;
      },
      // An observation of now: always done again on resume.
      check: async () => false,
    },
  };
}
