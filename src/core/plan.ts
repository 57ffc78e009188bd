/**
 * A rollback plan is data: an ordered list of steps, each setting a desired state that is safe to apply
 * again. `ripcord plan` prints it; `ripcord rollback` executes the very same object; the journal stores it.
 */

import type { DataDiff } from './config-rollback/data-diff.js';
import type { ReleaseJudgement } from './detect/judge-release.js';

/** How careful a person must be before a step runs: dangerous steps need --yes or an approval. */
export type Danger = 'safe' | 'caution' | 'dangerous';

/** Which quick-reference row of the runbook a plan implements. */
export type Scenario = 'app' | 'database' | 'config' | 'secret' | 'flag' | 'blue-green' | 'canary' | 'argocd';

/** One step: what it changes, why, how to know it is already done, and how long it should take. */
export interface PlanStep {
  /** Stable within a plan, e.g. `set-template`, `wait-rollout`; the journal keys on it. */
  id: string;
  /** Names the executor handler, e.g. `k8s.set-deployment-template`. */
  kind: string;
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
  /** Set when nothing needs doing, with kubectl's own wording where it has one. */
  noop?: string;
  /** Config and secret rollbacks: the keys added/removed/changed per object (Secret and Vault values masked). */
  dataDiff?: DataDiff[];
  /** Set when a watch planned it: the verdict and its evidence (`ripcord explain RUN` prints it). */
  trigger?: ReleaseJudgement;
}

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
