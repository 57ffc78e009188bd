/**
 * Steady GET load that remembers every answer with its time, so a test or a bench can say exactly when 5xx
 * stopped relative to a command (a flag turned off, a rollout). `sandbox load` reports totals; this keeps the
 * timeline. Loopback only, bounded by the caller's stop().
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** One answer: when the request was sent (performance.now() ms) and its status (0: no answer). */
export interface StatusSample {
  sentAt: number;
  status: number;
}

export interface StatusRecorder {
  samples: StatusSample[];
  /** Stops sending and waits for requests in flight. */
  stop(): Promise<StatusSample[]>;
}

/** Sends GET `url` at `rps` until stop(); at most `maxInFlight` at once (later ones are skipped, not queued). */
export function recordStatuses(url: string, rps: number, maxInFlight = 64): StatusRecorder {
  const samples: StatusSample[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const one = async (): Promise<void> => {
    const sentAt = performance.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      samples.push({ sentAt, status: res.status });
    } catch {
      samples.push({ sentAt, status: 0 });
    }
  };
  const loop = (async () => {
    const interval = 1000 / rps;
    let next = performance.now();
    while (!stopped) {
      if (inFlight.size < maxInFlight) {
        const p = one().finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      next += interval;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...inFlight]);
      return samples.sort((a, b) => a.sentAt - b.sentAt);
    },
  };
}

/** Count of 5xx (and no-answer) samples sent in [from, to). */
export function errorsBetween(samples: readonly StatusSample[], from: number, to = Infinity): number {
  return samples.filter((s) => s.sentAt >= from && s.sentAt < to && (s.status >= 500 || s.status === 0))
    .length;
}

/** Time of the last failed request sent, or undefined when none failed. */
export function lastErrorAt(samples: readonly StatusSample[]): number | undefined {
  let last: number | undefined;
  for (const s of samples) if (s.status >= 500 || s.status === 0) last = Math.max(last ?? 0, s.sentAt);
  return last;
}
