/**
 * PromQL for the runbook's application triggers, on the sandbox's labels: target labels namespace, app, pod and
 * pod_template_hash (from file_sd, as the sandbox kubelet writes them; in a cluster, the usual pod relabelling),
 * and the app metrics http_requests_total{method,route,status}, http_request_duration_seconds_bucket and
 * process_resident_memory_bytes. Selecting by pod_template_hash splits a canary from its stable baseline.
 */

export interface TargetSelector {
  namespace: string;
  app: string;
  /** One ReplicaSet's pods (canary or baseline), or several; all pods of the app when left out. */
  podTemplateHash?: string | readonly string[];
}

export interface WindowOptions {
  /** Range of increase()/rate(), in seconds: the judge's interval. */
  windowSeconds: number;
  /** Look this far back (PromQL `offset`): the pre-rollout baseline of a rolling deploy. */
  offsetSeconds?: number;
}

/** A PromQL double-quoted string literal. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `namespace="…",app="…"[,pod_template_hash=…]` plus any extra matchers, for use inside `{}`. */
export function labelMatchers(sel: TargetSelector, extra: readonly string[] = []): string {
  const m = [`namespace=${quote(sel.namespace)}`, `app=${quote(sel.app)}`];
  const hash = sel.podTemplateHash;
  if (typeof hash === 'string') m.push(`pod_template_hash=${quote(hash)}`);
  else if (hash && hash.length > 0) m.push(`pod_template_hash=~${quote(hash.map(escapeRegex).join('|'))}`);
  return [...m, ...extra].join(',');
}

function range(w: WindowOptions): string {
  const seconds = Math.round(w.windowSeconds);
  if (!(seconds > 0)) throw new RangeError(`window must be at least 1s, got ${w.windowSeconds}`);
  const off = w.offsetSeconds && w.offsetSeconds > 0 ? ` offset ${Math.round(w.offsetSeconds)}s` : '';
  return `[${seconds}s]${off}`;
}

/**
 * 5xx and total requests over the window. Kept as two queries (not one ratio) because the SPRT needs counts, and
 * a ratio hides whether it came from 10 requests or 10 000. The errors query is empty, not 0, when no 5xx series
 * exists yet (client libraries create a status label value on first use); readers treat that as 0 errors.
 */
export function errorCountQueries(
  sel: TargetSelector,
  w: WindowOptions,
): { errors: string; requests: string } {
  return {
    errors: `sum(increase(http_requests_total{${labelMatchers(sel, ['status=~"5.."'])}}${range(w)}))`,
    requests: `sum(increase(http_requests_total{${labelMatchers(sel)}}${range(w)}))`,
  };
}

/** P50 latency (seconds) by histogram_quantile over the window, and how many requests it is based on. */
export function latencyQueries(sel: TargetSelector, w: WindowOptions): { p50: string; samples: string } {
  return {
    p50: `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{${labelMatchers(sel)}}${range(w)})))`,
    samples: `sum(increase(http_request_duration_seconds_count{${labelMatchers(sel)}}${range(w)}))`,
  };
}

/** Resident memory per pod, for a range query over the bake window. */
export function residentMemoryQuery(sel: TargetSelector): string {
  return `sum by (pod) (process_resident_memory_bytes{${labelMatchers(sel)}})`;
}
