/**
 * What every HTTP client says when a server does not answer: one 'unreachable' RipcordError whose message is
 * the caller's name for the call (server and URL, never credentials) and why: a timeout, the caller's signal,
 * or the system error behind undici's "fetch failed". Shared by the JSON clients (get-json.ts) and the probe.
 */
import { RipcordError } from '../../core/errors.js';
import { causeCode } from './cause-code.js';

/** The URL without user:password, for messages (health and API URLs sometimes carry basic auth). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

// undici wraps the real reason: TypeError('fetch failed', { cause: Error('unexpected redirect') }).
function causeMessage(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : 'no answer';
}

export interface NoAnswerContext {
  /** Starts the message, e.g. `Vault GET https://vault:8200/v1/secret/data/x`. */
  what: string;
  timeoutMs: number;
  /** The caller's signal, if any: when it is aborted, the request was abandoned rather than timed out. */
  signal?: AbortSignal;
}

/** The error for a request that got no HTTP answer (fetch threw). */
export function noAnswer(err: unknown, ctx: NoAnswerContext): RipcordError {
  const name = (err as { name?: unknown }).name;
  const why =
    name === 'TimeoutError'
      ? `timed out after ${ctx.timeoutMs}ms`
      : ctx.signal?.aborted
        ? 'was abandoned: the caller stopped'
        : name === 'AbortError'
          ? `timed out after ${ctx.timeoutMs}ms`
          : `failed (${causeCode(err) ?? causeMessage(err)})`;
  return new RipcordError('unreachable', `${ctx.what} ${why}`, { cause: err });
}
