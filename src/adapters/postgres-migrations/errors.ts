import { RipcordError } from '../../core/errors.js';
import { sanitizePgError } from './sanitize.js';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
]);

/** SQLSTATE 55P03 lock_not_available: lock_timeout (or NOWAIT) gave up waiting for a lock. */
export const LOCK_NOT_AVAILABLE = '55P03';
/** SQLSTATE 57014 query_canceled: statement_timeout (or a cancel request) stopped the statement. */
export const QUERY_CANCELED = '57014';

/** The SQLSTATE of a node-postgres error, if it is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Maps a database error to Ripcord's kinds: unreachable (retry may help), forbidden (a permission is missing),
 * invalid (bad URL, no such database). The message is sanitized (sanitize.ts): no row values, no SQL literals,
 * no URL. The raw error is not kept as `cause`, since causes get logged and serialized too; only its SQLSTATE.
 */
export function dbError(err: unknown, what: string): RipcordError {
  if (err instanceof RipcordError) return err;
  const e = err as { code?: string; message?: string };
  const code = sqlState(err) ?? (typeof e.code === 'string' ? e.code : undefined);
  const cause = code ? { code } : undefined;
  const msg = `${what}: ${sanitizePgError(err)}`;
  const opts = cause ? { cause } : {};
  // Timeouts we set (lock_timeout, statement_timeout) are failures of the step, not an unreachable server.
  if (code === LOCK_NOT_AVAILABLE || code === QUERY_CANCELED)
    return new RipcordError('failed', msg, { ...opts, retryable: true });
  if (code && UNREACHABLE.has(code)) return new RipcordError('unreachable', msg, opts);
  if (!sqlState(err) && /timeout/i.test(e.message ?? '')) return new RipcordError('unreachable', msg, opts);
  if (code === '42501') return new RipcordError('forbidden', msg, opts);
  if (code === '28P01' || code === '28000' || code === '3D000') {
    return new RipcordError('invalid', msg, opts);
  }
  return new RipcordError('failed', msg, opts);
}
