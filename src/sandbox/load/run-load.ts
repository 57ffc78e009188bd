import { performance } from 'node:perf_hooks';
import { RipcordError } from '../../core/errors.js';
import { createTally, VERSION_HEADER, type LoadReport, type RequestOutcome } from './load-report.js';
import { loopbackUrl } from './loopback-url.js';

export interface LoadOptions {
  /** Base URL on loopback, e.g. a router URL from the routes file. */
  url: string;
  rps: number;
  durationMs: number;
  /** Share of POST /api/venues among requests, spread evenly (default 0.2). */
  writeShare?: number;
  /** Most requests in flight at once (default max(32, rps)); a request due beyond it is skipped, not queued. */
  maxInFlight?: number;
  /** A request without a full answer after this long counts as a network error TIMEOUT (default 10 s). */
  requestTimeoutMs?: number;
  /** Stops issuing and abandons requests in flight; the report so far is still returned. */
  signal?: AbortSignal;
  /** Called about every `tickMs` (default 1000) with the report so far. */
  onTick?: (progress: LoadReport) => void;
  tickMs?: number;
}

/** Whether request `n` is a write: exactly `share` of any prefix, spread evenly rather than at random. */
export function isWrite(n: number, share: number): boolean {
  return Math.floor((n + 1) * share) > Math.floor(n * share);
}

function networkErrorCode(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown; name?: unknown } } | null;
  if (e?.name === 'TimeoutError') return 'TIMEOUT';
  const code = e?.cause?.code ?? e?.code ?? e?.cause?.name ?? e?.name;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function validate(opts: LoadOptions): { writeShare: number; maxInFlight: number; planned: number } {
  const writeShare = opts.writeShare ?? 0.2;
  if (!(Number.isFinite(opts.rps) && opts.rps > 0)) {
    throw new RipcordError('invalid', `load: rps must be a positive number, got ${opts.rps}`);
  }
  if (!(Number.isFinite(opts.durationMs) && opts.durationMs >= 0)) {
    throw new RipcordError(
      'invalid',
      `load: durationMs must be a non-negative number, got ${opts.durationMs}`,
    );
  }
  if (!(writeShare >= 0 && writeShare <= 1)) {
    throw new RipcordError('invalid', `load: writeShare must be in [0, 1], got ${writeShare}`);
  }
  const maxInFlight = opts.maxInFlight ?? Math.max(32, Math.ceil(opts.rps));
  if (!(Number.isInteger(maxInFlight) && maxInFlight > 0)) {
    throw new RipcordError('invalid', `load: maxInFlight must be a positive integer, got ${maxInFlight}`);
  }
  return { writeShare, maxInFlight, planned: Math.floor((opts.rps * opts.durationMs) / 1000) };
}

/**
 * Open-loop load on loopback: request n is due at n / rps seconds whatever earlier requests are doing (a
 * closed loop would slow down with the service and hide its latency). At most rps × duration requests;
 * issuing stops at the deadline or on the signal. Mixes GET /api/venues and POST /api/venues.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const base = loopbackUrl(opts.url);
  const { writeShare, maxInFlight, planned } = validate(opts);
  const target = new URL('/api/venues', base);
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const stopAll = new AbortController();
  const inFlight = new Set<AbortController>();
  stopAll.signal.addEventListener('abort', () => inFlight.forEach((c) => c.abort()), { once: true });
  const onAbort = (): void => stopAll.abort();
  if (opts.signal?.aborted) stopAll.abort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  const pending = new Set<Promise<void>>();
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  // timeOrigin + t0, not Date.now(): the same clock as every relative time in the report, so adding it to any of
  // them gives that moment as epoch ms.
  const tally = createTally({
    url: opts.url,
    rps: opts.rps,
    durationMs: opts.durationMs,
    planned,
    startedAtEpochMs: performance.timeOrigin + t0,
  });
  const ticker = opts.onTick
    ? setInterval(() => opts.onTick?.(tally.report(elapsed(), 'deadline')), opts.tickMs ?? 1000)
    : undefined;

  const issue = (n: number): void => {
    const write = isWrite(n, writeShare);
    tally.sent(write);
    const started = performance.now();
    const sentMs = started - t0;
    const init: RequestInit = write
      ? {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `load-${n}`, city: 'Lisbon' }),
        }
      : { method: 'GET' };
    // One controller per request, aborted by the run's stop or its own timer. (AbortSignal.any over a
    // long-lived signal slows down with every request in Node 20: it keeps a list of all dependants.)
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, timeoutMs);
    inFlight.add(ctrl);
    init.signal = ctrl.signal;
    const p = (async (): Promise<RequestOutcome> => {
      try {
        const res = await fetch(target, init);
        await res.arrayBuffer();
        return {
          kind: 'response',
          status: res.status,
          version: res.headers.get(VERSION_HEADER),
          sentMs,
          latencyMs: performance.now() - started,
        };
      } catch (err) {
        if (timedOut) return { kind: 'network-error', code: 'TIMEOUT', sentMs };
        if (stopAll.signal.aborted) return { kind: 'aborted' };
        return { kind: 'network-error', code: networkErrorCode(err), sentMs };
      } finally {
        clearTimeout(timer);
        inFlight.delete(ctrl);
      }
    })().then((outcome) => {
      tally.record(outcome);
      pending.delete(p);
    });
    pending.add(p);
  };

  // The sleep between due times ends early on abort, so a stop is prompt.
  const sleepUntil = (atMs: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, atMs - elapsed()));
      function done(): void {
        clearTimeout(t);
        stopAll.signal.removeEventListener('abort', done);
        resolve();
      }
      stopAll.signal.addEventListener('abort', done, { once: true });
    });

  try {
    const interval = 1000 / opts.rps;
    let next = 0;
    while (next < planned && !stopAll.signal.aborted && elapsed() < opts.durationMs) {
      // Catch up on everything due by now: timers fire late, and the request rate must not drift.
      const due = Math.min(planned, Math.floor(elapsed() / interval) + 1);
      for (; next < due; next++) {
        if (pending.size >= maxInFlight) tally.skipped();
        else issue(next);
      }
      if (next < planned) await sleepUntil(next * interval);
    }
    await Promise.all([...pending]);
    return tally.report(elapsed(), stopAll.signal.aborted ? 'signal' : 'deadline');
  } finally {
    if (ticker) clearInterval(ticker);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
