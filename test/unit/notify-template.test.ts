import { describe, expect, it } from 'vitest';
import {
  escapeSlack,
  fromToText,
  renderText,
  rollbackMessage,
  severityFor,
  severityLabel,
  versionOf,
} from '../../src/core/notify/template.js';
import { slackMessage, SLACK_LIMITS } from '../../src/core/notify/slack.js';
import { incidentFacts } from './notify-fixtures.js';

describe('the runbook communication template', () => {
  it('fills "Rollback Initiated" in the runbook layout from facts', () => {
    const text = renderText(rollbackMessage('initiated', incidentFacts()), 'markdown');
    expect(text).toBe(
      [
        '🔴 **Rollback Initiated - venue-service**',
        '',
        '**Time:** 2025-03-01 12:00:01 UTC',
        '**Severity:** HIGH',
        '**Rollback From:** v1.2.3 → v1.2.2 (revision 5 → 4; venue-service:v1.2.3 → venue-service:v1.2.2)',
        '**Reason:** 5xx share 5.1% above 1% (SPRT, 2400 requests)',
        '',
        '**Impact:**',
        '- Users of venue-service may see errors or slow responses from v1.2.3 until the rollback completes',
        '',
        '**Actions Taken:**',
        '1. take the rollback lock',
        '2. set the Deployment template to revision 4',
        '3. wait for the rollout',
        '4. verify',
        '',
        '**ETA for Resolution:** 2025-03-01 12:05:00 UTC (RTO target 5m for the app scenario)',
        '**Incident Ticket:** none configured; see run r-20250301-120000-abcd',
        '**Run:** r-20250301-120000-abcd (ripcord show r-20250301-120000-abcd)',
        '',
        '**Escalated To:**',
        '- PagerDuty (on-call engineer: immediately, on every rollback)',
      ].join('\n'),
    );
  });

  it('says "Resumed" for a resumed run and links the incident ticket when configured', () => {
    const text = renderText(
      rollbackMessage('initiated', incidentFacts({ resumed: true, incidentUrl: 'https://t.example/INC-1' })),
      'markdown',
    );
    expect(text).toMatch(/^🔴 \*\*Rollback Resumed - venue-service\*\*/);
    expect(text).toContain('**Incident Ticket:** https://t.example/INC-1');
  });

  it('"Rollback Verified" carries the time to recover against the RTO and the checklist', () => {
    const text = renderText(
      rollbackMessage(
        'resolved',
        incidentFacts({
          status: 'succeeded',
          timeLine: '1m35s against an RTO target of 5m: met, 3m25s to spare',
          checklist: [
            { name: 'pods-ready', status: 'passed', detail: 'all 3 pods Running and Ready' },
            { name: 'health', status: 'passed', detail: 'GET /health answered 200 in 4ms' },
          ],
        }),
      ),
      'markdown',
    );
    expect(text).toContain('✅ **Rollback Verified - venue-service**');
    expect(text).toContain('**Rolled Back:** v1.2.3 → v1.2.2');
    expect(text).toContain('**Time to Recover:** 1m35s against an RTO target of 5m: met, 3m25s to spare');
    expect(text).toContain('- ✓ pods-ready: all 3 pods Running and Ready');
  });

  it('"Rollback Failed" names the error, the failed checks and who is escalated', () => {
    const text = renderText(
      rollbackMessage(
        'failed',
        incidentFacts({
          status: 'failed',
          error: 'verification failed: health',
          checklist: [{ name: 'health', status: 'failed', detail: 'GET /health answered 503' }],
          escalation: [
            { role: 'onCall', reason: 'immediately, on every rollback' },
            { role: 'platformLead', reason: 'the rollback did not end verified', contact: '@platform-lead' },
          ],
        }),
      ),
      'markdown',
    );
    expect(text).toContain('❌ **Rollback Failed - venue-service**');
    expect(text).toContain('**Severity:** HIGH');
    expect(text).toContain('**Error:** verification failed: health');
    expect(text).toContain('- ✗ health: GET /health answered 503');
    expect(text).toContain('- @platform-lead (platform lead: the rollback did not end verified)');
    expect(text).toContain('- on-call engineer (on-call engineer: immediately, on every rollback)');
  });

  it('"Rollback Not Verified" shows the verdict and marks what was not checked, never with a tick', () => {
    const text = renderText(
      rollbackMessage(
        'failed',
        incidentFacts({
          status: 'not-verified',
          verdict:
            'NOT verified: 1 of 2 passed; 1 not checked: recovery-alerts (no Alertmanager configured) [required]',
          checklist: [
            { name: 'health', status: 'passed', detail: 'GET /health answered 200 in 4ms' },
            {
              name: 'recovery-alerts',
              status: 'not-checked',
              detail: 'no Alertmanager configured',
              enable: 'detect.alertmanagerUrl',
            },
          ],
        }),
      ),
      'markdown',
    );
    expect(text).toContain('❌ **Rollback Not Verified - venue-service**');
    expect(text).toContain('**Error:** NOT verified: 1 of 2 passed; 1 not checked');
    expect(text).toContain(
      '- – recovery-alerts: NOT CHECKED: no Alertmanager configured (set detect.alertmanagerUrl)',
    );
    expect(text).not.toMatch(/✓ recovery-alerts/);
  });

  it('the escalation message says how long the run has gone unverified', () => {
    const text = renderText(
      rollbackMessage('escalated', incidentFacts({ at: '2025-03-01T12:15:00.000Z' })),
      'markdown',
    );
    expect(text.split('\n')[0]).toBe('⚠️ **Rollback Not Verified After 15m - venue-service**');
  });

  it('severity by scenario: database and security critical, flag medium, failed critical', () => {
    expect(severityFor({ scenario: 'app', security: false, failed: false })).toBe('error');
    expect(severityFor({ scenario: 'database', security: false, failed: false })).toBe('critical');
    expect(severityFor({ scenario: 'flag', security: false, failed: false })).toBe('warning');
    expect(severityFor({ scenario: 'flag', security: true, failed: false })).toBe('critical');
    expect(severityFor({ scenario: 'config', security: false, failed: true })).toBe('critical');
    expect(severityLabel('warning')).toBe('MEDIUM');
    expect(severityLabel('error')).toBe('HIGH');
  });

  it('versions: the common tag, else the images', () => {
    expect(versionOf({ revision: 3, images: ['a:v1', 'sidecar:v1'] })).toBe('v1');
    expect(versionOf({ revision: 3, images: ['a:v1', 'sidecar:v9'] })).toBe('a:v1, sidecar:v9');
    expect(fromToText({ revision: 2, images: ['x:2'] }, { revision: 1, images: ['x:1'] })).toBe(
      '2 → 1 (revision 2 → 1; x:2 → x:1)',
    );
  });
});

