/**
 * The executor handlers of the application rollback: `k8s.set-deployment-template` (kubectl rollout undo's
 * patch) here, and the shared lock, wait-rollout and verify steps from core/steps. Each `apply` sets desired
 * state and is safe to repeat; each `check` observes the step's postcondition for resume. Evidence holds names,
 * numbers and statuses, never env or Secret values.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { annotationsForApply, templateApplied } from '../../core/app-rollback/kubectl-rollback.js';
import { replicaSetTemplate, templateHash } from '../../core/app-rollback/template-hash.js';
import { RipcordError } from '../../core/errors.js';
import type { StepHandlers } from '../../core/executor.js';
import type { LockKeeper } from '../../core/lock-keeper.js';
import type { DeploymentSnapshot, KubernetesPort, ProbePort } from '../../core/ports.js';
import { deploymentForChange, refuseIfTemplateMoved } from '../../core/steps/deployment-guard.js';
import { desiredOf } from '../../core/steps/desired.js';
import { lockHandlers } from '../../core/steps/lock.js';
import { verifyHandlers } from '../../core/steps/verify.js';
import { waitRolloutHandlers } from '../../core/steps/wait-rollout.js';
import { SET_TEMPLATE_STEP_KIND, SetTemplateDesired } from './plan.js';

export interface AppHandlerDeps {
  kube: KubernetesPort;
  probe: ProbePort;
  /** Waits out the verify window; replaceable so unit tests need not wait. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Renews the Leases a run holds; absent in unit tests that need no renewal. */
  locks?: LockKeeper;
}

/**
 * The template the step sets: the target ReplicaSet's own, read now (the journal holds only a masked copy).
 * Plans journaled before that change carry the whole template and are applied as they are.
 */
function targetTemplate(
  snap: DeploymentSnapshot,
  d: {
    replicaSet: string;
    replicaSetUid?: string | undefined;
    templateHash?: string | undefined;
    template: V1PodTemplateSpec;
  },
): V1PodTemplateSpec {
  if (!d.replicaSetUid || !d.templateHash) return d.template;
  const rs = snap.replicaSets.find((r) => r.metadata?.name === d.replicaSet);
  if (!rs || rs.metadata?.uid !== d.replicaSetUid) {
    throw new RipcordError(
      'refused',
      `replicaset/${d.replicaSet} the plan rolls back to is gone or was recreated since the plan was made; plan again`,
    );
  }
  const template = replicaSetTemplate(rs);
  if (templateHash(template) !== d.templateHash) {
    throw new RipcordError(
      'refused',
      `replicaset/${d.replicaSet}'s template changed since the plan was made; plan again`,
    );
  }
  return template;
}

/** `k8s.set-deployment-template`: the Deployment's template := the target ReplicaSet's, as kubectl rollout undo. */
export function setTemplateHandlers(kube: KubernetesPort): StepHandlers {
  return {
    [SET_TEMPLATE_STEP_KIND]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SetTemplateDesired);
        // Read, compare, write with the resourceVersion read: a change by somebody else in between is a 409,
        // after which we look again (it may be one we must refuse to overwrite).
        for (let attempt = 0; ; attempt++) {
          const snap = await kube.snapshot(d.namespace, d.deployment);
          const deployment = await deploymentForChange(
            kube,
            d,
            `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${d.deployment}' and try again`,
            snap,
          );
          const template = targetTemplate(snap, d);
          if (templateApplied(deployment, { template, annotations: d.annotations })) {
            return {
              toRevision: d.toRevision,
              replicaSet: d.replicaSet,
              patched: false,
              reason: 'template already set',
            };
          }
          const forced = refuseIfTemplateMoved(deployment, d, ctx.force === true);
          try {
            const patched = await kube.setTemplate(d.namespace, d.deployment, {
              template,
              annotations: annotationsForApply(deployment.metadata?.annotations, d.annotations),
              resourceVersion: deployment.metadata?.resourceVersion ?? '',
            });
            return {
              toRevision: d.toRevision,
              replicaSet: d.replicaSet,
              patched: true,
              ...(forced ? { forced } : {}),
              generation: patched.metadata?.generation,
              resourceVersion: patched.metadata?.resourceVersion,
            };
          } catch (err) {
            if (attempt < 3 && err instanceof RipcordError && err.retryable && /conflict/.test(err.message))
              continue;
            throw err;
          }
        }
      },
      async check(step) {
        const d = desiredOf(step, SetTemplateDesired);
        const snap = await kube.snapshot(d.namespace, d.deployment);
        const { deployment } = snap;
        if (deployment.metadata?.uid !== d.deploymentUid) return false;
        let template: V1PodTemplateSpec;
        try {
          template = targetTemplate(snap, d);
        } catch {
          return false; // apply will say why
        }
        return templateApplied(deployment, { template, annotations: d.annotations });
      },
    },
  };
}

/** Every step kind an app rollback plan holds: the lock, set-template, wait-rollout, verify. */
export function createAppRollbackHandlers(deps: AppHandlerDeps): StepHandlers {
  return {
    ...lockHandlers({ kube: deps.kube, ...(deps.locks ? { locks: deps.locks } : {}) }),
    ...setTemplateHandlers(deps.kube),
    ...waitRolloutHandlers(deps.kube),
    ...verifyHandlers({ kube: deps.kube, probe: deps.probe, ...(deps.wait ? { wait: deps.wait } : {}) }),
  };
}
