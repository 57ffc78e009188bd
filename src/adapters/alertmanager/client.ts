/**
 * The Alertmanager client (`GET /api/v2/alerts`) over the shared JSON helper (../http/get-json.ts): what the
 * recovery check asks ("is anything still firing for this service?") and what the sandbox and tests wait on.
 * Errors are the helper's: no answer → unreachable, 401/403 → forbidden, 400/404 (a wrong URL) → invalid,
 * 429/5xx → unreachable and retryable, a body that is no list of alerts → invalid.
 */
import { getJson } from '../http/get-json.js';
import { displayUrl } from '../http/no-answer.js';
import { GettableAlerts, type GettableAlert } from './schema.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface AlertsOptions {
  /** Default 10 000. */
  timeoutMs?: number;
  /** Cancels the request, e.g. when a rollback is aborted. */
  signal?: AbortSignal;
  /** Include alerts in these states; Alertmanager includes all when left out. */
  active?: boolean;
  silenced?: boolean;
  inhibited?: boolean;
  unprocessed?: boolean;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** Quotes a label value for an Alertmanager matcher, escaping what its parser treats specially. */
function quoteMatcher(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Lists alerts Alertmanager knows (`GET /api/v2/alerts`), optionally only those whose labels equal `filter`
 * (sent as `filter=name="value"` matchers, so Alertmanager does the matching).
 */
export async function alerts(
  amUrl: string,
  filter: Record<string, string> = {},
  opts: AlertsOptions = {},
): Promise<GettableAlert[]> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter))
    params.append('filter', `${name}=${quoteMatcher(value)}`);
  for (const key of ['active', 'silenced', 'inhibited', 'unprocessed'] as const) {
    const v = opts[key];
    if (v !== undefined) params.set(key, String(v));
  }
  const endpoint = `${amUrl.replace(/\/+$/, '')}/api/v2/alerts`;
  const qs = params.size > 0 ? `?${params.toString()}` : '';
  return getJson(`${endpoint}${qs}`, GettableAlerts, {
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: opts.signal,
    what: `Alertmanager GET ${displayUrl(endpoint)}`,
    notFound: 'invalid',
    fetch: opts.fetch,
  });
}
