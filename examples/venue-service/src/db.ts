import knex, { type Knex } from 'knex';

/**
 * A knex pool for venue-service. Small (replicas x pods share one sandbox server) and quick to fail, so that
 * health turns 503 within a probe period when the database goes away instead of queueing behind a dead pool.
 */
export function createDb(url: string, opts: { poolMax?: number } = {}): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: url, connectionTimeoutMillis: 2000, query_timeout: 10_000 },
    pool: { min: 0, max: opts.poolMax ?? 5 },
    acquireConnectionTimeout: 3000,
  });
}
