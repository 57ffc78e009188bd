import type { Plan } from './model/plan.js';
import type { RunClaim, RunRecord, RunStatus, StepRecord, StepStatus } from './model/run.js';

export type * from './model/run.js';

/**
 * The journal is the source of truth for a run: intent is written before a step, outcome after. On resume the
 * executor reads it back. Implementations: SQLite (default, under .ripcord/) and PostgreSQL (teams).
 */
export interface Journal {
  createRun(run: {
    id: string;
    service: string;
    scenario: string;
    plan: Plan;
    owner?: string;
  }): Promise<void>;
  setRunStatus(
    runId: string,
    status: RunStatus,
    extra?: { error?: string; summary?: unknown; owner?: string },
  ): Promise<void>;
  recordIntent(runId: string, stepId: string, index: number, at: Date): Promise<void>;
  recordOutcome(
    runId: string,
    stepId: string,
    outcome: { status: Exclude<StepStatus, 'intent'>; at: Date; evidence?: unknown; error?: string },
  ): Promise<void>;
  /**
   * Compare-and-set on a run: moves it to `to` (default 'running') and records `owner`, but only when its
   * status is one of `from` (and, with `fromOwner`, its owner is that one; null means none), atomically
   * against every other process on the same store. True when this caller won; false when the run is absent
   * or somebody else changed it first. Two `ripcord approve RUN` at once, or two controller replicas resuming
   * an interrupted run, both call it: exactly one gets true.
   */
  claimRun(runId: string, claim: RunClaim): Promise<boolean>;
  getRun(runId: string): Promise<{ run: RunRecord; steps: StepRecord[] } | undefined>;
  listRuns(filter?: { service?: string; limit?: number }): Promise<RunRecord[]>;
  close(): Promise<void>;
}
