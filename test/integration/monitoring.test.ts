import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RipcordError } from '../../src/core/errors.js';
import { freePort } from '../../src/sandbox/free-port.js';
import { isAlive, stopProcessGroup, waitFor } from '../../src/sandbox/process.js';
import { alerts } from '../../src/adapters/alertmanager/client.js';
import { createPrometheusClient } from '../../src/adapters/prometheus/client.js';
import {
  reloadPrometheus,
  startAlertmanager,
  startPrometheus,
  type StartedServer,
} from '../../src/sandbox/monitoring/index.js';
import {
  VENUE_SERVICE_ERROR_RATE,
  VENUE_SERVICE_P50_LATENCY,
  writeVenueServiceRules,
} from '../../src/sandbox/monitoring/venue-service-rules.js';
import { writeJsonAtomic } from '../../src/sandbox/state.js';
import { listen } from '../support/listen.js';

/** An instant query through the Prometheus adapter, without retries so failures show at once. */
const queryInstant = (url: string, q: string) =>
  createPrometheusClient({ baseUrl: url, retries: 0 }).instant(q);

// Real Prometheus and Alertmanager (Debian packages) in a temp dir, scraping a tiny local exporter that looks
// like one venue-service pod: file_sd labels as the sandbox kubelet writes them, 10% of requests answered 500.

const NAMESPACE = 'mon-test';
const POD = 'venue-service-5d4f8b7c9-x2k8p';
const POD_TEMPLATE_HASH = '5d4f8b7c9';

