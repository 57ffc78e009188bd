/**
 * The runbook's "Communication Template", filled from facts (pure). One message model per event, rendered three
 * ways from the same data: Markdown (the runbook's own layout, for webhooks and logs), Slack mrkdwn (the text
 * fallback) and Block Kit (slack.ts). Facts are names, revisions, images, counts and statuses: never values.
 */
import type { CheckStatus } from '../verify/item.js';
import { formatDuration } from '../duration.js';
import type { RevisionRef, Scenario } from '../plan.js';
import type { ContactRole } from './contact-role.js';
import { targetText, type EscalationTarget } from './escalation.js';

/** What a notification is about; also the generic webhook's `event` (prefixed `rollback.`). */
export type NotifyKind = 'initiated' | 'resolved' | 'failed' | 'escalated' | 'message' | 'test';

/** PagerDuty's severities; the template shows them as the runbook's HIGH/MEDIUM/LOW. */
export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** Everything a rollback message may say, gathered by the caller from the plan, the run and the config. */
export interface RollbackFacts {
  service: string;
  scenario: Scenario;
  namespace: string;
  runId: string;
  from: RevisionRef;
  to: RevisionRef;
  /** When the run first started (a resumed run keeps its first start). ISO. */
  startedAt: string;
  /** When this message is sent. ISO. */
  at: string;
  /** The trigger and its numbers, or why a person started it. */
  reason: string;
  resumed: boolean;
  security: boolean;
  /** The plan's steps, in order (runbook "Actions Taken"). */
  actions: string[];
  rtoTargetMs: number;
  /** not-verified: the rollback ran and nothing failed, but a required checklist line was not checked. */
  status: 'running' | 'succeeded' | 'failed' | 'refused' | 'not-verified';
  /** Set when the run ended: e.g. "1m35s against an RTO target of 5m: met, 3m25s to spare". */
  timeLine?: string;
  measuredMs?: number;
  withinRto?: boolean;
  checklist?: Array<{ name: string; status: CheckStatus; detail: string; enable?: string }>;
  /** The checklist's verdict line: "verified 8 of 10; 2 not checked: ...". */
  verdict?: string;
  error?: string;
  escalation: EscalationTarget[];
  incidentUrl?: string;
}

/** A free-form message to one contact (the `notify.message` plan step). */
export interface ContactMessageFacts {
  service: string;
  runId: string;
  at: string;
  to: ContactRole;
  contact?: string;
  text: string;
}

/** One block of a message: one-line facts, or a titled list. */
export type MessagePart =
  | { kind: 'fields'; items: Array<{ label: string; value: string }> }
  | {
      kind: 'list';
      label: string;
      items: string[];
      numbered?: boolean;
      /** Items are shown unescaped: contacts may be Slack mentions like `<!subteam^S0123|platform>`. */
      raw?: boolean;
    };

/** A message before rendering: the same model feeds the text fallback, Block Kit and the webhook's `text`. */
export interface MessageModel {
  icon: string;
  title: string;
  parts: MessagePart[];
}

export function severityFor(f: { scenario: Scenario; security: boolean; failed: boolean }): Severity {
  if (f.failed || f.security || f.scenario === 'database') return 'critical';
  if (f.scenario === 'flag') return 'warning';
  return 'error';
}

/** The runbook's wording: `**Severity:** [HIGH/MEDIUM]`. */
export function severityLabel(s: Severity): 'HIGH' | 'MEDIUM' | 'LOW' {
  return s === 'critical' || s === 'error' ? 'HIGH' : s === 'warning' ? 'MEDIUM' : 'LOW';
}

/** `v1.2.3` when every image carries that tag, else the images themselves. */
export function versionOf(ref: RevisionRef): string {
  const tags = new Set(ref.images.map((i) => /:([^:/@]+)$/.exec(i)?.[1] ?? i));
  if (tags.size === 1) return [...tags][0] as string;
  return ref.images.join(', ') || `revision ${ref.revision}`;
}

