import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type pg from 'pg';
import { pgDriver } from '../adapters/postgres/lazy-drivers.js';
import { freePort } from './free-port.js';
import { isAlive, startDaemon, stopProcessGroup } from './process.js';

const execFileAsync = promisify(execFile);

/** Where Debian's postgresql-15 puts its binaries; RIPCORD_PG_BIN_DIR overrides it (e.g. Homebrew on a laptop). */
export function pgBinDir(): string {
  return process.env.RIPCORD_PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
}

export interface StartPostgresOptions {
  dataDir: string;
  /** Unix socket directory (`-k`); kept apart from /var/run/postgresql so sandboxes never collide. */
  socketDir: string;
  logFile: string;
  /** TCP port on 127.0.0.1; a free one is picked when left out. */
  port?: number;
}

/** A running private PostgreSQL cluster; `url` is the superuser's, over TCP with a password. */
export interface StartedPostgres {
  pid: number;
  port: number;
  url: string;
  log: string;
}

const PG_USER = 'postgres';
const DB_NAME = /^[a-z_][a-z0-9_]*$/;

/** The superuser password lives beside the data directory (not in it: initdb wants an empty directory). */
export function passwordFile(dataDir: string): string {
  return `${resolve(dataDir)}.password`;
}

function asRoot(): boolean {
  return process.getuid?.() === 0;
}

/** PostgreSQL refuses to run as root, so as root every file it touches must belong to the postgres user. */
function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${PG_USER}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      `running as root needs a "${PG_USER}" system user to run PostgreSQL as; none in /etc/passwd`,
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The postgres user must be able to walk down to its directories. A sandbox under a root-owned 0700 directory
 * (mkdtemp, or a home directory) would otherwise fail with a bare "permission denied" from initdb; o+x lets
 * it pass through without being able to list anything.
 */
function makeTraversable(dir: string): void {
  const root = parse(dir).root;
  for (let d = dirname(dir); ; d = dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
    if (d === root) break;
  }
}

/** Creates `dir` (0700) owned by the user PostgreSQL runs as. */
function ownDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (asRoot()) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
    makeTraversable(dir);
  }
}

/** Runs a PostgreSQL tool to completion, as the postgres user when we are root. */
async function runPgTool(tool: string, args: string[], cwd: string): Promise<void> {
  const bin = join(pgBinDir(), tool);
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', PG_USER, '--', bin, ...args]] : [bin, args];
  try {
    await execFileAsync(cmd, argv, { cwd, timeout: 120_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${tool} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * initdb into a side directory, then rename: an interrupted initdb leaves no half-made cluster that a later
 * `up` would mistake for a real one.
 */
async function initCluster(dataDir: string, pwFile: string): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} is not empty and holds no PostgreSQL cluster (no PG_VERSION); remove it`);
  }
  const staging = `${dataDir}.initdb`;
  rmSync(staging, { recursive: true, force: true });
  ownDir(staging);
  // initdb reads the password file as the postgres user; root can read it whatever its owner.
  if (asRoot()) {
    const { uid, gid } = postgresIds();
    chownSync(pwFile, uid, gid);
  }
  await runPgTool(
    'initdb',
    [
      `--pgdata=${staging}`,
      `--username=${PG_USER}`,
      `--pwfile=${pwFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '--encoding=UTF8',
      '--locale=C',
      // Sandbox data is disposable; skipping fsync makes initdb several times faster.
      '--no-sync',
      '--no-instructions',
    ],
    dirname(dataDir),
  );
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(staging, dataDir);
}

/** Reads the superuser password, creating it (0600, random) the first time. Returns whether it was new. */
function ensurePassword(file: string): { password: string; created: boolean } {
  if (existsSync(file)) return { password: readFileSync(file, 'utf8').trim(), created: false };
  const password = randomBytes(18).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { password, created: true };
}

/**
 * A postmaster.pid left by a killed server blocks the next start when its PID has since been reused by
 * another process (common in containers); a live one means the cluster is already running.
 */
function clearStalePidFile(dataDir: string): void {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && isPostgres(pid)) {
    throw new Error(`PostgreSQL is already running on ${dataDir} (pid ${pid}); stop it first`);
  }
  rmSync(file, { force: true });
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('postgres');
  } catch {
    // No /proc (macOS): trust the PID, as PostgreSQL itself would.
    return true;
  }
}

