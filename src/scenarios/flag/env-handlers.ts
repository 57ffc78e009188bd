/**
 * Handler of `flag.set-env` (plan-flag.ts): the env-variable flag set to its off value on the pod template.
 * The rollout wait, verification and lock steps of that plan are the app rollback's, handled by
 * app-handlers.ts. Evidence names the variable and container; the flag's values were declared in ripcord.yaml.
 */
import { z } from 'zod';
import { deploymentForChange, refuseIfTemplateMoved } from '../../core/steps/deployment-guard.js';
import { CHANGE_CAUSE_ANNOTATION } from '../../core/app-rollback/deployment-util.js';
import type { StepHandlers } from '../../core/executor.js';
import { envApplied, FLAG_STEP_KINDS } from './plan.js';
import type { DeploymentEnvPort, KubernetesPort } from '../../core/ports.js';
import { desiredOf, PlannedFromSchema } from '../../core/steps/desired.js';

export const SetEnvDesiredSchema = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  deploymentUid: z.string(),
  container: z.string().min(1),
  variable: z.string().min(1),
  value: z.string(),
  changeCause: z.string(),
  from: PlannedFromSchema.optional(),
});

export function createFlagEnvHandlers(deps: { kube: KubernetesPort; env: DeploymentEnvPort }): StepHandlers {
  const { kube, env } = deps;
  return {
    [FLAG_STEP_KINDS.setEnv]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SetEnvDesiredSchema);
        const deployment = await deploymentForChange(
          kube,
          d,
          `deployment/${d.deployment} is paused: a new variable would never roll out; resume it first with 'kubectl rollout resume deployment/${d.deployment}'`,
        );
        const where = { variable: d.variable, container: d.container, deployment: d.deployment };
        if (envApplied(deployment.spec?.template.spec?.containers, d)) {
          return { ...where, patched: false, reason: 'variable already set' };
        }
        const forced = refuseIfTemplateMoved(deployment, d, ctx.force === true);
        await env.setContainerEnv(d.namespace, d.deployment, {
          container: d.container,
          vars: { [d.variable]: d.value },
          annotations: { [CHANGE_CAUSE_ANNOTATION]: d.changeCause },
          // What the guard above read: a change since then fails the write instead of going through.
          ...(deployment.metadata?.resourceVersion
            ? { resourceVersion: deployment.metadata.resourceVersion }
            : {}),
        });
        return { ...where, patched: true, ...(forced ? { forced } : {}) };
      },
      async check(step) {
        const d = desiredOf(step, SetEnvDesiredSchema);
        const { deployment } = await kube.snapshot(d.namespace, d.deployment);
        return (
          deployment.metadata?.uid === d.deploymentUid &&
          envApplied(deployment.spec?.template.spec?.containers, d)
        );
      },
    },
  };
}