/** `v1.2.3 → v1.2.2 (revision 5 → 4; venue-service:v1.2.3 → venue-service:v1.2.2)`. */
export function fromToText(from: RevisionRef, to: RevisionRef): string {
  return `${versionOf(from)} → ${versionOf(to)} (revision ${from.revision} → ${to.revision}; ${from.images.join(', ')} → ${to.images.join(', ')})`;
}

function utc(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
    .replace(/Z$/, ' UTC');
}

function impactOf(f: RollbackFacts): string[] {
  const v = versionOf(f.from);
  switch (f.scenario) {
    case 'database':
      return [
        `Requests to ${f.service} that depend on the newer schema may fail while migrations are rolled back`,
        `${f.service} runs ${v} until the rollback completes`,
      ];
    case 'config':
    case 'secret':
      return [`${f.service} may misbehave with the bad ${f.scenario} until the restored one is picked up`];
    case 'flag':
      return ['The feature behind the flag is turned off for every user'];
    default:
      return [
        `Users of ${f.service} may see errors or slow responses from ${v} until the rollback completes`,
      ];
  }
}

function runLine(runId: string): string {
  return `${runId} (ripcord show ${runId})`;
}

function incidentText(f: RollbackFacts): string {
  return f.incidentUrl ?? `none configured; see run ${f.runId}`;
}

function escalationItems(f: RollbackFacts): string[] {
  return f.escalation.map(targetText);
}

function checklistItems(f: RollbackFacts): string[] {
  const items = f.checklist ?? [];
  if (items.length === 0) return ['no checklist in this run'];
  const mark = { passed: '✓', failed: '✗', 'not-checked': '–' } as const;
  const lines = items.map(
    (i) =>
      `${mark[i.status]} ${i.name}: ${i.status === 'not-checked' ? 'NOT CHECKED: ' : ''}${i.detail}${i.enable ? ` (set ${i.enable})` : ''}`,
  );
  return f.verdict ? [f.verdict, ...lines] : lines;
}

/** The runbook's template for each event of a run. */
export function rollbackMessage(
  kind: Exclude<NotifyKind, 'message' | 'test'>,
  f: RollbackFacts,
): MessageModel {
  const severity = severityLabel(
    severityFor({ scenario: f.scenario, security: f.security, failed: kind === 'failed' }),
  );
  const fromTo = fromToText(f.from, f.to);
  const run = { label: 'Run', value: runLine(f.runId) };
  switch (kind) {
    case 'initiated': {
      const eta = new Date(Date.parse(f.startedAt) + f.rtoTargetMs).toISOString();
      return {
        icon: '🔴',
        title: `Rollback ${f.resumed ? 'Resumed' : 'Initiated'} - ${f.service}`,
        parts: [
          {
            kind: 'fields',
            items: [
              { label: 'Time', value: utc(f.at) },
              { label: 'Severity', value: severity },
              { label: 'Rollback From', value: fromTo },
              { label: 'Reason', value: f.reason },
            ],
          },
          { kind: 'list', label: 'Impact', items: impactOf(f) },
          { kind: 'list', label: 'Actions Taken', items: f.actions, numbered: true },
          {
            kind: 'fields',
            items: [
              {
                label: 'ETA for Resolution',
                value: `${utc(eta)} (RTO target ${formatDuration(f.rtoTargetMs)} for the ${f.scenario} scenario)`,
              },
              { label: 'Incident Ticket', value: incidentText(f) },
              run,
            ],
          },
          { kind: 'list', label: 'Escalated To', items: escalationItems(f), raw: true },
        ],
      };
    }
    case 'resolved':
      return {
        icon: '✅',
        title: `Rollback Verified - ${f.service}`,
        parts: [
          {
            kind: 'fields',
            items: [
              { label: 'Time', value: utc(f.at) },
              { label: 'Rolled Back', value: fromTo },
              { label: 'Time to Recover', value: f.timeLine ?? 'unknown' },
              { label: 'Reason', value: f.reason },
            ],
          },
          { kind: 'list', label: 'Verification', items: checklistItems(f) },
          { kind: 'fields', items: [{ label: 'Incident Ticket', value: incidentText(f) }, run] },
        ],
      };
    case 'failed':
      return {
        icon: '❌',
        title: `Rollback ${f.status === 'refused' ? 'Refused' : f.status === 'not-verified' ? 'Not Verified' : 'Failed'} - ${f.service}`,
        parts: [
          {
            kind: 'fields',
            items: [
              { label: 'Time', value: utc(f.at) },
              { label: 'Severity', value: severity },
              { label: 'Rollback From', value: fromTo },
              { label: 'Error', value: f.error ?? f.verdict ?? f.status },
              { label: 'Time So Far', value: f.timeLine ?? 'unknown' },
            ],
          },
          { kind: 'list', label: 'Verification', items: checklistItems(f) },
          { kind: 'list', label: 'Escalated To', items: escalationItems(f), raw: true },
          { kind: 'fields', items: [{ label: 'Incident Ticket', value: incidentText(f) }, run] },
        ],
      };
    case 'escalated': {
      const elapsed = Date.parse(f.at) - Date.parse(f.startedAt);
      return {
        icon: '⚠️',
        title: `Rollback Not Verified After ${formatDuration(elapsed)} - ${f.service}`,
        parts: [
          {
            kind: 'fields',
            items: [
              { label: 'Time', value: utc(f.at) },
              { label: 'Severity', value: severity },
              { label: 'Rollback From', value: fromTo },
              { label: 'Started', value: utc(f.startedAt) },
            ],
          },
          { kind: 'list', label: 'Escalated To', items: escalationItems(f), raw: true },
          { kind: 'fields', items: [{ label: 'Incident Ticket', value: incidentText(f) }, run] },
        ],
      };
    }
  }
}

