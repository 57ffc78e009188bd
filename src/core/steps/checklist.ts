/**
 * The verification checklist a run proved, read back from its steps' evidence (for summaries, messages and the
 * run's verdict). Any step may contribute: its evidence's `checklist` array (the verify and verify-checks
 * steps), and the recovery step's `items` (named `recovery-*`).
 */
import type { ExecuteResult, StepOutcome } from '../executor.js';
import type { Plan } from '../plan.js';
import { statusOf, type VerifyItem } from '../verify/item.js';
import {
  CHECKLIST_GROUPS,
  completeChecklist,
  judgeChecklist,
  RUNBOOK_REQUIRED,
  type ChecklistGroup,
  type ChecklistVerdict,
} from '../verify/verdict.js';
import { RECOVERY_STEP_ID } from './recovery.js';

type RawItem = {
  name: string;
  status?: unknown;
  ok?: unknown;
  detail: string;
  evidence?: unknown;
  enable?: string;
};

function normalise(i: RawItem, prefix = ''): VerifyItem {
  return {
    name: `${prefix}${i.name}`,
    status: statusOf(i),
    detail: i.detail,
    evidence: (i.evidence as Record<string, unknown> | undefined) ?? {},
    ...(i.enable ? { enable: i.enable } : {}),
  };
}

/** The items the steps recorded, in plan order (failed steps included: their evidence says what failed). */
export function itemsOf(steps: readonly StepOutcome[]): VerifyItem[] {
  const out: VerifyItem[] = [];
  for (const s of steps) {
    const ev = s.evidence as { checklist?: RawItem[]; items?: RawItem[] } | undefined;
    if (ev && Array.isArray(ev.checklist)) out.push(...ev.checklist.map((i) => normalise(i)));
    if (s.stepId === RECOVERY_STEP_ID && ev && Array.isArray(ev.items))
      out.push(...ev.items.map((i) => normalise(i, 'recovery-')));
  }
  return out;
}

/** The plan's `verify.require`, as groups (unknown names from an older version are dropped). */
export function requiredOf(plan: Pick<Plan, 'verification'> | undefined): ChecklistGroup[] {
  const r = plan?.verification?.require;
  if (!r) return [...RUNBOOK_REQUIRED];
  return r.filter((g): g is ChecklistGroup => (CHECKLIST_GROUPS as readonly string[]).includes(g));
}

/**
 * The run's verdict: only for a run whose rollback steps all ran (a failed or refused run is not "verified"
 * or "not verified", it failed); its checklist gets a not-checked line for every required line it lacks.
 */
export function verdictOf(
  plan: Pick<Plan, 'verification' | 'noop' | 'done'>,
  steps: readonly StepOutcome[],
): ChecklistVerdict | undefined {
  if (plan.noop) return undefined;
  const items = itemsOf(steps);
  const required = requiredOf(plan);
  // A run that is not a rollback (plan.done set) and asks for no checklist has no verdict to give.
  if (plan.done !== undefined && required.length === 0 && items.length === 0) return undefined;
  return judgeChecklist(items, required);
}

/** The run's whole checklist: the steps' items and a not-checked line for each required line missing. */
export function checklistOf(result: ExecuteResult, plan?: Pick<Plan, 'verification'>): VerifyItem[] {
  return completeChecklist(itemsOf(result.steps), requiredOf(plan));
}
