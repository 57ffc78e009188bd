/**
 * The checklist's "Database connectivity verified": `SELECT 1` on the service's database URL with connect and
 * statement timeouts, or the database field of the service's health answer. The item names host:port/db only,
 * never the URL's user or password.
 */
import { pgDriver } from './lazy-drivers.js';
import { failed, passed, type VerifyItem } from '../../core/verify/item.js';

/** host:port/database of a URL: what may be shown. */
export function databaseWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured database';
  }
}

export async function pingDatabase(
  url: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<VerifyItem> {
  const where = databaseWhere(url);
  const started = Date.now();
  const client = new (pgDriver().Client)({
    connectionString: url,
    connectionTimeoutMillis: opts.timeoutMs,
    statement_timeout: opts.timeoutMs,
    query_timeout: opts.timeoutMs,
  });
  client.on('error', () => undefined);
  const onAbort = () => void client.end().catch(() => undefined);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    await client.query('SELECT 1');
    const v = await client.query<{ server_version: string }>('SHOW server_version');
    const ms = Date.now() - started;
    return passed('database', `SELECT 1 on ${where} answered in ${ms}ms`, {
      database: where,
      ms,
      serverVersion: v.rows[0]?.server_version ?? null,
    });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // pg's messages name at most the user, never the password; the URL is not repeated.
    const msg = (e.message ?? String(err)).split(url).join(where);
    return failed('database', `SELECT 1 on ${where} failed: ${e.code ? `${e.code} ` : ''}${msg}`, {
      database: where,
      ...(e.code ? { code: e.code } : {}),
    });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}

const UP = new Set(['ok', 'up', 'healthy', 'pass', 'true', 'connected', 'reachable']);

/**
 * The database line of a health answer: `db`/`database` as a string or boolean (the example service:
 * `db: "ok" | "unreachable"`), `checks.database`/`checks.db`, or Spring Boot actuator's `components.db.status`.
 * Undefined when the body has none.
 */
export function databaseFromHealth(body: unknown): VerifyItem | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const checks = (b.checks ?? {}) as Record<string, unknown>;
  const components = (b.components ?? {}) as Record<string, { status?: unknown }>;
  const found: Array<[string, unknown]> = [
    ['db', b.db],
    ['database', b.database],
    ['checks.database', checks.database],
    ['checks.db', checks.db],
    ['components.db.status', components.db?.status],
  ];
  const hit = found.find(([, v]) => typeof v === 'string' || typeof v === 'boolean');
  if (!hit) return undefined;
  const [field, value] = hit;
  const ok = typeof value === 'boolean' ? value : UP.has(String(value).toLowerCase());
  const text = String(value).slice(0, 60);
  return ok
    ? passed('database', `the health answer's ${field} is "${text}"`, { field, value: text })
    : failed('database', `the health answer's ${field} is "${text}"`, { field, value: text });
}