function superUrl(password: string, port: number, db = 'postgres'): string {
  return `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

async function canConnect(config: pg.ClientConfig): Promise<boolean> {
  const client = new (pgDriver().Client)({ ...config, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Waits until the server accepts TCP connections, failing fast (with the log's tail) when the process dies,
 * e.g. because the port was taken between picking it and binding it.
 */
async function waitReady(pid: number, url: string, log: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) throw new PostgresExitedError(`PostgreSQL exited during start:\n${logTail(log)}`);
    try {
      if (await canConnect({ connectionString: url })) return;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  const why = last instanceof Error ? ` (${last.message})` : '';
  throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms${why}:\n${logTail(log)}`);
}

class PostgresExitedError extends Error {}

/**
 * Starts a private PostgreSQL cluster in `dataDir`, creating it on first use (superuser `postgres`,
 * scram-sha-256 on TCP, trust on the Unix socket), and resolves once it accepts connections.
 * An existing cluster is reused as is, so a second `sandbox up` takes about a second.
 */
export async function startPostgres(opts: StartPostgresOptions): Promise<StartedPostgres> {
  const dataDir = resolve(opts.dataDir);
  const socketDir = resolve(opts.socketDir);
  mkdirSync(dirname(dataDir), { recursive: true });
  const existed = isInitialised(dataDir);
  const pw = ensurePassword(passwordFile(dataDir));
  if (!existed) {
    await initCluster(dataDir, passwordFile(dataDir));
  } else {
    clearStalePidFile(dataDir);
  }
  // Every start, not just the first: the socket dir may be new, and a moved sandbox has new ancestors to pass.
  ownDir(dataDir);
  ownDir(socketDir);

  // A port picked free can be taken before postgres binds it; try a fresh one then, unless it was asked for.
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const daemon = startDaemon({
      name: 'postgres',
      command: join(pgBinDir(), 'postgres'),
      args: [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-k',
        socketDir,
        '-c',
        'listen_addresses=127.0.0.1',
        // Sandbox speed: the data is disposable, so durability is not worth the fsyncs.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        // Every e2e namespace runs several pods with their own pools against this one server.
        '-c',
        'max_connections=300',
      ],
      log: opts.logFile,
      cwd: dirname(dataDir),
      runAsUser: PG_USER,
    });
    try {
      const url = superUrl(pw.password, port);
      if (!(existed && pw.created)) {
        await waitReady(daemon.pid, url, opts.logFile, 30_000);
      } else {
        // A new password for an existing cluster (its file was lost): set it over the trusted socket.
        await waitReadyOnSocket(daemon.pid, socketDir, port, opts.logFile);
        await setSuperuserPassword(socketDir, port, pw.password);
        await waitReady(daemon.pid, url, opts.logFile, 30_000);
      }
      return { pid: daemon.pid, port, url, log: opts.logFile };
    } catch (err) {
      await stopProcessGroup(daemon.pid, 5000, 'SIGINT');
      if (!(err instanceof PostgresExitedError) || attempt >= attempts) throw err;
    }
  }
}

async function waitReadyOnSocket(pid: number, socketDir: string, port: number, log: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) throw new PostgresExitedError(`PostgreSQL exited during start:\n${logTail(log)}`);
    if (await canConnect({ host: socketDir, port, user: PG_USER, database: 'postgres' }).catch(() => false))
      return;
    await sleep(100);
  }
  throw new Error(`PostgreSQL did not accept socket connections within 30 s:\n${logTail(log)}`);
}

async function setSuperuserPassword(socketDir: string, port: number, password: string): Promise<void> {
  const client = new (pgDriver().Client)({ host: socketDir, port, user: PG_USER, database: 'postgres' });
  await client.connect();
  try {
    await client.query(`alter role ${PG_USER} with password ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

function checkDbName(name: string): void {
  if (!DB_NAME.test(name)) {
    throw new Error(`database name "${name}" must match ${DB_NAME.source}`);
  }
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new (pgDriver().Client)({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The URL of database `name` on the same server and with the same credentials as `superUrl`. */
export function databaseUrl(superUrl: string, name: string): string {
  const u = new URL(superUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates database `name` unless it exists (concurrent callers are fine) and returns its URL. */
export async function createDatabase(superUrl: string, name: string): Promise<string> {
  checkDbName(name);
  await withClient(superUrl, async (c) => {
    const found = await c.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return;
    try {
      await c.query(`create database "${name}"`);
    } catch (err) {
      // 42P04 duplicate_database; 23505 when a concurrent CREATE wins the race on the catalog's unique index.
      const code = (err as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw err;
    }
  });
  return databaseUrl(superUrl, name);
}

/** Drops database `name` if it exists, disconnecting its sessions (WITH (FORCE), PostgreSQL 13+). */
export async function dropDatabase(superUrl: string, name: string): Promise<void> {
  checkDbName(name);
  await withClient(superUrl, (c) => c.query(`drop database if exists "${name}" with (force)`));
}
