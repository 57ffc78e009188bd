import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import { startPagerDutyDouble, type PagerDutyDouble } from '../support/pagerduty-double.js';
import { adminKubeConfig, deployVenueService, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import { startSlackDouble, type SlackDouble } from '../support/slack-double.js';
import { startWebhookDouble, type WebhookDouble } from '../support/webhook-double.js';

// The runbook's incident on the real sandbox, with Slack and PagerDuty doubles (no real service can run here).
describe('ripcord rollback venue-service tells people: Slack, PagerDuty, a ticket webhook', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let slack: SlackDouble;
  let pd: PagerDutyDouble;
  let tickets: WebhookDouble;

  beforeAll(async () => {
    [slack, pd, tickets] = await Promise.all([
      startSlackDouble(),
      startPagerDutyDouble(),
      startWebhookDouble(),
    ]);
    ns = await testNamespace('notify');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    await badRelease();
  });
  afterAll(async () => {
    await ns?.cleanup();
    await Promise.all([slack?.close(), pd?.close(), tickets?.close()]);
  });

  async function badRelease(): Promise<void> {
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
  }

  /** The sandbox config plus a notify section whose secrets come from ${VAR:-} (off when unset). */
  function configWithNotify(extra: string[] = []): string {
    const file = writeServiceConfig({ namespace: ns.name, url });
    appendFileSync(
      file,
      [
        '    contacts: { onCall: PagerDuty, platformLead: "@platform-lead", dba: "@dba-oncall" }',
        '    notify:',
        '      slack: { webhookUrl: "${SLACK_WEBHOOK_URL:-}", channel: "#deployments" }',
        '      pagerduty: { routingKey: "${PAGERDUTY_ROUTING_KEY:-}", url: "${PAGERDUTY_URL:-https://events.pagerduty.com/v2/enqueue}" }',
        '      webhooks: [{ name: tickets, url: "${TICKET_WEBHOOK_URL:-}" }]',
        '      retries: 2',
        ...extra,
        '',
      ].join('\n'),
    );
    return file;
  }

  type RollbackJson = {
    runId: string;
    status: string;
    notifications?: Array<{ channel: string; event: string; ok: boolean; status?: number; error?: string }>;
  };

  it('initiated and resolved on Slack with v1.2.3 → v1.2.2; PagerDuty trigger and resolve on the run id', async () => {
    const config = configWithNotify();
    const hook = slack.webhookUrl('#deployments');
    const env = {
      SLACK_WEBHOOK_URL: hook,
      PAGERDUTY_ROUTING_KEY: pd.routingKey,
      PAGERDUTY_URL: pd.enqueueUrl,
    };
    const res = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes', '-o', 'json'], env);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as RollbackJson;
    expect(out.status).toBe('succeeded');

    const texts = slack.messages
      .filter((m) => m.path === new URL(hook).pathname)
      .map((m) => m.body.text ?? '');
    expect(texts.map((t) => t.split('\n')[0])).toEqual([
      '🔴 *Rollback Initiated - venue-service*',
      '✅ *Rollback Verified - venue-service*',
    ]);
    const fromTo =
      /v1\.2\.3 → v1\.2\.2 \(revision \d+ → \d+; venue-service:v1\.2\.3 → venue-service:v1\.2\.2\)/;
    expect(texts[0]).toMatch(new RegExp(`\\*Rollback From:\\* ${fromTo.source}`));
    expect(texts[0]).toContain(`*Run:* ${out.runId}`);
    expect(texts[0]).toContain('- PagerDuty (on-call engineer: immediately, on every rollback)');
    expect(texts[1]).toMatch(new RegExp(`\\*Rolled Back:\\* ${fromTo.source}`));
    expect(texts[1]).toMatch(/\*Time to Recover:\* .* against an RTO target of 5m: met/);
    expect(texts[1]).toContain('✓ health: GET ');
    expect(
      slack.messages
        .filter((m) => m.path === new URL(hook).pathname)
        .every((m) => m.channel === '#deployments'),
    ).toBe(true);

    const events = pd.events.filter((e) => e.dedup_key === out.runId);
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(events[0]?.payload).toMatchObject({
      severity: 'error',
      source: `${ns.name}/venue-service`,
      summary: expect.stringContaining('venue-service v1.2.3 → v1.2.2 (app)'),
    });
    expect(pd.alerts.get(out.runId)?.status).toBe('resolved');

    expect(out.notifications?.map((o) => [o.channel, o.event, o.ok])).toEqual(
      expect.arrayContaining([
        ['slack', 'initiated', true],
        ['pagerduty', 'initiated/trigger', true],
        ['slack', 'resolved', true],
        ['pagerduty', 'resolved/resolve', true],
      ]),
    );
    const show = await ripcord(['--config', config, 'show', out.runId, '-o', 'json']);
    for (const text of [res.stdout, res.stderr, show.stdout, show.stderr]) {
      expect(text).not.toContain(new URL(hook).pathname);
      expect(text).not.toContain(pd.routingKey);
    }
  });

  it('with Slack answering 500 every time the rollback still exits 0; the rest still hear, and escalation works', async () => {
    await badRelease();
    // Escalate after 1s so this run (which takes several seconds) is still unverified by then.
    const config = configWithNotify(['      escalation: { platformLeadAfter: 1s }']);
    const hook = slack.webhookUrl('#deployments');
    slack.fail({ status: 500, times: Infinity });
    try {
      const res = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes', '-o', 'json'], {
        SLACK_WEBHOOK_URL: hook,
        PAGERDUTY_ROUTING_KEY: pd.routingKey,
        PAGERDUTY_URL: pd.enqueueUrl,
        TICKET_WEBHOOK_URL: tickets.url,
      });
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout) as RollbackJson;
      expect(out.status).toBe('succeeded');
      expect(res.stderr).toMatch(
        /warning: notification "initiated" via slack failed after 3 attempt\(s\): HTTP 500 rollup_error/,
      );
      expect(res.stderr).not.toContain(new URL(hook).pathname);
      expect(
        out.notifications?.filter((o) => o.channel === 'slack').every((o) => !o.ok && o.status === 500),
      ).toBe(true);

      expect(pd.events.filter((e) => e.dedup_key === out.runId).map((e) => e.event_action)).toEqual([
        'trigger',
        'resolve',
      ]);
      const mine = tickets.received.filter((r) => r.body.runId === out.runId).map((r) => r.body);
      expect(mine.map((b) => b.event)).toEqual([
        'rollback.initiated',
        'rollback.escalated',
        'rollback.resolved',
      ]);
      expect(mine[1]).toMatchObject({
        schema: 'ripcord.notification/v1',
        escalation: expect.arrayContaining([
          expect.objectContaining({ role: 'platformLead', contact: '@platform-lead' }),
        ]),
      });
      expect(mine[2]).toMatchObject({
        status: 'succeeded',
        from: { images: ['venue-service:v1.2.3'] },
        to: { images: ['venue-service:v1.2.2'] },
      });
    } finally {
      slack.clearFaults();
    }
  });

  it('notify test sends to every configured channel; an unset channel is simply off', async () => {
    const config = configWithNotify();
    const hook = slack.webhookUrl('#deployments');
    const res = await ripcord(['--config', config, 'notify', 'test', 'venue-service', '-o', 'json'], {
      SLACK_WEBHOOK_URL: hook,
      PAGERDUTY_ROUTING_KEY: pd.routingKey,
      PAGERDUTY_URL: pd.enqueueUrl,
    });
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { outcomes: Array<{ channel: string; ok: boolean }> };
    expect(out.outcomes.map((o) => [o.channel, o.ok])).toEqual([
      ['slack', true],
      ['pagerduty', true],
    ]);
    const none = await ripcord(['--config', config, 'notify', 'test', 'venue-service'], {
      SLACK_WEBHOOK_URL: '',
      PAGERDUTY_ROUTING_KEY: '',
    });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no notification channel is configured/);
  });
});
