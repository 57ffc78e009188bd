import { formatDuration } from '../../core/duration.js';
import type { ExecuteResult, ExecutorEvent } from '../../core/executor.js';
import type { Plan } from '../../core/plan.js';
import { CHECK_MARK, type VerifyItem } from '../../core/verify/item.js';

/** One line per executor event, for live progress on stderr. */
export function eventLine(e: ExecutorEvent): string | undefined {
  switch (e.type) {
    case 'run-start':
      return `run ${e.runId}${e.resumed ? ' (resumed)' : ''}: ${e.steps} steps`;
    case 'step-start':
      return `-> ${e.stepId}: ${e.description}`;
    case 'step-progress':
      return `   ${e.message}`;
    case 'step-done':
      return e.how === 'journal'
        ? `   ${e.stepId}: done earlier (journal)`
        : `   ${e.stepId}: done in ${formatDuration(e.durationMs)}${e.how === 'already satisfied' ? ' (already satisfied)' : ''}`;
    case 'step-failed':
      return `   ${e.stepId}: FAILED after ${formatDuration(e.durationMs)}: ${e.error}`;
    case 'run-done':
      return undefined;
  }
}

/** The verification checklist out of a run's step evidence, wherever the verify step put it. */
import { checklistOf } from '../../core/steps/checklist.js';

export { checklistOf };

/** `[x]` passed, `[!]` failed, `[-]` not checked (with the setting that would check it). */
export function checklistText(items: readonly VerifyItem[]): string[] {
  return items.map(
    (i) =>
      `  ${CHECK_MARK[i.status]} ${i.name}: ${i.status === 'not-checked' ? 'NOT CHECKED: ' : ''}${i.detail}${i.enable ? ` (set ${i.enable})` : ''}`,
  );
}

/** The summary a person reads after a rollback: from → to, measured time against the RTO, the checklist. */
export function runSummaryText(plan: Plan, result: ExecuteResult): string {
  // A target with no images (an Argo CD history entry, a sync policy) is named by its change cause.
  const rev = (r: Plan['from']): string =>
    r.images.length === 0 && r.changeCause
      ? r.changeCause
      : `revision ${r.revision} (${r.images.join(', ')})`;
  const v = result.summary.verification;
  const done = plan.done ?? 'Rolled back';
  const head =
    result.status !== 'succeeded'
      ? `${plan.done ? 'Run' : 'Rollback'} ${result.status}`
      : v && !v.verified
        ? `${done}, NOT verified`
        : done;
  const lines = [
    `${head}: ${plan.service} ${rev(plan.from)} -> ${rev(plan.to)}`,
    `Time: ${result.summary.line}`,
  ];
  const items = checklistOf(result, plan);
  if (items.length > 0) lines.push(`Verification: ${v?.line ?? ''}`.trimEnd(), ...checklistText(items));
  if (result.error) lines.push(`Error: ${result.error.message}`);
  lines.push(`Run: ${result.runId} (ripcord show ${result.runId})`);
  return lines.join('\n');
}
