import { summarizeLatencies, type LatencySummary } from './percentiles.js';

/** What one load run did: counts by status and by serving version, network errors apart, latency. */
export interface LoadReport {
  url: string;
  rps: number;
  durationMs: number;
  elapsedMs: number;
  /** rps × duration: the most requests this run could send. */
  planned: number;
  sent: number;
  /** Due while the in-flight cap was reached: skipped, not queued, so the load stays open-loop. */
  skipped: number;
  reads: number;
  writes: number;
  /** Requests that got an HTTP response (any status). */
  responses: number;
  byStatus: Record<string, number>;
  /** By the `x-venue-version` response header; `(none)` when a response had none (e.g. a router 503). */
  byVersion: Record<string, number>;
  /** No HTTP response at all: refused, reset, timed out. */
  networkErrors: number;
  networkErrorsByCode: Record<string, number>;
  /** In flight when the signal stopped the run; neither a response nor an error. */
  aborted: number;
  /** Over requests that got a response, until their body was read. */
  latencyMs: LatencySummary;
  stoppedBy: 'deadline' | 'signal';
  /**
   * When the run started, as epoch ms (performance.timeOrigin + the monotonic start), so its relative times
   * can be laid against another process's wall-clock events (a rollback's journal, a kubectl exit).
   */
  startedAtEpochMs: number;
  /**
   * One entry per second, dense from second 0 to the last second a request that ended was sent in. A request
   * belongs to the second it was *sent* in and is counted when it ends, so a late answer still lands where the
   * routing decision was made; an empty second is one where nothing sent then was answered (a blackout), not a
   * gap in the data.
   */
  timeline: TimelineSecond[];
  /** By version: the latest send and the latest answer (ms since start) of any request that version answered. */
  lastSeen: Record<string, LastSeen>;
}

export interface TimelineSecond {
  /** floor(send time since start / 1000). */
  second: number;
  /** Responses by release, as in `byVersion` (5xx included: a 5xx from the bad release is still its answer). */
  byVersion: Record<string, number>;
  /** Network errors plus 5xx responses (so a 5xx is in both this and byVersion). */
  errors: number;
}

export interface LastSeen {
  lastSentMs: number;
  lastAnsweredMs: number;
}

/** How one request ended; `sentMs` is its send time in ms since the run started. */
export type RequestOutcome =
  | { kind: 'response'; status: number; version: string | null; sentMs: number; latencyMs: number }
  | { kind: 'network-error'; code: string; sentMs: number }
  | { kind: 'aborted' };

