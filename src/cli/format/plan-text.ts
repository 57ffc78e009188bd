import { formatDuration } from '../../core/duration.js';
import type { Plan } from '../../core/plan.js';
import { extraChangeLines } from '../../core/plan-diff.js';

/** The human form of a plan: from → to, what changes, the ordered steps with danger and expected time. */
export function planText(plan: Plan): string {
  const rev = (r: Plan['from']): string => `revision ${r.revision} (${r.images.join(', ') || 'no images'})`;
  const out: string[] = [
    `Plan: ${plan.scenario} rollback of ${plan.service} in ${plan.namespace}`,
    `  from ${rev(plan.from)}`,
    `  to   ${rev(plan.to)}${plan.to.changeCause ? `  change-cause: ${plan.to.changeCause}` : ''}`,
    `  RTO target ${formatDuration(plan.rtoTargetMs)}`,
  ];
  if (plan.noop) return [...out, '', plan.noop].join('\n');
  const changes = [...plan.changes, ...extraChangeLines(plan)];
  if (changes.length > 0) {
    out.push('', 'Changes:');
    for (const c of changes) {
      out.push(`  ${c.change.padEnd(8)} ${c.field}: ${c.from ?? '<none>'} -> ${c.to ?? '<none>'}`);
    }
  }
  out.push('', 'Steps:');
  plan.steps.forEach((s, i) => {
    const danger = s.danger === 'safe' ? '' : `  [${s.danger}]`;
    out.push(`  ${i + 1}. ${s.id}: ${s.description}  (~${formatDuration(s.expectedDurationMs)})${danger}`);
    out.push(`     target: ${s.target}`);
    out.push(`     why:    ${s.why}`);
    out.push(`     done when: ${s.postcondition}`);
  });
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}
