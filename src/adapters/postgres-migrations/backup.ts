/**
 * Backups the runbook's way: `pg_dump --schema-only` of the whole database plus, per affected table, its own
 * schema and `--data-only` dump, written to `<backups>/<id>/` with a manifest.json holding sha256 checksums of
 * every file and an md5 of each table's ordered rows. The folder is written under a temporary name and renamed
 * when complete, so a backup either exists whole or not at all.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import type { Knex } from 'knex';
import { BackupManifest, type BackupSummary } from '../../core/db-rollback/model.js';
import { RipcordError } from '../../core/errors.js';
import { describeTables, fkDependents, quoteName, tableChecksum, tableExists } from './inspect.js';
import { describeDb, runPgTool } from './pg-tools.js';

export interface BackupRequest {
  /** The backups root; the backup goes to `<directory>/<id>`. */
  directory: string;
  id: string;
  service: string;
  tables: readonly string[];
  release?: string;
  reason: string;
  migrationsTable: string;
}

/** `b-20261127-194501-3f9a`. */
export function newBackupId(now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `b-${t}-${randomBytes(2).toString('hex')}`;
}

function fileSafe(table: string): string {
  return table.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Parents before children, so data loads in an order foreign keys accept. */
async function fkOrder(knex: Knex, tables: readonly string[]): Promise<string[]> {
  const deps = await fkDependents(knex, tables);
  const order: string[] = [];
  const visit = (t: string, seen: Set<string>): void => {
    if (order.includes(t) || seen.has(t)) return;
    seen.add(t);
    for (const d of deps)
      if (d.table === t && d.references !== t && tables.includes(d.references)) visit(d.references, seen);
    order.push(t);
  };
  for (const t of [...tables].sort()) visit(t, new Set());
  return order;
}

export async function takeBackup(knex: Knex, url: string, req: BackupRequest): Promise<BackupManifest> {
  const final = join(req.directory, req.id);
  if (existsSync(join(final, 'manifest.json'))) return readBackup(final);
  for (const t of req.tables) {
    if (!(await tableExists(knex, t)))
      throw new RipcordError('invalid', `--tables: no table ${t} in ${describeDb(url)}`);
  }
  const tmp = join(req.directory, `.${req.id}.partial`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  try {
    const ordered = await fkOrder(knex, req.tables);
    const info = await describeTables(knex, ordered);
    const maxBatch = (await tableExists(knex, req.migrationsTable))
      ? Number(
          (
            (await knex.raw(
              `select coalesce(max(batch), 0) as b from ${quoteName(req.migrationsTable)}`,
            )) as { rows: { b: string }[] }
          ).rows[0]?.b ?? 0,
        )
      : 0;
    await runPgTool(
      'pg_dump',
      ['--schema-only', '--no-owner', '--no-privileges', '-f', join(tmp, 'schema.sql')],
      url,
    );
    const tables = [];
    for (const t of ordered) {
      const schemaFile = `table-${fileSafe(t)}.schema.sql`;
      const dataFile = `table-${fileSafe(t)}.data.sql`;
      const pattern = quoteName(t);
      await runPgTool(
        'pg_dump',
        [
          '--schema-only',
          '--no-owner',
          '--no-privileges',
          '--strict-names',
          '-t',
          pattern,
          '-f',
          join(tmp, schemaFile),
        ],
        url,
      );
      await runPgTool(
        'pg_dump',
        ['--data-only', '--strict-names', '-t', pattern, '-f', join(tmp, dataFile)],
        url,
      );
      const sum = await tableChecksum(knex, t);
      const ti = info[t];
      tables.push({
        name: t,
        rows: sum?.rows ?? 0,
        checksum: sum?.checksum ?? '',
        columns: ti?.columns ?? [],
        primaryKey: ti?.primaryKey ?? [],
        schemaFile,
        dataFile,
      });
    }
    const files = readdirSync(tmp)
      .sort()
      .map((name) => ({ name, bytes: statSync(join(tmp, name)).size, sha256: sha256(join(tmp, name)) }));
    const manifest: BackupManifest = {
      version: 1,
      id: req.id,
      service: req.service,
      createdAt: new Date().toISOString(),
      ...(req.release ? { release: req.release } : {}),
      maxBatch,
      reason: req.reason,
      database: describeDb(url),
      tables,
      files,
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    return manifest;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Reads and validates a backup's manifest, and checks every file against its sha256. */
export function readBackup(dir: string): BackupManifest {
  const file = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RipcordError(
      'invalid',
      `backup ${dir}: no readable manifest.json (${(err as Error).message})`,
      { cause: err },
    );
  }
  const parsed = BackupManifest.safeParse(raw);
  if (!parsed.success)
    throw new RipcordError('invalid', `backup ${dir}: bad manifest: ${parsed.error.message}`);
  for (const f of parsed.data.files) {
    const p = join(dir, f.name);
    if (!existsSync(p) || sha256(p) !== f.sha256) {
      throw new RipcordError(
        'refused',
        `backup ${dir}: ${f.name} does not match its sha256 in the manifest; not using it`,
      );
    }
  }
  return parsed.data;
}

/** Backups of `service` under `directory`, newest first; unreadable or corrupt ones are skipped. */
export function listBackups(directory: string, service?: string): BackupSummary[] {
  if (!existsSync(directory)) return [];
  const out: BackupSummary[] = [];
  for (const name of readdirSync(directory)) {
    if (name.startsWith('.')) continue;
    const dir = join(directory, name);
    try {
      const m = readBackup(dir);
      if (service && m.service !== service) continue;
      out.push({
        id: m.id,
        dir,
        createdAt: m.createdAt,
        ...(m.release ? { release: m.release } : {}),
        maxBatch: m.maxBatch,
        tables: m.tables,
      });
    } catch {
      /* not a backup, or a corrupt one: never offered */
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** A backup by path, or by id in one of `directories`. */
export function findBackup(ref: string, directories: readonly string[]): string {
  if (existsSync(join(ref, 'manifest.json'))) return ref;
  for (const d of directories) {
    const p = join(d, basename(ref));
    if (existsSync(join(p, 'manifest.json'))) return p;
  }
  throw new RipcordError(
    'invalid',
    `backup "${ref}": no such backup (a directory with manifest.json, or an id under ${directories.join(', ') || 'the configured backup directories'})`,
  );
}

/** psql with ON_ERROR_STOP in one transaction; returns its stdout (command tags like `UPDATE 3`). */
async function psqlScript(url: string, script: string, dir: string): Promise<string> {
  const file = join(dir, `.ripcord-${process.pid}-${randomBytes(3).toString('hex')}.sql`);
  writeFileSync(file, script, { mode: 0o600 });
  try {
    const { stdout } = await runPgTool(
      'psql',
      ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', file],
      url,
    );
    return stdout;
  } finally {
    rmSync(file, { force: true });
  }
}

/** The tables of `manifest` that differ from it now (missing, or other rows). */
export async function tablesDiffering(
  knex: Knex,
  manifest: BackupManifest,
  tables: readonly string[],
): Promise<string[]> {
  const out: string[] = [];
  for (const t of tables) {
    const bt = manifest.tables.find((x) => x.name === t);
    const now = await tableChecksum(knex, t);
    if (!bt || !now || now.checksum !== bt.checksum) out.push(t);
  }
  return out;
}

/**
 * Makes each table hold exactly the backup's rows: an existing table with the backup's columns is truncated
 * and reloaded; a missing one is created from its schema dump first. One transaction: all or nothing.
 * A table whose columns differ from the backup's is refused (roll its migration back first).
 */
export async function restoreTables(
  knex: Knex,
  url: string,
  dir: string,
  tables: readonly string[],
): Promise<{ restored: string[] }> {
  const m = readBackup(dir);
  const wanted = m.tables.filter((t) => tables.includes(t.name));
  const missingFromBackup = tables.filter((t) => !m.tables.some((x) => x.name === t));
  if (missingFromBackup.length)
    throw new RipcordError('invalid', `backup ${m.id} has no table ${missingFromBackup.join(', ')}`);
  const now = await describeTables(
    knex,
    wanted.map((t) => t.name),
  );
  const existing: string[] = [];
  const lines = ['\\set ON_ERROR_STOP on'];
  for (const t of wanted) {
    const cur = now[t.name];
    if (!cur) continue;
    const a = cur.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    const b = t.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    if (a !== b) {
      throw new RipcordError(
        'refused',
        `${t.name}: its columns (${a}) differ from the backup's (${b}); roll the migration back first, then restore`,
      );
    }
    existing.push(t.name);
  }
  if (existing.length) lines.push(`TRUNCATE ${existing.map(quoteName).join(', ')};`);
  for (const t of wanted) if (!now[t.name]) lines.push(`\\i '${join(dir, t.schemaFile)}'`);
  for (const t of wanted) lines.push(`\\i '${join(dir, t.dataFile)}'`);
  await psqlScript(url, lines.join('\n') + '\n', dir);
  return { restored: wanted.map((t) => t.name) };
}

/**
 * Brings back, by primary key, the values down() cannot: columns it re-created empty are filled from the
 * backup, and (insertMissing) rows the release deleted are inserted again. Rows written since the backup are
 * left alone. Runs in one transaction through a scratch schema; sequences are not touched. Idempotent.
 */
export async function restoreRows(
  knex: Knex,
  url: string,
  dir: string,
  tables: readonly { table: string; key: string[]; columns: string[]; insertMissing: boolean }[],
): Promise<{ updated: Record<string, number>; inserted: Record<string, number> }> {
  const m = readBackup(dir);
  const scratch = `ripcord_restore_${process.pid}`;
  const [cs] = ((await knex.raw('select current_schema() as s')) as { rows: { s: string }[] }).rows;
  const live = (t: string): string =>
    t.includes('.') ? quoteName(t) : `${quoteName(cs?.s ?? 'public')}.${quoteName(t)}`;
  const now = await describeTables(
    knex,
    tables.map((t) => t.table),
  );
  const lines = [
    '\\set ON_ERROR_STOP on',
    `DROP SCHEMA IF EXISTS ${scratch} CASCADE;`,
    `CREATE SCHEMA ${scratch};`,
  ];
  for (const t of tables) {
    const bt = m.tables.find((x) => x.name === t.table);
    const cur = now[t.table];
    if (!bt) throw new RipcordError('invalid', `backup ${m.id} has no table ${t.table}`);
    if (!cur) throw new RipcordError('failed', `${t.table} does not exist: down() should have re-created it`);
    const s = `${scratch}.${quoteName(bt.name.replace(/\./g, '_'))}`;
    lines.push(`CREATE TABLE ${s} (${bt.columns.map((c) => `${quoteName(c.name)} ${c.type}`).join(', ')});`);
    const data = readFileSync(join(dir, bt.dataFile), 'utf8')
      .split('\n')
      // setval would rewind the live sequence; search_path changes would unqualify our names.
      .filter(
        (l) =>
          !/^SELECT pg_catalog\.setval/.test(l) && !/^SELECT pg_catalog\.set_config\('search_path'/.test(l),
      )
      .map((l) => (/^COPY \S+ \(/.test(l) ? l.replace(/^COPY \S+ /, `COPY ${s} `) : l))
      .join('\n');
    const dataFile = join(dir, `.ripcord-${process.pid}-${bt.dataFile}`);
    writeFileSync(dataFile, data, { mode: 0o600 });
    lines.push(`\\i '${dataFile}'`);
    const liveCols = new Set(cur.columns.map((c) => c.name));
    const on = t.key.map((k) => `t.${quoteName(k)} = b.${quoteName(k)}`).join(' and ');
    const cols = t.columns.filter((c) => liveCols.has(c));
    if (cols.length) {
      lines.push(`\\echo ripcord:update:${t.table}`);
      lines.push(
        `UPDATE ${live(t.table)} t SET ${cols.map((c) => `${quoteName(c)} = b.${quoteName(c)}`).join(', ')} FROM ${s} b WHERE ${on} AND (${cols
          .map((c) => `t.${quoteName(c)} IS DISTINCT FROM b.${quoteName(c)}`)
          .join(' OR ')});`,
      );
    }
    if (t.insertMissing) {
      const both = bt.columns.map((c) => c.name).filter((c) => liveCols.has(c));
      lines.push(`\\echo ripcord:insert:${t.table}`);
      lines.push(
        `INSERT INTO ${live(t.table)} (${both.map(quoteName).join(', ')}) SELECT ${both.map((c) => `b.${quoteName(c)}`).join(', ')} FROM ${s} b WHERE NOT EXISTS (SELECT 1 FROM ${live(t.table)} t WHERE ${on});`,
      );
    }
  }
  lines.push(`DROP SCHEMA ${scratch} CASCADE;`);
  let out: string;
  try {
    // Not -q here: psql then prints each command's tag (UPDATE n, INSERT 0 n), which is the evidence.
    const file = join(dir, `.ripcord-${process.pid}-restore-rows.sql`);
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    try {
      out = (
        await runPgTool('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', file], url)
      ).stdout;
    } finally {
      rmSync(file, { force: true });
    }
  } finally {
    for (const t of tables) {
      const bt = m.tables.find((x) => x.name === t.table);
      if (bt) rmSync(join(dir, `.ripcord-${process.pid}-${bt.dataFile}`), { force: true });
    }
  }
  const updated: Record<string, number> = {};
  const inserted: Record<string, number> = {};
  let current: string | undefined;
  for (const line of out.split('\n')) {
    const marker = /^ripcord:(update|insert):(.+)$/.exec(line.trim());
    if (marker) {
      current = `${marker[1]}:${marker[2]}`;
      continue;
    }
    const u = /^UPDATE (\d+)$/.exec(line.trim());
    const i = /^INSERT \d+ (\d+)$/.exec(line.trim());
    if (current?.startsWith('update:') && u) updated[current.slice(7)] = Number(u[1]);
    if (current?.startsWith('insert:') && i) inserted[current.slice(7)] = Number(i[1]);
  }
  return { updated, inserted };
}
