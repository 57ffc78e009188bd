import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api } from '@kubernetes/client-node';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { createDatabase } from '../../src/sandbox/postgres.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import {
  adminKubeConfig,
  deployVenueService,
  sandbox,
  testNamespace,
  versionsServed,
} from '../support/sandbox.js';

/** ripcord.yaml for venue-service in `namespace`, with its database and the knexfile per release. */
function writeDbConfig(namespace: string, url: string, dbUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-dbe2e-'));
  const file = join(dir, 'ripcord.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'journal: { driver: sqlite, path: journal.db }',
      'services:',
      '  venue-service:',
      `    kube: { namespace: ${namespace}, kubeconfig: ${sandbox().kube.kubeconfig} }`,
      `    healthUrl: ${url}/api/venues/health`,
      '    verify: { window: 1s, require: [pods, health, database] }',
      '    rollout: { timeout: 3m }',
      '    lock: { leaseSeconds: 60 }',
      "    contacts: { dba: '@dba-oncall' }",
      '    database:',
      `      url: '${dbUrl}'`,
      '      migrations:',
      `        knexfile: { path: ${join(repoRoot(), 'dist/examples/venue-service/knexfile.js')}, env: { VENUE_RELEASE: '{release}' } }`,
      '        advisoryLock: 1986358901',
      '      backups: { directory: backups }',
      '',
    ].join('\n'),
  );
  return file;
}

// Runbook section 2 on the sandbox: v1.4.0 drops venues.city (a dangerous migration) after v1.3.0. The
// pre-deploy backup is taken by `ripcord db backup --release v1.4.0`; the rollback runs down() first, brings
// the city values back from that backup, then rolls the app back to v1.3.0. Killed between the migration step
// and the app step, `ripcord resume` finishes it.
describe('database rollback on the sandbox: venue-service v1.4.0 -> v1.3.0', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;
  let db: Knex;
  let url: string;

  beforeAll(async () => {
    ns = await testNamespace('dbrb');
    url = await deployVenueService(ns.name, 'v1.3.0', { replicas: 2 });
    const dbUrl = await createDatabase(
      sandbox().postgres?.url ?? '',
      `venues_${ns.name.replace(/[^a-z0-9]/g, '_')}`,
    );
    db = knexFactory({ client: 'pg', connection: dbUrl, pool: { min: 0, max: 2 } });
    config = writeDbConfig(ns.name, url, dbUrl);
  });
  afterAll(async () => {
    await db?.destroy();
    await ns?.cleanup();
  });

  it('backs up before the deploy, rolls back down-first with the data restored, survives SIGKILL + resume', async () => {
    for (const v of [
      { name: 'Arena', city: 'Oslo', capacity: 100 },
      { name: 'Hall', city: 'Bergen', capacity: 50 },
      { name: 'Club', city: 'Trondheim' },
    ]) {
      const res = await fetch(`${url}/api/venues`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(v),
      });
      expect(res.status).toBe(201);
    }

    // Pre-deploy step of the pipeline: finds v1.4.0's pending dangerous migration and backs up what it touches.
    const backup = await ripcord([
      '--config',
      config,
      'db',
      'backup',
      'venue-service',
      '--release',
      'v1.4.0',
      '-o',
      'json',
    ]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain('004_drop_venue_city');

    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.4.0' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    const cols = async () =>
      (
        (await db.raw(
          "select column_name from information_schema.columns where table_name = 'venues' order by ordinal_position",
        )) as {
          rows: { column_name: string }[];
        }
      ).rows.map((r) => r.column_name);
    expect(await cols()).not.toContain('city');
    // Written under v1.4.0: has no city, must survive the rollback.
    await fetch(`${url}/api/venues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'New', capacity: 5 }),
    });

    const status = await ripcord(['--config', config, 'db', 'status', 'venue-service', '-o', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const st = JSON.parse(status.stdout) as {
      release: string;
      batches: { batch: number; release: string; method: string }[];
    };
    expect(st.release).toBe('v1.4.0');
    expect(st.batches.at(-1)).toMatchObject({ release: 'v1.4.0', method: 'recorded' });

    const plan = await ripcord(['--config', config, 'plan', 'venue-service', '--scenario', 'database']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /down\(\) first, then the app: 004_drop_venue_city \(drop column venues\.city\)/,
    );

    const killed = await ripcord(
      ['--config', config, 'rollback', 'venue-service', '--scenario', 'database', '--yes'],
      {
        RIPCORD_FAILPOINT: 'kill-after:db-down-004_drop_venue_city',
      },
    );
    expect(killed.code, killed.stderr).not.toBe(0);
    const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(killed.stderr)?.[1] ?? '';
    expect(runId, killed.stderr).not.toBe('');
    // Killed between the migration step and the app step: schema back, app still v1.4.0.
    expect(await cols()).toContain('city');
    const apps = adminKubeConfig().makeApiClient(AppsV1Api);
    const image = async () =>
      (await apps.readNamespacedDeployment({ name: 'venue-service', namespace: ns.name })).spec?.template.spec
        ?.containers[0]?.image;
    expect(await image()).toBe('venue-service:v1.4.0');

    const resumed = await ripcord(['--config', config, 'resume', runId, '-o', 'json']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('succeeded');

    expect(await image()).toBe('venue-service:v1.3.0');
    expect(await db('venues').orderBy('id').select('name', 'city', 'capacity')).toEqual([
      { name: 'Arena', city: 'Oslo', capacity: 100 },
      { name: 'Hall', city: 'Bergen', capacity: 50 },
      { name: 'Club', city: 'Trondheim', capacity: null },
      { name: 'New', city: null, capacity: 5 },
    ]);
    expect(await db('knex_migrations').orderBy('id').pluck('name')).toEqual([
      '001_create_venues',
      '002_add_venue_capacity',
      '003_index_venue_name',
    ]);
    expect((await db('knex_migrations_lock').first()).is_locked).toBe(0);
    // v1.3.0 reads the city column again: the API answers with it.
    const list = (await (await fetch(`${url}/api/venues`)).json()) as { name: string; city?: string }[];
    expect(list.find((v) => v.name === 'Arena')?.city).toBe('Oslo');
    expect(Object.keys(await versionsServed(url, 5))).toEqual(['v1.3.0']);

    // The journal keeps the order chosen and why, and every step done.
    const shown = await ripcord(['--config', config, 'show', runId, '-o', 'json']);
    const run = JSON.parse(shown.stdout) as {
      run: {
        status: string;
        plan: { steps: { id: string; desired: { order?: string; reason?: string } }[] };
      };
      steps: { stepId: string; status: string }[];
    };
    expect(run.run.status).toBe('succeeded');
    const checklist = run.run.plan.steps.find((s) => s.id === 'db-checklist');
    expect(checklist?.desired.order).toBe('down-first');
    expect(checklist?.desired.reason).toMatch(/removed or changed what the previous app needs/);
    const order = run.run.plan.steps.map((s) => s.id);
    expect(order.indexOf('db-down-004_drop_venue_city')).toBeLessThan(order.indexOf('set-template'));
    expect(order.indexOf('db-restore-rows')).toBeLessThan(order.indexOf('set-template'));
    expect(run.steps.every((s) => s.status === 'done')).toBe(true);
    expect(run.steps.map((s) => s.stepId)).toEqual(order);
    // Its own timeout, above the per-file table's: 19-24 s here, but CI's full runs took it past 60 s and 90 s
    // (the second time with `resume` still silent after 11 s; see the 2026-12-07 closing note).
  }, 240_000);
});
