/** The verification checklist a run proved, read back from its steps' evidence (for summaries and messages). */
import type { ExecuteResult } from '../executor.js';
import type { VerifyItem } from '../verify.js';

/**
 * The run's verification checklist: the pods-and-health items of the verify step, then the metric items of
 * verify-recovery (error rate, P50, alerts) when the plan had one.
 */
export function checklistOf(result: ExecuteResult): VerifyItem[] {
  const out: VerifyItem[] = [];
  for (const s of result.steps) {
    const ev = s.evidence as
      { checklist?: VerifyItem[]; items?: Array<{ name: string; ok: boolean; detail: string }> } | undefined;
    if (ev && Array.isArray(ev.checklist)) out.push(...ev.checklist);
    if (s.stepId === 'verify-recovery' && ev && Array.isArray(ev.items)) {
      out.push(
        ...ev.items.map((i) => ({ name: `recovery-${i.name}`, ok: i.ok, detail: i.detail, evidence: {} })),
      );
    }
  }
  return out;
}
