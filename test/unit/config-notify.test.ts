import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { getService } from '../../src/config/services.js';

const KEY = 'a'.repeat(32);
const file = (notify: string) =>
  [
    'version: 1',
    'defaults:',
    '  notify:',
    '    slack: { webhookUrl: "${SLACK_WEBHOOK_URL:-}" }',
    '    pagerduty: { routingKey: "${PAGERDUTY_ROUTING_KEY:-}" }',
    'services:',
    '  venue-service:',
    '    notify:',
    notify,
    '',
  ].join('\n');
const parse = (text: string, env: Record<string, string> = {}) =>
  getService(parseConfig(text, '/x/ripcord.yaml', { env }), 'venue-service');

describe('config: notify', () => {
  it('an unset optional channel (${VAR:-}) is simply off, not an error', () => {
    const s = parse(file('      slack: { channel: "#deployments" }'));
    expect(s.notify?.slack).toBeUndefined();
    expect(s.notify?.pagerduty).toBeUndefined();
    expect(s.notify?.webhooks).toEqual([]);
  });

  it('a set variable turns the channel on; defaults and service merge (URL in defaults, channel per service)', () => {
    const s = parse(file('      slack: { channel: "#deployments" }'), {
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T1/B1/secretpart',
      PAGERDUTY_ROUTING_KEY: KEY,
    });
    expect(s.notify?.slack?.channel).toBe('#deployments');
    expect(s.notify?.slack?.webhookUrl.reveal()).toBe('https://hooks.slack.com/services/T1/B1/secretpart');
    expect(s.notify?.pagerduty?.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(s.notify?.escalation.platformLeadAfterMs).toBe(15 * 60_000);
    expect(s.notify?.retries).toBe(3);
    expect(s.notify?.timeoutMs).toBe(10_000);
  });

  it('secrets never show in JSON or inspect output', () => {
    const s = parse(
      file(
        '      webhooks: [{ name: tickets, url: "https://t.example/hook/tok123", headers: { Authorization: "Bearer zzz999" } }]',
      ),
      {
        SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T1/B1/secretpart',
        PAGERDUTY_ROUTING_KEY: KEY,
      },
    );
    const shown = JSON.stringify(s) + inspect(s, { depth: 10 });
    for (const secret of ['secretpart', KEY, 'tok123', 'zzz999']) expect(shown).not.toContain(secret);
    expect(s.notify?.webhooks[0]?.headers.Authorization?.reveal()).toBe('Bearer zzz999');
  });

  it('${VAR} without a default stays mandatory: a missing variable is an error naming it', () => {
    const text = file('      slack: { webhookUrl: "${TEAM_SLACK_URL}" }');
    expect(() => parse(text)).toThrow(/TEAM_SLACK_URL is not set/);
  });

  it('escalation time, timeout and retries are configurable; bad values name the field without the secret', () => {
    const s = parse(file('      escalation: { platformLeadAfter: 5m }\n      timeout: 2s\n      retries: 1'));
    expect(s.notify?.escalation.platformLeadAfterMs).toBe(300_000);
    expect(s.notify?.timeoutMs).toBe(2000);
    expect(() => parse(file('      pagerduty: { routingKey: short-key-value }'))).toThrow(
      /services\.venue-service\.notify\.pagerduty\.routingKey: expected a 32-character/,
    );
    let message = '';
    try {
      parse(file('      slack: { webhookUrl: "not a url/secretish" }'));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/notify\.slack\.webhookUrl/);
    expect(message).not.toContain('secretish');
  });

  it('webhook names must be unique; an empty webhook URL is off', () => {
    expect(() =>
      parse(
        file(
          '      webhooks: [{ name: a, url: "https://x.example/1" }, { name: a, url: "https://x.example/2" }]',
        ),
      ),
    ).toThrow(/own name/);
    const s = parse(file('      webhooks: [{ name: a, url: "" }, { name: b, url: "https://x.example/2" }]'));
    expect(s.notify?.webhooks.map((w) => w.name)).toEqual(['b']);
  });

  it('a service without notify: has no notify section (defaults apply at run time)', () => {
    const s = getService(
      parseConfig('version: 1\nservices:\n  venue-service: {}\n', '/x/ripcord.yaml', { env: {} }),
      'venue-service',
    );
    expect(s.notify).toBeUndefined();
  });
});
