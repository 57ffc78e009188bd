import { describe, expect, it } from 'vitest';
import { dbError } from '../../src/adapters/postgres-migrations/errors.js';
import { sanitizeDbText, sanitizePgError } from '../../src/adapters/postgres-migrations/sanitize.js';

// Every input below was captured from PostgreSQL 15.18 (Debian), psql/pg_dump 15.18 and node-postgres 8 + knex 3,
// on a table `people (id serial primary key, email text unique not null, ssn text, age int check (age > 0))`
// seeded with (1, 'alice@example.com', '123-45-6789', 30). They are the shapes the adapter really sees.
const SECRETS = ['alice@example.com', '123-45-6789', 'bob@example.com', '555-55-5555', 'notanint'];

function expectNoSecrets(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

/** node-postgres DatabaseError fields as captured (knex prefixes the SQL to `message`). */
const PG_ERRORS = {
  notNullRaw: {
    message:
      'update people set email = null where ssn = \'123-45-6789\' - null value in column "email" of relation "people" violates not-null constraint',
    code: '23502',
    detail: 'Failing row contains (1, null, 123-45-6789, 30).',
    table: 'people',
    column: 'email',
    schema: 'public',
  },
  notNullBuilder: {
    message:
      'update "people" set "email" = $1 where "ssn" = $2 - null value in column "email" of relation "people" violates not-null constraint',
    code: '23502',
    detail: 'Failing row contains (1, null, 123-45-6789, 30).',
    table: 'people',
    column: 'email',
    schema: 'public',
  },
  unique: {
    message:
      'insert into people (email) values (\'alice@example.com\') - duplicate key value violates unique constraint "people_email_key"',
    code: '23505',
    detail: 'Key (email)=(alice@example.com) already exists.',
    constraint: 'people_email_key',
    table: 'people',
    schema: 'public',
  },
  badInput: {
    message: 'select \'123-45-6789\'::int - invalid input syntax for type integer: "123-45-6789"',
    code: '22P02',
  },
  check: {
    message: 'new row for relation "people" violates check constraint "people_age_check"',
    code: '23514',
    detail: 'Failing row contains (1, alice@example.com, 123-45-6789, -1).',
    constraint: 'people_age_check',
    table: 'people',
    schema: 'public',
  },
  lockTimeout: { message: 'canceling statement due to lock timeout', code: '55P03' },
  statementTimeout: { message: 'canceling statement due to statement timeout', code: '57014' },
  badPassword: { message: 'password authentication failed for user "postgres"', code: '28P01' },
};

/** psql / pg_dump stderr as captured (psql with -v VERBOSITY=verbose, as runPgTool runs it, and without). */
const STDERR = {
  uniqueCopyVerbose:
    'psql:bad2.sql:3: ERROR:  23505: duplicate key value violates unique constraint "people_pkey"\nDETAIL:  Key (id)=(1) already exists.\nCONTEXT:  COPY people, line 1\nSCHEMA NAME:  public\nTABLE NAME:  people\nCONSTRAINT NAME:  people_pkey\nLOCATION:  _bt_check_unique, nbtinsert.c:664\n',
  badCopyValueVerbose:
    'psql:bad.sql:3: ERROR:  22P02: invalid input syntax for type integer: "notanint"\nCONTEXT:  COPY people, line 1, column age: "notanint"\nLOCATION:  pg_strtoint32, numutils.c:232\n',
  notNullVerbose:
    'ERROR:  23502: null value in column "email" of relation "people" violates not-null constraint\nDETAIL:  Failing row contains (1, null, 123-45-6789, 30).\nSCHEMA NAME:  public\nTABLE NAME:  people\nCOLUMN NAME:  email\nLOCATION:  ExecConstraints, execMain.c:2023\n',
  uniquePlain:
    'ERROR:  duplicate key value violates unique constraint "people_email_key"\nDETAIL:  Key (email)=(alice@example.com) already exists.\n',
  checkPlain:
    'ERROR:  new row for relation "people" violates check constraint "people_age_check"\nDETAIL:  Failing row contains (1, alice@example.com, 123-45-6789, -1).\n',
  fkPlain:
    'ERROR:  insert or update on table "kids" violates foreign key constraint "kids_id_fkey"\nDETAIL:  Key (id)=(42) is not present in table "people".\n',
  valueInFirstLine:
    'ERROR:  22P02: invalid input syntax for type integer: "123-45-6789"\nLINE 1: select \'123-45-6789\'::int\n               ^\nLOCATION:  pg_strtoint32, numutils.c:232\n',
  badPassword:
    'psql: error: connection to server at "127.0.0.1", port 39913 failed: FATAL:  password authentication failed for user "postgres"\n',
  refused:
    'psql: error: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n',
  pgDumpNoTable: 'pg_dump: error: no matching tables were found for pattern "nosuch"\n',
};

describe('database error text sanitizer (captured PostgreSQL 15 errors)', () => {
  it('node-postgres/knex errors: SQL prefix and row values gone; SQLSTATE, table, column, constraint kept', () => {
    expect(sanitizePgError(PG_ERRORS.notNullRaw)).toBe(
      'null value in column "email" of relation "people" violates not-null constraint (SQLSTATE 23502, table public.people, column email)',
    );
    expect(sanitizePgError(PG_ERRORS.notNullBuilder)).toBe(sanitizePgError(PG_ERRORS.notNullRaw));
    expect(sanitizePgError(PG_ERRORS.unique)).toBe(
      'duplicate key value violates unique constraint "people_email_key" (SQLSTATE 23505, table public.people, constraint people_email_key)',
    );
    expect(sanitizePgError(PG_ERRORS.badInput)).toBe(
      'invalid input syntax for type integer: "…" (SQLSTATE 22P02)',
    );
    expect(sanitizePgError(PG_ERRORS.check)).toMatch(/violates check constraint "people_age_check"/);
    expect(sanitizePgError(PG_ERRORS.lockTimeout)).toBe(
      'canceling statement due to lock timeout (SQLSTATE 55P03)',
    );
    expect(sanitizePgError(PG_ERRORS.badPassword)).toBe(
      'password authentication failed for user "postgres" (SQLSTATE 28P01)',
    );
    for (const e of Object.values(PG_ERRORS)) expectNoSecrets(sanitizePgError(e));
  });

  it('dbError keeps the kinds (timeouts are failures, not "unreachable") and never keeps the raw error', () => {
    const e = dbError(PG_ERRORS.unique, 'down() of 002_x');
    expect(e.message).toMatch(/^down\(\) of 002_x: duplicate key value violates unique constraint/);
    expect(e.cause).toEqual({ code: '23505' });
    expect(dbError(PG_ERRORS.lockTimeout, 'x')).toMatchObject({ kind: 'failed', retryable: true });
    expect(dbError(PG_ERRORS.statementTimeout, 'x')).toMatchObject({ kind: 'failed', retryable: true });
    expect(dbError(PG_ERRORS.badPassword, 'x').kind).toBe('invalid');
    expect(dbError({ code: '42501', message: 'permission denied for table people' }, 'x').kind).toBe(
      'forbidden',
    );
    expect(
      dbError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'x')
        .kind,
    ).toBe('unreachable');
  });

  it('psql/pg_dump stderr: DETAIL/CONTEXT/LINE lines dropped, quoted values blanked, names kept', () => {
    expect(sanitizeDbText(STDERR.uniqueCopyVerbose)).toBe(
      [
        'psql:bad2.sql:3: ERROR:  23505: duplicate key value violates unique constraint "people_pkey"',
        'SCHEMA NAME:  public',
        'TABLE NAME:  people',
        'CONSTRAINT NAME:  people_pkey',
      ].join('\n'),
    );
    expect(sanitizeDbText(STDERR.badCopyValueVerbose)).toBe(
      'psql:bad.sql:3: ERROR:  22P02: invalid input syntax for type integer: "…"',
    );
    expect(sanitizeDbText(STDERR.notNullVerbose)).toContain('COLUMN NAME:  email');
    expect(sanitizeDbText(STDERR.uniquePlain)).toBe(
      'ERROR:  duplicate key value violates unique constraint "people_email_key"',
    );
    expect(sanitizeDbText(STDERR.fkPlain)).toBe(
      'ERROR:  insert or update on table "kids" violates foreign key constraint "kids_id_fkey"',
    );
    expect(sanitizeDbText(STDERR.valueInFirstLine)).toBe(
      'ERROR:  22P02: invalid input syntax for type integer: "…"',
    );
    expect(sanitizeDbText(STDERR.badPassword)).toContain(
      'password authentication failed for user "postgres"',
    );
    expect(sanitizeDbText(STDERR.refused)).toContain('\tIs the server running');
    expect(sanitizeDbText(STDERR.pgDumpNoTable)).toBe(
      'pg_dump: error: no matching tables were found for pattern "nosuch"',
    );
    for (const t of Object.values(STDERR)) expectNoSecrets(sanitizeDbText(t));
  });

  it('connection-string passwords are removed wherever they appear', () => {
    const url = 'postgres://postgres:5fd9b8b73f3320c77324e02581f42f3b67de@127.0.0.1:39913/postgres';
    const text = `psql: error: invalid URI query parameter: "x" in ${url}\nhost=127.0.0.1 password=hunter22 dbname=x`;
    const out = sanitizeDbText(text, ['hunter22']);
    expect(out).not.toContain('5fd9b8b73f3320c77324e02581f42f3b67de');
    expect(out).not.toContain('hunter22');
    expect(sanitizePgError(new Error(`could not connect to ${url}`))).not.toContain(
      '5fd9b8b73f3320c77324e02581f42f3b67de',
    );
  });
});
