/**
 * The system error code (ECONNREFUSED, ETIMEDOUT, ...) behind a fetch failure. undici wraps it in `cause`,
 * sometimes twice, so walk a few levels down.
 */
export function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
