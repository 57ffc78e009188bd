/**
 * `kubectl rollout restart` as a plan step (`config.restart-deployment`: the kind keeps its first owner's name
 * so journaled plans resume): the pod template's restartedAt annotation equals the planned timestamp. Config
 * and secret rollbacks restart so that pods read the restored data; any scenario may use it.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import * as z from 'zod';
import type { StepHandlers } from '../executor.js';
import type { PlanStep } from '../plan.js';
import type { ConfigPort, KubernetesPort } from '../ports.js';
import { deploymentForChange, refuseIfTemplateMoved } from './deployment-guard.js';
import { desiredOf, plannedFrom, PlannedFromSchema } from './desired.js';

export const RESTART_STEP_KIND = 'config.restart-deployment';

/** kubectl rollout restart's annotation on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** desired of `config.restart-deployment`: the template annotation restartedAt equals this value. */
export const RestartDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  deploymentUid: z.string(),
  restartedAt: z.string().min(1),
  /** The Deployment's template when the plan was made: a deploy by somebody else since is refused. */
  from: PlannedFromSchema.optional(),
});
export type RestartDesired = z.infer<typeof RestartDesired>;

/** kubectl's RFC3339 form (no milliseconds), as `kubectl rollout restart` writes it. */
export function restartTimestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function restartStep(
  deployment: V1Deployment,
  fallback: { namespace: string; deployment: string },
  now: Date,
  why: string,
): PlanStep {
  const name = deployment.metadata?.name ?? fallback.deployment;
  const namespace = deployment.metadata?.namespace ?? fallback.namespace;
  const restartedAt = restartTimestamp(now);
  return {
    id: 'restart',
    kind: RESTART_STEP_KIND,
    role: 'change',
    description: `Restart the pods of deployment/${name} (kubectl rollout restart)`,
    target: `deployment/${name} -n ${namespace}`,
    why,
    precondition: `deployment/${name} has UID ${deployment.metadata?.uid ?? '?'} and is not paused.`,
    desired: {
      namespace,
      deployment: name,
      deploymentUid: deployment.metadata?.uid ?? '',
      restartedAt,
      from: plannedFrom(deployment),
    } satisfies RestartDesired,
    postcondition: `The pod template's ${RESTARTED_AT_ANNOTATION} annotation is ${restartedAt}.`,
    danger: 'caution',
    expectedDurationMs: 1_000,
  };
}

export interface RestartHandlerDeps {
  kube: KubernetesPort;
  restart: Pick<ConfigPort, 'restartDeployment'>;
}

export function restartHandlers(deps: RestartHandlerDeps): StepHandlers {
  const { kube } = deps;
  return {
    [RESTART_STEP_KIND]: {
      async apply(step, ctx) {
        const d = desiredOf(step, RestartDesired);
        // kubectl's own refusal (objectrestarter.go).
        const deployment = await deploymentForChange(
          kube,
          d,
          `can't restart paused deployment (run rollout resume first): deployment/${d.deployment}`,
        );
        const current = deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
        if (current === d.restartedAt) return { restartedAt: d.restartedAt, patched: false };
        const forced = refuseIfTemplateMoved(deployment, d, ctx.force === true);
        // Guarded by the resourceVersion the checks above read: a change since then is a conflict, not a write.
        await deps.restart.restartDeployment(d.namespace, d.deployment, d.restartedAt, {
          resourceVersion: deployment.metadata?.resourceVersion,
        });
        return {
          restartedAt: d.restartedAt,
          patched: true,
          previous: current ?? null,
          ...(forced ? { forced } : {}),
        };
      },
      async check(step) {
        const d = desiredOf(step, RestartDesired);
        const { deployment } = await kube.snapshot(d.namespace, d.deployment);
        return (
          deployment.metadata?.uid === d.deploymentUid &&
          deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] === d.restartedAt
        );
      },
    },
  };
}
