/**
 * No secret leaves through Ripcord's own outputs. One service with every secret-bearing section (Slack,
 * PagerDuty, a webhook with a secret path and an Authorization header, Unleash, Vault, the sandbox's
 * PostgreSQL), driven through the CLI: config check, an app rollback, an Unleash flag rollback, a secret
 * plan, config history, notify test, runs/show/status. Then every captured stdout/stderr, the SQLite journal
 * file AND its WAL (kept alive by a reader held open for the whole file), and every body the notification
 * doubles received are searched for each secret: the sandbox database password, the Unleash admin and client
 * tokens, the Vault token and secret values, the webhook URLs, the routing key, the header token, and a
 * row value seeded into the service's database. The search itself is checked to find a planted secret.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { ensureFeature, readUnleashSecrets, setFeatureEnabled } from '../../src/sandbox/unleash.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord, type CliResult } from '../support/cli.js';
import { startPagerDutyDouble, type PagerDutyDouble } from '../support/pagerduty-double.js';
import { adminKubeConfig, deployVenueService, sandbox, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import { startSlackDouble, type SlackDouble } from '../support/slack-double.js';
import { startVaultKv2Double, type VaultKv2Double } from '../support/vault-kv2-double.js';
import { startWebhookDouble, type WebhookDouble } from '../support/webhook-double.js';

interface Secret {
  name: string;
  value: string;
}
interface Haystack {
  where: string;
  text: string;
}

/** Every (secret, place) where a secret value, its URL-encoded or its base64 form appears. */
export function findLeaks(haystacks: readonly Haystack[], secrets: readonly Secret[]): string[] {
  const leaks: string[] = [];
  for (const s of secrets) {
    const forms = new Set([
      s.value,
      encodeURIComponent(s.value),
      Buffer.from(s.value).toString('base64').replace(/=+$/, ''),
    ]);
    for (const h of haystacks) {
      if ([...forms].some((f) => h.text.includes(f))) leaks.push(`${s.name} in ${h.where}`);
    }
  }
  return leaks;
}

