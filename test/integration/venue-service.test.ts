import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDb } from '../../examples/venue-service/src/db.js';
import { migratorConfig } from '../../examples/venue-service/src/migrations.js';
import { findRelease } from '../../examples/venue-service/src/releases.js';
import { startPostgres } from '../../src/sandbox/postgres.js';
import { stopProcessGroup } from '../../src/sandbox/process.js';
import {
  assertBuilt,
  getJson,
  getText,
  postJson,
  repo,
  sql,
  startTestPostgres,
  startVenue,
  statuses,
  stopAllVenues,
  type TestPostgres,
} from './venue-process.js';

const execFileAsync = promisify(execFile);

function configMapData(file: string): Record<string, string> {
  const doc = parse(readFileSync(join(repo, 'examples', 'venue-service', 'manifests', file), 'utf8')) as {
    data: Record<string, string>;
  };
  return doc.data;
}

async function migrationNames(url: string): Promise<string[]> {
  return (await sql<{ name: string }>(url, 'select name from knex_migrations order by id')).map(
    (r) => r.name,
  );
}

async function venueColumns(url: string): Promise<string[]> {
  const rows = await sql<{ column_name: string }>(
    url,
    "select column_name from information_schema.columns where table_name = 'venues' order by ordinal_position",
  );
  return rows.map((r) => r.column_name);
}

