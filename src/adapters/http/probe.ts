/**
 * ProbePort over Node's fetch: one GET with a timeout, measuring latency. Any HTTP status is an answer (the
 * checklist decides what is healthy); only "no answer" is an error, and it is 'unreachable'.
 */
import { performance } from 'node:perf_hooks';
import { deadlineSignal } from './deadline-signal.js';
import { AbortedError, abortReason } from '../../core/errors.js';
import type { ProbePort } from '../../core/ports.js';
import { displayUrl, noAnswer } from './no-answer.js';

export { displayUrl };

const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_BODY = 2_048;

export interface HttpProbeOptions {
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** Builds the probe. */
export function createHttpProbe(opts: HttpProbeOptions = {}): ProbePort {
  const doFetch = opts.fetch ?? fetch;
  return {
    async get(url, o = {}) {
      const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const t0 = performance.now();
      const signal = deadlineSignal(timeoutMs, o.signal);
      try {
        const res = await doFetch(url, { signal, redirect: 'manual' });
        const text = await res.text();
        return {
          status: res.status,
          body: text.slice(0, MAX_BODY),
          ms: Math.round(performance.now() - t0),
          headers: Object.fromEntries(res.headers),
        };
      } catch (err) {
        if (o.signal?.aborted) {
          throw new AbortedError(`aborted during GET ${displayUrl(url)}: ${abortReason(o.signal)}`, {
            cause: err,
          });
        }
        throw noAnswer(err, { what: `GET ${displayUrl(url)}`, timeoutMs });
      }
    },
  };
}
