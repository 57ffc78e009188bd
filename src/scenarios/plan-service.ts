import type { CompiledService } from '../config/compile.js';
import type { PlanService } from '../core/plan-service.js';

export type { PlanService } from '../core/plan-service.js';

/** The compiled service as every planner sees it (core/plan-service.ts): one mapping for all scenarios. */
export function planServiceOf(
  service: CompiledService,
): PlanService & Required<Pick<PlanService, 'lockLeaseSeconds' | 'rolloutTimeoutMs'>> {
  return {
    name: service.name,
    namespace: service.kube.namespace,
    deployment: service.deployment,
    ...(service.healthUrl ? { healthUrl: service.healthUrl } : {}),
    verifyWindowMs: service.verify.windowMs,
    healthTimeoutMs: service.health.timeoutMs,
    lockLeaseSeconds: service.lock.leaseSeconds,
    rolloutTimeoutMs: service.rollout.timeoutMs,
  };
}
