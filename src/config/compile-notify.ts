import { parseDuration } from '../core/duration.js';
import { Secret } from '../core/notify/secret.js';
import type { NotifySettings } from './schema-notify.js';

export const NOTIFY_DEFAULTS = {
  pagerdutyUrl: 'https://events.pagerduty.com/v2/enqueue',
  platformLeadAfter: '15m',
  timeout: '10s',
  retries: 3,
} as const;

/** `notify:` with defaults filled; an empty URL or key means the channel is absent (off). Secrets are wrapped. */
export interface CompiledNotify {
  slack?: { webhookUrl: Secret; channel?: string };
  pagerduty?: { routingKey: Secret; url: string };
  webhooks: Array<{ name: string; url: Secret; headers: Record<string, Secret> }>;
  escalation: { platformLeadAfterMs: number };
  incidentUrl?: string;
  timeoutMs: number;
  retries: number;
}

export function compileNotify(s: NotifySettings, _baseDir: string, at: string): CompiledNotify {
  const out: CompiledNotify = {
    webhooks: [],
    escalation: {
      platformLeadAfterMs: parseDuration(
        s.escalation?.platformLeadAfter ?? NOTIFY_DEFAULTS.platformLeadAfter,
        `${at}.escalation.platformLeadAfter`,
      ),
    },
    timeoutMs: parseDuration(s.timeout ?? NOTIFY_DEFAULTS.timeout, `${at}.timeout`),
    retries: s.retries ?? NOTIFY_DEFAULTS.retries,
  };
  if (s.slack?.webhookUrl) {
    out.slack = {
      webhookUrl: new Secret(s.slack.webhookUrl),
      ...(s.slack.channel !== undefined ? { channel: s.slack.channel } : {}),
    };
  }
  if (s.pagerduty?.routingKey) {
    out.pagerduty = {
      routingKey: new Secret(s.pagerduty.routingKey),
      url: s.pagerduty.url ?? NOTIFY_DEFAULTS.pagerdutyUrl,
    };
  }
  for (const w of s.webhooks ?? []) {
    if (w.url === '') continue;
    out.webhooks.push({
      name: w.name,
      url: new Secret(w.url),
      headers: Object.fromEntries(Object.entries(w.headers ?? {}).map(([k, v]) => [k, new Secret(v)])),
    });
  }
  if (s.incidentUrl !== undefined && s.incidentUrl !== '') out.incidentUrl = s.incidentUrl;
  return out;
}

/** Defaults for a service with no `notify:` section: no channels, the runbook's 15-minute escalation. */
export function defaultNotify(): CompiledNotify {
  return compileNotify({}, '', 'notify');
}
