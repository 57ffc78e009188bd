/**
 * When to try a notification again (PagerDuty's documented retry table; Slack's rate limit): 429 after its
 * Retry-After (seconds or an HTTP date), 5xx and "no answer" with exponential backoff and jitter, never on any
 * other 4xx (the request itself is wrong: sending it again cannot help).
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff; doubled on each retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After above this is not waited for: a notification must not hold the CLI for minutes. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type RetryDecision = { retry: true; delayMs: number; why: string } | { retry: false; why: string };

/**
 * After attempt number `attempt` (1-based) ended with `status` (undefined: no answer), whether and when to
 * try again. `random` in [0, 1) spreads the backoff (full jitter on the upper half).
 */
export function retryDecision(
  p: RetryPolicy,
  attempt: number,
  status: number | undefined,
  retryAfterMs: number | undefined,
  random: number,
): RetryDecision {
  if (status !== undefined && status >= 200 && status < 300) return { retry: false, why: 'delivered' };
  const retriable = status === undefined || status === 429 || status >= 500;
  if (!retriable) return { retry: false, why: 'not retried' };
  if (attempt > p.retries) return { retry: false, why: `gave up after ${attempt} attempts` };
  if (status === 429 && retryAfterMs !== undefined) {
    if (retryAfterMs > p.maxRetryAfterMs)
      return {
        retry: false,
        why: `rate limited; Retry-After ${Math.round(retryAfterMs / 1000)}s is above the ${Math.round(p.maxRetryAfterMs / 1000)}s cap`,
      };
    return { retry: true, delayMs: retryAfterMs, why: 'Retry-After' };
  }
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
  return { retry: true, delayMs: Math.round(exp / 2 + (exp / 2) * random), why: 'backoff' };
}
