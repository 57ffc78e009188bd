/**
 * PromQL for the runbook's application triggers, through a metric profile (profiles/): which series hold the
 * requests, the 5xx, the latency histogram and the memory, and which labels select the service, a pod and a
 * release. The default profile is prom-client on the sandbox's target labels (namespace, app, pod and
 * pod_template_hash from file_sd, as the sandbox kubelet writes them; in a cluster, the usual pod relabelling).
 * Selecting by the release label splits a canary from its stable baseline.
 */
import { PROM_CLIENT, type MetricProfile, type ProfileSeries } from './profiles/index.js';

export interface TargetSelector {
  namespace: string;
  /** The service's workload label value (`detect.app`, default the Deployment's name). */
  app: string;
  /** One ReplicaSet's pods (canary or baseline), or several; all pods of the app when left out. */
  podTemplateHash?: string | readonly string[];
  /** The Deployment's name, which its pods' names start with (releaseBy pod-name); `app` when left out. */
  deployment?: string;
  /** Whose series and labels: prom-client when left out. */
  profile?: MetricProfile;
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

const profileOf = (sel: TargetSelector): MetricProfile => sel.profile ?? PROM_CLIENT;

/**
 * Whether the profile's series can answer for this selector: a release (pod template hash) needs a release
 * label, which an ingress controller's series do not have. Readers answer "no data" otherwise, never the whole
 * service's numbers as the release's.
 */
export function canSelect(sel: TargetSelector): boolean {
  if (hashes(sel).length === 0) return true;
  const p = profileOf(sel);
  // The team's queries select a release only through {{pods}}.
  if (p.custom?.requests) return p.custom.requests.includes('{{pods}}');
  return (p.releaseBy ?? 'label') === 'label' ? p.labels.release !== undefined : p.labels.pod !== undefined;
}

const hashes = (sel: TargetSelector): readonly string[] =>
  typeof sel.podTemplateHash === 'string' ? [sel.podTemplateHash] : (sel.podTemplateHash ?? []);

/** `"h"` or `~"h1|h2"` after a label name. */
const oneOf = (values: readonly string[]): string =>
  values.length === 1 ? `=${quote(values[0] ?? '')}` : `=~${quote(values.map(escapeRegex).join('|'))}`;

/** The service's matchers (namespace, workload[, release], the profile's scope) plus `extra`, for inside `{}`. */
export function labelMatchers(sel: TargetSelector, extra: readonly string[] = []): string {
  const p = profileOf(sel);
  const m = [`${p.labels.namespace}=${quote(sel.namespace)}`, `${p.labels.workload}=${quote(sel.app)}`];
  const h = hashes(sel);
  const by = p.releaseBy ?? 'label';
  if (h.length > 0 && by === 'label' && p.labels.release) m.push(`${p.labels.release}${oneOf(h)}`);
  if (h.length > 0 && by === 'pod-name' && p.labels.pod) {
    // A Deployment's pods are DEPLOYMENT-HASH-xxxxx (the ReplicaSet's name and a random suffix).
    m.push(`${p.labels.pod}=~${quote(podsRegex(sel))}`);
  }
  return [...m, ...(p.scope ?? []), ...extra].join(',');
}

/**
 * releaseBy kube-state-metrics: ` * on (pod) group_left() …kube_pod_labels{…}`, keeping only the series of
 * the release's pods (kube_pod_labels is 1 for each pod, with its labels as label_*), over the same window
 * and offset as the series it is joined to. Empty otherwise.
 */
function releaseJoin(sel: TargetSelector, w?: WindowOptions): string {
  const p = profileOf(sel);
  const h = hashes(sel);
  const pod = p.labels.pod;
  if (h.length === 0 || p.releaseBy !== 'kube-state-metrics' || !pod) return '';
  const ksm = `kube_pod_labels{namespace=${quote(sel.namespace)},label_pod_template_hash${oneOf(h)}}`;
  const over = w ? `max_over_time(${ksm}${range(w)})` : ksm;
  const renamed = pod === 'pod' ? over : `label_replace(${over}, ${quote(pod)}, "$1", "pod", "(.+)")`;
  return ` * on (${pod}) group_left() max by (${pod}) (${renamed})`;
}

/** `fn(metric{…}[w] offset …)` for the selector, joined to the release's pods when kube-state-metrics says which. */
function windowed(
  fn: 'increase' | 'rate',
  metric: string,
  sel: TargetSelector,
  extra: readonly string[],
  w: WindowOptions,
): string {
  const v = `${fn}(${metric}{${labelMatchers(sel, extra)}}${range(w)})`;
  const join = releaseJoin(sel, w);
  return join ? `(${v}${join})` : v;
}

function range(w: WindowOptions): string {
  const seconds = Math.round(w.windowSeconds);
  if (!(seconds > 0)) throw new RangeError(`window must be at least 1s, got ${w.windowSeconds}`);
  const off = w.offsetSeconds && w.offsetSeconds > 0 ? ` offset ${Math.round(w.offsetSeconds)}s` : '';
  return `[${seconds}s]${off}`;
}

/** A DNS-1123 name as a regex, escaped for inside a PromQL double-quoted string. */
const inString = (s: string): string => JSON.stringify(s).slice(1, -1);

/** The release's pods (or all the service's) as a regex of pod names: DEPLOYMENT-HASH-xxxxx. */
function podsRegex(sel: TargetSelector): string {
  const dep = escapeRegex(sel.deployment ?? sel.app);
  const h = hashes(sel);
  return h.length > 0
    ? `(?:${h.map((x) => `${dep}-${escapeRegex(x)}`).join('|')})-[a-z0-9]+`
    : `${dep}-[a-z0-9]+-[a-z0-9]+`;
}

/** A custom query with its placeholders filled in (config load refused any other placeholder). */
export function fillTemplate(template: string, sel: TargetSelector, w?: WindowOptions): string {
  const values: Record<string, string> = {
    namespace: inString(sel.namespace),
    service: inString(sel.app),
    pods: inString(podsRegex(sel)),
    window: w ? `${Math.round(w.windowSeconds)}s` : '',
  };
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => values[k] ?? m);
}

