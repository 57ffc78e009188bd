/**
 * Classifies the SQL a migration's up() or down() issues, as captured from knex's compiler (never guessed from
 * the file text). Each statement becomes one or more effects; each effect has a risk:
 *
 * - `none`: reads, comments, dropping defaults: nothing an app or its data can notice.
 * - `additive`: new tables, nullable (or defaulted) columns, indexes, inserts: an older app keeps working.
 * - `incompatible`: nothing is lost, but an older app may break (NOT NULL without a default, renames, new
 *   constraints, dropped views or functions).
 * - `dangerous`: data can be lost (the runbook's list: DROP TABLE/COLUMN, column type changes, DELETE,
 *   TRUNCATE; plus UPDATE, which overwrites values, and anything we cannot classify).
 */

/** What one statement (or one action of an ALTER TABLE) does. Table names are unquoted, without `public.`. */
export type SqlEffect =
  | { op: 'create-table'; table: string; columns: string[] }
  | { op: 'drop-table'; table: string }
  | { op: 'add-column'; table: string; column: string; notNull: boolean; hasDefault: boolean }
  | { op: 'drop-column'; table: string; column: string }
  | { op: 'alter-type'; table: string; column: string; type: string }
  | { op: 'set-not-null'; table: string; column: string }
  | { op: 'relax-column'; table: string; column: string }
  | { op: 'rename-column'; table: string; column: string; to: string }
  | { op: 'rename-table'; table: string; to: string }
  | { op: 'add-constraint'; table: string; name: string }
  | { op: 'drop-constraint'; table: string; name: string }
  | { op: 'create-index'; table: string; index: string }
  | { op: 'drop-index'; index: string }
  | { op: 'delete'; table: string }
  | { op: 'truncate'; table: string }
  | { op: 'update'; table: string }
  | { op: 'insert'; table: string }
  | { op: 'read' }
  | { op: 'other-create'; what: string }
  | { op: 'other-drop'; what: string }
  | { op: 'unknown'; sql: string };

export type Risk = 'none' | 'additive' | 'incompatible' | 'dangerous';

const RISK_ORDER: Record<Risk, number> = { none: 0, additive: 1, incompatible: 2, dangerous: 3 };

/** The higher of two risks. */
export function maxRisk(a: Risk, b: Risk): Risk {
  return RISK_ORDER[a] >= RISK_ORDER[b] ? a : b;
}

export function riskOf(effect: SqlEffect): Risk {
  switch (effect.op) {
    case 'read':
    case 'relax-column':
    case 'drop-index':
    case 'drop-constraint':
      return 'none';
    case 'create-table':
    case 'create-index':
    case 'insert':
    case 'other-create':
      return 'additive';
    case 'add-column':
      return effect.notNull && !effect.hasDefault ? 'incompatible' : 'additive';
    case 'set-not-null':
    case 'rename-column':
    case 'rename-table':
    case 'add-constraint':
    case 'other-drop':
      return 'incompatible';
    case 'drop-table':
    case 'drop-column':
    case 'alter-type':
    case 'delete':
    case 'truncate':
    case 'update':
    case 'unknown':
      return 'dangerous';
  }
}

/** True for effects that can lose rows or values: a backup must exist before they run. */
export function losesData(effect: SqlEffect): boolean {
  return riskOf(effect) === 'dangerous';
}

/** The table an effect touches, when it has one. */
export function tableOf(effect: SqlEffect): string | undefined {
  return 'table' in effect ? effect.table : undefined;
}

/** One line for plans: `drop column venues.city`. */
export function describeEffect(e: SqlEffect): string {
  switch (e.op) {
    case 'create-table':
      return `create table ${e.table}`;
    case 'drop-table':
      return `drop table ${e.table}`;
    case 'add-column':
      return `add column ${e.table}.${e.column}${e.notNull ? ' NOT NULL' : ''}${e.hasDefault ? ' with default' : ''}`;
    case 'drop-column':
      return `drop column ${e.table}.${e.column}`;
    case 'alter-type':
      return `change type of ${e.table}.${e.column} to ${e.type}`;
    case 'set-not-null':
      return `set ${e.table}.${e.column} NOT NULL`;
    case 'relax-column':
      return `relax ${e.table}.${e.column} (drop NOT NULL or default)`;
    case 'rename-column':
      return `rename column ${e.table}.${e.column} to ${e.to}`;
    case 'rename-table':
      return `rename table ${e.table} to ${e.to}`;
    case 'add-constraint':
      return `add constraint ${e.name} on ${e.table}`;
    case 'drop-constraint':
      return `drop constraint ${e.name} on ${e.table}`;
    case 'create-index':
      return `create index ${e.index} on ${e.table}`;
    case 'drop-index':
      return `drop index ${e.index}`;
    case 'delete':
      return `delete rows from ${e.table}`;
    case 'truncate':
      return `truncate ${e.table}`;
    case 'update':
      return `update rows of ${e.table}`;
    case 'insert':
      return `insert rows into ${e.table}`;
    case 'read':
      return 'read';
    case 'other-create':
      return `create ${e.what}`;
    case 'other-drop':
      return `drop ${e.what}`;
    case 'unknown':
      return `unclassified SQL: ${e.sql.slice(0, 80)}`;
  }
}

