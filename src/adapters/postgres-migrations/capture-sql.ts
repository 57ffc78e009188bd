/**
 * Captures the SQL a migration function would issue, without executing any of it: the function runs against a
 * knex instance whose pg client compiles every query as usual (so `knex.schema...` and `knex.raw` produce the
 * exact SQL knex would send) but hands it to a recording connection that answers "no rows". Nothing reaches a
 * database. A function that decides what to do from query results sees empty results; its capture then shows
 * the empty-database path, which is why classification treats unknown SQL as dangerous.
 */
import type { Knex } from 'knex';
import { knexFactory } from './lazy-drivers.js';

/** What one function issued, in order (transaction control statements left out). */
export interface Captured {
  statements: string[];
  error?: string;
}

type MigrationFn = (knex: Knex) => unknown;

const TX_CONTROL = /^(?:begin|commit|rollback|savepoint|release\s+savepoint|rollback\s+to)\b/i;

/** One capturing knex instance; `capture` may be called for many functions, one at a time. */
export function createSqlCapturer(): {
  capture(fn: MigrationFn, transaction: boolean): Promise<Captured>;
  close(): Promise<void>;
} {
  let sink: string[] = [];
  // version given, so the client never asks a server for it.
  const k = knexFactory({ client: 'pg', version: '15' });
  const connection = {
    __knexUid: 'ripcord-capture',
    query(config: { text: string }, cb: (err: Error | null, res: unknown) => void): void {
      const sql = config.text.trim();
      if (!TX_CONTROL.test(sql)) sink.push(sql);
      cb(null, { rows: [], rowCount: 0, command: 'SELECT', fields: [] });
    },
  };
  const client = k.client as {
    acquireConnection: () => Promise<unknown>;
    releaseConnection: () => Promise<void>;
  };
  client.acquireConnection = async () => connection;
  client.releaseConnection = async () => undefined;
  return {
    async capture(fn, transaction) {
      sink = [];
      try {
        if (transaction) await k.transaction(async (trx) => void (await fn(trx)));
        else await fn(k);
        return { statements: sink };
      } catch (err) {
        return { statements: sink, error: err instanceof Error ? err.message : String(err) };
      }
    },
    close: () => k.destroy(),
  };
}
