/**
 * pg, loaded on first use instead of at start-up (issue 16): only the verify step's database ping and the
 * sandbox's PostgreSQL need it, and every command (`--help` included) used to load it. `createRequire` keeps the
 * load synchronous. The migrations adapter has its own loader for knex and pg (adapters do not share code).
 */
import { createRequire } from 'node:module';
import type pgDefault from 'pg';

const load = createRequire(import.meta.url);

export function pgDriver(): typeof pgDefault {
  return load('pg') as typeof pgDefault;
}
