/**
 * An in-memory Journal for executor tests. It follows the contract the real stores must keep: recording the
 * intent of a step that already has a record starts it again (a resumed or retried step), and runs and steps
 * are returned as copies so a test cannot mutate the "database".
 */
import type { Journal, RunRecord, StepRecord } from '../../src/core/journal.js';

export interface MemoryJournal extends Journal {
  /** Every call, in order, for assertions on what was written when. */
  readonly calls: Array<{ op: string; stepId?: string; status?: string }>;
  /**
   * Simulates the process dying right after `stepId` was applied: its outcome is never written, and every
   * write after that throws, until revive() (a new process opening the same database).
   */
  crashOnOutcome(stepId: string): void;
  revive(): void;
}

export function createMemoryJournal(): MemoryJournal {
  const runs = new Map<string, RunRecord>();
  const steps = new Map<string, StepRecord[]>();
  const calls: MemoryJournal['calls'] = [];
  const crashes = new Set<string>();
  let dead = false;
  const now = (): string => new Date().toISOString();
  const alive = (): void => {
    if (dead) throw new Error('simulated crash: the process is gone');
  };

  return {
    calls,
    crashOnOutcome(stepId) {
      crashes.add(stepId);
    },
    revive() {
      dead = false;
    },
    async createRun(run) {
      alive();
      calls.push({ op: 'createRun' });
      if (runs.has(run.id)) throw new Error(`run ${run.id} exists`);
      runs.set(run.id, {
        id: run.id,
        service: run.service,
        scenario: run.scenario,
        status: 'planned',
        plan: structuredClone(run.plan),
        createdAt: now(),
        updatedAt: now(),
        ...(run.owner ? { owner: run.owner } : {}),
      });
      steps.set(run.id, []);
    },
    async setRunStatus(runId, status, extra = {}) {
      alive();
      calls.push({ op: 'setRunStatus', status });
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      Object.assign(run, { status, updatedAt: now() }, structuredClone(extra));
      if (status === 'succeeded') delete run.error;
    },
    async claimRun(runId, claim) {
      alive();
      calls.push({ op: 'claimRun', status: claim.to ?? 'running' });
      const run = runs.get(runId);
      if (!run || !claim.from.includes(run.status)) return false;
      if (claim.fromOwner !== undefined && (run.owner ?? null) !== claim.fromOwner) return false;
      Object.assign(run, { status: claim.to ?? 'running', owner: claim.owner, updatedAt: now() });
      return true;
    },
    async recordIntent(runId, stepId, index, at) {
      alive();
      calls.push({ op: 'recordIntent', stepId });
      const list = steps.get(runId);
      if (!list) throw new Error(`no run ${runId}`);
      const rec: StepRecord = { runId, stepId, index, status: 'intent', startedAt: at.toISOString() };
      const i = list.findIndex((s) => s.stepId === stepId);
      if (i >= 0) list[i] = rec;
      else list.push(rec);
    },
    async recordOutcome(runId, stepId, outcome) {
      alive();
      if (crashes.delete(stepId)) {
        dead = true;
        throw new Error(`simulated crash before recording ${stepId}`);
      }
      calls.push({ op: 'recordOutcome', stepId, status: outcome.status });
      const rec = steps.get(runId)?.find((s) => s.stepId === stepId);
      if (!rec) throw new Error(`outcome without intent: ${stepId}`);
      rec.status = outcome.status;
      rec.finishedAt = outcome.at.toISOString();
      rec.durationMs = outcome.at.getTime() - Date.parse(rec.startedAt);
      if (outcome.evidence !== undefined) rec.evidence = structuredClone(outcome.evidence);
      if (outcome.error !== undefined) rec.error = outcome.error;
    },
    async getRun(runId) {
      const run = runs.get(runId);
      if (!run) return undefined;
      return { run: structuredClone(run), steps: structuredClone(steps.get(runId) ?? []) };
    },
    async listRuns(filter = {}) {
      return [...runs.values()]
        .filter((r) => !filter.service || r.service === filter.service)
        .slice(0, filter.limit ?? Infinity)
        .map((r) => structuredClone(r));
    },
    async close() {},
  };
}
