/**
 * Each metric profile against a real Prometheus, fed by remote write with ten minutes of series shaped as each
 * system exports them (names, labels, units, the series a profile must leave out: Istio's source-side reports,
 * Linkerd's outbound traffic, Micrometer's non-heap memory). Per profile: a release answering 5 % 5xx is judged
 * bad and a clean one healthy by the error-rate SPRT, a P50 regression (twice as slow) is seen in seconds
 * whatever the system's unit, a missing series is "no data" (inconclusive, never a pass), and memory is read
 * per pod where the system has it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPrometheusClient,
  readErrorCounts,
  readLatencyInterval,
  readP50,
  readResidentMemory,
  type PrometheusClient,
} from '../../src/adapters/prometheus/index.js';
import { profileFor } from '../../src/adapters/prometheus/profiles/index.js';
import type { ProfileName } from '../../src/core/metrics-settings.js';
import { judgeErrorRate } from '../../src/core/judge/index.js';
import { startPrometheus, type StartedServer } from '../../src/sandbox/monitoring/index.js';
import { stopProcessGroup } from '../../src/sandbox/process.js';
import { remoteWrite, type Series } from '../support/remote-write.js';
import { ripcord } from '../support/cli.js';

const STEP_MS = 5_000;
const SPAN_MS = 10 * 60_000;
const END = Math.floor(Date.now() / 1000) * 1000 - 2_000;
const TIMES = Array.from({ length: SPAN_MS / STEP_MS + 1 }, (_, i) => END - SPAN_MS + i * STEP_MS);
const RPS = 20;
const WINDOW = { windowSeconds: 300 };
const AT = new Date(END);

/** A counter growing at `rate` per second from the first sample. */
const counter = (labels: Record<string, string>, rate: number): Series => ({
  labels,
  samples: TIMES.map((t) => ({ t, v: (rate * (t - TIMES[0]!)) / 1000 })),
});

/** A gauge holding `v`. */
const gauge = (labels: Record<string, string>, v: number): Series => ({
  labels,
  samples: TIMES.map((t) => ({ t, v })),
});

/** A histogram whose every observation falls in the bucket ending at `les[slot]`; `_count` too. */
function histogram(name: string, labels: Record<string, string>, rate: number, les: number[], slot: number) {
  const buckets = [...les.map(String), '+Inf'].map((le, i) =>
    counter({ ...labels, __name__: `${name}_bucket`, le }, i >= slot ? rate : 0),
  );
  return [...buckets, counter({ ...labels, __name__: `${name}_count` }, rate)];
}

interface Release {
  hash: string;
  pod: string;
  /** Share of 5xx. */
  bad: number;
  /** Which bucket every request lands in: 1 is (25, 50] ms, 2 is (50, 100] ms. */
  slot: number;
}
const STABLE: Release = { hash: 'aaa111', pod: 'venue-service-aaa111-x1', bad: 0, slot: 1 };
const CANARY: Release = { hash: 'bbb222', pod: 'venue-service-bbb222-y1', bad: 0.05, slot: 2 };
const SECONDS = [0.025, 0.05, 0.1, 0.25, 0.5, 1];
const MILLIS = SECONDS.map((s) => s * 1000);

