/**
 * Ripcord's one Prometheus query client (the watch, the recovery check and the sandbox's tests all use it),
 * over the shared JSON helper (../http/get-json.ts): instant and range queries, zod-validated answers, a
 * timeout per attempt, and retries with exponential backoff, but only where retrying can help: no answer at
 * all, or a 5xx (Prometheus answers 503 for timeout/canceled/unavailable and 500 for internal errors). A 4xx is
 * our query's fault (400 bad_data, 422 execution) and is returned at once.
 */
import { RipcordError } from '../../core/errors.js';
import { requestJson, statusError } from '../http/get-json.js';
import { displayUrl } from '../http/no-answer.js';
import { QueryResponse, type QueryData } from './schema.js';

export interface PrometheusClientOptions {
  /** e.g. `http://127.0.0.1:9090` or `https://prom.example/prometheus`. */
  baseUrl: string;
  /** Per attempt. Default 10 000. */
  timeoutMs?: number;
  /** Extra attempts after the first. Default 2. */
  retries?: number;
  /** First backoff; doubled each retry, with up to 50% jitter. Default 250. */
  backoffMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /**
   * Aborts every query (in flight or backing off) of this client, e.g. the watch's signal: a watch that stops
   * (shutdown, lost leadership) must not keep waiting on a hung Prometheus.
   */
  signal?: AbortSignal;
}

/** One series of an instant query. `t` is the evaluation time in unix seconds; value keeps NaN/±Inf. */
export interface InstantSample {
  metric: Record<string, string>;
  t: number;
  value: number;
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<{ t: number; value: number }>;
}

export interface PrometheusClient {
  readonly baseUrl: string;
  /** `/api/v1/query`: one entry per series; a scalar result gives one entry with no labels. */
  instant(query: string, time?: Date): Promise<InstantSample[]>;
  /** `/api/v1/query_range`: each series with its points. */
  range(query: string, start: Date, end: Date, stepSeconds: number): Promise<RangeSeries[]>;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
const unix = (d: Date) => String(d.getTime() / 1000);

export function createPrometheusClient(opts: PrometheusClientOptions): PrometheusClient {
  let origin: string;
  try {
    origin = new URL(opts.baseUrl).toString().replace(/\/+$/, '');
  } catch (err) {
    throw new RipcordError('invalid', `Prometheus URL is not a URL: ${opts.baseUrl}`, { cause: err });
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const retries = Math.max(0, opts.retries ?? 2);
  const backoffMs = opts.backoffMs ?? 250;

  async function once(path: string, form: URLSearchParams): Promise<QueryData> {
    const url = `${origin}${path}`;
    const what = `Prometheus ${displayUrl(url)}`;
    // Prometheus explains a failed query in its JSON envelope (400, 422, 503): read those bodies too. An answer
    // that is no envelope (a proxy's 502 page) is judged by its status.
    const { status, data: body } = await requestJson(url, QueryResponse, {
      method: 'POST',
      form,
      timeoutMs,
      signal: opts.signal,
      what,
      notFound: 'invalid',
      anyStatus: true,
      fetch: opts.fetch,
    });
    if (body.status === 'error') {
      const msg = `Prometheus ${body.errorType}: ${body.error}`;
      if (body.errorType === 'bad_data') throw new RipcordError('invalid', msg);
      throw new RipcordError('unreachable', msg, { retryable: status >= 500 });
    }
    if (status < 200 || status >= 300) throw statusError(status, what, 'invalid');
    return body.data;
  }

  async function query(path: string, form: URLSearchParams): Promise<QueryData> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(path, form);
      } catch (err) {
        if (!(err instanceof RipcordError) || !err.retryable || attempt >= retries || opts.signal?.aborted)
          throw err;
        await sleep(backoffMs * 2 ** attempt * (1 + Math.random() / 2), opts.signal);
      }
    }
  }

  return {
    baseUrl: origin,
    async instant(q, time) {
      const form = new URLSearchParams({ query: q });
      if (time) form.set('time', unix(time));
      const data = await query('/api/v1/query', form);
      switch (data.resultType) {
        case 'vector':
          return data.result.map((s) => ({
            metric: s.metric,
            t: s.value?.[0] ?? NaN,
            value: s.value?.[1] ?? NaN,
          }));
        case 'scalar':
          return [{ metric: {}, t: data.result[0], value: data.result[1] }];
        default:
          throw new RipcordError('invalid', `instant query returned a ${data.resultType}: ${q}`);
      }
    },
    async range(q, start, end, stepSeconds) {
      if (!(stepSeconds > 0))
        throw new RipcordError('invalid', `range step must be positive, got ${stepSeconds}`);
      const form = new URLSearchParams({
        query: q,
        start: unix(start),
        end: unix(end),
        step: String(stepSeconds),
      });
      const data = await query('/api/v1/query_range', form);
      if (data.resultType !== 'matrix')
        throw new RipcordError('invalid', `range query returned a ${data.resultType}: ${q}`);
      return data.result.map((s) => ({
        metric: s.metric,
        values: (s.values ?? []).map(([t, value]) => ({ t, value })),
      }));
    },
  };
}
