/**
 * What a 429 asks of a client, for the flag services' management APIs (LaunchDarkly, ConfigCat): how long to
 * wait, read from the answer's headers, and one bounded wait that the run's AbortSignal ends.
 *
 * - `Retry-After` (RFC 9110 §10.2.3): seconds, or an HTTP date. ConfigCat and LaunchDarkly both send it.
 * - `X-Ratelimit-Reset` (LaunchDarkly, "Rate limiting" in its API docs): the epoch time in milliseconds at
 *   which the current window ends.
 * An incident's rollback cannot wait out a long window: a wait longer than the caller's bound is not waited
 * but reported (the caller's error names when the limit resets), so the person can decide.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';

/** Milliseconds the answer asks the client to wait before retrying; undefined when no header says. */
export function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const after = headers.get('retry-after')?.trim();
  if (after) {
    if (/^\d+$/.test(after)) return Number(after) * 1000;
    const at = Date.parse(after);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number(reset) - nowMs);
  return undefined;
}

/** The wait in words, for messages: "1.5 s", or "an unknown time" when the server did not say. */
export function describeWait(ms: number | undefined): string {
  return ms === undefined ? 'an unknown time' : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** Waits `ms`, ended early (AbortedError) by the signal. */
export async function waitOut(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw new AbortedError(`stopped while rate limited: ${abortReason(signal)}`);
    throw err;
  }
}

/**
 * Sends until the answer is not a 429, waiting out each 429 that asks for at most `maxWaitMs` (`retries` times at
 * most). A 429 that asks longer, says nothing, or comes once too often is an 'unreachable' error (retryable)
 * naming when the limit resets.
 */
export async function sendWithinRateLimit<A extends { status: number; headers: Headers }>(
  send: () => Promise<A>,
  o: { maxWaitMs: number; retries: number; signal?: AbortSignal; where: string; action: string },
): Promise<A> {
  for (let attempt = 0; ; attempt++) {
    const a = await send();
    if (a.status !== 429) return a;
    const waitMs = retryAfterMs(a.headers, Date.now());
    if (attempt < o.retries && waitMs !== undefined && waitMs <= o.maxWaitMs) {
      await waitOut(waitMs, o.signal);
      continue;
    }
    const tooLong = waitMs !== undefined && waitMs > o.maxWaitMs;
    throw new RipcordError(
      'unreachable',
      `${o.where}: rate limited (HTTP 429) while trying to ${o.action}; the limit resets in ${describeWait(waitMs)}` +
        (tooLong ? ` (longer than the ${o.maxWaitMs / 1000} s Ripcord waits)` : ''),
      { retryable: true },
    );
  }
}
