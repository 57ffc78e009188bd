import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotifier } from '../../src/adapters/notify/notifier.js';
import type { CompiledNotify } from '../../src/config/compile-notify.js';
import { runNotification } from '../../src/core/notify/message.js';
import { Secret } from '../../src/core/notify/secret.js';
import { WebhookNotification } from '../../src/core/notify/webhook.js';
import { startPagerDutyDouble, type PagerDutyDouble } from '../support/pagerduty-double.js';
import { startSlackDouble, type SlackDouble } from '../support/slack-double.js';
import { startWebhookDouble, type WebhookDouble } from '../support/webhook-double.js';
import { incidentFacts } from '../unit/notify-fixtures.js';

let slack: SlackDouble;
let pd: PagerDutyDouble;
let hook: WebhookDouble;
beforeAll(async () => {
  [slack, pd, hook] = await Promise.all([startSlackDouble(), startPagerDutyDouble(), startWebhookDouble()]);
});
afterAll(async () => Promise.all([slack?.close(), pd?.close(), hook?.close()]));
beforeEach(() => {
  slack.clearFaults();
  pd.clearFaults();
});

// Fast backoff so the retry tests take milliseconds; Retry-After is honoured as sent.
const FAST = { policy: { baseDelayMs: 20, maxDelayMs: 100 } };

function config(over: Partial<CompiledNotify> = {}): CompiledNotify & { slackUrl: string } {
  const slackUrl = slack.webhookUrl('#deployments');
  return {
    slackUrl,
    slack: { webhookUrl: new Secret(slackUrl), channel: '#deployments' },
    pagerduty: { routingKey: new Secret(pd.routingKey), url: pd.enqueueUrl },
    webhooks: [
      {
        name: 'tickets',
        url: new Secret(hook.url),
        headers: { Authorization: new Secret('Bearer tkt-secret-42') },
      },
    ],
    escalation: { platformLeadAfterMs: 900_000 },
    timeoutMs: 2000,
    retries: 3,
    ...over,
  };
}

/** A port nothing listens on (bound, then released), so connecting is refused. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Every string that must never appear in outcomes, evidence or output. */
function secretsOf(c: CompiledNotify & { slackUrl: string }): string[] {
  return [new URL(c.slackUrl).pathname, pd.routingKey, new URL(hook.url).pathname, 'tkt-secret-42'];
}