/** Splits SQL text into statements on `;` outside quotes, dollar-quoted bodies and comments. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    const rest = sql.slice(i);
    if (ch === "'" || ch === '"') {
      const end = closingQuote(sql, i, ch);
      cur += sql.slice(i, end);
      i = end;
      continue;
    }
    const dollar = /^\$[A-Za-z_]*\$/.exec(rest);
    if (dollar) {
      const tag = dollar[0];
      const close = sql.indexOf(tag, i + tag.length);
      const end = close < 0 ? sql.length : close + tag.length;
      cur += sql.slice(i, end);
      i = end;
      continue;
    }
    if (rest.startsWith('--')) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
      cur += ' ';
      continue;
    }
    if (rest.startsWith('/*')) {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
      cur += ' ';
      continue;
    }
    if (ch === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      i++;
      continue;
    }
    cur += ch;
    i++;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function closingQuote(sql: string, start: number, q: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === q) {
      if (sql[i + 1] === q) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** Splits on commas outside parentheses and quotes (ALTER TABLE actions, CREATE TABLE columns). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QNAME = String.raw`${IDENT}(?:\s*\.\s*${IDENT})?`;

/** `"public"."venues"` → `venues`; a schema other than public is kept (`audit.venues`). */
export function normalizeName(name: string): string {
  const parts = name
    .split(/\s*\.\s*(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()));
  if (parts.length === 2 && parts[0] === 'public') return parts[1] as string;
  return parts.join('.');
}

function re(source: string): RegExp {
  return new RegExp(source, 'i');
}

const RX = {
  createTable: re(
    String.raw`^create\s+(?:(?:global\s+|local\s+)?(?:temporary|temp|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?(${QNAME})\s*\(([\s\S]*)\)\s*$`,
  ),
  createTableAs: re(String.raw`^create\s+table\s+(?:if\s+not\s+exists\s+)?(${QNAME})\b`),
  dropTable: re(String.raw`^drop\s+table\s+(?:if\s+exists\s+)?([\s\S]+?)(?:\s+(?:cascade|restrict))?$`),
  alterTable: re(String.raw`^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(${QNAME})\s+([\s\S]+)$`),
  createIndex: re(
    String.raw`^create\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?(${QNAME})?\s*on\s+(?:only\s+)?(${QNAME})`,
  ),
  dropIndex: re(String.raw`^drop\s+index\s+(?:concurrently\s+)?(?:if\s+exists\s+)?(${QNAME})`),
  delete: re(String.raw`^(?:with\s[\s\S]*?\)\s*)?delete\s+from\s+(?:only\s+)?(${QNAME})`),
  truncate: re(
    String.raw`^truncate\s+(?:table\s+)?(?:only\s+)?([\s\S]+?)(?:\s+(?:restart|continue)\s+identity)?(?:\s+(?:cascade|restrict))?$`,
  ),
  update: re(String.raw`^(?:with\s[\s\S]*?\)\s*)?update\s+(?:only\s+)?(${QNAME})`),
  insert: re(String.raw`^(?:with\s[\s\S]*?\)\s*)?insert\s+into\s+(${QNAME})`),
  read: /^(?:select|show|explain|set|reset|begin|commit|rollback|savepoint|release|start\s+transaction|comment\s+on|analyze|vacuum|values)\b/i,
  otherCreate:
    /^create\s+(?:or\s+replace\s+)?(?:temporary\s+|temp\s+)?(extension|schema|sequence|view|materialized\s+view|function|procedure|type|trigger|domain)\b/i,
  otherDrop:
    /^drop\s+(extension|schema|sequence|view|materialized\s+view|function|procedure|type|trigger|domain)\b/i,
  renameTable: re(String.raw`^rename\s+to\s+(${IDENT})$`),
  renameColumn: re(String.raw`^rename\s+(?:column\s+)?(${IDENT})\s+to\s+(${IDENT})$`),
  addColumn: re(String.raw`^add\s+(?:column\s+)?(?:if\s+not\s+exists\s+)?(${IDENT})\s+([\s\S]+)$`),
  dropColumn: re(
    String.raw`^drop\s+(?:column\s+)?(?:if\s+exists\s+)?(${IDENT})(?:\s+(?:cascade|restrict))?$`,
  ),
  alterColumn: re(String.raw`^alter\s+(?:column\s+)?(${IDENT})\s+([\s\S]+)$`),
  addConstraint: re(
    String.raw`^add\s+(?:constraint\s+(${IDENT})\s+)?(?:primary\s+key|unique|check|foreign\s+key|exclude)`,
  ),
  dropConstraint: re(String.raw`^drop\s+constraint\s+(?:if\s+exists\s+)?(${IDENT})`),
};

/** Classifies one SQL string (which may hold several statements, as raw SQL often does). */
export function classifySql(sql: string): SqlEffect[] {
  return splitStatements(sql).flatMap(classifyStatement);
}

