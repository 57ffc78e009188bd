import type { CompiledService } from '../../config/compile.js';

/**
 * What every scenario's planner needs from the compiled service (AppRollbackService, ConfigPlanService and
 * FlagRollbackService all accept it): one mapping, so a new setting reaches every scenario at once.
 */
export interface PlanService {
  name: string;
  namespace: string;
  deployment: string;
  healthUrl?: string;
  verifyWindowMs: number;
  healthTimeoutMs: number;
  lockLeaseSeconds: number;
  /** rollout.timeout: the longest wait for `rollout status` (kubectl's --timeout). */
  rolloutTimeoutMs: number;
}

export function planServiceOf(service: CompiledService): PlanService {
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
