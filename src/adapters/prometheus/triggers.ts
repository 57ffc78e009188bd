/**
 * Reads what the judges need from Prometheus: counts, P50 and memory series, shaped for src/core/judge. An empty
 * result becomes null ("no data", which the judges treat as inconclusive), never 0.
 */
import type { IntervalCounts, LatencyInterval, MemoryPoint } from '../../core/judge/index.js';
import type { PrometheusClient } from './client.js';
import {
  canSelect,
  errorCountQueries,
  evaluationShiftSeconds,
  latencyQueries,
  residentMemoryQuery,
  type TargetSelector,
  type WindowOptions,
} from './queries.js';

async function single(
  client: PrometheusClient,
  query: string,
  time: Date | undefined,
  shiftSeconds = 0,
): Promise<number | null> {
  const at = shiftSeconds > 0 ? new Date((time?.getTime() ?? Date.now()) - shiftSeconds * 1000) : time;
  const r = await client.instant(query, at);
  const v = r[0]?.value;
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/** 5xx and total requests in the window ending at `time` (now when left out). */
export async function readErrorCounts(
  client: PrometheusClient,
  sel: TargetSelector,
  w: WindowOptions,
  time?: Date,
): Promise<IntervalCounts> {
  if (!canSelect(sel)) return null;
  const q = errorCountQueries(sel, w);
  const shift = evaluationShiftSeconds(sel, w);
  const [requests, errors] = await Promise.all([
    single(client, q.requests, time, shift),
    single(client, q.errors, time, shift),
  ]);
  if (requests === null) return null;
  // No 5xx series at all is zero errors; increase() extrapolation can push errors a hair over requests.
  return { requests, errors: Math.min(errors ?? 0, requests) };
}

/** P50 (seconds) and its sample count in the window; p50 null when Prometheus has none (NaN or empty). */
export async function readP50(
  client: PrometheusClient,
  sel: TargetSelector,
  w: WindowOptions,
  time?: Date,
): Promise<{ p50: number | null; samples: number }> {
  const q = canSelect(sel) ? latencyQueries(sel, w) : undefined;
  // No histogram in the profile's series (or no release label): no P50, so the latency judge says no data.
  if (!q) return { p50: null, samples: 0 };
  const shift = evaluationShiftSeconds(sel, w);
  const [p50, samples] = await Promise.all([
    single(client, q.p50, time, shift),
    single(client, q.samples, time, shift),
  ]);
  return { p50, samples: samples ?? 0 };
}

/** A release's P50 against its baseline's, as one interval for judgeLatency. */
export async function readLatencyInterval(
  client: PrometheusClient,
  release: TargetSelector,
  baseline: { selector: TargetSelector; window: WindowOptions },
  w: WindowOptions,
  time?: Date,
): Promise<LatencyInterval> {
  const [r, b] = await Promise.all([
    readP50(client, release, w, time),
    readP50(client, baseline.selector, baseline.window, time),
  ]);
  return { p50: r.p50, baselineP50: b.p50, samples: r.samples, baselineSamples: b.samples };
}

/** Memory per pod over [start, end]; empty (no data) when the profile's series have none per pod. */
export async function readResidentMemory(
  client: PrometheusClient,
  sel: TargetSelector,
  start: Date,
  end: Date,
  stepSeconds: number,
): Promise<Map<string, MemoryPoint[]>> {
  const q = canSelect(sel) ? residentMemoryQuery(sel) : undefined;
  if (!q) return new Map();
  const series = await client.range(q.query, start, end, stepSeconds);
  return new Map(
    series.map(
      (s) => [s.metric[q.podLabel] ?? '', s.values.map((p) => ({ t: p.t, bytes: p.value }))] as const,
    ),
  );
}
