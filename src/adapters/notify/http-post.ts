/**
 * One notification POST with timeouts and retries (retry.ts). Never throws: the outcome says what happened.
 * The URL is a secret (a Slack webhook's path is its credential), so no message here ever contains it; upstream
 * error texts are redacted of every secret before they are kept.
 */
import { causeCode } from '../http/cause-code.js';
import { deadlineSignal } from '../http/deadline-signal.js';
import { redactSecrets, type Secret } from '../../core/notify/secret.js';
import { retryDecision, parseRetryAfter, type RetryPolicy } from './retry.js';

export interface PostDeps {
  fetch?: typeof fetch;
  /** Injected for tests; resolves early when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface PostRequest {
  url: Secret;
  body: unknown;
  headers?: Record<string, Secret>;
  timeoutMs: number;
  policy: RetryPolicy;
  /** Every secret the request carries (URL, keys, header values), for redaction. */
  secrets: readonly Secret[];
  signal?: AbortSignal;
}

/** The last answer (or its absence) and how many attempts it took. */
export interface PostResult {
  ok: boolean;
  status?: number;
  /** The response body as text (cut at 2000 characters, redacted). */
  body?: string;
  attempts: number;
  /** Why it failed, in one line without secrets. */
  error?: string;
  ms: number;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export async function postJson(req: PostRequest, deps: PostDeps = {}): Promise<PostResult> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const t0 = now();
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k] = v.reveal();
  const payload = JSON.stringify(req.body);
  const clean = (s: string): string => redactSecrets(s, req.secrets);

  for (let attempt = 1; ; attempt++) {
    let status: number | undefined;
    let body: string | undefined;
    let retryAfterMs: number | undefined;
    let failure: string | undefined;
    try {
      const res = await doFetch(req.url.reveal(), {
        method: 'POST',
        headers,
        body: payload,
        signal: deadlineSignal(req.timeoutMs, req.signal),
        redirect: 'error',
      });
      status = res.status;
      body = clean((await res.text()).slice(0, 2000));
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now());
    } catch (err) {
      const name = (err as { name?: unknown }).name;
      failure =
        name === 'TimeoutError'
          ? `no answer within ${req.timeoutMs}ms`
          : name === 'AbortError'
            ? 'aborted'
            : `no answer (${causeCode(err) ?? 'network error'})`;
    }
    const decision = retryDecision(req.policy, attempt, status, retryAfterMs, random());
    const base = {
      attempts: attempt,
      ...(status !== undefined ? { status } : {}),
      ...(body !== undefined ? { body } : {}),
    };
    if (status !== undefined && status >= 200 && status < 300) return { ok: true, ...base, ms: now() - t0 };
    if (!decision.retry || req.signal?.aborted) {
      const what = failure ?? `HTTP ${status}${body ? ` ${oneLine(body)}` : ''}`;
      const error = clean(`${what}${decision.retry ? '' : `; ${decision.why}`}`);
      return { ok: false, ...base, error, ms: now() - t0 };
    }
    await sleep(decision.delayMs, req.signal);
  }
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}
