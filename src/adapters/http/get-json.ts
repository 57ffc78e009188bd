/**
 * The one way Ripcord's HTTP clients (Prometheus, Alertmanager, Vault, Unleash) ask a server for JSON: a
 * timeout per request plus the caller's signal, the body parsed and validated with zod, and one mapping of
 * what went wrong to a RipcordError (statusKind below, and noAnswer for "no answer at all"). Clients that have
 * their own words for an HTTP status (Vault names the capability a token lacks, Unleash where the token came
 * from) take every answer back with `anyStatus` and still get the kind from statusKind.
 */
import type { z } from 'zod';
import { RipcordError, type ErrorKind } from '../../core/errors.js';
import { deadlineSignal } from './deadline-signal.js';
import { displayUrl, noAnswer } from './no-answer.js';

export interface GetJsonOptions {
  /** Per request. */
  timeoutMs: number;
  /** The caller's: aborting it ends the request at once ("was abandoned: the caller stopped"). */
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /**
   * How every message names this call: the server and its URL, without credentials. Defaults to
   * `<METHOD> <url without user:password>`.
   */
  what?: string;
  /** A 404 means the thing asked for does not exist (bad input or config): 'invalid' instead of 'failed'. */
  notFound?: 'invalid';
  /**
   * Return non-2xx answers too, when their body matches the schema: for APIs that explain errors in JSON
   * (Prometheus) and callers with their own message per status (Vault, Unleash). An answer the schema does not
   * describe is still an error, by its status.
   */
  anyStatus?: boolean;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface RequestJsonOptions extends GetJsonOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON, with Content-Type application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (long PromQL never hits URL length limits). */
  form?: URLSearchParams;
}

export interface JsonAnswer<T> {
  status: number;
  /** The answer's headers (rate limits: Retry-After, X-Ratelimit-Reset). */
  headers: Headers;
  /** The validated body; an empty or non-JSON body is validated as `undefined`. */
  data: T;
}

/**
 * The kind of error an HTTP status is, for every client:
 *   401, 403          forbidden    the server answered and denied us; retrying will not help
 *   400               invalid      our request (from config or input) is wrong
 *   404               invalid when the caller says a 404 means "no such thing", else failed
 *   429, 5xx          unreachable  retryable: rate limited, sealed, starting, overloaded
 *   anything else     failed
 */
export function statusKind(status: number, notFound?: 'invalid'): { kind: ErrorKind; retryable: boolean } {
  if (status === 401 || status === 403) return { kind: 'forbidden', retryable: false };
  if (status === 400 || (status === 404 && notFound === 'invalid'))
    return { kind: 'invalid', retryable: false };
  if (status === 429 || status >= 500) return { kind: 'unreachable', retryable: true };
  return { kind: 'failed', retryable: false };
}

/** The RipcordError for an HTTP status the caller did not expect, by statusKind. */
export function statusError(status: number, what: string, notFound?: 'invalid'): RipcordError {
  const { kind, retryable } = statusKind(status, notFound);
  const note =
    kind === 'forbidden'
      ? ' (access denied: check the credentials and their permissions)'
      : status === 404
        ? ' (not found)'
        : '';
  return new RipcordError(kind, `${what} answered HTTP ${status}${note}`, { retryable });
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** One request; the answer validated with `schema`. Errors: see statusKind and noAnswer. */
export async function requestJson<S extends z.ZodType>(
  url: string,
  schema: S,
  opts: RequestJsonOptions,
): Promise<JsonAnswer<z.output<S>>> {
  const what = opts.what ?? `${opts.method} ${displayUrl(url)}`;
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  let body: string | URLSearchParams | undefined;
  if (opts.json !== undefined) {
    // A caller may name a JSON media type with parameters (LaunchDarkly's semantic patch); default plain JSON.
    headers['Content-Type'] ??= 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form;
  }
  let res: Response;
  let text: string;
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: opts.method,
      headers,
      body,
      signal: deadlineSignal(opts.timeoutMs, opts.signal),
      // A redirect could carry the token elsewhere, or turn a POST into a GET: none of these APIs redirect.
      redirect: 'error',
    });
    text = await res.text();
  } catch (err) {
    throw noAnswer(err, { what, timeoutMs: opts.timeoutMs, signal: opts.signal });
  }

  let json: unknown;
  let notJson = false;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      notJson = true;
    }
  }
  const ok = res.status >= 200 && res.status < 300;
  if (!ok && !opts.anyStatus) throw statusError(res.status, what, opts.notFound);
  const parsed = schema.safeParse(json);
  if (parsed.success) return { status: res.status, headers: res.headers, data: parsed.data };
  if (!ok) throw statusError(res.status, what, opts.notFound);
  // The server answered 2xx, but not in the documented shape: retrying will not change that.
  throw new RipcordError(
    'invalid',
    notJson
      ? `${what} answered HTTP ${res.status} with a body that is not JSON`
      : `${what} answered HTTP ${res.status} in an unexpected shape: ${issues(parsed.error)}`,
    { cause: parsed.error },
  );
}

/** A GET that must answer 2xx with a body matching `schema`; returns that body. */
export async function getJson<S extends z.ZodType>(
  url: string,
  schema: S,
  opts: GetJsonOptions,
): Promise<z.output<S>> {
  return (await requestJson(url, schema, { ...opts, method: 'GET' })).data;
}
