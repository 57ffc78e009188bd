/**
 * Backups the runbook's way: `pg_dump --schema-only` of the whole database plus, per affected table, its own
 * schema and `--data-only` dump, written to `<backups>/<id>/` with a manifest.json holding sha256 checksums of
 * every file and an md5 of each table's ordered rows. The folder is written under a temporary name and renamed
 * when complete, so a backup either exists whole or not at all.
 *
 * Everything in one snapshot: a REPEATABLE READ transaction exports its snapshot (pg_export_snapshot), every
 * pg_dump runs with --snapshot of it, and the row counts and checksums are computed in that same transaction.
 * Taken separately, a table being written to would be dumped with other rows than the manifest counts, and the
 * backup would fail its own verification after a restore.
 *
 * A restore trusts nothing it has not checked: the manifest's own sha256, every file's sha256, and that no
 * file holds a psql meta-command (dump-check.ts), all before psql runs; psql then gets the files themselves
 * (`-X -v ON_ERROR_STOP=1 --single-transaction -f F...`), never a script that includes them.
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
import { assertNoMetaCommands } from './dump-check.js';
import { describeTables, fkDependents, quoteName, tableChecksum, tableExists } from './inspect.js';
import { setLocalTimeouts, type DbTimeouts } from './migrate-down.js';
import { describeDb, runPgTool } from './pg-tools.js';
import { canonical } from '../../core/canonical-json.js';

export interface BackupRequest {
  /** The backups root; the backup goes to `<directory>/<id>`. */
  directory: string;
  id: string;
  service: string;
  tables: readonly string[];
  release?: string;
  reason: string;
  migrationsTable: string;
  /** lock_timeout for pg_dump's table locks (--lock-wait-timeout) and the snapshot transaction. */
  timeouts?: DbTimeouts;
  /** The run's signal: an abort stops pg_dump at once. */
  signal?: AbortSignal;
}

/** `b-20261127-194501-3f9a`. */
export function newBackupId(now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `b-${t}-${randomBytes(2).toString('hex')}`;
}

