import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../examples/venue-service/src/app.js';
import { createDb } from '../../examples/venue-service/src/db.js';
import { migrateToRelease } from '../../examples/venue-service/src/migrations.js';
import { findRelease } from '../../examples/venue-service/src/releases.js';
import { getJson, postJson, sql, startTestPostgres, type TestPostgres } from './venue-process.js';

describe('venue-service in-process (createApp)', () => {
  let pg: TestPostgres;
  let db: Knex;
  let url: string;

  beforeAll(async () => {
    pg = await startTestPostgres();
    url = await pg.freshDb('in_process');
    db = createDb(url);
  });
  afterAll(async () => {
    await db?.destroy();
    await pg?.stop();
  });

  it('migrates concurrently without tripping over knex, then serves on a free port', async () => {
    const release = findRelease('v1.3.0');
    const applied = await Promise.all([1, 2, 3, 4].map(() => migrateToRelease(db, release)));
    expect(applied.flat().sort()).toEqual(release.migrations);
    expect(await sql(url, 'select count(*)::int as n from knex_migrations_lock')).toEqual([{ n: 1 }]);

    const app = createApp({ release: 'v1.3.0', db, env: { VENUE_CACHE_TTL_SECONDS: '15' } });
    const { url: base, port } = await app.listen(0);
    expect(port).toBeGreaterThan(0);
    try {
      const created = await postJson(`${base}/api/venues`, { name: 'In Process', capacity: 5 });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/api/venues/${created.body.id}`);
      const got = await getJson(`${base}/api/venues/${created.body.id}`);
      expect(got.headers.get('cache-control')).toBe('max-age=15');
      expect(got.headers.get('x-venue-version')).toBe('v1.3.0');
      expect(
        (await app.metrics.registry.getSingleMetricAsString('http_requests_total')).split('\n'),
      ).toContain('http_requests_total{method="GET",route="/api/venues/:id",status="200"} 1');
    } finally {
      await app.close();
    }
    expect(app.server.listening).toBe(false);
  });

  it('accepts an error-rate override and a config source', async () => {
    const app = createApp({ release: 'v1.2.2', db, errorRate: 1, env: { VENUE_PRICING_MODE: 'dynamic' } });
    const { url: base } = await app.listen(0);
    try {
      expect((await getJson(`${base}/api/venues`)).status).toBe(500);
      expect((await getJson(`${base}/api/venues/health`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