describe('no secret in any output: stdout/stderr, the journal and its WAL, notifications', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let config: string;
  let slack: SlackDouble;
  let pd: PagerDutyDouble;
  let tickets: WebhookDouble;
  let vault: VaultKv2Double;
  let reader: Database.Database | undefined;
  const outputs: Array<{ args: string[]; res: CliResult }> = [];
  const secrets: Secret[] = [];
  const VAULT_TOKEN = `hvs.${randomBytes(12).toString('hex')}`;
  const VAULT_API_KEY = `vault-api-${randomBytes(8).toString('hex')}`;
  const HEADER_TOKEN = `tkt-${randomBytes(10).toString('hex')}`;
  const SEEDED = `seeded-venue-${randomBytes(8).toString('hex')}`;
  const feature = () => `leak-pricing-${ns.name}`;
  let env: NodeJS.ProcessEnv = {};

  const run = async (args: string[]) => {
    const res = await ripcord(['--config', config, ...args], env);
    outputs.push({ args, res });
    return res;
  };

  beforeAll(async () => {
    [slack, pd, tickets, vault] = await Promise.all([
      startSlackDouble(),
      startPagerDutyDouble(),
      startWebhookDouble(),
      startVaultKv2Double({ tokens: { [VAULT_TOKEN]: 'write' } }),
    ]);
    ns = await testNamespace('leaks');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    const dbSecret = await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ name: 'venue-service-db', namespace: ns.name });
    const dbUrl = Buffer.from(dbSecret.data?.DATABASE_URL ?? '', 'base64').toString('utf8');
    const dbPassword = decodeURIComponent(new URL(dbUrl).password);
    const superPassword = decodeURIComponent(new URL(sandbox().postgres?.url ?? 'postgres://x@y').password);
    // A row in the service's own database, written through the service.
    const seeded = await fetch(`${url}/api/venues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: SEEDED, city: SEEDED, capacity: 10 }),
    });
    expect(seeded.status).toBe(201);

    const u = sandbox().unleash;
    if (!u) throw new Error('the sandbox has no Unleash');
    const unleashSecrets = readUnleashSecrets(u.secretsFile);
    await ensureFeature(u.url, unleashSecrets.adminToken, feature());
    await setFeatureEnabled(u.url, unleashSecrets.adminToken, feature(), true);

    vault.put('secret', 'venue-service/config', { DB_PASSWORD: dbPassword, API_KEY: VAULT_API_KEY });
    vault.put('secret', 'venue-service/config', {
      DB_PASSWORD: `wrong-${dbPassword}`,
      API_KEY: VAULT_API_KEY,
    });

    const slackHook = slack.webhookUrl('#deployments');
    const ticketUrl = `${tickets.url}/hooks/${randomBytes(10).toString('hex')}`;
    env = {
      SLACK_WEBHOOK_URL: slackHook,
      PAGERDUTY_ROUTING_KEY: pd.routingKey,
      PAGERDUTY_URL: pd.enqueueUrl,
      TICKET_WEBHOOK_URL: ticketUrl,
      TICKET_TOKEN: `Bearer ${HEADER_TOKEN}`,
      UNLEASH_ADMIN_TOKEN: unleashSecrets.adminToken,
      VAULT_TOKEN,
      DATABASE_URL: dbUrl,
    };
    secrets.push(
      { name: 'the database password', value: dbPassword },
      { name: 'the sandbox PostgreSQL superuser password', value: superPassword },
      { name: 'the Unleash admin token', value: unleashSecrets.adminToken },
      { name: 'the Unleash client token', value: unleashSecrets.clientToken },
      { name: 'the Vault token', value: VAULT_TOKEN },
      { name: 'a Vault secret value', value: VAULT_API_KEY },
      { name: 'the Slack webhook URL path', value: new URL(slackHook).pathname },
      { name: 'the ticket webhook URL path', value: new URL(ticketUrl).pathname },
      { name: 'the PagerDuty routing key', value: pd.routingKey },
      { name: 'the webhook header token', value: HEADER_TOKEN },
      { name: 'the seeded row value', value: SEEDED },
    );
    for (const s of secrets) expect(s.value.length, s.name).toBeGreaterThanOrEqual(8);

    config = writeServiceConfig({ namespace: ns.name, url });
    appendFileSync(
      config,
      [
        '    contacts: { onCall: PagerDuty, platformLead: "@platform-lead" }',
        '    notify:',
        '      slack: { webhookUrl: "${SLACK_WEBHOOK_URL}", channel: "#deployments" }',
        '      pagerduty: { routingKey: "${PAGERDUTY_ROUTING_KEY}", url: "${PAGERDUTY_URL}" }',
        '      webhooks: [{ name: tickets, url: "${TICKET_WEBHOOK_URL}", headers: { Authorization: "${TICKET_TOKEN}" } }]',
        '      retries: 1',
        '    flags:',
        `      new-pricing: { provider: unleash, url: ${u.url}, project: default, environment: development, feature: ${feature()} }`,
        `    vault: { address: "${vault.url}", path: venue-service/config }`,
        // The service's DATABASE_URL (with its password), as `config check` prints the database section.
        '    database: { url: "${DATABASE_URL}", migrations: { table: knex_migrations, directory: migrations } }',
        '',
      ].join('\n'),
    );
    // Create the journal, then hold a reader on it so the WAL is never checkpointed away by a CLI exiting last.
    expect((await run(['runs'])).code).toBe(0);
    reader = new Database(join(dirname(config), 'journal.db'), { readonly: true, fileMustExist: true });
    reader.prepare('select count(*) from runs').get();
  }, 300_000);

  afterAll(async () => {
    reader?.close();
    await ns?.cleanup();
    await Promise.all([slack?.close(), pd?.close(), tickets?.close(), vault?.close()]);
  });

  it('drives every secret-bearing path through the CLI', async () => {
    expect((await run(['config', 'check'])).code).toBe(0);
    expect((await run(['config', 'check', '-o', 'json'])).code).toBe(0);

    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    const app = await run(['rollback', 'venue-service', '--yes', '-o', 'json']);
    expect(app.code, app.stderr).toBe(0);

    const flag = await run([
      'rollback',
      'venue-service',
      '--scenario',
      'flag',
      '--flag',
      'new-pricing',
      '--yes',
    ]);
    expect(flag.code, flag.stderr).toBe(0);

    const history = await run(['config', 'history', 'venue-service', '-o', 'json']);
    expect(history.code, history.stderr).toBe(0);
    const plan = await run(['plan', 'venue-service', '--scenario', 'secret']);
    expect(plan.code, plan.stderr).toBe(0);
    expect((await run(['notify', 'test', 'venue-service'])).code).toBe(0);

    const runs = await run(['runs', '-o', 'json']);
    const ids = (JSON.parse(runs.stdout) as Array<{ id: string }>).map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    for (const id of ids) {
      await run(['show', id]);
      await run(['show', id, '-o', 'json']);
    }
    await run(['status', 'venue-service', '-o', 'json']);
    // A failing command's error output counts too: a bad Unleash token.
    const bad = await ripcord(['--config', config, 'plan', 'venue-service', '--scenario', 'flag'], {
      ...env,
      UNLEASH_ADMIN_TOKEN: `*:*.${randomBytes(8).toString('hex')}`,
    });
    outputs.push({ args: ['plan --scenario flag (bad token)'], res: bad });
    expect(bad.code).not.toBe(0);
  });

  it('none of the secrets is in stdout/stderr, the journal file or its WAL, or a notification body', () => {
    const journal = join(dirname(config), 'journal.db');
    const wal = `${journal}-wal`;
    // The WAL is really there and holds this file's runs (the reader kept it from being checkpointed away).
    expect(existsSync(wal)).toBe(true);
    expect(statSync(wal).size).toBeGreaterThan(0);
    const runIds = (reader?.prepare('select id from runs').pluck().all() ?? []) as string[];
    expect(runIds.length).toBeGreaterThanOrEqual(2);
    const walText = readFileSync(wal).toString('latin1');
    expect(
      runIds.some((id) => walText.includes(id)),
      'the WAL holds run records',
    ).toBe(true);

    const haystacks: Haystack[] = [
      { where: 'journal.db', text: readFileSync(journal).toString('latin1') },
      { where: 'journal.db-wal', text: walText },
      ...outputs.flatMap(({ args, res }) => [
        { where: `stdout of ripcord ${args.join(' ')}`, text: res.stdout },
        { where: `stderr of ripcord ${args.join(' ')}`, text: res.stderr },
      ]),
      ...slack.messages.map((m, i) => ({ where: `Slack message ${i}`, text: JSON.stringify(m.body) })),
      // The routing key is PagerDuty's credential and belongs in exactly one field of the Events API body
      // (checked below); everything else in the event must be free of it and of every other secret.
      ...pd.events.map((e, i) => {
        const { routing_key: _key, ...rest } = e;
        return { where: `PagerDuty event ${i} (besides routing_key)`, text: JSON.stringify(rest) };
      }),
      ...tickets.received.map((r, i) => ({ where: `webhook body ${i}`, text: JSON.stringify(r.body) })),
    ];
    if (existsSync(`${journal}-shm`)) {
      haystacks.push({ where: 'journal.db-shm', text: readFileSync(`${journal}-shm`).toString('latin1') });
    }
    // The places searched are the real ones: notifications arrived, outputs name the runs.
    expect(slack.messages.length).toBeGreaterThanOrEqual(3);
    expect(pd.events.length).toBeGreaterThanOrEqual(2);
    expect(tickets.received.length).toBeGreaterThanOrEqual(2);
    expect(tickets.received.every((r) => r.headers.authorization === `Bearer ${HEADER_TOKEN}`)).toBe(true);
    expect(pd.events.every((e) => e.routing_key === pd.routingKey)).toBe(true);
    expect(outputs.map((o) => o.res.stdout).join('')).toContain(runIds[0] as string);

    // The search finds a secret when one is there (so an empty result below means something).
    const planted = [...haystacks, { where: 'a planted copy', text: `x${VAULT_TOKEN}y` }];
    expect(findLeaks(planted, secrets)).toEqual(['the Vault token in a planted copy']);

    expect(findLeaks(haystacks, secrets)).toEqual([]);
  });
});
