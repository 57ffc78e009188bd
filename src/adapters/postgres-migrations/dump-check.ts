/**
 * Refuses a dump that would make psql do more than run SQL. psql executes backslash meta-commands anywhere
 * outside quotes (`\! rm -rf ~`, `\i other.sql`, `\o |cmd`, `\copy ... to program`), so a dump file is scanned
 * with psql's own quoting rules before it is ever fed to psql: single quotes (and E'' escapes), double quotes,
 * dollar quotes, `--` and nested block comments, and `COPY ... FROM stdin;` data blocks up to `\.`.
 *
 * The only meta-commands allowed are the ones pg_dump 15.14+ itself writes for our flags: `\restrict KEY` at the
 * top and `\unrestrict KEY` (the same key) at the end (they switch psql into a mode that refuses every other
 * meta-command: CVE-2025-8714). Checked with `pg_dump --schema-only|--data-only -t T`; no `\connect` is emitted
 * without --create, so `\connect` is refused too. A backslash line inside a quoted string is harmless to psql
 * but is refused here as well when it starts outside quotes; false positives are the safe side.
 */
import { RipcordError } from '../../core/errors.js';

const RESTRICT = /^\\(restrict|unrestrict) ([A-Za-z0-9]+)$/;
/** pg_dump's COPY line: one line, ending the statement, data follows until `\.`. */
const COPY_FROM_STDIN = /^COPY \S+(?: \([^)]*\))? FROM stdin;$/;
const IDENT_CHAR = /[A-Za-z0-9_$]/;
/**
 * Settings that change how psql itself splits quotes: with standard_conforming_strings off `\'` no longer ends a
 * string, and in a client encoding like SJIS a backslash can be half of a character. This scanner assumes
 * pg_dump's own values (on, UTF8); a dump that sets anything else is refused rather than misread.
 */
const LEXER_SETTING = /standard_conforming_strings|client_encoding/i;
const LEXER_SETTING_OK = /^SET (?:standard_conforming_strings = on|client_encoding = 'UTF8');$/;

export interface DumpProblem {
  line: number;
  text: string;
}

/** The first psql meta-command (or unterminated quote / COPY block) in `sql`, if any. */
export function findMetaCommand(sql: string): DumpProblem | undefined {
  const lines = sql.split('\n');
  let restrictKey: string | undefined;
  // Lexer state carried across lines.
  let mode: 'sql' | 'single' | 'escape' | 'double' | 'dollar' | 'block' | 'copy' = 'sql';
  let dollarTag = '';
  let blockDepth = 0;
  // True while nothing but whitespace/comments has been seen since the last `;`: COPY and the allowed
  // meta-commands count only at a statement's start.
  let statementStart = true;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? '';
    const lineNo = n + 1;
    if (mode === 'copy') {
      if (line === '\\.') {
        mode = 'sql';
        statementStart = true;
      }
      continue;
    }
    if (LEXER_SETTING.test(line) && !(mode === 'sql' && statementStart && LEXER_SETTING_OK.test(line))) {
      return { line: lineNo, text: line.trim().split(/\s+/).slice(0, 2).join(' ') };
    }
    if (mode === 'sql' && statementStart) {
      const r = RESTRICT.exec(line);
      if (r) {
        if (r[1] === 'restrict' && restrictKey === undefined) {
          restrictKey = r[2];
          continue;
        }
        if (r[1] === 'unrestrict' && r[2] === restrictKey) continue;
        return { line: lineNo, text: `\\${r[1]}` };
      }
      if (COPY_FROM_STDIN.test(line)) {
        mode = 'copy';
        continue;
      }
    }
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] ?? '';
      const next = line[i + 1] ?? '';
      switch (mode) {
        case 'single':
          if (ch === "'") mode = 'sql';
          break;
        case 'escape':
          if (ch === '\\') i++;
          else if (ch === "'" && next === "'") i++;
          else if (ch === "'") mode = 'sql';
          break;
        case 'double':
          if (ch === '"') mode = 'sql';
          break;
        case 'dollar':
          if (ch === '$' && line.startsWith(dollarTag, i)) {
            i += dollarTag.length - 1;
            mode = 'sql';
          }
          break;
        case 'block':
          if (ch === '*' && next === '/') {
            i++;
            if (--blockDepth === 0) mode = 'sql';
          } else if (ch === '/' && next === '*') {
            i++;
            blockDepth++;
          }
          break;
        default: {
          if (ch === '-' && next === '-') {
            i = line.length;
            break;
          }
          if (ch === '/' && next === '*') {
            mode = 'block';
            blockDepth = 1;
            i++;
            break;
          }
          // Only the command's name is shown: the rest of the line may be anything.
          if (ch === '\\') return { line: lineNo, text: /^\\\S*/.exec(line.slice(i))?.[0] ?? '\\' };
          if (/\s/.test(ch)) break;
          statementStart = false;
          const prev = line[i - 1] ?? '';
          if (ch === "'") {
            mode =
              (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(line[i - 2] ?? '') ? 'escape' : 'single';
          } else if (ch === '"') {
            mode = 'double';
          } else if (ch === '$' && !IDENT_CHAR.test(prev)) {
            const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(line.slice(i));
            if (tag) {
              dollarTag = tag[0];
              mode = 'dollar';
              i += dollarTag.length - 1;
            }
          } else if (ch === ';') {
            statementStart = true;
          }
        }
      }
    }
  }
  if (mode === 'copy') return { line: lines.length, text: 'COPY data without its \\. terminator' };
  return undefined;
}

/** Throws 'refused' (exit 3) naming the file and line when `sql` holds a psql meta-command. */
export function assertNoMetaCommands(sql: string, what: string): void {
  const p = findMetaCommand(sql);
  if (!p) return;
  const shown = p.text.length > 40 ? `${p.text.slice(0, 40)}…` : p.text;
  throw new RipcordError(
    'refused',
    `${what} line ${p.line}: ${JSON.stringify(shown)} is not something pg_dump writes there (a psql meta-command ` +
      'outside COPY data, or a setting that changes how psql reads quotes); the file was changed after the ' +
      'backup, so it is not restored (nothing was run)',
  );
}
