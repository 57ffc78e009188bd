/**
 * PagerDuty Events API v2 events (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/), minus the
 * routing key, which only the adapter holds. The run id is the dedup_key: the trigger at the start opens one
 * alert, a later trigger (failure) adds to it, and the resolve after verification closes it.
 */
import { fromToText, versionOf, type NotifyKind, type RollbackFacts, type Severity } from './template.js';
import { cut } from './slack.js';

export type PagerDutyEvent =
  | {
      event_action: 'trigger';
      dedup_key: string;
      payload: {
        summary: string;
        source: string;
        severity: Severity;
        timestamp: string;
        component: string;
        group: string;
        class: string;
        custom_details: Record<string, unknown>;
      };
      client: string;
      links?: Array<{ href: string; text: string }>;
    }
  | { event_action: 'resolve' | 'acknowledge'; dedup_key: string };

/** The documented limits: summary 1024 characters, dedup_key 255. */
export const PAGERDUTY_LIMITS = { summary: 1024, dedupKey: 255 };

export function pagerDutyTrigger(
  kind: Extract<NotifyKind, 'initiated' | 'failed'>,
  f: RollbackFacts,
  severity: Severity,
): PagerDutyEvent {
  const fromTo = `${versionOf(f.from)} → ${versionOf(f.to)}`;
  const summary =
    kind === 'failed'
      ? `Rollback ${f.status === 'refused' ? 'REFUSED' : 'FAILED'}: ${f.service} ${fromTo} (${f.scenario}): ${f.error ?? f.status}`
      : `Rollback ${f.resumed ? 'resumed' : 'initiated'}: ${f.service} ${fromTo} (${f.scenario}): ${f.reason}`;
  return {
    event_action: 'trigger',
    dedup_key: cut(f.runId, PAGERDUTY_LIMITS.dedupKey),
    payload: {
      summary: cut(summary, PAGERDUTY_LIMITS.summary),
      source: `${f.namespace}/${f.service}`,
      severity,
      timestamp: f.at,
      component: f.service,
      group: f.namespace,
      class: `rollback:${f.scenario}`,
      custom_details: {
        run_id: f.runId,
        scenario: f.scenario,
        rollback: fromToText(f.from, f.to),
        reason: f.reason,
        status: f.status,
        rto_target: `${Math.round(f.rtoTargetMs / 1000)}s`,
        escalated_to: f.escalation.map((t) => t.contact ?? t.role),
        ...(f.error ? { error: f.error } : {}),
        ...(f.timeLine ? { time: f.timeLine } : {}),
      },
    },
    client: 'Ripcord',
    ...(f.incidentUrl ? { links: [{ href: f.incidentUrl, text: 'Incident ticket' }] } : {}),
  };
}

export function pagerDutyResolve(runId: string): PagerDutyEvent {
  return { event_action: 'resolve', dedup_key: cut(runId, PAGERDUTY_LIMITS.dedupKey) };
}
