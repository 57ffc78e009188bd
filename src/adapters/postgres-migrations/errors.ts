import { RipcordError } from '../../core/errors.js';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
]);

/**
 * Maps a database error to Ripcord's kinds: unreachable (retry may help), forbidden (a permission is missing),
 * invalid (bad URL, no such database). The URL is never part of the message.
 */
export function dbError(err: unknown, what: string): RipcordError {
  if (err instanceof RipcordError) return err;
  const e = err as { code?: string; message?: string };
  const msg = `${what}: ${e.message ?? String(err)}`;
  if (e.code && UNREACHABLE.has(e.code)) return new RipcordError('unreachable', msg, { cause: err });
  if (/timeout/i.test(e.message ?? '')) return new RipcordError('unreachable', msg, { cause: err });
  if (e.code === '42501') return new RipcordError('forbidden', msg, { cause: err });
  if (e.code === '28P01' || e.code === '28000' || e.code === '3D000') {
    return new RipcordError('invalid', msg, { cause: err });
  }
  return new RipcordError('failed', msg, { cause: err });
}
