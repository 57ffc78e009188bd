/**
 * One interval's observation of a release for the watch: its 5xx counts and P50 against the baseline, the
 * baseline's error rate, and memory since the rollout. Rolling deploys compare the new pods with the previous
 * ReplicaSet's pods in a window before the rollout began (PromQL `offset`).
 */
import type { IntervalCounts, LatencyInterval, MemoryPoint } from '../../core/judge/index.js';
import type { ReleaseUnderWatch } from '../../core/detect/release.js';
import type { PrometheusClient } from './client.js';
import type { TargetSelector } from './queries.js';
import { readErrorCounts, readLatencyInterval, readResidentMemory } from './triggers.js';

export interface SamplerOptions {
  /** Prometheus `app` label of the service's pods. */
  app: string;
  intervalSeconds: number;
  baselineWindowSeconds: number;
}

function selectors(r: ReleaseUnderWatch, o: SamplerOptions, now: Date) {
  const release: TargetSelector = { namespace: r.namespace, app: o.app, podTemplateHash: r.podTemplateHash };
  const sinceStart = Math.max(1, Math.round((now.getTime() - Date.parse(r.startedAt)) / 1000));
  const baseline = {
    // Before the rollout, the service was its previous ReplicaSet; without one, there is no baseline.
    selector: {
      namespace: r.namespace,
      app: o.app,
      podTemplateHash: r.previous?.podTemplateHash ?? '<none>',
    },
    window: { windowSeconds: o.baselineWindowSeconds, offsetSeconds: sinceStart },
  };
  return { release, baseline, sinceStart };
}

export async function sampleInterval(
  client: PrometheusClient,
  r: ReleaseUnderWatch,
  o: SamplerOptions,
  now: Date,
): Promise<{ errors: IntervalCounts; latency: LatencyInterval; queries: string[] }> {
  const { release, baseline, sinceStart } = selectors(r, o, now);
  // The first interval must not reach back before the rollout (the old pods had no such hash, so it is safe,
  // but the window would be mostly empty and understate the rate's support).
  const w = { windowSeconds: Math.max(1, Math.min(o.intervalSeconds, sinceStart)) };
  const [errors, latency] = await Promise.all([
    readErrorCounts(client, release, w, now),
    readLatencyInterval(client, release, baseline, w, now),
  ]);
  return {
    errors,
    latency,
    queries: [`namespace=${r.namespace} app=${o.app} pod_template_hash=${r.podTemplateHash}`],
  };
}

/** The previous ReplicaSet's 5xx share before the rollout; null when it had no traffic or no data. */
export async function baselineErrorRate(
  client: PrometheusClient,
  r: ReleaseUnderWatch,
  o: SamplerOptions,
  now: Date,
): Promise<number | null> {
  if (!r.previous) return null;
  const { baseline } = selectors(r, o, now);
  const c = await readErrorCounts(client, baseline.selector, baseline.window, now);
  return c && c.requests > 0 ? c.errors / c.requests : null;
}

export async function memorySinceStart(
  client: PrometheusClient,
  r: ReleaseUnderWatch,
  o: SamplerOptions,
  now: Date,
): Promise<Record<string, MemoryPoint[]>> {
  const { release } = selectors(r, o, now);
  const start = new Date(r.startedAt);
  if (now.getTime() - start.getTime() < 2_000) return {};
  const step = Math.max(1, Math.round(o.intervalSeconds / 2));
  return Object.fromEntries(await readResidentMemory(client, release, start, now, step));
}