/** Each system's series for one release of venue-service in `ns`, as that system writes them. */
const FIXTURES: Record<ProfileName | 'otel-legacy', (ns: string, r: Release) => Series[]> = {
  'prom-client': (ns, r) => {
    const t = { namespace: ns, app: 'venue-service', pod: r.pod, pod_template_hash: r.hash };
    const req = (status: string, rate: number) =>
      counter({ ...t, __name__: 'http_requests_total', method: 'GET', route: '/api/venues', status }, rate);
    return [
      req('200', RPS * (1 - r.bad)),
      ...(r.bad ? [req('500', RPS * r.bad)] : []),
      ...histogram(
        'http_request_duration_seconds',
        { ...t, method: 'GET', route: '/api/venues' },
        RPS,
        SECONDS,
        r.slot,
      ),
      counter({ ...t, __name__: 'process_resident_memory_bytes' }, 0),
    ];
  },
  istio: (ns, r) => {
    const dest = {
      destination_workload: 'venue-service',
      destination_workload_namespace: ns,
      destination_app: 'venue-service',
      source_workload: 'istio-ingressgateway',
      source_workload_namespace: 'istio-system',
      request_protocol: 'http',
    };
    const at = (reporter: string, code: string, rate: number) => [
      // The destination's sidecar: scraped from the venue pod. The gateway's report of the same request: its pod.
      counter(
        reporter === 'destination'
          ? {
              ...dest,
              __name__: 'istio_requests_total',
              reporter,
              response_code: code,
              namespace: ns,
              pod: r.pod,
              pod_template_hash: r.hash,
            }
          : {
              ...dest,
              __name__: 'istio_requests_total',
              reporter,
              response_code: code,
              namespace: 'istio-system',
              pod: 'istio-ingressgateway-5c9-abc',
            },
        rate,
      ),
    ];
    return [
      ...at('destination', '200', RPS * (1 - r.bad)),
      ...(r.bad ? at('destination', '503', RPS * r.bad) : []),
      ...at('source', '200', RPS * (1 - r.bad)),
      ...(r.bad ? at('source', '503', RPS * r.bad) : []),
      ...histogram(
        'istio_request_duration_milliseconds',
        {
          ...dest,
          reporter: 'destination',
          response_code: '200',
          namespace: ns,
          pod: r.pod,
          pod_template_hash: r.hash,
        },
        RPS,
        MILLIS,
        r.slot,
      ),
    ];
  },
  linkerd: (ns, r) => {
    const t = {
      namespace: ns,
      deployment: 'venue-service',
      pod: r.pod,
      pod_template_hash: r.hash,
      tls: 'true',
    };
    const res = (direction: string, classification: string, status: string, rate: number) =>
      counter({ ...t, __name__: 'response_total', direction, classification, status_code: status }, rate);
    return [
      res('inbound', 'success', '200', RPS * (1 - r.bad)),
      ...(r.bad ? [res('inbound', 'failure', '500', RPS * r.bad)] : []),
      // The venue pods' own calls out (to the database proxy): not the service's answers.
      res('outbound', 'failure', '503', RPS),
      ...histogram(
        'response_latency_ms',
        { ...t, direction: 'inbound', status_code: '200' },
        RPS,
        MILLIS,
        r.slot,
      ),
    ];
  },
  'nginx-ingress': (ns, r) => {
    const t = {
      namespace: ns,
      ingress: 'venue-service',
      service: 'venue-service',
      host: 'venues.example.com',
      path: '/',
      method: 'GET',
      controller_namespace: 'ingress-nginx',
      controller_class: 'k8s.io/ingress-nginx',
      controller_pod: 'ingress-nginx-controller-7d9-abc',
      canary: r === CANARY ? 'venue-service-canary' : '',
    };
    const req = (status: string, rate: number) =>
      counter({ ...t, __name__: 'nginx_ingress_controller_requests', status }, rate);
    return [
      req('200', RPS * (1 - r.bad)),
      ...(r.bad ? [req('503', RPS * r.bad)] : []),
      ...histogram(
        'nginx_ingress_controller_request_duration_seconds',
        { ...t, status: '200' },
        RPS,
        SECONDS,
        r.slot,
      ),
    ];
  },
  micrometer: (ns, r) => {
    const t = { namespace: ns, app: 'venue-service', pod: r.pod, pod_template_hash: r.hash };
    const timer = (status: string, outcome: string, rate: number) =>
      histogram(
        'http_server_requests_seconds',
        { ...t, method: 'GET', uri: '/api/venues', status, outcome, exception: 'none' },
        rate,
        SECONDS,
        r.slot,
      );
    return [
      ...timer('200', 'SUCCESS', RPS * (1 - r.bad)),
      ...(r.bad ? timer('500', 'SERVER_ERROR', RPS * r.bad) : []),
      counter({ ...t, __name__: 'jvm_memory_used_bytes', area: 'heap', id: 'G1 Eden Space' }, 1000),
      counter({ ...t, __name__: 'jvm_memory_used_bytes', area: 'heap', id: 'G1 Old Gen' }, 1000),
      counter({ ...t, __name__: 'jvm_memory_used_bytes', area: 'nonheap', id: 'Metaspace' }, 0),
    ];
  },
  otel: (ns, r) => {
    const t = { namespace: ns, app: 'venue-service', pod: r.pod, pod_template_hash: r.hash };
    const h = (status: string, rate: number) =>
      histogram(
        'http_server_request_duration_seconds',
        {
          ...t,
          http_request_method: 'GET',
          http_route: '/api/venues',
          url_scheme: 'http',
          http_response_status_code: status,
        },
        rate,
        SECONDS,
        r.slot,
      );
    return [
      ...h('200', RPS * (1 - r.bad)),
      ...(r.bad ? h('500', RPS * r.bad) : []),
      counter({ ...t, __name__: 'process_memory_usage_bytes' }, 0),
    ];
  },
  'otel-legacy': (ns, r) => {
    const t = { namespace: ns, app: 'venue-service', pod: r.pod, pod_template_hash: r.hash };
    const h = (status: string, rate: number) =>
      histogram(
        'http_server_duration_milliseconds',
        {
          ...t,
          http_method: 'GET',
          http_route: '/api/venues',
          http_scheme: 'http',
          http_status_code: status,
        },
        rate,
        MILLIS,
        r.slot,
      );
    return [...h('200', RPS * (1 - r.bad)), ...(r.bad ? h('500', RPS * r.bad) : [])];
  },
};

