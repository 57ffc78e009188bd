/**
 * One interval's observation of a release for the watch: its 5xx counts and P50 against the baseline, the
 * baseline's error rate, and memory since the rollout. Rolling deploys compare the new pods with the previous
 * ReplicaSet's pods in a window before the rollout began (PromQL `offset`), blue-green the new colour with the
 * old one before the switch, and a canary its pods with the stable pods over the same window.
 */
import type { IntervalCounts, LatencyInterval, MemoryPoint } from '../../core/judge/index.js';
import { simultaneousBaseline, type ReleaseUnderWatch } from '../../core/detect/release.js';
import type { PrometheusClient } from './client.js';
import type { MetricProfile } from './profiles/index.js';
import type { TargetSelector } from './queries.js';
import { readErrorCounts, readLatencyInterval, readResidentMemory } from './triggers.js';

export interface SamplerOptions {
  /** Prometheus `app` label of the service's pods. */
  app: string;
  /** Whose series (detect.metrics): prom-client when left out. */
  profile?: MetricProfile;
  /** The Deployment's name (its pods' names start with it). */
  deployment?: string;
  intervalSeconds: number;
  baselineWindowSeconds: number;
}

function selectors(r: ReleaseUnderWatch, o: SamplerOptions, now: Date) {
  const profile = {
    ...(o.profile ? { profile: o.profile } : {}),
    ...(o.deployment ? { deployment: o.deployment } : {}),
  };
  const release: TargetSelector = {
    namespace: r.namespace,
    app: o.app,
    podTemplateHash: r.podTemplateHash,
    ...profile,
  };
  const sinceStart = Math.max(1, Math.round((now.getTime() - Date.parse(r.startedAt)) / 1000));
  const simultaneous = simultaneousBaseline(r);
  const baseline = {
    // Before the rollout the service was its previous ReplicaSet (rolling) or the other colour (blue-green);
    // a canary's baseline is the stable pods now. Without one, there is no baseline.
    selector: {
      namespace: r.namespace,
      app: o.app,
      podTemplateHash: r.previous?.podTemplateHash ?? '<none>',
      ...profile,
    },
    window: { windowSeconds: o.baselineWindowSeconds, offsetSeconds: simultaneous ? 0 : sinceStart },
  };
  return { release, baseline, sinceStart, simultaneous };
}

/**
 * Windows shorter than a few scrape intervals give increase()/rate() fewer than two samples, and so no answer:
 * P50 is read over at least this long, sliding.
 */
const MIN_RATE_WINDOW_SECONDS = 10;

/**
 * 5xx and request counts since the rollout began (cumulative), and the P50 of the last interval against the
 * baseline's. The watch turns consecutive cumulative counts into per-interval counts, so a short interval
 * never asks Prometheus for a window too narrow to hold two scrapes.
 */
export async function sampleInterval(
  client: PrometheusClient,
  r: ReleaseUnderWatch,
  o: SamplerOptions,
  now: Date,
): Promise<{ cumulative: IntervalCounts; latency: LatencyInterval }> {
  const { release, baseline, sinceStart, simultaneous } = selectors(r, o, now);
  const latencyWindow = { windowSeconds: Math.max(o.intervalSeconds, MIN_RATE_WINDOW_SECONDS) };
  // A canary's P50 is compared with the stable pods' over the very same window; a rolling or blue-green
  // release's with the baseline window before it began.
  const latencyBaseline = simultaneous ? { ...baseline, window: latencyWindow } : baseline;
  const [cumulative, latency] = await Promise.all([
    readErrorCounts(client, release, { windowSeconds: sinceStart }, now),
    readLatencyInterval(client, release, latencyBaseline, latencyWindow, now),
  ]);
  return { cumulative, latency };
}

/** This interval's counts from two cumulative readings (increase() extrapolates, so clamp at zero). */
export function intervalFromCumulative(prev: IntervalCounts, cur: IntervalCounts): IntervalCounts {
  if (cur === null) return null;
  if (prev === null) return cur;
  const requests = Math.max(0, cur.requests - prev.requests);
  return { requests, errors: Math.min(requests, Math.max(0, cur.errors - prev.errors)) };
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
