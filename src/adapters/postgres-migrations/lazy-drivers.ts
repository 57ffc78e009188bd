/**
 * knex and pg for the migrations adapter, loaded on first use instead of at start-up (issue 16): every command,
 * `--help` included, used to load knex and lodash (about 350 modules) though only the database scenario and
 * `ripcord db` use them. `createRequire` keeps the load synchronous, so callers keep their signatures. The
 * postgres adapter has its own pg loader (src/adapters/postgres/lazy-drivers.ts): adapters do not share code.
 */
import { createRequire } from 'node:module';
import type knexDefault from 'knex';
import type pgDefault from 'pg';

const load = createRequire(import.meta.url);

export const knexFactory = ((config: Parameters<typeof knexDefault>[0]) =>
  (load('knex') as typeof knexDefault)(config)) as typeof knexDefault;

export function pgDriver(): typeof pgDefault {
  return load('pg') as typeof pgDefault;
}
