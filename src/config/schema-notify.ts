/**
 * `notify:` (in `defaults` and per service): where Ripcord tells people about a rollback (runbook
 * "Communication Template", "Contacts"). Owned by the notification feature; compile-notify.ts fills defaults.
 *
 * Optional channels: a channel whose URL or routing key is the empty string is off. Write
 * `${SLACK_WEBHOOK_URL:-}` so that an unset variable becomes "" (the channel is off) instead of an error;
 * `${SLACK_WEBHOOK_URL}` (no `:-`) keeps it mandatory, and a missing variable is then a config error naming it.
 */
import * as z from 'zod';
import { PositiveDuration } from './schema-duration.js';

const duration = (description: string, dflt: string) =>
  PositiveDuration.optional().meta({ description, default: dflt });

// Messages never echo the value: these fields hold secrets (a webhook URL's path is its credential).
const secretUrl = (what: string) =>
  z.union([
    z.literal(''),
    z.url({ protocol: /^https?$/, error: `expected an http(s) URL for ${what}, or "" to turn it off` }),
  ]);

/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks). Every key is optional so `defaults` can
 * hold the URL and a service only its channel; Slack is on when the merged URL is not empty.
 */
export const SlackNotifySettings = z.strictObject({
  webhookUrl: secretUrl('the Slack incoming webhook')
    .optional()
    .meta({
      description:
        'Incoming webhook URL (a secret): write ${SLACK_WEBHOOK_URL:-} so an unset variable turns Slack off',
      examples: ['${SLACK_WEBHOOK_URL:-}'],
    }),
  channel: z
    .string()
    .regex(/^[#@]?[^\s]+$/, { error: 'expected a channel like #deployments' })
    .optional()
    .meta({
      description:
        'Channel shown in messages and sent as `channel` (legacy webhooks honour it; app webhooks post to the channel chosen when the webhook was made)',
      examples: ['#deployments'],
    }),
});
export type SlackNotifySettings = z.infer<typeof SlackNotifySettings>;

/** PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview/). */
export const PagerDutyNotifySettings = z.strictObject({
  routingKey: z
    .string()
    .refine((s) => s === '' || /^[A-Za-z0-9]{32}$/.test(s), {
      error: 'expected a 32-character Events API v2 integration key, or "" to turn PagerDuty off',
    })
    .optional()
    .meta({
      description:
        'Events API v2 integration (routing) key, a secret: write ${PAGERDUTY_ROUTING_KEY:-} so an unset variable turns PagerDuty off',
      examples: ['${PAGERDUTY_ROUTING_KEY:-}'],
    }),
  url: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .optional()
    .meta({
      description: 'Events API endpoint (e.g. the EU one, or a test double)',
      default: 'https://events.pagerduty.com/v2/enqueue',
    }),
});
export type PagerDutyNotifySettings = z.infer<typeof PagerDutyNotifySettings>;

/** A generic JSON webhook (ticket systems, chat bridges): receives the documented `ripcord.notification/v1`. */
export const WebhookNotifySettings = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][-a-z0-9]*$/, { error: 'expected a short lowercase name like tickets' })
    .meta({ description: 'Names the channel in warnings and evidence (the URL never is shown)' }),
  url: secretUrl('the webhook').meta({
    description: 'POST target (a secret); "" turns it off',
    examples: ['${TICKET_WEBHOOK_URL:-}'],
  }),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string())
    .optional()
    .meta({ description: 'Extra request headers, e.g. Authorization: ${TICKET_TOKEN} (values are secrets)' }),
});
export type WebhookNotifySettings = z.infer<typeof WebhookNotifySettings>;

/** When people beyond the on-call engineer are told (runbook "Contacts": platform lead after 15 min). */
export const EscalationSettings = z.strictObject({
  platformLeadAfter: duration('Escalate to the platform lead when the run is not verified by then', '15m'),
});
export type EscalationSettings = z.infer<typeof EscalationSettings>;

export const NotifySettings = z.strictObject({
  slack: SlackNotifySettings.optional(),
  pagerduty: PagerDutyNotifySettings.optional(),
  webhooks: z
    .array(WebhookNotifySettings)
    .refine((ws) => new Set(ws.map((w) => w.name)).size === ws.length, {
      error: 'expected every webhook to have its own name',
    })
    .optional()
    .meta({ description: 'Generic JSON webhooks (a service list replaces the defaults list whole)' }),
  escalation: EscalationSettings.optional(),
  incidentUrl: z
    .string()
    .optional()
    .meta({
      description: 'Incident ticket link for the template; {runId} and {service} are filled in',
      examples: ['https://tickets.example.com/new?ref={runId}'],
    }),
  timeout: duration('Per-request timeout of every channel', '10s'),
  retries: z
    .int()
    .min(0)
    .max(10)
    .optional()
    .meta({ description: 'Retries on 429 (after Retry-After) and 5xx (with backoff)', default: 3 }),
});
export type NotifySettings = z.infer<typeof NotifySettings>;