const CASES: Array<{
  fixture: keyof typeof FIXTURES;
  profile: ProfileName;
  releases: boolean;
  memory: boolean;
}> = [
  { fixture: 'prom-client', profile: 'prom-client', releases: true, memory: true },
  { fixture: 'istio', profile: 'istio', releases: true, memory: false },
  { fixture: 'linkerd', profile: 'linkerd', releases: true, memory: false },
  { fixture: 'nginx-ingress', profile: 'nginx-ingress', releases: false, memory: false },
  { fixture: 'micrometer', profile: 'micrometer', releases: true, memory: true },
  { fixture: 'otel', profile: 'otel', releases: true, memory: true },
  { fixture: 'otel-legacy', profile: 'otel', releases: true, memory: false },
];

/**
 * A cluster whose scrape config does not put pod_template_hash on targets (kube-prometheus' default): the app's
 * series carry namespace, app and pod only; kube-state-metrics (with --metric-labels-allowlist=pods=[...])
 * exports kube_pod_labels{namespace, pod, label_pod_template_hash} = 1 per pod.
 */
const NO_HASH_NS = 'ns-no-hash';
function withoutReleaseLabel(): Series[] {
  return [STABLE, CANARY].flatMap((r) => {
    const pod = `venue-service-${r.hash}-k2x9p`;
    return [
      ...FIXTURES['prom-client'](NO_HASH_NS, { ...r, pod }).map((x) => {
        const { pod_template_hash: _dropped, ...labels } = x.labels;
        return { ...x, labels };
      }),
      gauge(
        {
          __name__: 'kube_pod_labels',
          namespace: NO_HASH_NS,
          pod,
          label_app: 'venue-service',
          label_pod_template_hash: r.hash,
          job: 'kube-state-metrics',
        },
        1,
      ),
    ];
  });
}

/**
 * A home-grown exporter no profile knows: hits_total{kube_ns, kube_pod, code} and a latency summary-less
 * histogram in seconds. The canary's first five minutes were clean, then it went bad: a baseline read five
 * minutes back must see the clean part.
 */
