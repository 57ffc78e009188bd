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
  /**
   * The baseline's pods: the revision before it (rolling), the colour live before the switch (blue-green) or
   * the stable Deployment's pods (canary); `deployment` is set when it is another Deployment than the release's.
   */
  previous?: { revision: number; podTemplateHash: string; images: string[]; deployment?: string };
  /** When the rollout began (ISO): a blue-green release, when the Service switched to it. */
  startedAt: string;
  /** How the release reached traffic; absent means rolling (journaled judgements before traffic scenarios). */
  strategy?: ReleaseStrategy;
}

/**
 * rolling and blue-green compare the release with its baseline's pods in a window before `startedAt`; canary
 * compares the canary pods with the stable pods over the same interval (a simultaneous baseline, as Kayenta
 * recommends), so a load change or an incident elsewhere moves both sides alike.
 */
export type ReleaseStrategy = 'rolling' | 'blue-green' | 'canary';

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
