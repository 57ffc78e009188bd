import { ZodError } from 'zod';

/** Static message plus fields, so a log line can be grepped by message and read by machines. */
export type RouterLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** One JSON object per line on stdout: the sandbox appends it to logs/router.log. */
export function jsonLineLog(opts: { debug?: boolean } = {}): RouterLog {
  return (level, msg, fields) => {
    if (level === 'debug' && !opts.debug) return;
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
  };
}

/** For in-process tests that do not want router chatter. */
export const silentLog: RouterLog = () => {};

/** An error's code or message, short enough for a log field or a 502 body. */
export function errorText(err: unknown): string {
  if (err instanceof ZodError) {
    return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  }
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string' || typeof e.code === 'number') {
      return typeof e.message === 'string' && e.message !== '' ? `${e.code}: ${e.message}` : String(e.code);
    }
    if (typeof e.message === 'string') return e.message;
  }
  return String(err);
}
