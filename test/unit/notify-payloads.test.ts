import { describe, expect, it } from 'vitest';
import { contactNotification, runNotification, testNotification } from '../../src/core/notify/message.js';
import { WebhookNotification, WEBHOOK_SCHEMA_VERSION } from '../../src/core/notify/webhook.js';
import { incidentFacts } from './notify-fixtures.js';

describe('PagerDuty Events v2 payloads', () => {
  it('initiated: a trigger keyed by the run id, severity by scenario, no routing key (the adapter adds it)', () => {
    const n = runNotification('initiated', incidentFacts());
    expect(n.pagerduty).toEqual([
      {
        event_action: 'trigger',
        dedup_key: 'r-20250301-120000-abcd',
        payload: {
          summary:
            'Rollback initiated: venue-service v1.2.3 → v1.2.2 (app): 5xx share 5.1% above 1% (SPRT, 2400 requests)',
          source: 'tickettoken/venue-service',
          severity: 'error',
          timestamp: '2025-03-01T12:00:01.000Z',
          component: 'venue-service',
          group: 'tickettoken',
          class: 'rollback:app',
          custom_details: expect.objectContaining({
            run_id: 'r-20250301-120000-abcd',
            rollback: 'v1.2.3 → v1.2.2 (revision 5 → 4; venue-service:v1.2.3 → venue-service:v1.2.2)',
            escalated_to: ['PagerDuty'],
          }),
        },
        client: 'Ripcord',
      },
    ]);
    expect(JSON.stringify(n.pagerduty)).not.toContain('routing_key');
  });

  it('resolved: a resolve with the same dedup_key', () => {
    expect(runNotification('resolved', incidentFacts({ status: 'succeeded' })).pagerduty).toEqual([
      { event_action: 'resolve', dedup_key: 'r-20250301-120000-abcd' },
    ]);
  });

  it('failed: a critical trigger on the same alert, no resolve', () => {
    const [e] =
      runNotification('failed', incidentFacts({ status: 'failed', error: 'rollout timed out' })).pagerduty ??
      [];
    expect(e).toMatchObject({
      event_action: 'trigger',
      dedup_key: 'r-20250301-120000-abcd',
      payload: {
        severity: 'critical',
        summary: expect.stringMatching(/^Rollback FAILED: .*rollout timed out$/),
      },
    });
  });

  it('escalated and contact messages do not page (Slack and webhooks only)', () => {
    expect(runNotification('escalated', incidentFacts()).pagerduty).toEqual([]);
    const c = contactNotification({
      service: 'venue-service',
      runId: 'r-1',
      at: '2025-03-01T12:00:00.000Z',
      to: 'dba',
      contact: '@dba-oncall',
      text: 'rolling back migration 20250301_add_index',
    });
    expect(c.pagerduty).toBeUndefined();
    expect(c.slack?.text).toContain('rolling back migration 20250301_add_index');
    expect(c.webhook).toMatchObject({
      event: 'rollback.message',
      recipient: { role: 'dba', contact: '@dba-oncall' },
    });
  });

  it('cuts the summary to 1024 characters', () => {
    const [e] = runNotification('initiated', incidentFacts({ reason: 'x'.repeat(3000) })).pagerduty ?? [];
    expect(e && 'payload' in e ? e.payload.summary.length : 0).toBe(1024);
  });
});

describe('generic webhook: ripcord.notification/v1', () => {
  it('every run event matches the documented schema', () => {
    for (const kind of ['initiated', 'resolved', 'failed', 'escalated'] as const) {
      const body = runNotification(kind, incidentFacts()).webhook;
      expect(WebhookNotification.safeParse(body).success, kind).toBe(true);
      expect(body).toMatchObject({ schema: WEBHOOK_SCHEMA_VERSION, event: `rollback.${kind}` });
    }
    expect(
      WebhookNotification.safeParse(testNotification({ service: 's', at: 'now', testId: 't' }).webhook)
        .success,
    ).toBe(true);
  });

  it('carries the facts field by field, and the template as Markdown text', () => {
    const body = runNotification(
      'resolved',
      incidentFacts({
        status: 'succeeded',
        measuredMs: 95_000,
        withinRto: true,
        checklist: [{ name: 'health', status: 'passed', detail: '200' }],
      }),
    ).webhook;
    expect(body).toMatchObject({
      runId: 'r-20250301-120000-abcd',
      service: 'venue-service',
      scenario: 'app',
      severity: 'error',
      severityLabel: 'HIGH',
      status: 'succeeded',
      from: { revision: 5, images: ['venue-service:v1.2.3'] },
      to: { revision: 4, images: ['venue-service:v1.2.2'] },
      rto: { targetMs: 300_000, measuredMs: 95_000, withinRto: true },
      checklist: [{ name: 'health', status: 'passed', detail: '200' }],
    });
    expect(body?.text).toMatch(/^✅ \*\*Rollback Verified - venue-service\*\*/);
  });
});
