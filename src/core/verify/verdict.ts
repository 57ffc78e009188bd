/**
 * The run's verification verdict from its checklist (pure). Items belong to the runbook's checklist lines
 * ("All pods are Running and Ready" ... "Database connectivity verified") plus Ripcord's own (logs, custom
 * commands). A required line that has no item at all gets one, not checked, naming the setting that enables
 * it: a plan without Prometheus did not check the error rate, and says so instead of leaving it out.
 *
 * Verified = nothing failed and every required line was checked. A not-checked line that is not required is
 * shown and counted, but does not block.
 */
import { notChecked, statusOf, type VerifyItem } from './item.js';

export const CHECKLIST_GROUPS = [
  'pods',
  'health',
  'error-rate',
  'latency',
  'core-functionality',
  'alerts',
  'database',
  'logs',
  'commands',
] as const;
export type ChecklistGroup = (typeof CHECKLIST_GROUPS)[number];

/** The runbook's Verification Checklist, line by line: what `verify.require` defaults to. */
export const RUNBOOK_REQUIRED: readonly ChecklistGroup[] = [
  'pods',
  'health',
  'error-rate',
  'latency',
  'core-functionality',
  'alerts',
  'database',
];

/** Which checklist line an item proves. */
export function groupOf(name: string): ChecklistGroup {
  if (name === 'health') return 'health';
  if (name === 'recovery-error-rate') return 'error-rate';
  if (name === 'recovery-latency') return 'latency';
  if (name === 'recovery-alerts') return 'alerts';
  if (name === 'smoke' || name.startsWith('smoke:')) return 'core-functionality';
  if (name === 'database') return 'database';
  if (name === 'logs') return 'logs';
  if (name === 'command' || name.startsWith('command:')) return 'commands';
  return 'pods';
}

/** The item shown for a line the plan had no check for. */
const ABSENT: Readonly<Record<ChecklistGroup, { name: string; detail: string; enable?: string }>> = {
  pods: { name: 'pods-ready', detail: 'this plan has no pod verification step' },
  health: { name: 'health', detail: 'no health URL configured', enable: 'healthUrl' },
  'error-rate': {
    name: 'recovery-error-rate',
    detail: 'no Prometheus configured',
    enable: 'detect.prometheusUrl',
  },
  latency: { name: 'recovery-latency', detail: 'no Prometheus configured', enable: 'detect.prometheusUrl' },
  'core-functionality': { name: 'smoke', detail: 'no smoke checks configured', enable: 'detect.checks' },
  alerts: { name: 'recovery-alerts', detail: 'no Alertmanager configured', enable: 'detect.alertmanagerUrl' },
  database: {
    name: 'database',
    detail: 'no database URL configured and the health answer has no database field',
    enable: 'database.url',
  },
  logs: { name: 'logs', detail: 'logs were not read', enable: 'verify.logs' },
  commands: { name: 'command', detail: 'no verify commands configured', enable: 'verify.commands' },
};

/** The checklist with a not-checked item for every required line that has none. Old items get a status. */
export function completeChecklist(
  items: readonly VerifyItem[],
  require: readonly ChecklistGroup[] = RUNBOOK_REQUIRED,
): VerifyItem[] {
  const out = items.map((i) => ({ ...i, status: statusOf(i) }));
  const present = new Set(out.map((i) => groupOf(i.name)));
  for (const g of require) {
    if (present.has(g)) continue;
    const a = ABSENT[g];
    out.push(notChecked(a.name, a.detail, a.enable));
  }
  return out;
}

/** The verdict, as journaled in the run's summary and shown everywhere the checklist is. */
export interface ChecklistVerdict {
  verified: boolean;
  total: number;
  passed: number;
  failed: number;
  notChecked: number;
  /** Names of the failed items, then of the required items not checked: why it is not verified. */
  blocking: string[];
  require: ChecklistGroup[];
  /** "verified 8 of 10; 2 not checked: logs (logs were not read; set verify.logs)". */
  line: string;
}

const why = (i: VerifyItem): string => `${i.name} (${i.detail}${i.enable ? `; set ${i.enable}` : ''})`;

export function judgeChecklist(
  items: readonly VerifyItem[],
  require: readonly ChecklistGroup[] = RUNBOOK_REQUIRED,
): ChecklistVerdict {
  const all = completeChecklist(items, require);
  const required = new Set(require);
  const failedItems = all.filter((i) => i.status === 'failed');
  const skipped = all.filter((i) => i.status === 'not-checked');
  const blockingSkipped = skipped.filter((i) => required.has(groupOf(i.name)));
  const passedCount = all.filter((i) => i.status === 'passed').length;
  const verified = all.length > 0 && failedItems.length === 0 && blockingSkipped.length === 0;
  const parts: string[] = [];
  if (failedItems.length > 0)
    parts.push(`${failedItems.length} failed: ${failedItems.map((i) => i.name).join(', ')}`);
  if (skipped.length > 0) {
    const list = skipped.map((i) => `${why(i)}${required.has(groupOf(i.name)) ? ' [required]' : ''}`);
    parts.push(`${skipped.length} not checked: ${list.join(', ')}`);
  }
  const head = verified
    ? `verified ${passedCount} of ${all.length}`
    : `NOT verified: ${passedCount} of ${all.length} passed`;
  return {
    verified,
    total: all.length,
    passed: passedCount,
    failed: failedItems.length,
    notChecked: skipped.length,
    blocking: [...failedItems, ...blockingSkipped].map((i) => i.name),
    require: [...require],
    line: [head, ...parts].join('; '),
  };
}