const CUSTOM_NS = 'ns-custom';
function homeGrown(): Series[] {
  const half = TIMES.length >> 1;
  return [STABLE, CANARY].flatMap((r) => {
    const t = { kube_ns: CUSTOM_NS, kube_pod: `venue-service-${r.hash}-q7w8e` };
    let errors = 0;
    const errorSeries = TIMES.map((time, i) => {
      if (i > 0 && (r !== CANARY || i > half)) errors += (RPS * r.bad * STEP_MS) / 1000;
      return { t: time, v: errors };
    });
    return [
      counter({ ...t, __name__: 'hits_total', code: '2xx' }, RPS * (1 - r.bad)),
      { labels: { ...t, __name__: 'hits_total', code: '5xx' }, samples: errorSeries },
      ...histogram('hit_seconds', t, RPS, SECONDS, r.slot),
    ];
  });
}
const CUSTOM = {
  errors: 'sum(increase(hits_total{kube_ns="{{namespace}}",kube_pod=~"{{pods}}",code="5xx"}[{{window}}]))',
  requests: 'sum(increase(hits_total{kube_ns="{{namespace}}",kube_pod=~"{{pods}}"}[{{window}}]))',
  p50: 'histogram_quantile(0.5, sum by (le) (rate(hit_seconds_bucket{kube_ns="{{namespace}}",kube_pod=~"{{pods}}"}[{{window}}])))',
  samples: 'sum(increase(hit_seconds_count{kube_ns="{{namespace}}",kube_pod=~"{{pods}}"}[{{window}}]))',
};

/**
 * The slow release's P50 (every request in (50, 100] ms) against the fast one's ((25, 50] ms), in seconds:
 * histogram_quantile interpolates linearly within the bucket.
 */
function expectTwiceAsSlow(l: Awaited<ReturnType<typeof readLatencyInterval>>): void {
  expect(l?.p50).toBeCloseTo(0.075, 4);
  expect(l?.baselineP50).toBeCloseTo(0.0375, 4);
}

let tmp: string;
let prom: StartedServer;
let client: PrometheusClient;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ripcord-profiles-'));
  prom = await startPrometheus({
    dir: join(tmp, 'prometheus'),
    targetsDir: join(tmp, 'prometheus', 'targets'),
    logFile: join(tmp, 'prometheus.log'),
  });
  client = createPrometheusClient({ baseUrl: prom.url, timeoutMs: 5_000, retries: 2, backoffMs: 100 });
  // Each case in its own namespace; the nginx case writes one release at a time per namespace.
  const series = CASES.flatMap((c) =>
    c.releases
      ? [...FIXTURES[c.fixture](`ns-${c.fixture}`, STABLE), ...FIXTURES[c.fixture](`ns-${c.fixture}`, CANARY)]
      : [
          ...FIXTURES[c.fixture](`ns-${c.fixture}-bad`, CANARY),
          ...FIXTURES[c.fixture](`ns-${c.fixture}-good`, STABLE),
        ],
  );
  await remoteWrite(prom.url, [...series, ...withoutReleaseLabel(), ...homeGrown()]);
}, 60_000);

