/**
 * The database steps honour the run's AbortSignal (issue 26, hole 5): Ctrl-C or a lost lock stops a running
 * psql (restore) or pg_dump (backup) at once, and the statement stops on the server too (psql gets SIGINT and
 * sends a cancel request), instead of running on until its statement timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPgTool } from '../../src/adapters/postgres-migrations/pg-tools.js';
import { AbortedError } from '../../src/core/errors.js';
import { dbCase, startPg, type PgServer } from './db-fixture.js';

let pg: PgServer;
beforeAll(async () => {
  pg = await startPg('pg-abort');
});
afterAll(async () => pg?.stop());

describe('pg tools under the run signal', () => {
  it('an abort stops psql within a second, and its statement no longer runs on the server', async () => {
    const c = await dbCase(pg, 'abort_psql');
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error('SIGINT')), 800);
    const err = await runPgTool(
      'psql',
      ['-X', '-q', '-c', 'select pg_sleep(60) /* ripcord-abort-test */'],
      c.url,
      {
        signal: ac.signal,
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as Error).message).toBe('aborted during psql: SIGINT (psql stopped)');
    expect(Date.now() - t0).toBeLessThan(5_000);
    // The server-side statement was cancelled, not left sleeping for a minute.
    const deadline = Date.now() + 5_000;
    let running = 1;
    while (running > 0 && Date.now() < deadline) {
      const r = await c.knex.raw(
        "select count(*)::int as n, string_agg(pid::text || ' ' || state || ' ' || left(query, 60) || ' ' || coalesce(application_name,''), ' | ') as q from pg_stat_activity where state = 'active' and query like '%ripcord-abort-test%' and pid <> pg_backend_pid()",
      );
      running = (r as { rows: { n: number; q: string }[] }).rows[0]?.n ?? 0;
      if (running > 0) await new Promise((res) => setTimeout(res, 200));
    }
    expect(running).toBe(0);
    await c.close();
  });

  it('an already-aborted signal starts nothing', async () => {
    const c = await dbCase(pg, 'abort_before');
    const ac = new AbortController();
    ac.abort(new Error('lost the lock'));
    await expect(runPgTool('pg_dump', ['--schema-only'], c.url, { signal: ac.signal })).rejects.toThrow(
      'aborted during pg_dump: lost the lock (pg_dump stopped)',
    );
    await c.close();
  });
});
