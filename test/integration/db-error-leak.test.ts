import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPgTool } from '../../src/adapters/postgres-migrations/pg-tools.js';
import { RipcordError } from '../../src/core/errors.js';
import { dbCase, startPg, type DbCase, type PgServer } from './db-fixture.js';

// Row values must not travel through error messages: whatever a failed step says goes to the journal,
// `-o json` and Slack/PagerDuty. Real PostgreSQL 15 errors, from knex (down()) and from psql.
let pg: PgServer;
beforeAll(async () => {
  pg = await startPg('db-error-leak');
});
afterAll(async () => pg?.stop());

const EMAIL = 'alice@example.com';
const SSN = '123-45-6789';

async function people(label: string, down: string): Promise<DbCase> {
  const c = await dbCase(pg, label);
  c.write(
    '001_people',
    `export async function up(knex) {
       await knex.schema.createTable('people', (t) => {
         t.increments('id'); t.text('email').notNullable().unique(); t.text('ssn');
       });
     }
     export async function down(knex) { await knex.schema.dropTable('people'); }`,
  );
  await c.migrate();
  await c.knex('people').insert([
    { email: EMAIL, ssn: SSN },
    { email: 'bob@example.com', ssn: '555-55-5555' },
  ]);
  c.write(
    '002_note',
    `export async function up(knex) { await knex.schema.alterTable('people', (t) => { t.text('note'); }); }
     export async function down(knex) { ${down} }`,
  );
  await c.migrate();
  return c;
}

function expectClean(text: string): void {
  expect(text).not.toContain(EMAIL);
  expect(text).not.toContain(SSN);
  expect(text).not.toContain('555-55-5555');
}

describe('database errors carry no row values', () => {
  it('a down() violating NOT NULL on a seeded row: the error names the column and SQLSTATE, never the row', async () => {
    const c = await people(
      'notnull',
      `await knex.raw("update people set email = null where ssn = '${SSN}'");`,
    );
    const runId = 'r-notnull';
    const res = await c.run(await c.plan(), { runId });
    expect(res.status).toBe('failed');
    const message = res.error?.message ?? '';
    expect(message).toMatch(
      /^down\(\) of 002_note\.mjs: null value in column "email" of relation "people" violates not-null constraint/,
    );
    expect(message).toContain('SQLSTATE 23502');
    expect(message).toContain('column email');
    expectClean(message);
    expectClean(JSON.stringify((res.error as RipcordError).cause ?? null));
    // The journal (what `ripcord show` and `-o json` print, what notifications quote) is clean too.
    expectClean(JSON.stringify(await c.journal.getRun(runId)));
    // And nothing changed: the row is intact, the migration still recorded, knex's lock free.
    expect(await c.knex('people').where({ id: 1 }).first('email', 'ssn')).toEqual({ email: EMAIL, ssn: SSN });
    expect(await c.columns('people')).toContain('note');
    expect(await c.knex('knex_migrations_lock').pluck('is_locked')).toEqual([0]);
    await c.close();
  });

  it('a down() violating a unique constraint: the key value is not in the message', async () => {
    const c = await people('unique', `await knex.raw("update people set email = '${EMAIL}' where id = 2");`);
    const res = await c.run(await c.plan());
    expect(res.status).toBe('failed');
    const message = res.error?.message ?? '';
    expect(message).toContain('duplicate key value violates unique constraint "people_email_unique"');
    expect(message).toContain('SQLSTATE 23505');
    expectClean(message);
    await c.close();
  });

  it("psql's stderr (DETAIL: Key (email)=(...)) becomes a clean error, with the SQLSTATE kept", async () => {
    const c = await people(
      'psql',
      `await knex.schema.alterTable('people', (t) => { t.dropColumn('note'); });`,
    );
    const file = join(c.backups, '..', 'dup.sql');
    writeFileSync(file, `COPY public.people (id, email, ssn) FROM stdin;\n9\t${EMAIL}\t${SSN}\n\\.\n`);
    const err = await runPgTool('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], c.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RipcordError);
    const message = (err as RipcordError).message;
    expect(message).toMatch(
      /ERROR: {2}23505: duplicate key value violates unique constraint "people_email_unique"/,
    );
    expect(message).toContain('CONSTRAINT NAME:  people_email_unique');
    expectClean(message);
    expect(await c.knex('people').count({ n: '*' })).toEqual([{ n: '2' }]);
    await c.close();
  });
});