describe('Slack Block Kit payload', () => {
  it('has a header, field sections and list sections, and the template as the text fallback', () => {
    const m = slackMessage(rollbackMessage('initiated', incidentFacts()));
    expect(m.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🔴 Rollback Initiated - venue-service', emoji: true },
    });
    expect(m.blocks[1]).toMatchObject({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Time:*\n2025-03-01 12:00:01 UTC' },
        { type: 'mrkdwn', text: '*Severity:*\nHIGH' },
        { type: 'mrkdwn', text: expect.stringContaining('v1.2.3 → v1.2.2') },
        { type: 'mrkdwn', text: expect.stringContaining('5xx share') },
      ],
    });
    expect(m.text.split('\n')[0]).toBe('🔴 *Rollback Initiated - venue-service*');
    expect(m.text).toContain('*Rollback From:* v1.2.3 → v1.2.2');
  });

  it('escapes &, < and > in facts but keeps contact mentions intact', () => {
    const m = slackMessage(
      rollbackMessage(
        'initiated',
        incidentFacts({
          reason: 'p50 <200ms> & rising',
          escalation: [{ role: 'onCall', reason: 'now', contact: '<!subteam^S01|oncall>' }],
        }),
      ),
    );
    expect(m.text).toContain('p50 &lt;200ms&gt; &amp; rising');
    expect(m.text).toContain('<!subteam^S01|oncall>');
    expect(escapeSlack('a<b')).toBe('a&lt;b');
  });

  it('cuts text to Block Kit limits instead of getting invalid_blocks back', () => {
    const m = slackMessage(
      rollbackMessage(
        'initiated',
        incidentFacts({ service: 's'.repeat(200), reason: 'r'.repeat(5000), actions: ['a'.repeat(4000)] }),
      ),
    );
    const header = m.blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    for (const b of m.blocks) {
      if (b.type !== 'section') continue;
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.field);
    }
  });
});