/** The `notify.message` step's message: addressed to one contact. */
export function contactMessage(f: ContactMessageFacts): MessageModel {
  return {
    icon: '📣',
    title: `${f.service}: for ${f.contact ?? f.to}`,
    parts: [
      {
        kind: 'fields',
        items: [
          { label: 'Time', value: utc(f.at) },
          { label: 'Message', value: f.text },
          { label: 'Run', value: runLine(f.runId) },
        ],
      },
    ],
  };
}

/** `ripcord notify test SERVICE`. */
export function testMessage(f: { service: string; at: string; channel?: string }): MessageModel {
  return {
    icon: '🧪',
    title: `Ripcord test message - ${f.service}`,
    parts: [
      {
        kind: 'fields',
        items: [
          { label: 'Time', value: utc(f.at) },
          {
            label: 'What',
            value: `a test of ${f.service}'s notification channels (ripcord notify test); nothing is rolled back`,
          },
        ],
      },
    ],
  };
}

/** Slack mrkdwn treats &, < and > as markup; facts must show as typed. Contacts pass as-is (mentions). */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Renders a model as the runbook's Markdown (`**Label:**`) or Slack mrkdwn (`*Label:*`, escaped). */
export function renderText(m: MessageModel, style: 'markdown' | 'slack'): string {
  const bold = (t: string): string => (style === 'slack' ? `*${t}*` : `**${t}**`);
  const esc = (t: string): string => (style === 'slack' ? escapeSlack(t) : t);
  const blocks: string[] = [`${m.icon} ${bold(esc(m.title))}`];
  for (const p of m.parts) {
    if (p.kind === 'fields')
      blocks.push(p.items.map((i) => `${bold(`${i.label}:`)} ${esc(i.value)}`).join('\n'));
    else
      blocks.push(
        [
          bold(`${p.label}:`),
          ...p.items.map((item, n) => `${p.numbered ? `${n + 1}.` : '-'} ${p.raw ? item : esc(item)}`),
        ].join('\n'),
      );
  }
  return blocks.join('\n\n');
}
