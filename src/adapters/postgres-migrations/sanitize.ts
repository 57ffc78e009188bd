/**
 * Database error text without the data in it. PostgreSQL's messages carry row values (`DETAIL:  Failing row
 * contains (1, alice@example.com, 123-45-6789, 30).`, `Key (email)=(alice@example.com) already exists.`,
 * `invalid input syntax for type integer: "123-45-6789"`), knex prefixes the SQL it ran (literals included),
 * and a connection string can carry a password. Whatever becomes a RipcordError's message ends up in the
 * journal, `-o json` and Slack/PagerDuty, so every pg/psql/pg_dump error passes through here first.
 *
 * Kept: the SQLSTATE, constraint/table/column/type names, the static part of the first line. Dropped: DETAIL,
 * CONTEXT, QUERY, LINE and caret lines, quoted values, `Key (col)=(value)` values, passwords. The approach is
 * an allow-list (lines and quoted names we know are safe), so a message shape we have not seen loses detail
 * rather than leaking it.
 */

/** What a redacted value is shown as. */
export const REDACTED = '…';

/** A double-quoted word after one of these is a name (constraint "x", relation "t"), not a value. */
const NAME_BEFORE =
  /(?:constraint|relation|column|table|index|type|schema|database|role|user|function|sequence|pattern|extension|view|trigger|operator|server|host|at|name|file|directory|tablespace|publication|subscription|cursor|savepoint|statement|portal|collation|domain|aggregate|procedure|policy|rule|event trigger|language|key|attribute|parameter|variable|command)\s*$/i;

/**
 * Lines of psql/pg_dump/libpq output worth keeping: the error itself, libpq's continuation, hints, and the
 * object names psql's VERBOSITY=verbose adds (SCHEMA NAME, TABLE NAME, ...).
 */
const KEEP_LINE =
  /^(?:(?:psql|pg_dump|pg_restore)(?::[^:\s]*:\d+)?: (?:error|ERROR|FATAL|WARNING|PANIC|hint)\b|(?:psql:[^:\s]*:\d+: )?(?:ERROR|FATAL|PANIC|WARNING|HINT):|(?:SCHEMA|TABLE|COLUMN|DATATYPE|CONSTRAINT) NAME:|\t)/;
/** Lines that carry data: row values (DETAIL), the COPY line (CONTEXT), the SQL (QUERY, LINE, `Query was:`). */
const DROP_LINE =
  /^(?:(?:psql:[^:\s]*:\d+: )?(?:DETAIL|CONTEXT|QUERY|LINE \d+|STATEMENT|LOCATION):|(?:psql|pg_dump|pg_restore): detail:|\s*\^)/;

/** Replaces the password of every postgres:// URL and every `password=` keyword in `text`. */
export function redactConnectionStrings(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/)([^\s:@/'"]*):([^\s@/'"]*)@/gi, `$1$2:${REDACTED}@`)
    .replace(/\b(password|passwd|pgpassword)(\s*[=:]\s*)('[^']*'|"[^"]*"|\S+)/gi, `$1$2${REDACTED}`);
}

/** One kept line: quoted values and key values blanked, names kept. */
function redactLine(line: string): string {
  let out = line
    // Key (email)=(alice@example.com): the column list is a name, the parenthesised value is data.
    .replace(/(Key \([^)]*\)=)\((?:[^()]|\([^()]*\))*\)/g, `$1(${REDACTED})`)
    .replace(/(Failing row contains )\(.*\)/g, `$1(${REDACTED})`)
    // Single quotes are always literals in PostgreSQL's messages.
    .replace(/'(?:[^']|'')*'/g, `'${REDACTED}'`);
  // Double quotes: names after a naming word stay, anything else (`for type integer: "123-45-6789"`) goes.
  out = out.replace(/"((?:[^"]|"")*)"/g, (whole, _inner: string, offset: number, all: string) =>
    NAME_BEFORE.test(all.slice(0, offset)) ? whole : `"${REDACTED}"`,
  );
  return out;
}

/** Known secret strings (e.g. the URL's decoded password) replaced wherever they occur. */
function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}

/**
 * psql / pg_dump stderr (or any multi-line PostgreSQL message) → the lines that are safe to show, redacted.
 * Never empty: when nothing is left, says so.
 */
export function sanitizeDbText(text: string, secrets: readonly string[] = []): string {
  const lines = redactSecrets(redactConnectionStrings(text), secrets)
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l.length > 0);
  const kept = lines.filter((l) => !DROP_LINE.test(l) && KEEP_LINE.test(l)).map(redactLine);
  if (kept.length === 0 && lines.length > 0) {
    // Not a shape we know (a tool's own message): keep only its first line, values blanked.
    return redactLine(lines[0] ?? '');
  }
  return kept.join('\n') || 'no error text';
}

/** The fields node-postgres puts on a server error (all names, never values), plus knex's prefixed message. */
interface PgErrorLike {
  message?: string;
  code?: string;
  table?: string;
  column?: string;
  constraint?: string;
  schema?: string;
  dataType?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * A node-postgres/knex error as one safe line: the server's message without knex's SQL prefix (which can hold
 * literals), values blanked, then the SQLSTATE and the names PostgreSQL reported. `detail`, `where` and the
 * query are never used.
 */
export function sanitizePgError(err: unknown, secrets: readonly string[] = []): string {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as PgErrorLike;
  let message = e.message ?? String(err);
  const fromServer = typeof e.code === 'string' && SQLSTATE.test(e.code);
  // knex: `${sql} - ${serverMessage}`. The server's message never starts a line with SQL, so the last
  // " - " separates them; the SQL (with its literals) is dropped.
  if (fromServer) {
    const i = message.lastIndexOf(' - ');
    if (i >= 0) message = message.slice(i + 3);
  }
  const first = sanitizeDbText(message.split('\n')[0] ?? '', secrets);
  if (!fromServer) return first;
  const names = [
    `SQLSTATE ${e.code}`,
    ...(e.schema && e.table ? [`table ${e.schema}.${e.table}`] : e.table ? [`table ${e.table}`] : []),
    ...(e.column ? [`column ${e.column}`] : []),
    ...(e.constraint ? [`constraint ${e.constraint}`] : []),
  ];
  return `${first} (${names.join(', ')})`;
}
