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
}

/** How one request ended. */
export type RequestOutcome =
  | { kind: 'response'; status: number; version: string | null; latencyMs: number }
  | { kind: 'network-error'; code: string }
  | { kind: 'aborted' };

/** The header venue-service stamps on every response with its release. */
export const VERSION_HEADER = 'x-venue-version';
export const NO_VERSION = '(none)';

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Collects outcomes while a run goes; `report` can be taken at any time (for progress ticks too). */
export function createTally(meta: { url: string; rps: number; durationMs: number; planned: number }) {
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
      } else {
        counts.responses++;
        bump(byStatus, String(outcome.status));
        bump(byVersion, outcome.version ?? NO_VERSION);
        latencies.push(outcome.latencyMs);
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
      };
    },
  };
}

const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

function countsLine(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}: ${v}`).join('  ');
}

/** The report as the CLI prints it. */
export function formatLoadReport(r: LoadReport): string {
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
  return lines.join('\n');
}