/** Counters of a fake venue-service pod: every tick adds 10 requests, exactly one of them a 500. */
function fakeVenueService(): { server: Server; stop: () => Promise<void> } {
  let ok = 0;
  let failed = 0;
  const tick = setInterval(() => {
    ok += 9;
    failed += 1;
  }, 100);
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const total = ok + failed;
    // Every request takes ~50 ms: all observations land in the 0.1 bucket, so P50 is between 0.05 and 0.1.
    const body = [
      '# HELP http_requests_total Requests answered, by route and status.',
      '# TYPE http_requests_total counter',
      `http_requests_total{method="GET",route="/api/venues",status="200"} ${ok}`,
      `http_requests_total{method="GET",route="/api/venues",status="500"} ${failed}`,
      '# HELP http_request_duration_seconds Request latency.',
      '# TYPE http_request_duration_seconds histogram',
      `http_request_duration_seconds_bucket{le="0.05"} 0`,
      `http_request_duration_seconds_bucket{le="0.1"} ${total}`,
      `http_request_duration_seconds_bucket{le="+Inf"} ${total}`,
      `http_request_duration_seconds_sum ${total * 0.05}`,
      `http_request_duration_seconds_count ${total}`,
      '',
    ].join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  return {
    server,
    stop: async () => {
      clearInterval(tick);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The fields of Alertmanager's webhook payload this test looks at. */
const WebhookPayload = z.object({
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(z.object({ status: z.string(), labels: z.record(z.string(), z.string()) })),
});
type WebhookPayload = z.infer<typeof WebhookPayload>;

describe('monitoring: real Prometheus and Alertmanager', () => {
  let tmp: string;
  let am: StartedServer | undefined;
  let prom: StartedServer | undefined;
  let extraRules: string;
  const exporter = fakeVenueService();
  const webhook: WebhookPayload[] = [];
  const webhookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      webhook.push(WebhookPayload.parse(JSON.parse(body)));
      res.writeHead(200).end();
    });
  });

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ripcord-mon-'));
    const webhookPort = await freePort();
    await listen(webhookServer, webhookPort);
    await listen(exporter.server, await freePort());

    am = await startAlertmanager({
      dir: join(tmp, 'alertmanager'),
      logFile: join(tmp, 'logs', 'alertmanager.log'),
      webhookUrl: `http://127.0.0.1:${webhookPort}/hook`,
    });
    const rules = writeVenueServiceRules(join(tmp, 'prometheus', 'rules'));
    extraRules = join(tmp, 'prometheus', 'rules', 'extra.rules.yml');
    writeFileSync(extraRules, 'groups: []\n');
    prom = await startPrometheus({
      dir: join(tmp, 'prometheus'),
      targetsDir: join(tmp, 'prometheus', 'targets'),
      alertmanagerUrl: am.url,
      logFile: join(tmp, 'logs', 'prometheus.log'),
      ruleFiles: [rules, extraRules],
    });

    // Written after Prometheus started, as the kubelet does when a pod appears: the file watch must pick it up.
    const addr = exporter.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('exporter has no TCP address');
    writeJsonAtomic(join(tmp, 'prometheus', 'targets', `${NAMESPACE}_${POD}.json`), [
      {
        targets: [`127.0.0.1:${addr.port}`],
        labels: {
          namespace: NAMESPACE,
          pod: POD,
          app: 'venue-service',
          pod_template_hash: POD_TEMPLATE_HASH,
          __metrics_path__: '/metrics',
        },
      },
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const s of [prom, am]) if (s) await stopProcessGroup(s.pid);
    await exporter.stop();
    await new Promise<void>((resolve) => webhookServer.close(() => resolve()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('listens on loopback ports only and passes its settings as flags', () => {
    expect(prom?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(am?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const promYml = readFileSync(join(tmp, 'prometheus', 'prometheus.yml'), 'utf8');
    expect(promYml).toContain(`${join(tmp, 'prometheus', 'targets')}/*.json`);
    expect(promYml).toContain(am?.url.replace('http://', '') ?? 'missing');
    // Gossip is off: nothing binds the cluster port 9094.
    expect(readFileSync(join(tmp, 'logs', 'alertmanager.log'), 'utf8')).not.toMatch(/9094/);
  });

  it('scrapes the file_sd target and keeps its pod labels as target labels', async () => {
    const url = prom?.url ?? '';
    let up: Awaited<ReturnType<typeof queryInstant>> = [];
    await waitFor(
      'Prometheus to scrape the venue-service target',
      async () => {
        up = await queryInstant(url, 'up{app="venue-service"}');
        return up.length === 1 && up[0]?.value === 1;
      },
      30_000,
      500,
    );
    expect(up[0]?.metric).toMatchObject({
      job: 'pods',
      namespace: NAMESPACE,
      pod: POD,
      app: 'venue-service',
      pod_template_hash: POD_TEMPLATE_HASH,
    });
    // The meta label only chose the path; it is not kept.
    expect(up[0]?.metric).not.toHaveProperty('__metrics_path__');

    // Each target has its own scrape offset, so the self-scrape may land a little after the pod's.
    await waitFor(
      'Prometheus to scrape itself',
      async () => (await queryInstant(url, 'up{job="prometheus"}')).map((s) => s.value).join() === '1',
      10_000,
      500,
    );
  });

  it('computes a 5xx share of about 0.1 with the error-rate PromQL, per namespace and app', async () => {
    const url = prom?.url ?? '';
    let share = NaN;
    let metric: Record<string, string> = {};
    await waitFor(
      'the error-rate query to have a value',
      async () => {
        const r = await queryInstant(url, VENUE_SERVICE_ERROR_RATE);
        share = r[0]?.value ?? NaN;
        metric = r[0]?.metric ?? {};
        return Number.isFinite(share);
      },
      30_000,
      1000,
    );
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
    expect(metric).toEqual({ namespace: NAMESPACE, app: 'venue-service' });

    const p50 = await queryInstant(url, VENUE_SERVICE_P50_LATENCY);
    expect(p50[0]?.metric).toEqual({ namespace: NAMESPACE });
    expect(p50[0]?.value).toBeGreaterThan(0.05);
    expect(p50[0]?.value).toBeLessThanOrEqual(0.1);
  });

  it('returns range data and turns a bad query into a non-retryable invalid RipcordError', async () => {
    const url = prom?.url ?? '';
    const end = new Date();
    const series = await createPrometheusClient({ baseUrl: url }).range(
      'up{app="venue-service"}',
      new Date(end.getTime() - 20_000),
      end,
      2,
    );
    expect(series).toHaveLength(1);
    expect(series[0]?.values.length).toBeGreaterThan(1);
    expect(series[0]?.values.every((p) => p.value === 1 && p.t > 0)).toBe(true);

    const err = await queryInstant(url, 'sum(').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect(err).toMatchObject({ kind: 'invalid', retryable: false });

    const down = await queryInstant('http://127.0.0.1:1', 'up').catch((e: unknown) => e);
    expect(down).toMatchObject({ kind: 'unreachable', retryable: true });
  });

  it('fires VenueServiceHighErrorRate in Alertmanager with its namespace, and notifies the webhook', async () => {
    const amUrl = am?.url ?? '';
    let found: Awaited<ReturnType<typeof alerts>> = [];
    await waitFor(
      'Alertmanager to show VenueServiceHighErrorRate active',
      async () => {
        found = await alerts(amUrl, { alertname: 'VenueServiceHighErrorRate', namespace: NAMESPACE });
        return found.some((a) => a.status.state === 'active');
      },
      60_000,
      1000,
    );
    const alert = found.find((a) => a.status.state === 'active');
    expect(alert?.labels).toMatchObject({
      alertname: 'VenueServiceHighErrorRate',
      namespace: NAMESPACE,
      app: 'venue-service',
      severity: 'high',
      service: 'venue-service',
    });
    expect(alert?.annotations.summary).toMatch(/answers \d+(\.\d+)?% of requests with 5xx/);
    expect(alert?.status.silencedBy).toEqual([]);
    expect(alert?.receivers.map((r) => r.name)).toEqual(['webhook']);

    // The filter is applied by Alertmanager: another namespace matches nothing.
    expect(await alerts(amUrl, { alertname: 'VenueServiceHighErrorRate', namespace: 'elsewhere' })).toEqual(
      [],
    );

    await waitFor(
      'the webhook to receive the firing alert',
      async () =>
        webhook.some(
          (p) =>
            p.status === 'firing' && p.alerts.some((a) => a.labels.alertname === 'VenueServiceHighErrorRate'),
        ),
      15_000,
      250,
    );
  });

  it('reloads changed rules through the lifecycle API and refuses broken ones', async () => {
    const url = prom?.url ?? '';
    writeFileSync(
      extraRules,
      'groups:\n  - name: extra\n    rules:\n      - record: ripcord_test:up:sum\n        expr: sum(up)\n',
    );
    await reloadPrometheus(url);
    await waitFor(
      'the reloaded recording rule to produce a series',
      async () => (await queryInstant(url, 'ripcord_test:up:sum')).length === 1,
      20_000,
      500,
    );

    writeFileSync(
      extraRules,
      'groups:\n  - name: broken\n    rules:\n      - record: x\n        expr: sum(\n',
    );
    const err = await reloadPrometheus(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect(err).toMatchObject({ kind: 'invalid' });
    // A rejected reload keeps the previous rules running.
    expect((await queryInstant(url, 'up{job="prometheus"}'))[0]?.value).toBe(1);
  });

  it('runs a second Alertmanager beside the first without a port collision', async () => {
    const second = await startAlertmanager({
      dir: join(tmp, 'alertmanager-2'),
      logFile: join(tmp, 'logs', 'alertmanager-2.log'),
    });
    try {
      expect(second.url).not.toBe(am?.url);
      expect(await alerts(second.url)).toEqual([]);
    } finally {
      await stopProcessGroup(second.pid);
    }
    expect(isAlive(second.pid)).toBe(false);
  });

  it('fails fast with the log tail when a fixed port is taken', async () => {
    // Drops every connection, so neither our readiness probe nor close() waits on a half-open socket.
    const squatter = createNetServer((socket) => socket.destroy());
    const port = await freePort();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', () => resolve()));
    try {
      const err = await startAlertmanager({
        dir: join(tmp, 'alertmanager-3'),
        logFile: join(tmp, 'logs', 'alertmanager-3.log'),
        port,
      }).catch((e: unknown) => e);
      expect(String(err)).toMatch(/alertmanager exited during start-up[\s\S]*address already in use/);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('stops both servers with stopProcessGroup and leaves no process behind', async () => {
    const pids = [prom?.pid, am?.pid].filter((p): p is number => p !== undefined);
    expect(pids).toHaveLength(2);
    for (const pid of pids) await stopProcessGroup(pid);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    prom = undefined;
    am = undefined;
  });
});

describe('venue-service alert rules (promtool test rules)', () => {
  // promtool evaluates the rule file against synthetic series, so the latency rule's `offset 10m` baseline is
  // exercised without waiting ten real minutes.
  it('fire on >1% 5xx and on P50 above 1.5x its value 10 minutes earlier, and stay quiet otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripcord-rules-'));
    try {
      const rules = writeVenueServiceRules(join(dir, 'rules'));
      const testFile = join(dir, 'rules.test.yml');
      writeFileSync(testFile, promtoolTests(rules));
      const out = await new Promise<{ code: number; text: string }>((resolve) => {
        execFile('promtool', ['test', 'rules', testFile], (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, text: `${stdout}${stderr}` }),
        );
      });
      expect(out.code, out.text).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A promtool unit-test file: 10% errors in ns "bad", 0.5% in ns "good"; latency that doubles at minute 12. */
function promtoolTests(rulesFile: string): string {
  const ok = (n: number) => `0+${n}x30`;
  // Buckets grow per 15 s step. Until minute 10 every request is fast (le 0.1); from then on all are slow.
  const fastThenSlow = (bucket: '0.1' | '0.5' | '+Inf') =>
    bucket === '0.1' ? '0+10x40 400+0x40' : '0+10x40 400+10x40';
  return [
    `rule_files: [${JSON.stringify(rulesFile)}]`,
    'evaluation_interval: 15s',
    'tests:',
    '  - interval: 15s',
    '    input_series:',
    `      - series: 'http_requests_total{app="venue-service",namespace="bad",status="200"}'`,
    `        values: '${ok(90)}'`,
    `      - series: 'http_requests_total{app="venue-service",namespace="bad",status="500"}'`,
    `        values: '${ok(10)}'`,
    `      - series: 'http_requests_total{app="venue-service",namespace="good",status="200"}'`,
    `        values: '${ok(199)}'`,
    `      - series: 'http_requests_total{app="venue-service",namespace="good",status="500"}'`,
    `        values: '${ok(1)}'`,
    ...(['0.1', '0.5', '+Inf'] as const).flatMap((le) => [
      `      - series: 'http_request_duration_seconds_bucket{app="venue-service",namespace="slow",le="${le}"}'`,
      `        values: '${fastThenSlow(le)}'`,
    ]),
    '    alert_rule_test:',
    '      - eval_time: 5m',
    '        alertname: VenueServiceHighErrorRate',
    '        exp_alerts:',
    '          - exp_labels: { namespace: bad, app: venue-service, severity: high, service: venue-service }',
    '            exp_annotations:',
    '              summary: venue-service in bad answers 10% of requests with 5xx (runbook threshold 1%)',
    '      - eval_time: 9m',
    '        alertname: VenueServiceHighLatency',
    '        exp_alerts: []',
    '      - eval_time: 12m',
    '        alertname: VenueServiceHighLatency',
    '        exp_alerts:',
    '          - exp_labels: { namespace: slow, severity: high, service: venue-service }',
    '            exp_annotations:',
    '              summary: venue-service P50 latency in slow is 300ms, more than 1.5x its value 10 minutes ago',
    '',
  ].join('\n');
}
