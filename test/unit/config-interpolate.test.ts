import { describe, expect, it } from 'vitest';
import { interpolateEnv } from '../../src/config/interpolate.js';

const env = { HOST: 'db.internal', EMPTY: '', PORT: '5432' };

describe('interpolateEnv', () => {
  it.each([
    ['postgres://${HOST}:${PORT}/venues', 'postgres://db.internal:5432/venues'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${HOST:-fallback}', 'db.internal'],
    ['${MISSING:-}', ''],
    ['${MISSING:-http://x:80/a}', 'http://x:80/a'],
    ['${EMPTY}', ''],
    ['no references', 'no references'],
    ['pa$$word $HOST', 'pa$$word $HOST'],
    ['$${HOST} stays literal', '${HOST} stays literal'],
  ])('%s -> %s', (text, out) => {
    expect(interpolateEnv(text, env)).toEqual({ value: out, problems: [] });
  });

  it('walks maps and lists, leaving non-strings and keys alone', () => {
    const input = { '${HOST}': { list: ['${HOST}', 1, true, null], n: 3 } };
    expect(interpolateEnv(input, env).value).toEqual({
      '${HOST}': { list: ['db.internal', 1, true, null], n: 3 },
    });
  });

  it('reports every unset variable with its field path', () => {
    const { problems } = interpolateEnv(
      { services: { a: { database: { url: '${DB_URL}' } }, b: { urls: ['ok', '${OTHER}'] } } },
      env,
    );
    expect(problems).toEqual([
      {
        path: ['services', 'a', 'database', 'url'],
        message: 'environment variable DB_URL is not set (write ${DB_URL:-default} to give a default)',
        variable: 'DB_URL',
      },
      {
        path: ['services', 'b', 'urls', 1],
        message: expect.stringContaining('OTHER is not set'),
        variable: 'OTHER',
      },
    ]);
  });

  it('rejects malformed and unterminated references', () => {
    expect(interpolateEnv({ a: '${1BAD}' }, env).problems[0]?.message).toMatch(/is not \$\{VAR\}/);
    expect(interpolateEnv({ a: '${HOST:=x}' }, env).problems[0]?.message).toMatch(/is not \$\{VAR\}/);
    expect(interpolateEnv({ a: 'x ${HOST' }, env).problems[0]?.message).toMatch(/unterminated/);
    // Only an unset variable names one: config check warns about those and fails on the rest.
    expect(interpolateEnv({ a: '${1BAD}' }, env).problems[0]?.variable).toBeUndefined();
  });
});
