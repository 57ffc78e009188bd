/**
 * A run as the journal records it: its status, its plan and one record per step. Types only, a leaf of core;
 * core/journal.ts re-exports them beside the Journal port.
 */
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