/**
 * How much earlier a query must be evaluated: the team's queries have no `offset` of ours in them, so a window
 * before the rollout is read at (time - offset) instead; the profile's queries carry the offset themselves.
 */
export function evaluationShiftSeconds(sel: TargetSelector, w: WindowOptions): number {
  return profileOf(sel).custom && w.offsetSeconds ? Math.round(w.offsetSeconds) : 0;
}

/** `q(current) or q(legacy)`: the older names are read only when the current ones have no series. */
function eitherGeneration(p: MetricProfile, q: (s: ProfileSeries) => string | undefined): string | undefined {
  const now = q(p);
  const before = p.legacy ? q(p.legacy) : undefined;
  return now && before ? `(${now}) or (${before})` : (now ?? before);
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
  const p = profileOf(sel);
  if (p.custom?.errors && p.custom.requests) {
    return {
      errors: fillTemplate(p.custom.errors, sel, w),
      requests: fillTemplate(p.custom.requests, sel, w),
    };
  }
  const count = (s: ProfileSeries, extra: readonly string[]) =>
    `sum(${windowed('increase', s.requests, sel, extra, w)})`;
  return {
    errors: eitherGeneration(p, (s) => count(s, s.errorMatchers)) ?? '',
    requests: eitherGeneration(p, (s) => count(s, [])) ?? '',
  };
}

/**
 * P50 latency (seconds) by histogram_quantile over the window, and how many requests it is based on; undefined
 * when the profile has no latency histogram.
 */
export function latencyQueries(
  sel: TargetSelector,
  w: WindowOptions,
): { p50: string; samples: string } | undefined {
  const p = profileOf(sel);
  if (p.custom?.p50 && p.custom.samples) {
    return { p50: fillTemplate(p.custom.p50, sel, w), samples: fillTemplate(p.custom.samples, sel, w) };
  }
  const p50 = eitherGeneration(p, (s) => {
    if (!s.latency) return undefined;
    const q = `histogram_quantile(0.5, sum by (le) (${windowed('rate', s.latency.bucket, sel, [], w)}))`;
    return s.latency.toSeconds === 1 ? q : `${q} * ${s.latency.toSeconds}`;
  });
  const samples = eitherGeneration(p, (s) =>
    s.latency ? `sum(${windowed('increase', s.latency.count, sel, [], w)})` : undefined,
  );
  return p50 && samples ? { p50, samples } : undefined;
}

/**
 * Memory per pod (bytes), for a range query over the bake window, with the label that names the pod; undefined
 * when the profile's series have no memory per pod.
 */
export function residentMemoryQuery(sel: TargetSelector): { query: string; podLabel: string } | undefined {
  const p = profileOf(sel);
  if (p.custom?.memory) return { query: fillTemplate(p.custom.memory, sel), podLabel: 'pod' };
  const pod = p.labels.pod;
  if (!p.memory || !pod) return undefined;
  return {
    query: `sum by (${pod}) (${p.memory.metric}{${labelMatchers(sel, p.memory.matchers ?? [])}}${releaseJoin(sel)})`,
    podLabel: pod,
  };
}
