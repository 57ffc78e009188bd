/**
 * A rollback plan is data: an ordered list of steps, each setting a desired state that is safe to apply
 * again. `ripcord plan` prints it; `ripcord rollback` executes the very same object; the journal stores it.
 *
 * The model is a leaf: it imports nothing from the rest of core, so every module may use it without a cycle.
 * core/plan.ts re-exports it.
 */

import type { DataDiff } from './data-diff.js';
import type { ReleaseJudgement } from './judgement.js';

/** How careful a person must be before a step runs: dangerous steps need --yes or an approval. */
export type Danger = 'safe' | 'caution' | 'dangerous';

/** Which quick-reference row of the runbook a plan implements. */
export type Scenario = 'app' | 'database' | 'config' | 'secret' | 'flag' | 'blue-green' | 'canary' | 'argocd';

/**
 * What a step is for in the plan's shape, so composition (the lock around the body, the recovery check after
 * the verification) finds its place by role, not by a step id. Absent in plans journaled before roles.
 */
export type StepRole =
  'lock' | 'change' | 'wait' | 'verify' | 'recovery' | 'verify-checks' | 'notify' | 'unlock';

/** One step: what it changes, why, how to know it is already done, and how long it should take. */
export interface PlanStep {
  /** Stable within a plan, e.g. `set-template`, `wait-rollout`; the journal keys on it. */
  id: string;
  /** Names the executor handler, e.g. `k8s.set-deployment-template`. */
  kind: string;
  role?: StepRole;
  description: string;
  /** Human-readable object the step touches, e.g. `deployment/venue-service -n tickettoken`. */
  target: string;
  /** Why this step exists, in the runbook's words where possible. */
  why: string;
  /** What must hold before the step may run (human text; checked by the handler). */
  precondition: string;
  /** The desired state the step sets; handler-specific, JSON-serialisable. */
  desired: unknown;
  /** What is observed afterwards to call the step done (also checked first on resume). */
  postcondition: string;
  danger: Danger;
  expectedDurationMs: number;
  /**
   * Re-check the postcondition on resume even when the journal says done, because the state can lapse on
   * its own while nobody runs (a Lease expires; someone else may take it).
   */
  recheckOnResume?: boolean;
}

/** A revision of a workload as Ripcord shows it: number, images, change-cause. */
export interface RevisionRef {
  revision: number;
  images: string[];
  changeCause?: string;
}

/** A Kubernetes cluster as a kubeconfig names it. */
export interface ClusterRef {
  context: string;
  server?: string;
}

export interface Plan {
  service: string;
  scenario: Scenario;
  namespace: string;
  createdAt: string;
  from: RevisionRef;
  to: RevisionRef;
  /** What differs between the current template and the target (images, env names, annotations...). */
  changes: TemplateChange[];
  steps: PlanStep[];
  /** The runbook's RTO target for this scenario, to measure the run against. */
  rtoTargetMs: number;
  warnings: string[];
  /**
   * What a run of the plan does, in the past tense, for its summary ("Resumed auto-sync"); absent: a rollback
   * ("Rolled back"). Plans that are not rollbacks (gitops resume-sync) set it.
   */
  done?: string;
  /** Set when nothing needs doing, with kubectl's own wording where it has one. */
  noop?: string;
  /** Config and secret rollbacks: the keys added/removed/changed per object (Secret and Vault values masked). */
  dataDiff?: DataDiff[];
  /**
   * What the plan changes, one entry per target, tagged by kind (core/plan-diff.ts). Scenarios that change no
   * pod template (traffic, selectors, GitOps) set it; for the others it is derived from from/to/changes/dataDiff.
   */
  diff?: PlanDiff[];
  /**
   * The cluster the plan was observed on: the kube context and its API server. `resume` acts on this cluster,
   * whatever the current config says, and refuses when the context now points at another server.
   */
  cluster?: ClusterRef;
  /** Set when a watch planned it: the verdict and its evidence (`ripcord explain RUN` prints it). */
  trigger?: ReleaseJudgement;
  /**
   * The checklist lines that must be checked for the run to count as verified (`verify.require`; default the
   * runbook's seven). Plans journaled before it are judged by the default.
   */
  verification?: { require: string[] };
}

/** One target's change, tagged by what kind of state it is; values only where they are safe to show. */
export type PlanDiff =
  | { kind: 'pod-template'; target: string; from: RevisionRef; to: RevisionRef; changes: TemplateChange[] }
  | { kind: 'config-data'; target: string; from: string; to: string; data: DataDiff }
  | { kind: 'flag-state'; target: string; from: 'on' | 'off' | 'unknown'; to: 'on' | 'off' }
  | { kind: 'traffic-weights'; target: string; from: Record<string, number>; to: Record<string, number> }
  /** Every other route of a routing object that reached the canary (issue 29), one change per line. */
  | { kind: 'traffic-routes'; target: string; changes: Array<{ route: string; from: string; to: string }> }
  | { kind: 'service-selector'; target: string; from: Record<string, string>; to: Record<string, string> }
  | { kind: 'gitops-revision'; target: string; from: string; to: string };

/**
 * One difference between the running template and the target. `from`/`to` carry values only where values are
 * safe to show (images, resources, labels, annotations); env vars and command lines are named, never shown.
 */
export interface TemplateChange {
  field: string;
  change: 'added' | 'removed' | 'changed';
  from?: string;
  to?: string;
}
