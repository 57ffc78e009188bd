/**
 * pg_dump and psql, run as child processes. The password goes in PGPASSWORD, never on the command line
 * (where `ps` would show it); error texts are the tools' stderr, which never contains it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RipcordError } from '../../core/errors.js';

const run = promisify(execFile);

/** RIPCORD_PG_BIN_DIR, else Debian's PostgreSQL 15 directory when present, else $PATH. */
export function pgTool(name: 'pg_dump' | 'psql'): string {
  const dir = process.env.RIPCORD_PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
  const p = join(dir, name);
  return existsSync(p) ? p : name;
}

/** libpq environment for a postgres:// URL. */
export function pgEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = {
    PGHOST: decodeURIComponent(u.hostname) || 'localhost',
    PGPORT: u.port || '5432',
    PGDATABASE: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
  };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const ssl = u.searchParams.get('sslmode');
  if (ssl) env.PGSSLMODE = ssl;
  return env;
}

/** `db@host:port`, for manifests and messages (no credentials). */
export function describeDb(url: string): string {
  const u = new URL(url);
  return `${u.pathname.replace(/^\//, '')}@${u.hostname}:${u.port || '5432'}`;
}

export async function runPgTool(
  tool: 'pg_dump' | 'psql',
  args: string[],
  url: string,
  opts: { timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(pgTool(tool), args, {
      env: { ...process.env, ...pgEnv(url) },
      timeout: opts.timeoutMs ?? 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as Error & { code?: string | number; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new RipcordError('invalid', `${tool} is not installed (set RIPCORD_PG_BIN_DIR)`, { cause: err });
    }
    const msg = (e.stderr ?? '').trim() || e.message;
    const kind = /could not connect|connection refused|timeout/i.test(msg) ? 'unreachable' : 'failed';
    throw new RipcordError(kind, `${tool} failed: ${msg}`, { cause: err });
  }
}