/** The header venue-service stamps on every response with its release. */
export const VERSION_HEADER = 'x-venue-version';
export const NO_VERSION = '(none)';

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Collects outcomes while a run goes; `report` can be taken at any time (for progress ticks too). */
export function createTally(meta: {
  url: string;
  rps: number;
  durationMs: number;
  planned: number;
  startedAtEpochMs: number;
}) {
  const latencies: number[] = [];
  const counts = {
    sent: 0,
    skipped: 0,
    reads: 0,
    writes: 0,
    responses: 0,
    networkErrors: 0,
    aborted: 0,
  };
  const byStatus: Record<string, number> = {};
  const byVersion: Record<string, number> = {};
  const networkErrorsByCode: Record<string, number> = {};
  const seconds = new Map<number, { byVersion: Record<string, number>; errors: number }>();
  const lastSeen: Record<string, LastSeen> = {};
  const secondOf = (sentMs: number) => {
    const second = Math.max(0, Math.floor(sentMs / 1000));
    let s = seconds.get(second);
    if (!s) seconds.set(second, (s = { byVersion: {}, errors: 0 }));
    return s;
  };
  const timeline = (): TimelineSecond[] => {
    const last = Math.max(-1, ...seconds.keys());
    return Array.from({ length: last + 1 }, (_, second) => {
      const s = seconds.get(second);
      return { second, byVersion: { ...s?.byVersion }, errors: s?.errors ?? 0 };
    });
  };
  return {
    sent(write: boolean): void {
      counts.sent++;
      if (write) counts.writes++;
      else counts.reads++;
    },
    skipped(): void {
      counts.skipped++;
    },
    record(outcome: RequestOutcome): void {
      if (outcome.kind === 'aborted') {
        counts.aborted++;
      } else if (outcome.kind === 'network-error') {
        counts.networkErrors++;
        bump(networkErrorsByCode, outcome.code);
        secondOf(outcome.sentMs).errors++;
      } else {
        const version = outcome.version ?? NO_VERSION;
        counts.responses++;
        bump(byStatus, String(outcome.status));
        bump(byVersion, version);
        latencies.push(outcome.latencyMs);
        const s = secondOf(outcome.sentMs);
        bump(s.byVersion, version);
        if (outcome.status >= 500) s.errors++;
        // Tracked apart: a slow request sent earlier can be answered after a later one.
        const answeredMs = outcome.sentMs + outcome.latencyMs;
        const seen = lastSeen[version];
        lastSeen[version] = {
          lastSentMs: Math.max(seen?.lastSentMs ?? -Infinity, outcome.sentMs),
          lastAnsweredMs: Math.max(seen?.lastAnsweredMs ?? -Infinity, answeredMs),
        };
      }
    },
    report(elapsedMs: number, stoppedBy: LoadReport['stoppedBy']): LoadReport {
      return {
        ...meta,
        elapsedMs,
        ...counts,
        byStatus: { ...byStatus },
        byVersion: { ...byVersion },
        networkErrorsByCode: { ...networkErrorsByCode },
        latencyMs: summarizeLatencies(latencies),
        stoppedBy,
        timeline: timeline(),
        lastSeen: Object.fromEntries(Object.entries(lastSeen).map(([v, l]) => [v, { ...l }])),
      };
    },
  };
}

const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

function countsLine(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}: ${v}`).join('  ');
}

/** `0s  v1.2.2: 40  v1.2.3: 10  errors 1`, one line per second; `-` for a second where nothing ended. */
export function formatTimeline(r: Pick<LoadReport, 'timeline' | 'lastSeen'>): string {
  const width = String(Math.max(0, r.timeline.length - 1)).length;
  const lines = r.timeline.map((s) => {
    const counts = Object.keys(s.byVersion).length === 0 && s.errors === 0 ? '-' : countsLine(s.byVersion);
    return `    ${String(s.second).padStart(width)}s  ${counts}${s.errors > 0 ? `  errors ${s.errors}` : ''}`;
  });
  const last = Object.entries(r.lastSeen)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([v, l]) =>
        `    ${v}: last sent at ${(l.lastSentMs / 1000).toFixed(2)} s, last answered at ${(l.lastAnsweredMs / 1000).toFixed(2)} s`,
    );
  return ['  timeline  (by the second a request was sent)', ...lines, '  last seen', ...last].join('\n');
}

/** The report as the CLI prints it; the per-second timeline only when asked (it is a line per second). */
export function formatLoadReport(r: LoadReport, opts: { timeline?: boolean } = {}): string {
  const lines = [
    `load: ${r.sent} requests in ${(r.elapsedMs / 1000).toFixed(1)} s against ${r.url} ` +
      `(planned ${r.planned} at ${r.rps} rps, ${r.skipped} skipped, stopped by ${r.stoppedBy})`,
    `  reads ${r.reads}  writes ${r.writes}`,
    `  status    ${countsLine(r.byStatus)}`,
    `  versions  ${countsLine(r.byVersion)}`,
    `  network errors ${r.networkErrors}${r.networkErrors > 0 ? `  (${countsLine(r.networkErrorsByCode)})` : ''}` +
      (r.aborted > 0 ? `  aborted ${r.aborted}` : ''),
    r.latencyMs.count === 0
      ? '  latency   no responses'
      : `  latency   p50 ${ms(r.latencyMs.p50)} ms  p90 ${ms(r.latencyMs.p90)} ms  p99 ${ms(r.latencyMs.p99)} ms  max ${ms(r.latencyMs.max)} ms`,
  ];
  if (opts.timeline) lines.push(formatTimeline(r));
  return lines.join('\n');
}
