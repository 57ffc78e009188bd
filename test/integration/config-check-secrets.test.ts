import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ripcord } from '../support/cli.js';

// `ripcord config check` (text and -o json) and `config path` through the CLI: the configuration is full of
// secrets interpolated from the environment, and none of them may reach stdout or stderr.
const dir = mkdtempSync(join(tmpdir(), 'ripcord-config-mask-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = {
  DATABASE_URL: 'postgres://venue:db-Pa55w0rd-7f3k@127.0.0.1:5432/venue',
  JOURNAL_URL: 'postgresql://ripcord:journal-S3cret-q9z@db.internal:5432/ripcord?sslmode=require',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000SECRET/B000SECRET/slackXyzzy9secret',
  PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEYpagerduty0000secret012',
  TICKET_WEBHOOK_URL: 'https://tickets.example.com/hook/whk-7c1d-secret-path',
  TICKET_TOKEN: 'Bearer tkt-header-secret-55aa',
  PROM_URL: 'https://metrics:prom-Basic-Auth-8d2@prometheus.internal:9090',
  UNLEASH_URL: 'https://unleash.internal:4242?token=unleash-query-token-77',
};
const secretValues = [
  'db-Pa55w0rd-7f3k',
  'journal-S3cret-q9z',
  'slackXyzzy9secret',
  'T000SECRET/B000SECRET',
  SECRETS.PAGERDUTY_ROUTING_KEY,
  'whk-7c1d-secret-path',
  'tkt-header-secret-55aa',
  'prom-Basic-Auth-8d2',
  'unleash-query-token-77',
];

function writeConfig(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const fullConfig = writeConfig('ripcord.yaml', [
  'version: 1',
  'journal: { driver: postgres, url: "${JOURNAL_URL}" }',
  'defaults:',
  '  notify:',
  "    slack: { webhookUrl: '${SLACK_WEBHOOK_URL}' }",
  "    pagerduty: { routingKey: '${PAGERDUTY_ROUTING_KEY}' }",
  "    webhooks: [{ name: tickets, url: '${TICKET_WEBHOOK_URL}', headers: { Authorization: '${TICKET_TOKEN}' } }]",
  'services:',
  '  venue-service:',
  '    kube: { namespace: tickettoken }',
  '    healthUrl: http://127.0.0.1:9/api/venues/health',
  "    detect: { prometheusUrl: '${PROM_URL}' }",
  '    vault: { path: venue-service/config, mount: secret }',
  '    flags:',
  "      new-pricing: { provider: unleash, url: '${UNLEASH_URL}', environment: development }",
  '    database:',
  '      url: ${DATABASE_URL}',
  '      migrations: { table: knex_migrations, directory: migrations }',
]);

function expectNoSecret(output: string, where: string): void {
  for (const s of secretValues) expect(output.includes(s), `${where} contains the secret ${s}`).toBe(false);
}

describe('config commands never print a secret', () => {
  it('config check -o json: every password, token, webhook URL and routing key masked, the rest kept', async () => {
    const res = await ripcord(['config', 'check', '--config', fullConfig, '-o', 'json'], SECRETS);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expectNoSecret(res.stdout + res.stderr, 'config check -o json');
    const out = JSON.parse(res.stdout) as {
      journal: { url: string };
      services: Record<string, Record<string, unknown>>;
    };
    // Masked where the secret was, and the non-secret parts still there to check against.
    expect(out.journal.url).toBe('postgresql://ripcord:***@db.internal:5432/ripcord?sslmode=require');
    const svc = out.services['venue-service'] as {
      database: { url: string };
      notify: {
        slack: { webhookUrl: string };
        pagerduty: { routingKey: string };
        webhooks: { url: string; headers: Record<string, string> }[];
      };
      detect: { prometheusUrl: string };
      flags: Record<string, { url: string; token: unknown }>;
      vault: { tokenEnv: string };
    };
    expect(svc.database.url).toBe('postgres://venue:***@127.0.0.1:5432/venue');
    expect(svc.notify.slack.webhookUrl).toBe('***');
    expect(svc.notify.pagerduty.routingKey).toBe('***');
    expect(svc.notify.webhooks[0]?.url).toBe('***');
    expect(svc.notify.webhooks[0]?.headers).toEqual({ Authorization: '***' });
    expect(svc.detect.prometheusUrl).toBe('https://metrics:***@prometheus.internal:9090/');
    expect(svc.flags['new-pricing']?.url).toContain('token=***');
    // Where a secret comes from is not a secret: the variable names stay.
    expect(svc.flags['new-pricing']?.token).toEqual({ env: 'UNLEASH_ADMIN_TOKEN' });
    expect(svc.vault.tokenEnv).toBe('VAULT_TOKEN');
  });

  it('config check (text): ok, the journal shown with its password masked', async () => {
    const res = await ripcord(['config', 'check', '--config', fullConfig], SECRETS);
    expect(res.code).toBe(0);
    expectNoSecret(res.stdout + res.stderr, 'config check');
    expect(res.stdout).toContain('journal: postgres postgresql://ripcord:***@db.internal:5432/ripcord');
    expect(res.stdout).toContain('venue-service: deployment/venue-service');
  });

  it('config check of an invalid file: the error quotes the field but masks the URL password (exit 2)', async () => {
    const bad = writeConfig('bad.yaml', [
      'version: 1',
      'journal: { driver: postgres, url: "${JOURNAL_URL}" }',
      'services:',
      '  venue-service:',
      '    kube: { namespace: tickettoken }',
      '    healthUrl: ${DATABASE_URL}',
      "    rto: { app: '${DATABASE_URL}' }",
    ]);
    for (const output of [[], ['-o', 'json']]) {
      const res = await ripcord(['config', 'check', '--config', bad, ...output], SECRETS);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('services.venue-service.rto.app');
      expectNoSecret(res.stdout + res.stderr, `config check ${output.join(' ')} (invalid)`);
    }
  });

  it('config path -o json names the file, nothing else', async () => {
    const res = await ripcord(['config', 'path', '--config', fullConfig, '-o', 'json'], SECRETS);
    expect(res.code).toBe(0);
    expectNoSecret(res.stdout + res.stderr, 'config path');
    expect(JSON.parse(res.stdout)).toMatchObject({ file: fullConfig });
  });
});
