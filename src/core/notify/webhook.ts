/**
 * The generic webhook body, `ripcord.notification/v1`: a documented, versioned JSON shape for ticket systems
 * and bridges (docs/notifications.md). Fields are only ever added within v1; a rename or removal makes v2.
 * The zod schema is the contract: tests validate what Ripcord sends against it, and receivers may reuse it.
 */
import * as z from 'zod';
import { ContactRole } from './contact-role.js';
import {
  renderText,
  severityLabel,
  type ContactMessageFacts,
  type MessageModel,
  type NotifyKind,
  type RollbackFacts,
  type Severity,
} from './template.js';

export const WEBHOOK_SCHEMA_VERSION = 'ripcord.notification/v1';

const Revision = z.object({
  revision: z.int(),
  images: z.array(z.string()),
  changeCause: z.string().optional(),
});

export const WebhookNotification = z.object({
  schema: z.literal(WEBHOOK_SCHEMA_VERSION),
  event: z.enum([
    'rollback.initiated',
    'rollback.resolved',
    'rollback.failed',
    'rollback.escalated',
    'rollback.message',
    'rollback.test',
  ]),
  at: z.string(),
  service: z.string(),
  runId: z.string().optional(),
  scenario: z.string().optional(),
  namespace: z.string().optional(),
  severity: z.enum(['critical', 'error', 'warning', 'info']).optional(),
  /** The runbook's HIGH/MEDIUM/LOW. */
  severityLabel: z.enum(['HIGH', 'MEDIUM', 'LOW']).optional(),
  status: z.enum(['running', 'succeeded', 'failed', 'refused', 'not-verified']).optional(),
  from: Revision.optional(),
  to: Revision.optional(),
  reason: z.string().optional(),
  resumed: z.boolean().optional(),
  security: z.boolean().optional(),
  actions: z.array(z.string()).optional(),
  rto: z
    .object({ targetMs: z.number(), measuredMs: z.number().optional(), withinRto: z.boolean().optional() })
    .optional(),
  /** `ok` is kept for v1 readers: true only for `passed`; a not-checked item is never ok. */
  checklist: z
    .array(
      z.object({
        name: z.string(),
        status: z.enum(['passed', 'failed', 'not-checked']),
        ok: z.boolean(),
        detail: z.string(),
        enable: z.string().optional(),
      }),
    )
    .optional(),
  /** The checklist's verdict line ("verified 8 of 10; 2 not checked: ..."). */
  verdict: z.string().optional(),
  error: z.string().optional(),
  escalation: z
    .array(z.object({ role: ContactRole, contact: z.string().optional(), reason: z.string() }))
    .optional(),
  /** For `rollback.message`: who it is for. */
  recipient: z.object({ role: ContactRole, contact: z.string().optional() }).optional(),
  incidentUrl: z.string().optional(),
  /** The same message as Slack's, rendered in the runbook's Markdown template. */
  text: z.string(),
});
export type WebhookNotification = z.infer<typeof WebhookNotification>;

export function webhookForRun(
  kind: Exclude<NotifyKind, 'message'>,
  f: RollbackFacts,
  severity: Severity,
  model: MessageModel,
): WebhookNotification {
  return {
    schema: WEBHOOK_SCHEMA_VERSION,
    event: `rollback.${kind}`,
    at: f.at,
    service: f.service,
    runId: f.runId,
    scenario: f.scenario,
    namespace: f.namespace,
    severity,
    severityLabel: severityLabel(severity),
    status: f.status,
    from: f.from,
    to: f.to,
    reason: f.reason,
    resumed: f.resumed,
    security: f.security,
    actions: f.actions,
    rto: {
      targetMs: f.rtoTargetMs,
      ...(f.measuredMs !== undefined ? { measuredMs: f.measuredMs } : {}),
      ...(f.withinRto !== undefined ? { withinRto: f.withinRto } : {}),
    },
    ...(f.checklist ? { checklist: f.checklist.map((i) => ({ ...i, ok: i.status === 'passed' })) } : {}),
    ...(f.verdict ? { verdict: f.verdict } : {}),
    ...(f.error ? { error: f.error } : {}),
    escalation: f.escalation.map((t) => ({
      role: t.role,
      reason: t.reason,
      ...(t.contact ? { contact: t.contact } : {}),
    })),
    ...(f.incidentUrl ? { incidentUrl: f.incidentUrl } : {}),
    text: renderText(model, 'markdown'),
  };
}

export function webhookForContact(f: ContactMessageFacts, model: MessageModel): WebhookNotification {
  return {
    schema: WEBHOOK_SCHEMA_VERSION,
    event: 'rollback.message',
    at: f.at,
    service: f.service,
    runId: f.runId,
    recipient: { role: f.to, ...(f.contact ? { contact: f.contact } : {}) },
    text: renderText(model, 'markdown'),
  };
}
