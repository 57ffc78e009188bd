import type { Knex } from 'knex';
import { z } from 'zod';
import { migratorConfig, migrationSource } from './src/migrations.js';
import { findRelease } from './src/releases.js';

/**
 * Config for the knex CLI, as the runbook uses it:
 *   DATABASE_URL=... npx knex --knexfile dist/examples/venue-service/knexfile.js migrate:status
 * With VENUE_RELEASE set (as in a pod) the CLI sees only that release's migrations, like `kubectl exec` into
 * a pod of that release would; without it, every migration the service has shipped.
 */
const CliEnv = z.object({
  DATABASE_URL: z.string({ error: 'DATABASE_URL is required' }).min(1, 'DATABASE_URL is required'),
  VENUE_RELEASE: z.string().min(1).optional(),
});

function cliConfig(): Knex.Config {
  const env = CliEnv.parse({
    DATABASE_URL: process.env.DATABASE_URL,
    VENUE_RELEASE: process.env.VENUE_RELEASE || undefined,
  });
  const migrations: Knex.MigratorConfig = env.VENUE_RELEASE
    ? migratorConfig(findRelease(env.VENUE_RELEASE))
    : {
        migrationSource: migrationSource(),
        tableName: 'knex_migrations',
        disableMigrationsListValidation: true,
      };
  return { client: 'pg', connection: env.DATABASE_URL, pool: { min: 0, max: 2 }, migrations };
}

// The knex CLI picks the config named by --env / NODE_ENV (default "development"); named exports only, so
// every name it may ask for is exported.
export const development = cliConfig();
export const production = development;
export const test = development;
