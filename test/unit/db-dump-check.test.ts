import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertNoMetaCommands, findMetaCommand } from '../../src/adapters/postgres-migrations/dump-check.js';

// fixtures/pg-dump-15 is real pg_dump 15.18 output with Ripcord's flags (--data-only -t, --schema-only
// --no-owner --no-privileges): \restrict/\unrestrict, COPY data with backslashes, a function and a comment whose
// string literals contain backslashes. It must pass; anything psql would run as a meta-command must not.
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, 'fixtures', 'pg-dump-15', name), 'utf8');
const data = fixture('table-v.data.sql');
const schema = fixture('schema.sql');

describe('psql meta-command check of dump files', () => {
  it("accepts pg_dump's own output, \\restrict/\\unrestrict and COPY terminators included", () => {
    expect(data).toMatch(/^\\restrict /m);
    expect(data).toMatch(/^\\\.$/m);
    expect(data).toContain('\\\\back'); // a COPY row starting with an escaped backslash
    expect(schema).toMatch(/E'a\\\\b'/);
    expect(findMetaCommand(data)).toBeUndefined();
    expect(findMetaCommand(schema)).toBeUndefined();
  });

  it('finds meta-commands at a line start, mid-line and after a closed string', () => {
    expect(findMetaCommand(`\\! touch /tmp/x\n${data}`)).toEqual({ line: 1, text: '\\!' });
    expect(findMetaCommand(`${data}\\i /etc/passwd\n`)?.text).toBe('\\i');
    expect(findMetaCommand(`SELECT 1; \\o |sh\n`)?.text).toBe('\\o');
    expect(findMetaCommand(`SELECT 'it''s'; \\! id\n`)?.text).toBe('\\!');
    expect(findMetaCommand(`SELECT E'a\\'b'; \\! id\n`)?.text).toBe('\\!');
    expect(findMetaCommand(`SELECT $q$ x $q$ \\! id\n`)?.text).toBe('\\!');
    expect(findMetaCommand(`/* a /* nested */ still comment */ \\! id\n`)?.text).toBe('\\!');
    expect(findMetaCommand(`\\connect other\n`)?.text).toBe('\\connect');
    expect(findMetaCommand(`\\copy t to program 'id'\n`)?.text).toBe('\\copy');
  });

  it('only one \\restrict, and \\unrestrict only with its key', () => {
    const key = /^\\restrict (\S+)$/m.exec(data)?.[1] ?? '';
    expect(findMetaCommand(data.replace(`\\unrestrict ${key}`, '\\unrestrict other'))?.text).toBe(
      '\\unrestrict',
    );
    expect(findMetaCommand(`${data}\\restrict again\n`)?.text).toBe('\\restrict');
  });

  it('a COPY line inside a string does not open a data block that could hide a meta-command', () => {
    const sneaky = "SELECT 'x\nCOPY t (a) FROM stdin;\n';\n\\! touch /tmp/x\n\\.\n";
    expect(findMetaCommand(sneaky)?.text).toBe('\\!');
    expect(findMetaCommand('COPY t (a) FROM stdin;\n1\n')?.text).toMatch(/without its/);
  });

  it('settings that change how psql reads quotes are refused', () => {
    expect(findMetaCommand("SET standard_conforming_strings = off;\nSELECT 'a\\'' \\! id';\n")?.text).toBe(
      'SET standard_conforming_strings',
    );
    expect(findMetaCommand("SET client_encoding = 'SJIS';\n")?.text).toBe('SET client_encoding');
    expect(
      findMetaCommand("SELECT pg_catalog.set_config('standard_conforming_strings', 'off', false);\n"),
    ).toBeDefined();
  });

  it('the refusal is exit 3 and names the file and line, not the line itself', () => {
    expect(() => assertNoMetaCommands(`\n\\! cat /etc/shadow\n`, 'backup b: x.sql')).toThrow(
      expect.objectContaining({
        kind: 'refused',
        message: expect.stringMatching(/^backup b: x\.sql line 2: "\\\\!"/),
      }),
    );
  });
});