function fileSafe(table: string): string {
  return table.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 over the manifest's content without its own `checksum` field. */
export function manifestChecksum(m: Omit<BackupManifest, 'checksum'> & { checksum?: string }): string {
  const { checksum: _ignored, ...rest } = m;
  return sha256(canonical(rest));
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
  const lockWait = req.timeouts ? [`--lock-wait-timeout=${Math.round(req.timeouts.lockTimeoutMs)}`] : [];
  try {
    // Read only, REPEATABLE READ: one snapshot for the whole transaction, exported for pg_dump. It stays open
    // until every pg_dump has run (an exported snapshot is importable only while its transaction lives).
    const taken = await knex.transaction(
      async (trx) => {
        // Bounded like down(): the counts below wait behind an ACCESS EXCLUSIVE holder otherwise.
        await setLocalTimeouts(trx, req.timeouts);
        const [snap] = ((await trx.raw('select pg_export_snapshot() as s')) as { rows: { s: string }[] })
          .rows;
        const snapshot = snap?.s;
        if (!snapshot) throw new RipcordError('failed', 'pg_export_snapshot() returned nothing');
        const ordered = await fkOrder(trx, req.tables);
        const info = await describeTables(trx, ordered);
        const maxBatch = (await tableExists(trx, req.migrationsTable))
          ? Number(
              (
                (await trx.raw(
                  `select coalesce(max(batch), 0) as b from ${quoteName(req.migrationsTable)}`,
                )) as { rows: { b: string }[] }
              ).rows[0]?.b ?? 0,
            )
          : 0;
        const dump = (args: string[]) =>
          runPgTool('pg_dump', [`--snapshot=${snapshot}`, ...lockWait, ...args], url, {
            ...(req.signal ? { signal: req.signal } : {}),
          });
        await dump(['--schema-only', '--no-owner', '--no-privileges', '-f', join(tmp, 'schema.sql')]);
        const tables = [];
        for (const t of ordered) {
          const schemaFile = `table-${fileSafe(t)}.schema.sql`;
          const dataFile = `table-${fileSafe(t)}.data.sql`;
          const pattern = quoteName(t);
          await dump([
            '--schema-only',
            '--no-owner',
            '--no-privileges',
            '--strict-names',
            '-t',
            pattern,
            '-f',
            join(tmp, schemaFile),
          ]);
          await dump(['--data-only', '--strict-names', '-t', pattern, '-f', join(tmp, dataFile)]);
          // Same transaction, same snapshot: exactly the rows pg_dump wrote.
          const sum = await tableChecksum(trx, t);
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
        return { tables, maxBatch };
      },
      { isolationLevel: 'repeatable read', readOnly: true },
    );
    const files = readdirSync(tmp)
      .sort()
      .map((name) => {
        const data = readFileSync(join(tmp, name));
        return { name, bytes: statSync(join(tmp, name)).size, sha256: sha256(data) };
      });
    const body: Omit<BackupManifest, 'checksum'> = {
      version: 2,
      id: req.id,
      service: req.service,
      createdAt: new Date().toISOString(),
      ...(req.release ? { release: req.release } : {}),
      maxBatch: taken.maxBatch,
      reason: req.reason,
      database: describeDb(url),
      tables: taken.tables,
      files,
    };
    const manifest: BackupManifest = { ...body, checksum: manifestChecksum(body) };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    return manifest;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** A file name the manifest may name: in the backup directory itself, never a path (`../x`) or a dotfile. */
const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Reads a backup's manifest and checks everything a restore will use, before anything runs: the manifest's own
 * checksum, that every table's files are among the files it binds, each file's sha256, and that no .sql file
 * holds a psql meta-command. Any mismatch is 'refused' (exit 3): the backup is not used at all.
 */
export function readBackup(dir: string): BackupManifest {
  const file = join(dir, 'manifest.json');
  const refuse = (why: string): never => {
    throw new RipcordError('refused', `backup ${dir}: ${why}; not using it`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if (!existsSync(file))
      throw new RipcordError('invalid', `backup ${dir}: no manifest.json`, { cause: err });
    return refuse(`manifest.json is not valid JSON (${(err as Error).message})`);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== 2) {
    return refuse(
      `manifest version ${JSON.stringify(version)} is not 2 (backups taken before manifests carried their own checksum ` +
        'are not trusted for a restore; take a new one)',
    );
  }
  const parsed = BackupManifest.safeParse(raw);
  if (!parsed.success) return refuse(`bad manifest: ${parsed.error.message}`);
  const m = parsed.data;
  if (manifestChecksum(m) !== m.checksum)
    refuse('manifest.json does not match its own checksum (it was edited)');
  const named = new Set(m.files.map((f) => f.name));
  for (const f of m.files)
    if (!PLAIN_NAME.test(f.name)) refuse(`manifest names a file outside it: ${f.name}`);
  for (const t of m.tables) {
    for (const f of [t.schemaFile, t.dataFile]) {
      if (!named.has(f)) refuse(`${t.name}'s file ${f} has no sha256 in the manifest`);
    }
  }
  for (const f of m.files) {
    const p = join(dir, f.name);
    if (!existsSync(p)) refuse(`${f.name} is missing`);
    const data = readFileSync(p);
    if (data.length !== f.bytes || sha256(data) !== f.sha256)
      refuse(`${f.name} does not match its sha256 in the manifest`);
    if (f.name.endsWith('.sql')) assertNoMetaCommands(data.toString('utf8'), `backup ${dir}: ${f.name}`);
  }
  return m;
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

/**
 * psql on files, in one transaction, stopping at the first error: `-X` (no psqlrc), each file given with -f
 * (psql reads them in order inside the one transaction). Returns stdout (command tags like `UPDATE 3`).
 */
async function psqlFiles(
  url: string,
  files: readonly string[],
  timeouts: DbTimeouts | undefined,
  extra: readonly string[] = ['-q'],
  signal?: AbortSignal,
): Promise<string> {
  const { stdout } = await runPgTool(
    'psql',
    ['-X', ...extra, '-v', 'ON_ERROR_STOP=1', '--single-transaction', ...files.flatMap((f) => ['-f', f])],
    url,
    { ...(timeouts ? { timeouts } : {}), ...(signal ? { signal } : {}) },
  );
  return stdout;
}

/** A script of our own, written 0600 beside the backup for psql -f, removed afterwards by the caller. */
function scratchFile(dir: string, label: string, text: string): string {
  const file = join(dir, `.ripcord-${process.pid}-${randomBytes(3).toString('hex')}-${label}.sql`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
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
  timeouts?: DbTimeouts,
  signal?: AbortSignal,
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
  // The only SQL of ours: the TRUNCATE, first, so its ACCESS EXCLUSIVE locks are taken while the session's
  // lock_timeout still holds (pg_dump's files SET lock_timeout = 0 for the rest of the transaction).
  const own: string[] = [];
  if (existing.length)
    own.push(scratchFile(dir, 'truncate', `TRUNCATE ${existing.map(quoteName).join(', ')};\n`));
  const files = [
    ...own,
    ...wanted.filter((t) => !now[t.name]).map((t) => join(dir, t.schemaFile)),
    ...wanted.map((t) => join(dir, t.dataFile)),
  ];
  try {
    await psqlFiles(url, files, timeouts, undefined, signal);
  } finally {
    for (const f of own) rmSync(f, { force: true });
  }
  return { restored: wanted.map((t) => t.name) };
}

/**
 * Brings back, by primary key, the values down() cannot: columns it re-created empty are filled from the
 * backup, and (insertMissing) rows the release deleted are inserted again. Rows written since the backup are
 * left alone. Runs in one transaction through a scratch schema; sequences are not touched. Idempotent.
 */
/**
 * Each column's type as PostgreSQL's catalog names it (`to_regtype`: a parser, never executed; typmods such as a
 * varchar length are dropped, harmless for a scratch copy). A type it does not know is refused, naming the
 * column, before anything runs.
 */
async function catalogTypes(
  knex: Knex,
  backup: string,
  table: string,
  columns: readonly { name: string; type: string }[],
): Promise<string[]> {
  const out: string[] = [];
  for (const c of columns) {
    let resolved: string | null = null;
    try {
      const r = (await knex.raw('select to_regtype(?)::text as t', [c.type])) as {
        rows: { t: string | null }[];
      };
      resolved = r.rows[0]?.t ?? null;
    } catch {
      resolved = null; // a syntax error in the type name: as unknown
    }
    if (!resolved) {
      throw new RipcordError(
        'refused',
        `backup ${backup}: column ${table}.${c.name} has a type PostgreSQL does not know (${JSON.stringify(c.type.slice(0, 60))}); ` +
          'the manifest may have been altered; nothing was restored',
      );
    }
    out.push(resolved);
  }
  return out;
}

export async function restoreRows(
  knex: Knex,
  url: string,
  dir: string,
  tables: readonly { table: string; key: string[]; columns: string[]; insertMissing: boolean }[],
  timeouts?: DbTimeouts,
  signal?: AbortSignal,
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
  const setup = [`DROP SCHEMA IF EXISTS ${scratch} CASCADE;`, `CREATE SCHEMA ${scratch};`];
  const merge: string[] = [];
  const dataFiles: string[] = [];
  // A marker row before each statement, so its command tag can be told apart (psql -t -A prints just 'x').
  const marker = (what: string): string => `SELECT '${what.replace(/'/g, "''")}' AS ripcord_marker;`;
  let out: string;
  try {
    for (const t of tables) {
      const bt = m.tables.find((x) => x.name === t.table);
      const cur = now[t.table];
      if (!bt) throw new RipcordError('invalid', `backup ${m.id} has no table ${t.table}`);
      if (!cur)
        throw new RipcordError('failed', `${t.table} does not exist: down() should have re-created it`);
      const s = `${scratch}.${quoteName(bt.name.replace(/\./g, '_'))}`;
      // The manifest's column types are text an attacker who can write the backup could choose (its checksum is
      // unkeyed): each is resolved by PostgreSQL's own type parser and only the catalog's name is used.
      const types = await catalogTypes(knex, m.id, bt.name, bt.columns);
      setup.push(
        `CREATE TABLE ${s} (${bt.columns.map((c, i) => `${quoteName(c.name)} ${types[i]}`).join(', ')});`,
      );
      const data = readFileSync(join(dir, bt.dataFile), 'utf8')
        .split('\n')
        // setval would rewind the live sequence; search_path changes would unqualify our names.
        .filter(
          (l) =>
            !/^SELECT pg_catalog\.setval/.test(l) && !/^SELECT pg_catalog\.set_config\('search_path'/.test(l),
        )
        .map((l) => (/^COPY \S+ \(/.test(l) ? l.replace(/^COPY \S+ /, `COPY ${s} `) : l))
        .join('\n');
      // The edited copy is checked again: it must still be nothing but pg_dump's statements and COPY data.
      assertNoMetaCommands(data, `backup ${m.id}: ${bt.dataFile} (scratch copy)`);
      dataFiles.push(scratchFile(dir, `data-${fileSafe(bt.name)}`, data));
      const liveCols = new Set(cur.columns.map((c) => c.name));
      const on = t.key.map((k) => `t.${quoteName(k)} = b.${quoteName(k)}`).join(' and ');
      const cols = t.columns.filter((c) => liveCols.has(c));
      if (cols.length) {
        merge.push(marker(`ripcord:update:${t.table}`));
        merge.push(
          `UPDATE ${live(t.table)} t SET ${cols.map((c) => `${quoteName(c)} = b.${quoteName(c)}`).join(', ')} FROM ${s} b WHERE ${on} AND (${cols
            .map((c) => `t.${quoteName(c)} IS DISTINCT FROM b.${quoteName(c)}`)
            .join(' OR ')});`,
        );
      }
      if (t.insertMissing) {
        const both = bt.columns.map((c) => c.name).filter((c) => liveCols.has(c));
        merge.push(marker(`ripcord:insert:${t.table}`));
        merge.push(
          `INSERT INTO ${live(t.table)} (${both.map(quoteName).join(', ')}) SELECT ${both.map((c) => `b.${quoteName(c)}`).join(', ')} FROM ${s} b WHERE NOT EXISTS (SELECT 1 FROM ${live(t.table)} t WHERE ${on});`,
        );
      }
    }
    merge.push(`DROP SCHEMA ${scratch} CASCADE;`);
    dataFiles.unshift(scratchFile(dir, 'setup', setup.join('\n') + '\n'));
    dataFiles.push(scratchFile(dir, 'merge', merge.join('\n') + '\n'));
    // Not -q here: psql then prints each command's tag (UPDATE n, INSERT 0 n), which is the evidence.
    out = await psqlFiles(url, dataFiles, timeouts, ['-t', '-A'], signal);
  } finally {
    for (const f of dataFiles) rmSync(f, { force: true });
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
