import { profileFor } from '../../src/adapters/prometheus/profiles/index.js';
import { describe, expect, it } from 'vitest';
import { RipcordError } from '../../src/core/errors.js';
import {
  createPrometheusClient,
  canSelect,
  errorCountQueries,
  labelMatchers,
  latencyQueries,
  parseSampleValue,
  residentMemoryQuery,
} from '../../src/adapters/prometheus/index.js';

/** A fetch that answers from a list, recording what it was asked. */
function fakeFetch(answers: Array<{ status: number; body: unknown } | Error>) {
  const calls: Array<{ url: string; form: URLSearchParams }> = [];
  const impl = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), form: new URLSearchParams(String(init?.body)) });
    const a = answers.shift();
    if (a === undefined) throw new Error('no more answers');
    if (a instanceof Error) throw a;
    const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    return new Response(text, { status: a.status });
  }) as typeof fetch;
  return { impl, calls };
}

const vector = (value: string) => ({
  status: 'success',
  data: { resultType: 'vector', result: [{ metric: { pod: 'p' }, value: [1700000000.5, value] }] },
});

describe('parseSampleValue', () => {
  it('reads Prometheus float text including NaN and infinities', () => {
    expect(parseSampleValue('0.25')).toBe(0.25);
    expect(parseSampleValue('1e3')).toBe(1000);
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('+Inf')).toBe(Infinity);
    expect(parseSampleValue('-Inf')).toBe(-Infinity);
    expect(() => parseSampleValue('x')).toThrow();
    expect(() => parseSampleValue('')).toThrow();
  });
});

describe('createPrometheusClient', () => {
  it('posts instant queries and parses vectors and scalars', async () => {
    const f = fakeFetch([
      { status: 200, body: vector('+Inf') },
      { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1, 'NaN'] } } },
    ]);
    const c = createPrometheusClient({ baseUrl: 'http://prom:9090/', fetch: f.impl });
    expect(await c.instant('up', new Date(2000))).toEqual([
      { metric: { pod: 'p' }, t: 1700000000.5, value: Infinity },
    ]);
    expect(f.calls[0]?.url).toBe('http://prom:9090/api/v1/query');
    expect(Object.fromEntries(f.calls[0]?.form ?? [])).toEqual({ query: 'up', time: '2' });
    const [s] = await c.instant('scalar(1)');
    expect(s?.metric).toEqual({});
    expect(s?.value).toBeNaN();
  });

  it('parses range matrices', async () => {
    const f = fakeFetch([
      {
        status: 200,
        body: {
          status: 'success',
          data: {
            resultType: 'matrix',
            result: [
              {
                metric: {},
                values: [
                  [10, '1'],
                  [12, '-Inf'],
                ],
              },
            ],
          },
        },
      },
    ]);
    const c = createPrometheusClient({ baseUrl: 'http://prom:9090', fetch: f.impl });
    expect(await c.range('up', new Date(10_000), new Date(12_000), 2)).toEqual([
      {
        metric: {},
        values: [
          { t: 10, value: 1 },
          { t: 12, value: -Infinity },
        ],
      },
    ]);
    expect(Object.fromEntries(f.calls[0]?.form ?? [])).toEqual({
      query: 'up',
      start: '10',
      end: '12',
      step: '2',
    });
  });

  it('retries network errors and 503 with backoff, then succeeds', async () => {
    const f = fakeFetch([
      new TypeError('fetch failed'),
      { status: 503, body: { status: 'error', errorType: 'unavailable', error: 'starting' } },
      { status: 502, body: '<html>bad gateway</html>' },
      { status: 200, body: vector('3') },
    ]);
    const c = createPrometheusClient({ baseUrl: 'http://prom', retries: 3, backoffMs: 1, fetch: f.impl });
    expect((await c.instant('up'))[0]?.value).toBe(3);
    expect(f.calls).toHaveLength(4);
  });

  it('gives up after the retries as a retryable unreachable error', async () => {
    const f = fakeFetch([new TypeError('fetch failed'), new TypeError('fetch failed')]);
    const c = createPrometheusClient({ baseUrl: 'http://prom', retries: 1, backoffMs: 1, fetch: f.impl });
    await expect(c.instant('up')).rejects.toMatchObject({ kind: 'unreachable', retryable: true });
    expect(f.calls).toHaveLength(2);
  });

  it('does not retry bad_data (invalid) or other 4xx answers', async () => {
    const f = fakeFetch([
      { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error' } },
      { status: 422, body: { status: 'error', errorType: 'execution', error: 'too many samples' } },
    ]);
    const c = createPrometheusClient({ baseUrl: 'http://prom', retries: 3, backoffMs: 1, fetch: f.impl });
    const bad = await c.instant('sum(').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RipcordError);
    expect(bad).toMatchObject({
      kind: 'invalid',
      retryable: false,
      message: 'Prometheus bad_data: parse error',
    });
    await expect(c.instant('x')).rejects.toMatchObject({ kind: 'unreachable', retryable: false });
    expect(f.calls).toHaveLength(2);
  });

  it('rejects answers that do not follow the documented format', async () => {
    const f = fakeFetch([
      {
        status: 200,
        body: { status: 'success', data: { resultType: 'vector', result: [{ value: [1, 2] }] } },
      },
      { status: 200, body: 'not json' },
      { status: 200, body: { status: 'success', data: { resultType: 'string', result: [1, 'a'] } } },
    ]);
    const c = createPrometheusClient({ baseUrl: 'http://prom', fetch: f.impl });
    await expect(c.instant('up')).rejects.toMatchObject({ kind: 'invalid' });
    await expect(c.instant('up')).rejects.toMatchObject({ kind: 'invalid' });
    await expect(c.instant('"a"')).rejects.toMatchObject({ kind: 'invalid' });
    expect(() => createPrometheusClient({ baseUrl: 'not a url' })).toThrow(RipcordError);
  });
});

