import type { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import { GettableAlerts, PromQueryResponse, type GettableAlert, type PromSamplePair } from './schema.js';

/** One series of an instant query: its labels and the value at the evaluation time (NaN/±Infinity kept). */
export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}

/** One series of a range query: its labels and its points (unix seconds, value). */
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<{ t: number; value: number }>;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Cancels the request, e.g. when a rollback is aborted. */
  signal?: AbortSignal;
}

export interface InstantQueryOptions extends RequestOptions {
  /** Evaluation time; Prometheus uses "now" when left out. */
  time?: Date;
}

export interface RangeQueryOptions extends RequestOptions {
  start: Date;
  end: Date;
  stepSeconds: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Runs an instant query (`/api/v1/query`). A vector gives one entry per series; a scalar gives one entry with
 * no labels. Sent as a form POST so long PromQL never hits URL length limits.
 */
export async function queryInstant(
  url: string,
  promql: string,
  opts: InstantQueryOptions = {},
): Promise<InstantSample[]> {
  const form = new URLSearchParams({ query: promql });
  if (opts.time) form.set('time', String(opts.time.getTime() / 1000));
  const data = await promQuery(url, '/api/v1/query', form, opts);
  switch (data.resultType) {
    case 'vector':
      return data.result.map((s) => ({ metric: s.metric, value: sampleValue(s.value) }));
    case 'scalar':
      return [{ metric: {}, value: sampleValue(data.result) }];
    default:
      throw unexpected(url, `an instant query returned a ${data.resultType}`);
  }
}

/** Runs a range query (`/api/v1/query_range`) and returns each series with its points. */
export async function queryRange(
  url: string,
  promql: string,
  opts: RangeQueryOptions,
): Promise<RangeSeries[]> {
  const form = new URLSearchParams({
    query: promql,
    start: String(opts.start.getTime() / 1000),
    end: String(opts.end.getTime() / 1000),
    step: String(opts.stepSeconds),
  });
  const data = await promQuery(url, '/api/v1/query_range', form, opts);
  if (data.resultType !== 'matrix') throw unexpected(url, `a range query returned a ${data.resultType}`);
  return data.result.map((s) => ({
    metric: s.metric,
    values: s.values.map((p) => ({ t: p[0], value: sampleValue(p) })),
  }));
}

export interface AlertsOptions extends RequestOptions {
  /** Include alerts in these states; Alertmanager includes all when left out. */
  active?: boolean;
  silenced?: boolean;
  inhibited?: boolean;
  unprocessed?: boolean;
}

/**
 * Lists alerts Alertmanager knows (`GET /api/v2/alerts`), optionally only those whose labels equal `filter`
 * (sent as `filter=name="value"` matchers, so Alertmanager does the matching).
 */
export async function alerts(
  amUrl: string,
  filter: Record<string, string> = {},
  opts: AlertsOptions = {},
): Promise<GettableAlert[]> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter))
    params.append('filter', `${name}=${quoteMatcher(value)}`);
  for (const key of ['active', 'silenced', 'inhibited', 'unprocessed'] as const) {
    const v = opts[key];
    if (v !== undefined) params.set(key, String(v));
  }
  const qs = params.size > 0 ? `?${params.toString()}` : '';
  const res = await send(amUrl, `/api/v2/alerts${qs}`, { method: 'GET' }, opts);
  const body = await readJson(amUrl, res);
  if (!res.ok) throw httpError(amUrl, res.status, JSON.stringify(body));
  return parse(amUrl, GettableAlerts, body);
}

async function promQuery(
  url: string,
  path: string,
  form: URLSearchParams,
  opts: RequestOptions,
): Promise<Extract<PromQueryResponse, { status: 'success' }>['data']> {
  const res = await send(url, path, { method: 'POST', body: form }, opts);
  const body = parse(url, PromQueryResponse, await readJson(url, res));
  if (body.status === 'error') {
    // bad_data is our query's fault; timeout/canceled/unavailable may pass; anything else is a server fault.
    const kind = body.errorType === 'bad_data' ? 'invalid' : 'unreachable';
    const retryable = ['timeout', 'canceled', 'unavailable'].includes(body.errorType);
    throw new RipcordError(
      kind,
      `Prometheus at ${url} refused the query (${body.errorType}): ${body.error}`,
      {
        retryable,
      },
    );
  }
  return body.data;
}

async function send(base: string, path: string, init: RequestInit, opts: RequestOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    return await fetch(`${base.replace(/\/+$/, '')}${path}`, { ...init, signal });
  } catch (err) {
    throw new RipcordError('unreachable', `could not reach ${base}${path}`, { cause: err });
  }
}

async function readJson(base: string, res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw httpError(base, res.status, text, err);
  }
}

function httpError(base: string, status: number, body: string, cause?: unknown): RipcordError {
  return new RipcordError(
    'unreachable',
    `unexpected answer from ${base} (HTTP ${status}): ${body.slice(0, 300)}`,
    {
      cause,
      retryable: status >= 500,
    },
  );
}

function parse<T extends z.ZodType>(base: string, schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw unexpected(base, r.error.message, r.error);
  return r.data;
}

function unexpected(base: string, what: string, cause?: unknown): RipcordError {
  // The server answered, but not in the documented shape: retrying will not change that.
  return new RipcordError('unreachable', `unexpected response from ${base}: ${what}`, {
    cause,
    retryable: false,
  });
}

/** Prometheus writes special values as "NaN", "+Inf" and "-Inf"; Number() reads only the first of these. */
function sampleValue(pair: PromSamplePair): number {
  const raw = pair[1];
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

/** Quotes a label value for an Alertmanager matcher, escaping what its parser treats specially. */
function quoteMatcher(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