describe('notifier with the Slack, PagerDuty and webhook doubles', () => {
  it('delivers one notification to every channel; the doubles hold it field by field', async () => {
    const c = config();
    const slackBefore = slack.messages.length;
    const pdBefore = pd.events.length;
    const hookBefore = hook.received.length;
    const out = await createNotifier(c, FAST).send(
      runNotification('initiated', incidentFacts({ runId: 'r-fields' })),
    );
    expect(out.map((o) => [o.channel, o.ok, o.status, o.attempts])).toEqual([
      ['slack', true, 200, 1],
      ['pagerduty', true, 202, 1],
      ['webhook:tickets', true, 200, 1],
    ]);
    expect(out[1]?.dedupKey).toBe('r-fields');

    const msg = slack.messages[slackBefore];
    expect(msg?.channel).toBe('#deployments');
    expect(msg?.body.channel).toBe('#deployments');
    expect(msg?.body.text).toMatch(/^🔴 \*Rollback Initiated - venue-service\*/);
    expect(msg?.body.text).toContain('*Rollback From:* v1.2.3 → v1.2.2');
    expect(msg?.body.blocks?.[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🔴 Rollback Initiated - venue-service', emoji: true },
    });

    const ev = pd.events[pdBefore];
    expect(ev).toMatchObject({
      routing_key: pd.routingKey,
      event_action: 'trigger',
      dedup_key: 'r-fields',
      client: 'Ripcord',
      payload: {
        source: 'tickettoken/venue-service',
        severity: 'error',
        component: 'venue-service',
        group: 'tickettoken',
        class: 'rollback:app',
        summary: expect.stringContaining('venue-service v1.2.3 → v1.2.2'),
      },
    });
    expect(pd.alerts.get('r-fields')?.status).toBe('triggered');

    const got = hook.received[hookBefore];
    expect(got?.headers.authorization).toBe('Bearer tkt-secret-42');
    expect(got?.headers['content-type']).toBe('application/json');
    const body = WebhookNotification.parse(got?.body);
    expect(body).toMatchObject({
      schema: 'ripcord.notification/v1',
      event: 'rollback.initiated',
      runId: 'r-fields',
    });

    for (const s of secretsOf(c)) expect(JSON.stringify(out)).not.toContain(s);
  });

  it('PagerDuty: trigger then resolve on the same dedup_key closes the alert', async () => {
    const n = createNotifier(config(), FAST);
    await n.send(runNotification('initiated', incidentFacts({ runId: 'r-pd' })));
    await n.send(runNotification('resolved', incidentFacts({ runId: 'r-pd', status: 'succeeded' })));
    const mine = pd.events.filter((e) => e.dedup_key === 'r-pd').map((e) => e.event_action);
    expect(mine).toEqual(['trigger', 'resolve']);
    expect(pd.alerts.get('r-pd')?.status).toBe('resolved');
  });

  it('429 with Retry-After then success: waits as told, delivers once', async () => {
    slack.fail({ status: 429, times: 1, retryAfter: 1 });
    const before = slack.messages.length;
    const t0 = Date.now();
    const [o] = await createNotifier({ ...config(), pagerduty: undefined, webhooks: [] }, FAST).send(
      runNotification('initiated', incidentFacts()),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(o).toMatchObject({ channel: 'slack', ok: true, status: 200, attempts: 2 });
    expect(slack.messages.length - before).toBe(1);
  });

  it('500 is retried with backoff until it succeeds', async () => {
    pd.fail({ status: 500, times: 2 });
    const [o] = await createNotifier({ ...config(), slack: undefined, webhooks: [] }, FAST).send(
      runNotification('initiated', incidentFacts({ runId: 'r-500' })),
    );
    expect(o).toMatchObject({ channel: 'pagerduty', ok: true, status: 202, attempts: 3 });
    expect(pd.alerts.get('r-500')?.status).toBe('triggered');
  });

  it('400 / 403 / 404 / 410 are not retried and are reported with Slack’s own error text', async () => {
    const c = config();
    const only = { pagerduty: undefined, webhooks: [] };
    const cases: Array<[string, () => CompiledNotify, number, string]> = [
      [
        'unknown hook',
        () => ({ ...c, ...only, slack: { webhookUrl: new Secret(`${slack.url}/services/T0/B0/nope`) } }),
        404,
        'no_service',
      ],
      [
        'revoked hook',
        () => {
          const u = slack.webhookUrl();
          slack.revoke(u);
          return { ...c, ...only, slack: { webhookUrl: new Secret(u) } };
        },
        403,
        'invalid_token',
      ],
      [
        'unknown channel',
        () => ({ ...c, ...only, slack: { webhookUrl: new Secret(slack.webhookUrl()), channel: '#nope' } }),
        404,
        'channel_not_found',
      ],
      [
        'archived channel',
        () => {
          slack.archive('#old');
          return { ...c, ...only, slack: { webhookUrl: new Secret(slack.webhookUrl()), channel: '#old' } };
        },
        410,
        'channel_is_archived',
      ],
      [
        'bad routing key',
        () => ({
          ...c,
          slack: undefined,
          webhooks: [],
          pagerduty: { routingKey: new Secret('b'.repeat(32)), url: pd.enqueueUrl },
        }),
        400,
        'invalid event: Event object is invalid',
      ],
    ];
    for (const [name, cfg, status, text] of cases) {
      const before = slack.requests.length + pd.requests.length;
      const [o] = await createNotifier(cfg(), FAST).send(runNotification('initiated', incidentFacts()));
      expect(o, name).toMatchObject({ ok: false, status, attempts: 1 });
      expect(o?.error, name).toContain(text);
      expect(slack.requests.length + pd.requests.length - before, name).toBe(1);
      expect(JSON.stringify(o)).not.toContain('b'.repeat(32));
    }
  });

  it('Slack rejects a payload it cannot read (the double validates like Slack): invalid_blocks, no_text', async () => {
    const u = slack.webhookUrl();
    const post = (body: unknown) =>
      fetch(u, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      await (
        await post({ blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] })
      ).text(),
    ).toBe('invalid_blocks');
    expect(await (await post({})).text()).toBe('no_text');
  });

  it('a dead channel never throws, never delays the others, and is reported', async () => {
    const port = await closedPort();
    const c = config({
      webhooks: [{ name: 'dead', url: new Secret(`http://127.0.0.1:${port}/hook/deadsecret`), headers: {} }],
    });
    const before = slack.messages.length;
    const n = createNotifier(c, FAST);
    const out = await n.send(runNotification('failed', incidentFacts({ status: 'failed', error: 'x' })));
    expect(out.find((o) => o.channel === 'slack')?.ok).toBe(true);
    expect(out.find((o) => o.channel === 'pagerduty')?.ok).toBe(true);
    const dead = out.find((o) => o.channel === 'webhook:dead');
    expect(dead).toMatchObject({ ok: false, attempts: 4 });
    expect(dead?.error).toMatch(/no answer \(ECONNREFUSED\)/);
    expect(JSON.stringify(out)).not.toContain('deadsecret');
    expect(slack.messages.length - before).toBe(1);
  });

  it('keeps each channel in order: "resolved" cannot overtake a retrying "initiated"', async () => {
    slack.fail({ status: 500, times: 2 });
    const n = createNotifier({ ...config(), pagerduty: undefined, webhooks: [] }, FAST);
    const before = slack.messages.length;
    void n.send(runNotification('initiated', incidentFacts()));
    void n.send(runNotification('resolved', incidentFacts({ status: 'succeeded' })));
    await n.drain();
    const titles = slack.messages.slice(before).map((m) => m.body.text?.split('\n')[0]);
    expect(titles).toEqual([
      '🔴 *Rollback Initiated - venue-service*',
      '✅ *Rollback Verified - venue-service*',
    ]);
    expect(n.outcomes.map((o) => o.event)).toEqual(['initiated', 'resolved']);
  });
});
