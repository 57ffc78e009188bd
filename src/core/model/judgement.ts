/**
 * A watch's verdict on a release, as a plan carries it (Plan.trigger) and `ripcord explain` prints it. Types
 * only; judged by core/detect/judge-release.ts, which re-exports them (as core/detect/release.ts re-exports
 * ReleaseUnderWatch and core/judge/verdict.ts VerdictKind).
 */

/**
 * What every judge answers. The five outcomes are kept apart on purpose: "not enough traffic" and "inconclusive"
 * are never folded into pass, because a rollback tool that reads silence as health ships bad releases (Argo
 * Rollouts issues #1466 and #4479).
 */
export type VerdictKind = 'fail' | 'pass' | 'continue' | 'not-enough-traffic' | 'inconclusive';

export interface ReleaseUnderWatch {
  namespace: string;
  deployment: string;
  revision: number;
  /** pod-template-hash of the new ReplicaSet: selects the release's pods in Prometheus. */
  podTemplateHash: string;
  images: string[];
  /** The revision before it, and its pods' hash (the rolling deploy's baseline), when there is one. */
  previous?: { revision: number; podTemplateHash: string; images: string[] };
  /** When the rollout began (ISO). */
  startedAt: string;
}

export type TriggerName = 'error-rate' | 'latency' | 'memory-leak' | 'pods' | 'smoke-checks';

export interface TriggerResult {
  trigger: TriggerName;
  verdict: VerdictKind;
  reason: string;
  evidence: unknown;
}

export type Decision = 'rollback' | 'healthy' | 'watching' | 'not-enough-traffic' | 'inconclusive';

export interface ReleaseJudgement {
  decision: Decision;
  reason: string;
  release: ReleaseUnderWatch;
  evaluatedAt: string;
  elapsedMs: number;
  triggers: TriggerResult[];
}
