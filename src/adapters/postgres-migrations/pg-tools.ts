/**
 * pg_dump and psql, run as child processes. The password goes in PGPASSWORD, never on the command line
 * (where `ps` would show it). Their stderr carries row values (DETAIL: Failing row contains ...), so it is
 * sanitized (sanitize.ts) before it becomes an error message.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';
import type { DbTimeouts } from './migrate-down.js';
import { redactConnectionStrings, sanitizeDbText } from './sanitize.js';

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

/** The URL's password, decoded: redacted wherever a tool echoes it. */
function passwordOf(url: string): string[] {
  try {
    const p = decodeURIComponent(new URL(url).password);
    return p ? [p] : [];
  } catch {
    return [];
  }
}

/** SQLSTATE from psql's VERBOSITY=verbose first line (`ERROR:  55P03: canceling statement ...`). */
const SQLSTATE_IN_TEXT = /\b(?:ERROR|FATAL):\s+([0-9A-Z]{5}):/;

export async function runPgTool(
  tool: 'pg_dump' | 'psql',
  args: string[],
  url: string,
  /** `signal`: the run's; Ctrl-C or a lost lock kills the tool (SIGTERM: psql's transaction is rolled back). */
  opts: { timeoutMs?: number; timeouts?: DbTimeouts; signal?: AbortSignal } = {},
): Promise<{ stdout: string; stderr: string }> {
  // psql: VERBOSITY=verbose puts the SQLSTATE on the error line, which the sanitizer keeps.
  const fullArgs = tool === 'psql' ? ['-v', 'VERBOSITY=verbose', ...args] : args;
  const env: NodeJS.ProcessEnv = { ...process.env, ...pgEnv(url) };
  if (opts.timeouts) {
    // Session settings from the start (libpq's PGOPTIONS), so the first lock taken is already bounded.
    env.PGOPTIONS = `-c lock_timeout=${Math.round(opts.timeouts.lockTimeoutMs)} -c statement_timeout=${Math.round(opts.timeouts.statementTimeoutMs)}`;
  }
  const aborted = (signal: AbortSignal) =>
    new AbortedError(`aborted during ${tool}: ${abortReason(signal)} (${tool} stopped)`);
  if (opts.signal?.aborted) throw aborted(opts.signal);
  const pending = run(pgTool(tool), fullArgs, {
    env,
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  // On the run's abort: SIGINT, not execFile's `signal` (which sends SIGTERM): psql then sends the server a
  // cancel request, so the statement stops there too; a SIGTERM'd psql exits and leaves it running. SIGKILL if
  // the tool is still there 5 s later.
  let kill: ReturnType<typeof setTimeout> | undefined;
  const onAbort = (): void => {
    pending.child.kill('SIGINT');
    kill = setTimeout(() => pending.child.kill('SIGKILL'), 5_000);
    kill.unref();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await pending;
  } catch (err) {
    if (opts.signal?.aborted) throw aborted(opts.signal);
    const e = err as Error & { code?: string | number; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new RipcordError('invalid', `${tool} is not installed (set RIPCORD_PG_BIN_DIR)`);
    }
    const raw = (e.stderr ?? '').trim() || redactConnectionStrings(e.message);
    const msg = sanitizeDbText(raw, passwordOf(url));
    const code = SQLSTATE_IN_TEXT.exec(raw)?.[1];
    const kind =
      code === '42501'
        ? 'forbidden'
        : /password authentication failed|database "[^"]*" does not exist/i.test(raw)
          ? 'invalid'
          : code === undefined &&
              /could not connect|connection refused|connection to server|timeout expired/i.test(raw)
            ? 'unreachable'
            : 'failed';
    // No `cause`: the raw error holds the unsanitized stderr.
    throw new RipcordError(kind, `${tool} failed: ${msg}`, {
      ...(code ? { cause: { code } } : {}),
      ...(code === '55P03' || code === '57014' ? { retryable: true } : {}),
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (kill) clearTimeout(kill);
  }
}
