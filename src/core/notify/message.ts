/**
 * One notification as every channel will carry it, built from facts (pure). The adapter adds what only it
 * holds (webhook URLs, the routing key, the Slack channel) and sends; nothing secret is in here.
 */
import { pagerDutyResolve, pagerDutyTrigger, type PagerDutyEvent } from './pagerduty.js';
import { slackMessage, type SlackMessage } from './slack.js';
import {
  contactMessage,
  renderText,
  rollbackMessage,
  severityFor,
  testMessage,
  type ContactMessageFacts,
  type NotifyKind,
  type RollbackFacts,
} from './template.js';
import {
  WEBHOOK_SCHEMA_VERSION,
  webhookForContact,
  webhookForRun,
  type WebhookNotification,
} from './webhook.js';

export interface OutgoingNotification {
  kind: NotifyKind;
  /** Absent: not for Slack. */
  slack?: SlackMessage;
  /** In order; absent or empty: nothing for PagerDuty (it pages on-call only for the run itself). */
  pagerduty?: PagerDutyEvent[];
  webhook?: WebhookNotification;
}

/** initiated → PagerDuty trigger; resolved → resolve; failed → a critical trigger on the same alert. */
export function runNotification(
  kind: Exclude<NotifyKind, 'message' | 'test'>,
  f: RollbackFacts,
): OutgoingNotification {
  const severity = severityFor({ scenario: f.scenario, security: f.security, failed: kind === 'failed' });
  const model = rollbackMessage(kind, f);
  const pagerduty =
    kind === 'initiated' || kind === 'failed'
      ? [pagerDutyTrigger(kind, f, severity)]
      : kind === 'resolved'
        ? [pagerDutyResolve(f.runId)]
        : [];
  return { kind, slack: slackMessage(model), pagerduty, webhook: webhookForRun(kind, f, severity, model) };
}

/** A `notify.message` step: Slack and webhooks; PagerDuty is for paging on-call about the run, not for notes. */
export function contactNotification(f: ContactMessageFacts): OutgoingNotification {
  const model = contactMessage(f);
  return { kind: 'message', slack: slackMessage(model), webhook: webhookForContact(f, model) };
}

/** `ripcord notify test`: one message per channel; PagerDuty gets an info trigger resolved at once. */
export function testNotification(f: { service: string; at: string; testId: string }): OutgoingNotification {
  const model = testMessage(f);
  const slack = slackMessage(model);
  return {
    kind: 'test',
    slack,
    pagerduty: [
      {
        event_action: 'trigger',
        dedup_key: f.testId,
        payload: {
          summary: `Ripcord test event for ${f.service} (nothing is rolled back)`,
          source: f.service,
          severity: 'info',
          timestamp: f.at,
          component: f.service,
          group: f.service,
          class: 'ripcord:test',
          custom_details: { test_id: f.testId },
        },
        client: 'Ripcord',
      },
      pagerDutyResolve(f.testId),
    ],
    webhook: {
      schema: WEBHOOK_SCHEMA_VERSION,
      event: 'rollback.test',
      at: f.at,
      service: f.service,
      runId: f.testId,
      text: renderText(model, 'markdown'),
    },
  };
}
