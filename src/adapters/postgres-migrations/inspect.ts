/**
 * Read-only inspection of a knex-migrated database. Never calls knex's migrator (its list() creates
 * knex_migrations and knex_migrations_lock as a side effect): every table is looked up with to_regclass first.
 */
import type { Knex } from 'knex';
import * as z from 'zod';
import type {
  AppliedMigration,
  FkDependent,
  MigrationLockState,
  TableInfo,
} from '../../core/db-rollback/model.js';
import { normalizeName } from '../../core/db-rollback/sql-classify.js';
import { dbError } from './errors.js';

const AppliedRow = z.object({
  id: z.coerce.number().int(),
  name: z.string(),
  batch: z.coerce.number().int(),
  migration_time: z.union([z.date(), z.string()]).nullable(),
});

/** `"schema"."table"` for SQL text, from a possibly schema-qualified name. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join('.');
}

async function rows<T>(knex: Knex, sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
  const res = (await knex.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] };
  return res.rows;
}

export async function tableExists(knex: Knex, name: string): Promise<boolean> {
  const [r] = await rows<{ ok: boolean }>(knex, 'select to_regclass(?) is not null as ok', [quoteName(name)]);
  return r?.ok === true;
}

export interface MigrationState {
  tableExists: boolean;
  applied: AppliedMigration[];
  lock: MigrationLockState;
}

/** knex's bigint advisory key as pg_locks shows it: classid = high 32 bits, objid = low 32 bits. */
function advisoryParts(key: number): { classid: number; objid: number } {
  const big = BigInt.asUintN(64, BigInt(key));
  return { classid: Number(big >> 32n), objid: Number(big & 0xffffffffn) };
}

export async function readMigrationState(
  knex: Knex,
  table: string,
  advisoryLock?: number,
): Promise<MigrationState> {
  try {
    const exists = await tableExists(knex, table);
    const lockExists = await tableExists(knex, `${table}_lock`);
    const applied = exists
      ? (
          await rows<unknown>(
            knex,
            `select id, name, batch, migration_time from ${quoteName(table)} order by id`,
          )
        ).map((r) => {
          const p = AppliedRow.parse(r);
          const t = p.migration_time === null ? '' : new Date(p.migration_time).toISOString();
          return { id: p.id, name: p.name, batch: p.batch, migrationTime: t };
        })
      : [];
    const locked = lockExists
      ? (await rows<{ is_locked: number }>(knex, `select is_locked from ${quoteName(`${table}_lock`)}`)).some(
          (r) => Number(r.is_locked) === 1,
        )
      : false;
    const migrator = await migratorSessions(knex, table, advisoryLock);
    return {
      tableExists: exists,
      applied,
      lock: {
        tableExists: lockExists,
        isLocked: locked,
        migratorRunning: migrator.length > 0,
        evidence:
          migrator.length > 0
            ? migrator
            : locked
              ? ['no session holds the migration advisory lock or queries the migrations table']
              : [],
      },
    };
  } catch (err) {
    throw dbError(err, 'reading knex_migrations');
  }
}

/** Sessions that look like a running migrator: the service's advisory lock, or a query on the migrations table. */
export async function migratorSessions(knex: Knex, table: string, advisoryLock?: number): Promise<string[]> {
  const out: string[] = [];
  if (advisoryLock !== undefined) {
    const { classid, objid } = advisoryParts(advisoryLock);
    const held = await rows<{ pid: number }>(
      knex,
      `select pid from pg_locks where locktype = 'advisory' and granted and classid = ? and objid = ? and objsubid = 1
         and database = (select oid from pg_database where datname = current_database())`,
      [classid, objid],
    );
    for (const h of held) out.push(`pid ${h.pid} holds advisory lock ${advisoryLock}`);
  }
  const active = await rows<{ pid: number; state: string; q: string }>(
    knex,
    `select pid, state, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) as q from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'
        and query ilike ?`,
    [`%${table}%`],
  );
  for (const a of active) out.push(`pid ${a.pid} (${a.state}): ${a.q}`);
  return out;
}

/** Columns (with format_type, e.g. `character varying(255)`), primary key, indexes and row count. */
export async function describeTables(
  knex: Knex,
  tables: readonly string[],
): Promise<Record<string, TableInfo>> {
  const out: Record<string, TableInfo> = {};
  try {
    for (const t of tables) {
      if (!(await tableExists(knex, t))) continue;
      const rel = quoteName(t);
      const cols = await rows<{ name: string; type: string; nullable: boolean }>(
        knex,
        `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable
           from pg_attribute a where a.attrelid = ?::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
        [rel],
      );
      const pk = await rows<{ name: string }>(
        knex,
        `select a.attname as name from pg_index i
           join lateral unnest(i.indkey) with ordinality as k(attnum, ord) on true
           join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
          where i.indrelid = ?::regclass and i.indisprimary order by k.ord`,
        [rel],
      );
      const idx = await rows<{ name: string }>(
        knex,
        'select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = ?::regclass order by 1',
        [rel],
      );
      const [count] = await rows<{ n: string }>(knex, `select count(*) as n from ${rel}`);
      out[t] = {
        name: t,
        columns: cols.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
        primaryKey: pk.map((p) => p.name),
        indexes: idx.map((i) => i.name),
        rows: Number(count?.n ?? 0),
      };
    }
    return out;
  } catch (err) {
    throw dbError(err, 'describing tables');
  }
}

/** Foreign keys pointing into `tables`, from pg_constraint. */
export async function fkDependents(knex: Knex, tables: readonly string[]): Promise<FkDependent[]> {
  const present: string[] = [];
  for (const t of tables) if (await tableExists(knex, t)) present.push(quoteName(t));
  if (present.length === 0) return [];
  const found = await rows<{ conname: string; child: string; parent: string }>(
    knex,
    `select c.conname, c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent
       from pg_constraint c where c.contype = 'f' and c.confrelid = any(?::regclass[]) order by 1`,
    [present],
  );
  return found.map((f) => ({
    constraint: f.conname,
    table: normalizeName(f.child),
    references: normalizeName(f.parent),
  }));
}

/** Row count and an md5 over the rows as text, in text order: equal checksums mean identical contents. */
export async function tableChecksum(
  knex: Knex,
  table: string,
): Promise<{ rows: number; checksum: string } | undefined> {
  if (!(await tableExists(knex, table))) return undefined;
  const [r] = await rows<{ n: string; sum: string }>(
    knex,
    `select count(*) as n, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as sum from ${quoteName(table)} t`,
  );
  return { rows: Number(r?.n ?? 0), checksum: r?.sum ?? '' };
}

/** Index names that exist (any table), of those asked about. */
export async function existingIndexes(knex: Knex, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const found = await rows<{ name: string }>(
    knex,
    'select c.relname as name from pg_class c where c.relkind = ? and c.relname = any(?) and pg_table_is_visible(c.oid)',
    ['i', names],
  );
  return found.map((f) => f.name);
}