function classifyStatement(raw: string): SqlEffect[] {
  const sql = raw.replace(/\s+/g, ' ').trim();
  let m: RegExpExecArray | null;
  if (RX.read.test(sql)) return [{ op: 'read' }];
  if ((m = RX.createTable.exec(sql))) {
    const columns = splitTopLevel(m[2] ?? '')
      .filter((c) => !/^(?:constraint|primary\s+key|unique|check|foreign\s+key|exclude|like)\b/i.test(c))
      .map((c) => normalizeName(/^("(?:[^"]|"")+"|\S+)/.exec(c)?.[1] ?? c));
    return [{ op: 'create-table', table: normalizeName(m[1] as string), columns }];
  }
  if ((m = RX.createTableAs.exec(sql)))
    return [{ op: 'create-table', table: normalizeName(m[1] as string), columns: [] }];
  if ((m = RX.dropTable.exec(sql))) {
    return splitTopLevel(m[1] as string).map((t) => ({ op: 'drop-table', table: normalizeName(t) }));
  }
  if ((m = RX.alterTable.exec(sql))) {
    const table = normalizeName(m[1] as string);
    return splitTopLevel(m[2] as string).map((a) => classifyAlterAction(table, a, sql));
  }
  if ((m = RX.createIndex.exec(sql))) {
    return [
      { op: 'create-index', table: normalizeName(m[2] as string), index: normalizeName(m[1] ?? '(unnamed)') },
    ];
  }
  if ((m = RX.dropIndex.exec(sql))) return [{ op: 'drop-index', index: normalizeName(m[1] as string) }];
  if ((m = RX.delete.exec(sql))) return [{ op: 'delete', table: normalizeName(m[1] as string) }];
  if ((m = RX.truncate.exec(sql))) {
    return splitTopLevel(m[1] as string).map((t) => ({ op: 'truncate', table: normalizeName(t) }));
  }
  if ((m = RX.update.exec(sql))) return [{ op: 'update', table: normalizeName(m[1] as string) }];
  if ((m = RX.insert.exec(sql))) return [{ op: 'insert', table: normalizeName(m[1] as string) }];
  if ((m = RX.otherCreate.exec(sql))) return [{ op: 'other-create', what: (m[1] as string).toLowerCase() }];
  if ((m = RX.otherDrop.exec(sql))) return [{ op: 'other-drop', what: (m[1] as string).toLowerCase() }];
  return [{ op: 'unknown', sql }];
}

function classifyAlterAction(table: string, action: string, sql: string): SqlEffect {
  let m: RegExpExecArray | null;
  if ((m = RX.renameTable.exec(action)))
    return { op: 'rename-table', table, to: normalizeName(m[1] as string) };
  if ((m = RX.renameColumn.exec(action)))
    return {
      op: 'rename-column',
      table,
      column: normalizeName(m[1] as string),
      to: normalizeName(m[2] as string),
    };
  if ((m = RX.addConstraint.exec(action)))
    return { op: 'add-constraint', table, name: normalizeName(m[1] ?? '(unnamed)') };
  if ((m = RX.dropConstraint.exec(action)))
    return { op: 'drop-constraint', table, name: normalizeName(m[1] as string) };
  if ((m = RX.addColumn.exec(action))) {
    const def = m[2] as string;
    return {
      op: 'add-column',
      table,
      column: normalizeName(m[1] as string),
      notNull: /\bnot\s+null\b/i.test(def) || /\bprimary\s+key\b/i.test(def),
      hasDefault: /\bdefault\b/i.test(def) || /^(?:big|small)?serial\b/i.test(def),
    };
  }
  if ((m = RX.dropColumn.exec(action)))
    return { op: 'drop-column', table, column: normalizeName(m[1] as string) };
  if ((m = RX.alterColumn.exec(action))) {
    const column = normalizeName(m[1] as string);
    const what = m[2] as string;
    const type = /^(?:set\s+data\s+)?type\s+([\s\S]+?)(?:\s+collate\s+\S+)?(?:\s+using\s+[\s\S]*)?$/i.exec(
      what,
    );
    if (type) return { op: 'alter-type', table, column, type: (type[1] as string).trim().toLowerCase() };
    if (/^set\s+not\s+null$/i.test(what)) return { op: 'set-not-null', table, column };
    if (/^(?:drop\s+not\s+null|drop\s+default|set\s+default\b)/i.test(what))
      return { op: 'relax-column', table, column };
  }
  return { op: 'unknown', sql };
}

/** PostgreSQL's names for the same type, so `alter type integer` on an `int4` column is no change at all. */
export function sameSqlType(a: string, b: string): boolean {
  const canon = (t: string): string => {
    const s = t.toLowerCase().replace(/\s+/g, ' ').trim();
    const aliases: Record<string, string> = {
      int: 'integer',
      int4: 'integer',
      int8: 'bigint',
      int2: 'smallint',
      bool: 'boolean',
      float8: 'double precision',
      float4: 'real',
      varchar: 'character varying',
      timestamptz: 'timestamp with time zone',
      timestamp: 'timestamp without time zone',
      'timestamp with time zone': 'timestamp with time zone',
    };
    return aliases[s] ?? s;
  };
  return canon(a) === canon(b);
}
