import type { Plan } from './plan.js';

/**
 * The lifecycle of one run. A crashed run stays `running` until `resume`; `aborted` is a run stopped on purpose
 * (SIGINT/SIGTERM, a lost lock), with its lock given back: resumable like a failed one.
 */
export type RunStatus = 'planned' | 'running' | 'succeeded' | 'failed' | 'refused' | 'aborted';

export type StepStatus = 'intent' | 'done' | 'failed' | 'skipped';

export interface RunRecord {
  id: string;
  service: string;
  scenario: string;
  status: RunStatus;
  plan: Plan;
  createdAt: string;
  updatedAt: string;
  /** Who holds it: host and pid of the process that last worked on it (for resume and diagnostics). */
  owner?: string;
  error?: string;
  /** Verification checklist, measured RTO, etc. — whatever the run ends with. */
  summary?: unknown;
}

export interface StepRecord {
  runId: string;
  stepId: string;
  index: number;
  status: StepStatus;
  /** How many times intent was recorded: more than 1 when a resumed run ran the step again. */
  attempts?: number;
  /** When the latest attempt began. */
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** What was observed: the numbers and objects the outcome was decided on. Never secrets. */
  evidence?: unknown;
  error?: string;
}

/** What `claimRun` compares and what it sets. */
export interface RunClaim {
  from: readonly RunStatus[];
  owner: string;
  to?: RunStatus;
  fromOwner?: string | null;
}

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
