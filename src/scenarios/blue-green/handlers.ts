/**
 * The blue-green step handlers, over the Service-selector, scale, Kubernetes and probe ports. Each apply sets a
 * desired state and is safe to repeat; each check observes it. The switch re-checks, right before its one
 * write, that the selector is still the planned one and that the target colour can serve: never a blackout.
 */
import { templateImages } from '../../core/app-rollback/history.js';
import { RipcordError } from '../../core/errors.js';
import { labelText, sameMap } from '../../core/labels.js';
import { StepFailedError, type StepHandlers } from '../../core/executor.js';
import type { KubernetesPort, ProbePort, ScalePort, ServiceSelectorPort } from '../../core/ports.js';
import { answeredBy, servedText } from '../../core/steps/answered-by.js';
import { guardedWrite } from '../../core/steps/guarded-write.js';
import { desiredOf } from '../../core/steps/desired.js';
import { pauseOrAbort } from '../../core/steps/pause.js';
import { withRollbackMark } from '../../core/traffic/rollback-mark.js';
import { createReplicaHandlers } from '../../core/steps/replicas.js';
import { BLUE_GREEN_STEP_KINDS, SwitchDesired, VerifyEndpointsDesired } from './steps.js';

export interface BlueGreenHandlerDeps {
  kube: KubernetesPort;
  services: ServiceSelectorPort;
  scale: ScalePort;
  probe: ProbePort;
  /** Between polls; shorter in tests. */
  pollMs?: number;
}

export function createBlueGreenHandlers(deps: BlueGreenHandlerDeps): StepHandlers {
  const { kube, services, scale } = deps;
  const pollMs = deps.pollMs ?? 500;

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

  return {
    ...createReplicaHandlers(deps),

    [BLUE_GREEN_STEP_KINDS.switchSelector]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SwitchDesired);
        let annotations: Record<string, string> | undefined;
        const r = await guardedWrite({
          read: async () => {
            const now = await services.read(d.namespace, d.service);
            annotations = now.annotations;
            return { value: now.selector, resourceVersion: now.resourceVersion };
          },
          target: d.selector,
          planned: d.from,
          same: sameMap,
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
          // The mark rides on the same write: "already rolled back" is read from the cluster, not a journal.
          write: (rv) =>
            services.setSelector(
              d.namespace,
              d.service,
              d.selector,
              rv,
              withRollbackMark(annotations, {
                colour: d.selector[d.colourKey] ?? '',
                run: ctx.runId,
                at: ctx.clock.now().toISOString(),
                ...(d.targetImages ? { images: d.targetImages } : {}),
              }),
            ),
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
        return sameMap((await services.read(d.namespace, d.service)).selector, d.selector);
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
          await pauseOrAbort(pollMs, ctx.signal, 'verifying endpoints');
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
