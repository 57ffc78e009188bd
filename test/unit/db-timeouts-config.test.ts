import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { sectionOf } from '../../src/config/sections.js';
import { getService } from '../../src/config/services.js';
import { RipcordError } from '../../src/core/errors.js';

// database.lockTimeout / database.statementTimeout: documented defaults, durations as everywhere else, and a bad
// value is an error naming the field (exit 2) before anything connects: when the database section is read
// (the load itself succeeds, so other scenarios still work).
const file = '/tmp/ripcord-db-timeouts.yaml';
const yaml = (extra: string) =>
  [
    'version: 1',
    'services:',
    '  svc:',
    '    database:',
    '      url: postgres://u@127.0.0.1/db',
    ...(extra ? [`      ${extra}`] : []),
    '',
  ].join('\n');

describe('database lockTimeout / statementTimeout', () => {
  it('default to 10s and 5m', () => {
    const db = parseConfig(yaml(''), file, { env: {} }).services.svc?.database;
    expect(db).toMatchObject({ lockTimeoutMs: 10_000, statementTimeoutMs: 300_000 });
  });

  it('take durations', () => {
    const db = parseConfig(yaml('lockTimeout: 2s\n      statementTimeout: 1m30s'), file, { env: {} }).services
      .svc?.database;
    expect(db).toMatchObject({ lockTimeoutMs: 2_000, statementTimeoutMs: 90_000 });
  });

  it('a bad or zero value is refused naming the field', () => {
    for (const [line, field] of [
      ['lockTimeout: soon', 'lockTimeout'],
      ['lockTimeout: 0s', 'lockTimeout'],
      ['statementTimeout: 10', 'statementTimeout'],
    ] as const) {
      let err: unknown;
      try {
        sectionOf(getService(parseConfig(yaml(line), file, { env: {} }), 'svc'), 'database');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RipcordError);
      expect((err as RipcordError).kind).toBe('invalid');
      expect((err as RipcordError).message).toMatch(new RegExp(`services\\.svc\\.database\\.${field}`));
    }
  });
});