describe('PromQL templates', () => {
  const sel = { namespace: 'shop', app: 'venue-service', podTemplateHash: '5d4f8b7c9' };

  it('selects by namespace, app and pod_template_hash, quoting values', () => {
    expect(labelMatchers(sel)).toBe('namespace="shop",app="venue-service",pod_template_hash="5d4f8b7c9"');
    expect(labelMatchers({ namespace: 'a"b', app: 'x', podTemplateHash: ['h1', 'h2'] })).toBe(
      'namespace="a\\"b",app="x",pod_template_hash=~"h1|h2"',
    );
  });

  it('builds the trigger queries with windows and offsets', () => {
    expect(errorCountQueries(sel, { windowSeconds: 30 })).toEqual({
      errors:
        'sum(increase(http_requests_total{namespace="shop",app="venue-service",pod_template_hash="5d4f8b7c9",status=~"5.."}[30s]))',
      requests:
        'sum(increase(http_requests_total{namespace="shop",app="venue-service",pod_template_hash="5d4f8b7c9"}[30s]))',
    });
    expect(latencyQueries({ namespace: 'n', app: 'a' }, { windowSeconds: 60, offsetSeconds: 600 })?.p50).toBe(
      'histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="n",app="a"}[60s] offset 600s)))',
    );
    expect(residentMemoryQuery({ namespace: 'n', app: 'a' })).toEqual({
      query: 'sum by (pod) (process_resident_memory_bytes{namespace="n",app="a"})',
      podLabel: 'pod',
    });
    expect(() => errorCountQueries(sel, { windowSeconds: 0 })).toThrow(RangeError);
  });
});

describe('PromQL through the metric profiles', () => {
  const w = { windowSeconds: 60 };
  const sel = (profile: Parameters<typeof profileFor>[0], hash?: string) => ({
    namespace: 'shop',
    app: 'venue-service',
    ...(hash ? { podTemplateHash: hash } : {}),
    profile: profileFor(profile),
  });

  it("istio: the destination's reports, by workload and namespace, latency in milliseconds", () => {
    const s = sel({ profile: 'istio' }, 'abc');
    expect(errorCountQueries(s, w).errors).toBe(
      'sum(increase(istio_requests_total{destination_workload_namespace="shop",destination_workload="venue-service",pod_template_hash="abc",reporter="destination",response_code=~"5.."}[60s]))',
    );
    expect(latencyQueries(s, w)?.p50).toBe(
      'histogram_quantile(0.5, sum by (le) (rate(istio_request_duration_milliseconds_bucket{destination_workload_namespace="shop",destination_workload="venue-service",pod_template_hash="abc",reporter="destination"}[60s]))) * 0.001',
    );
    expect(residentMemoryQuery(s)).toBeUndefined();
  });

  it('linkerd: inbound responses classified as failures, by deployment', () => {
    const q = errorCountQueries(sel({ profile: 'linkerd' }), w);
    expect(q.errors).toBe(
      'sum(increase(response_total{namespace="shop",deployment="venue-service",direction="inbound",classification="failure"}[60s]))',
    );
    expect(q.requests).toBe(
      'sum(increase(response_total{namespace="shop",deployment="venue-service",direction="inbound"}[60s]))',
    );
  });

  it('nginx-ingress: by Service; a release cannot be selected, so it is never answered for', () => {
    const whole = sel({ profile: 'nginx-ingress' });
    expect(canSelect(whole)).toBe(true);
    expect(errorCountQueries(whole, w).errors).toBe(
      'sum(increase(nginx_ingress_controller_requests{namespace="shop",service="venue-service",status=~"5.."}[60s]))',
    );
    expect(canSelect(sel({ profile: 'nginx-ingress' }, 'abc'))).toBe(false);
    expect(residentMemoryQuery(whole)).toBeUndefined();
    // A ServiceMonitor that renamed the metric's namespace label.
    const renamed = sel({ profile: 'nginx-ingress', labels: { namespace: 'exported_namespace' } });
    expect(errorCountQueries(renamed, w).requests).toContain(
      '{exported_namespace="shop",service="venue-service"}',
    );
  });

  it('micrometer: the server timer by status, heap memory per pod', () => {
    const s = sel({ profile: 'micrometer' });
    expect(errorCountQueries(s, w).errors).toBe(
      'sum(increase(http_server_requests_seconds_count{namespace="shop",app="venue-service",status=~"5.."}[60s]))',
    );
    expect(residentMemoryQuery(s)?.query).toBe(
      'sum by (pod) (jvm_memory_used_bytes{namespace="shop",app="venue-service",area="heap"})',
    );
  });

  it('otel: the stable names, or the pre-stable ones in milliseconds when those are what exists', () => {
    const s = sel({ profile: 'otel' });
    expect(errorCountQueries(s, w).errors).toBe(
      '(sum(increase(http_server_request_duration_seconds_count{namespace="shop",app="venue-service",http_response_status_code=~"5.."}[60s]))) or (sum(increase(http_server_duration_milliseconds_count{namespace="shop",app="venue-service",http_status_code=~"5.."}[60s])))',
    );
    expect(latencyQueries(s, w)?.p50).toMatch(
      /^\(histogram_quantile.*_seconds_bucket.*\) or \(histogram_quantile.*_milliseconds_bucket.*\* 0\.001\)$/,
    );
  });
});