describe('venue-service as a process on a private PostgreSQL', () => {
  let pg: TestPostgres;

  beforeAll(async () => {
    assertBuilt();
    pg = await startTestPostgres();
  });
  afterAll(async () => {
    await stopAllVenues();
    await pg?.stop();
  });

  it('v1.2.2 migrates a fresh database, stores and serves venues, and counts requests by route', async () => {
    const db = await pg.freshDb('v122_fresh');
    const app = await startVenue({ VENUE_RELEASE: 'v1.2.2', DATABASE_URL: db });

    expect(await migrationNames(db)).toEqual(['001_create_venues', '002_add_venue_capacity']);
    expect(await venueColumns(db)).toEqual(['id', 'name', 'city', 'created_at', 'capacity']);

    const health = await getJson(`${app.url}/api/venues/health`);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', release: 'v1.2.2', db: 'ok' });
    expect(health.headers.get('x-venue-version')).toBe('v1.2.2');

    const created = await postJson(`${app.url}/api/venues`, {
      name: 'Oslo Spektrum',
      city: 'Oslo',
      capacity: 9700,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-venue-version')).toBe('v1.2.2');
    const id = created.body.id as number;
    const got = await getJson(`${app.url}/api/venues/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, name: 'Oslo Spektrum', city: 'Oslo', capacity: 9700 });
    const list = await getJson(`${app.url}/api/venues`);
    expect(list.body).toEqual([got.body]);

    const bad = await postJson(`${app.url}/api/venues`, { city: 'Bergen' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'name' });
    expect((await postJson(`${app.url}/api/venues`, { name: 'X', capacity: 'big' })).body.field).toBe(
      'capacity',
    );
    expect((await getJson(`${app.url}/api/venues/999999`)).status).toBe(404);
    expect((await getJson(`${app.url}/nope`)).headers.get('x-venue-version')).toBe('v1.2.2');

    const { text, headers } = await getText(`${app.url}/metrics`);
    expect(headers.get('x-venue-version')).toBe('v1.2.2');
    expect(text).toContain('http_requests_total{method="GET",route="/api/venues/:id",status="200"} 1');
    expect(text).toContain('http_requests_total{method="POST",route="/api/venues",status="201"} 1');
    expect(text).toContain('http_requests_total{method="GET",route="/api/venues/health",status="200"} 1');
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.0125",method="GET",route="\/api\/venues"/,
    );
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);

    expect(await app.stop()).toBe(0);
  });

  it('v1.2.3 answers 500 on about 5% of /api/venues requests, never on health', async () => {
    const db = await pg.freshDb('v123_errors');
    const app = await startVenue({ VENUE_RELEASE: 'v1.2.3', DATABASE_URL: db });
    const codes = await statuses(`${app.url}/api/venues`, 400);
    const share = codes.filter((c) => c >= 500).length / codes.length;
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.08);
    expect(codes.every((c) => c === 200 || c === 500)).toBe(true);
    expect((await statuses(`${app.url}/api/venues/health`, 60)).every((c) => c === 200)).toBe(true);
    const metrics = (await getText(`${app.url}/metrics`)).text;
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/api\/venues",status="500"\} \d+/);
    expect(await app.stop()).toBe(0);
  });

  it('v1.2.9 answers 200 on every request but logs an error with its stack for each API request', async () => {
    const db = await pg.freshDb('v129_log_errors');
    const app = await startVenue({ VENUE_RELEASE: 'v1.2.9', DATABASE_URL: db });
    const codes = await statuses(`${app.url}/api/venues`, 30);
    expect(codes.every((c) => c === 200)).toBe(true);
    await statuses(`${app.url}/api/venues/health`, 5);
    const errors = app
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg: string; stack?: string })
      .filter((l) => l.level === 'error');
    // One per API request, none for health.
    expect(errors).toHaveLength(30);
    expect(errors[0]?.msg).toBe('venue enrichment failed');
    expect(errors[0]?.stack).toMatch(/^TypeError: .*\n\s+at /);
    expect(await app.stop()).toBe(0);
  });

  it('three replicas started together on a fresh database migrate exactly once and all serve', async () => {
    const db = await pg.freshDb('replicas');
    const apps = await Promise.all(
      [1, 2, 3].map(() => startVenue({ VENUE_RELEASE: 'v1.3.0', DATABASE_URL: db })),
    );
    for (const app of apps) expect((await getJson(`${app.url}/api/venues/health`)).status).toBe(200);
    expect(await migrationNames(db)).toEqual([
      '001_create_venues',
      '002_add_venue_capacity',
      '003_index_venue_name',
    ]);
    expect(await sql(db, 'select is_locked from knex_migrations_lock')).toEqual([{ is_locked: 0 }]);
    expect(await sql(db, "select 1 from pg_indexes where indexname = 'venues_name_idx'")).toHaveLength(1);
    for (const app of apps) expect(await app.stop()).toBe(0);
  });

  it('an older release starts on a schema a newer one migrated, and works again once the migration is rolled back', async () => {
    const db = await pg.freshDb('older_on_newer');
    const v140 = await startVenue({ VENUE_RELEASE: 'v1.4.0', DATABASE_URL: db });
    expect(
      (await postJson(`${v140.url}/api/venues`, { name: 'Hall', city: 'ignored', capacity: 10 })).status,
    ).toBe(201);
    expect(await v140.stop()).toBe(0);
    const applied = [
      '001_create_venues',
      '002_add_venue_capacity',
      '003_index_venue_name',
      '004_drop_venue_city',
    ];
    expect(await migrationNames(db)).toEqual(applied);
    expect(await venueColumns(db)).not.toContain('city');

    // The runbook's situation: the app is rolled back, the dangerous migration is not (yet).
    const v122 = await startVenue({ VENUE_RELEASE: 'v1.2.2', DATABASE_URL: db });
    expect((await getJson(`${v122.url}/api/venues/health`)).body).toEqual({
      status: 'ok',
      release: 'v1.2.2',
      db: 'ok',
    });
    expect(await migrationNames(db)).toEqual(applied);
    // Its code still reads venues.city, so reads fail until 004 is rolled back: health alone is not proof.
    expect((await getJson(`${v122.url}/api/venues`)).status).toBe(500);

    const { stdout } = await execFileAsync(
      join(repo, 'node_modules', '.bin', 'knex'),
      ['--knexfile', join(repo, 'dist', 'examples', 'venue-service', 'knexfile.js'), 'migrate:status'],
      { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db, VENUE_RELEASE: 'v1.4.0' } },
    );
    expect(stdout).toContain('Found 4 Completed Migration file/files.');
    expect(stdout).toContain('004_drop_venue_city');

    const knex = createDb(db);
    try {
      await knex.migrate.down(migratorConfig(findRelease('v1.4.0')));
    } finally {
      await knex.destroy();
    }
    expect(await migrationNames(db)).toEqual(applied.slice(0, 3));
    expect(await venueColumns(db)).toContain('city');
    const after = await getJson(`${v122.url}/api/venues`);
    expect(after.status).toBe(200);
    // The column is back, its data is not: why the runbook wants a backup before a dangerous migration.
    expect(after.body).toMatchObject([{ name: 'Hall', city: null, capacity: 10 }]);
    expect(await v122.stop()).toBe(0);
  });

  it('v1.2.6 crashes at start with exit code 1', async () => {
    const db = await pg.freshDb('v126_crash');
    const app = await startVenue({ VENUE_RELEASE: 'v1.2.6', DATABASE_URL: db }, { waitListening: false });
    // It exits by itself (the test's timeout is the deadline); it never started listening.
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/fatal error during start-up/);
  });

  it('an unknown VENUE_RELEASE exits 1 and says which releases exist', async () => {
    const app = await startVenue(
      { VENUE_RELEASE: 'v9.9.9', DATABASE_URL: pg.server.url },
      { waitListening: false },
    );
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain('unknown VENUE_RELEASE \\"v9.9.9\\"; known releases: v1.2.2');
  });

  it('v1.2.7 with ConfigMap v2 reports 503 naming VENUE_PRICING_MODE; with v1 it is healthy', async () => {
    const db = await pg.freshDb('v127_config');
    const bad = await startVenue({
      VENUE_RELEASE: 'v1.2.7',
      DATABASE_URL: db,
      ...configMapData('configmap-v2.yaml'),
    });
    const health = await getJson(`${bad.url}/api/venues/health`);
    expect(health.status).toBe(503);
    expect(health.body).toEqual({
      status: 'unavailable',
      release: 'v1.2.7',
      db: 'ok',
      config: 'invalid: VENUE_PRICING_MODE',
    });
    expect((await getJson(`${bad.url}/api/venues`)).status).toBe(503);
    expect(await bad.stop()).toBe(0);

    const good = await startVenue({
      VENUE_RELEASE: 'v1.2.7',
      DATABASE_URL: db,
      ...configMapData('configmap-v1.yaml'),
    });
    expect((await getJson(`${good.url}/api/venues/health`)).status).toBe(200);
    expect((await getJson(`${good.url}/api/venues`)).headers.get('cache-control')).toBe('max-age=60');
    expect(await good.stop()).toBe(0);
  });

  // Last: it stops the cluster the other tests use.
  it('health turns 503 when the database stops and 200 again when it is back', async () => {
    const db = await pg.freshDb('db_outage');
    const app = await startVenue({ VENUE_RELEASE: 'v1.2.2', DATABASE_URL: db });
    expect((await getJson(`${app.url}/api/venues/health`)).status).toBe(200);

    await stopProcessGroup(pg.server.pid, 10_000, 'SIGINT');
    const down = await getJson(`${app.url}/api/venues/health`);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', release: 'v1.2.2', db: 'unreachable' });
    expect((await getJson(`${app.url}/api/venues`)).status).toBe(500);

    pg.server = await startPostgres({ ...pg.opts, port: pg.server.port });
    expect((await getJson(`${app.url}/api/venues/health`)).status).toBe(200);
    expect(await app.stop()).toBe(0);
  });
});
