/**
 * What a pure planner needs to know about a service. The compiled config maps onto it once (scenarios/
 * plan-service.ts); every scenario's planner takes it, so a new setting reaches every scenario at once.
 */
export interface PlanService {
  /** Service name as in ripcord.yaml; names the lock. */
  name: string;
  namespace: string;
  deployment: string;
  /** Health endpoint probed by verification (runbook: `curl .../health`). */
  healthUrl?: string;
  verifyWindowMs: number;
  healthTimeoutMs: number;
  /** Lease of the rollback lock; absent: three RTO targets, at least 15 minutes. */
  lockLeaseSeconds?: number;
  /** rollout.timeout: the longest wait for `rollout status` (kubectl's --timeout). */
  rolloutTimeoutMs?: number;
}