afterAll(async () => {
  if (prom) await stopProcessGroup(prom.pid);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.each(CASES)('metric profile $profile on $fixture series', (c) => {
  const profile = profileFor({ profile: c.profile });
  const sel = (ns: string, hash?: string) => ({
    namespace: ns,
    app: 'venue-service',
    profile,
    ...(hash ? { podTemplateHash: hash } : {}),
  });
  const bad = c.releases ? sel(`ns-${c.fixture}`, CANARY.hash) : sel(`ns-${c.fixture}-bad`);
  const good = c.releases ? sel(`ns-${c.fixture}`, STABLE.hash) : sel(`ns-${c.fixture}-good`);

  it('a 5 % 5xx release is judged bad, a clean one healthy; each counted once', async () => {
    const b = await readErrorCounts(client, bad, WINDOW, AT);
    const g = await readErrorCounts(client, good, WINDOW, AT);
    // 20 requests a second over 300 s; increase() extrapolates at the window's edges.
    expect(b?.requests).toBeGreaterThan(RPS * 300 * 0.95);
    expect(b?.requests).toBeLessThan(RPS * 300 * 1.05);
    expect((b?.errors ?? 0) / (b?.requests ?? 1)).toBeCloseTo(0.05, 2);
    expect(g?.errors).toBe(0);
    expect(judgeErrorRate([b]).verdict).toBe('fail');
    expect(judgeErrorRate([g]).verdict).toBe('pass');
    // The whole service (the recovery check's view): both releases, each request once.
    if (c.releases) {
      const all = await readErrorCounts(client, sel(`ns-${c.fixture}`), WINDOW, AT);
      expect(all?.requests).toBeGreaterThan(2 * RPS * 300 * 0.95);
      expect(all?.requests).toBeLessThan(2 * RPS * 300 * 1.05);
    }
  });

  it('a P50 twice as slow is seen, in seconds', async () => {
    const l = await readLatencyInterval(client, bad, { selector: good, window: WINDOW }, WINDOW, AT);
    expectTwiceAsSlow(l);
    expect(l?.samples).toBeGreaterThan(RPS * 300 * 0.95);
  });

  it('a series that is not there is no data (inconclusive), never a pass', async () => {
    const none = await readErrorCounts(client, sel('ns-nothing-here'), WINDOW, AT);
    expect(none).toBeNull();
    expect(judgeErrorRate([none]).verdict).not.toBe('pass');
    expect(await readP50(client, sel('ns-nothing-here'), WINDOW, AT)).toEqual({ p50: null, samples: 0 });
  });

  it(c.memory ? 'reads memory per pod' : 'has no memory per pod: none is made up', async () => {
    const mem = await readResidentMemory(client, good, new Date(END - 60_000), AT, 15);
    if (c.memory) expect([...mem.keys()]).toEqual([STABLE.pod]);
    else expect(mem.size).toBe(0);
  });

  if (!c.releases) {
    it('cannot tell a release from the rest of the service: no data, not the whole service', async () => {
      expect(await readErrorCounts(client, sel(`ns-${c.fixture}-bad`, CANARY.hash), WINDOW, AT)).toBeNull();
    });
  }
});

describe('micrometer memory', () => {
  it('sums the heap pools of a pod, not its non-heap', async () => {
    const mem = await readResidentMemory(
      client,
      {
        namespace: 'ns-micrometer',
        app: 'venue-service',
        podTemplateHash: STABLE.hash,
        profile: profileFor({ profile: 'micrometer' }),
      },
      new Date(END - 60_000),
      AT,
      60,
    );
    const points = mem.get(STABLE.pod) ?? [];
    // Two heap pools each growing 1000 bytes a second since the first sample, nine minutes in.
    expect(points.at(-1)?.bytes).toBeCloseTo(2 * 1000 * (SPAN_MS / 1000), -2);
  });
});

describe.each(['pod-name', 'kube-state-metrics'] as const)(
  'a release found by %s, without the target label',
  (by) => {
    const sel = (hash?: string, releaseBy: 'label' | typeof by = by) => ({
      namespace: NO_HASH_NS,
      app: 'venue-service',
      deployment: 'venue-service',
      profile: profileFor({ profile: 'prom-client', releaseBy }),
      ...(hash ? { podTemplateHash: hash } : {}),
    });

    it('judges the 5 % release bad and the other healthy; the release label alone finds nothing', async () => {
      const b = await readErrorCounts(client, sel(CANARY.hash), WINDOW, AT);
      const g = await readErrorCounts(client, sel(STABLE.hash), WINDOW, AT);
      expect((b?.errors ?? 0) / (b?.requests ?? 1)).toBeCloseTo(0.05, 2);
      expect(judgeErrorRate([b]).verdict).toBe('fail');
      expect(judgeErrorRate([g]).verdict).toBe('pass');
      expect(await readErrorCounts(client, sel(CANARY.hash, 'label'), WINDOW, AT)).toBeNull();
    });

    it('compares P50 release against release, and reads memory of the release only', async () => {
      const l = await readLatencyInterval(
        client,
        sel(CANARY.hash),
        { selector: sel(STABLE.hash), window: WINDOW },
        WINDOW,
        AT,
      );
      expectTwiceAsSlow(l);
      const mem = await readResidentMemory(client, sel(CANARY.hash), new Date(END - 60_000), AT, 15);
      expect([...mem.keys()]).toEqual([`venue-service-${CANARY.hash}-k2x9p`]);
    });
  },
);

describe('custom queries', () => {
  const sel = (hash?: string) => ({
    namespace: CUSTOM_NS,
    app: 'venue-service',
    deployment: 'venue-service',
    profile: profileFor({ profile: 'prom-client', queries: CUSTOM }),
    ...(hash ? { podTemplateHash: hash } : {}),
  });
  const last = { windowSeconds: 240 };

  it('judge the release by {{pods}}; a window read back by offset sees the clean part', async () => {
    const now = await readErrorCounts(client, sel(CANARY.hash), last, AT);
    expect((now?.errors ?? 0) / (now?.requests ?? 1)).toBeCloseTo(0.05, 2);
    expect(judgeErrorRate([now]).verdict).toBe('fail');
    const before = await readErrorCounts(client, sel(CANARY.hash), { ...last, offsetSeconds: 330 }, AT);
    expect(before?.errors).toBe(0);
    expect(before?.requests).toBeGreaterThan(RPS * 240 * 0.9);
    // Both releases when no release is asked for.
    const all = await readErrorCounts(client, sel(), last, AT);
    expect(all?.requests).toBeGreaterThan(2 * RPS * 240 * 0.95);
  });

  it('P50 by the team’s histogram; a missing series is no data', async () => {
    const l = await readLatencyInterval(
      client,
      sel(CANARY.hash),
      { selector: sel(STABLE.hash), window: last },
      last,
      AT,
    );
    expectTwiceAsSlow(l);
    const none = await readErrorCounts(client, { ...sel(), namespace: 'ns-nothing-here' }, last, AT);
    expect(none).toBeNull();
  });
});

describe('ripcord config check --online', () => {
  /** A ripcord.yaml for venue-service in `ns` reading `prom`, with `metrics` as the detect.metrics block. */
  const config = (ns: string, metrics: string[]) => {
    const file = join(tmp, `ripcord-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      [
        'version: 1',
        'services:',
        '  venue-service:',
        `    kube: { namespace: ${ns} }`,
        '    detect:',
        `      prometheusUrl: ${prom.url}`,
        '      metrics:',
        ...metrics.map((l) => `        ${l}`),
        '',
      ].join('\n'),
    );
    return file;
  };
  const quoted = (q: string) => `'${q.replace(/'/g, "''")}'`;

  it('runs each query once: the custom ones answer, the profile has no memory series here', async () => {
    const r = await ripcord([
      '--config',
      config(CUSTOM_NS, ['queries:', ...Object.entries(CUSTOM).map(([k, v]) => `  ${k}: ${quoted(v)}`)]),
      'config',
      'check',
      '--online',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /venue-service: metrics at http:\/\/127\.0\.0\.1:\d+: errors: [\d.]+ \(custom\), requests: [\d.]+ \(custom\), p50: 0\.0[\d]+ \(custom\), samples: [\d.]+ \(custom\)/,
    );
    expect(r.stderr).toContain(
      'warning: services.venue-service.detect.metrics.profile (prom-client): no series for memory',
    );
  });

  it('a query Prometheus rejects, and errors that outnumber requests: exit 2 naming the field', async () => {
    const broken = await ripcord([
      '--config',
      config(CUSTOM_NS, [
        'queries:',
        `  errors: ${quoted(CUSTOM.errors)}`,
        `  requests: ${quoted('sum(increase(hits_total{kube_ns="{{namespace}}"}[{{window}}])')}`,
      ]),
      'config',
      'check',
      '--online',
    ]);
    expect(broken.code, broken.stderr).toBe(2);
    expect(broken.stderr).toMatch(
      /services\.venue-service\.detect\.metrics\.queries\.requests: .*parse error/,
    );
    const crossed = await ripcord([
      '--config',
      config(CUSTOM_NS, [
        'queries:',
        `  errors: ${quoted(CUSTOM.requests)}`,
        `  requests: ${quoted(CUSTOM.errors)}`,
      ]),
      'config',
      'check',
      '--online',
    ]);
    expect(crossed.code).toBe(2);
    expect(crossed.stderr).toContain('the two do not count the same requests');
  });
});
