import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
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
  type TargetSelector,
} from '../../src/adapters/prometheus/index.js';
import { judgeErrorRate } from '../../src/core/judge/index.js';
import { freePort } from '../../src/sandbox/free-port.js';
import { stopProcessGroup, waitFor } from '../../src/sandbox/process.js';
import { startPrometheus, type StartedServer } from '../../src/sandbox/monitoring/index.js';
import { writeJsonAtomic } from '../../src/sandbox/state.js';
import { listen } from '../support/listen.js';

// Real Prometheus (as in monitoring.test.ts) scraping two fake venue-service pods registered through file_sd:
// a canary answering 10% 5xx in 100-200 ms with growing memory, and a stable baseline with no errors in 50-100 ms.

const NAMESPACE = 'prom-adapter';
const APP = 'venue-service';
const CANARY = '7c9d5f6b8';
const STABLE = '5d4f8b7c9';

interface FakePod {
  name: string;
  hash: string;
  server: Server;
  stop: () => Promise<void>;
}

/** Every 100 ms: 10 requests, `failPerTick` of them 500; every request in the bucket ending at `le`. */
function fakePod(
  name: string,
  hash: string,
  failPerTick: number,
  le: '0.1' | '0.2',
  memPerTick: number,
): FakePod {
  let ok = 0;
  let failed = 0;
  let mem = 50 * 1048576;
  const tick = setInterval(() => {
    ok += 10 - failPerTick;
    failed += failPerTick;
    mem += memPerTick;
  }, 100);
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const total = ok + failed;
    const lines = [
      '# TYPE http_requests_total counter',
      `http_requests_total{method="GET",route="/api/venues",status="200"} ${ok}`,
      // Like prom-client: the 500 series only exists once a 500 was answered.
      ...(failed > 0 ? [`http_requests_total{method="GET",route="/api/venues",status="500"} ${failed}`] : []),
      '# TYPE http_request_duration_seconds histogram',
      `http_request_duration_seconds_bucket{le="0.05"} 0`,
      `http_request_duration_seconds_bucket{le="0.1"} ${le === '0.1' ? total : 0}`,
      `http_request_duration_seconds_bucket{le="0.2"} ${total}`,
      `http_request_duration_seconds_bucket{le="+Inf"} ${total}`,
      `http_request_duration_seconds_sum ${total * 0.1}`,
      `http_request_duration_seconds_count ${total}`,
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${mem}`,
      '',
    ];
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n'));
  });
  return {
    name,
    hash,
    server,
    stop: async () => {
      clearInterval(tick);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('Prometheus adapter against a real Prometheus', () => {
  let tmp = '';
  let prom: StartedServer | undefined;
  let client: PrometheusClient;
  const canary = fakePod(`${APP}-${CANARY}-a1b2c`, CANARY, 1, '0.2', 1048576);
  const stable = fakePod(`${APP}-${STABLE}-x2k8p`, STABLE, 0, '0.1', 0);
  const canarySel: TargetSelector = { namespace: NAMESPACE, app: APP, podTemplateHash: CANARY };
  const stableSel: TargetSelector = { namespace: NAMESPACE, app: APP, podTemplateHash: STABLE };
  const window = { windowSeconds: 10 };

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ripcord-prom-adapter-'));
    const targetsDir = join(tmp, 'prometheus', 'targets');
    prom = await startPrometheus({
      dir: join(tmp, 'prometheus'),
      targetsDir,
      logFile: join(tmp, 'logs', 'prometheus.log'),
    });
    for (const pod of [canary, stable]) {
      await listen(pod.server, await freePort());
      const addr = pod.server.address();
      if (addr === null || typeof addr === 'string') throw new Error('pod has no TCP address');
      writeJsonAtomic(join(targetsDir, `${NAMESPACE}_${pod.name}.json`), [
        {
          targets: [`127.0.0.1:${addr.port}`],
          labels: { namespace: NAMESPACE, pod: pod.name, app: APP, pod_template_hash: pod.hash },
        },
      ]);
    }
    client = createPrometheusClient({ baseUrl: prom.url, timeoutMs: 5_000, retries: 2, backoffMs: 100 });
    // Wait until a full window of scrapes exists for both pods.
    await waitFor(
      'Prometheus to have 10 s of both pods',
      async () => {
        const r = await client.instant(`count_over_time(up{namespace="${NAMESPACE}"}[12s])`);
        return r.length === 2 && r.every((s) => s.value >= 5);
      },
      60_000,
      1000,
    );
  }, 120_000);

  afterAll(async () => {
    if (prom) await stopProcessGroup(prom.pid);
    await canary.stop();
    await stable.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('reads 5xx and total counts per pod_template_hash', async () => {
    const c = await readErrorCounts(client, canarySel, window);
    // 100 requests/s over 10 s; increase() extrapolates, so allow some slack.
    expect(c?.requests).toBeGreaterThan(700);
    expect(c?.requests).toBeLessThan(1300);
    expect((c?.errors ?? 0) / (c?.requests ?? 1)).toBeGreaterThan(0.08);
    expect((c?.errors ?? 0) / (c?.requests ?? 1)).toBeLessThan(0.12);
    // No 5xx series at all on the stable pods: zero errors, not "no data".
    const s = await readErrorCounts(client, stableSel, window);
    expect(s?.errors).toBe(0);
    expect(s?.requests).toBeGreaterThan(700);
    // And the SPRT judges the canary bad from these counts.
    expect(judgeErrorRate([c]).verdict).toBe('fail');
    expect(judgeErrorRate([s]).verdict).toBe('pass');
  });

  it('says "no data" (null) for a selector that matches nothing', async () => {
    expect(await readErrorCounts(client, { namespace: 'elsewhere', app: APP }, window)).toBeNull();
    expect(await readP50(client, { namespace: 'elsewhere', app: APP }, window)).toEqual({
      p50: null,
      samples: 0,
    });
  });

  it('reads P50 by histogram_quantile for canary and baseline', async () => {
    const c = await readP50(client, canarySel, window);
    // Every canary request is in (0.1, 0.2]: linear interpolation puts the median at 0.15.
    expect(c.p50).toBeCloseTo(0.15, 5);
    expect(c.samples).toBeGreaterThan(700);
    const l = await readLatencyInterval(client, canarySel, { selector: stableSel, window }, window);
    expect(l?.baselineP50).toBeCloseTo(0.075, 5);
    expect((l?.p50 ?? 0) / (l?.baselineP50 ?? 1)).toBeCloseTo(2, 3);
  });

  it('reads resident memory per pod over a range', async () => {
    const end = new Date();
    const mem = await readResidentMemory(
      client,
      { namespace: NAMESPACE, app: APP },
      new Date(end.getTime() - 10_000),
      end,
      2,
    );
    expect([...mem.keys()].sort()).toEqual([canary.name, stable.name].sort());
    const up = mem.get(canary.name) ?? [];
    expect(up.length).toBeGreaterThan(3);
    expect((up[up.length - 1]?.bytes ?? 0) - (up[0]?.bytes ?? 0)).toBeGreaterThan(0);
    const flat = mem.get(stable.name) ?? [];
    expect(new Set(flat.map((p) => p.bytes)).size).toBe(1);
  });

  it('reports a bad query as invalid and a dead server as unreachable', async () => {
    await expect(client.instant('sum(')).rejects.toMatchObject({ kind: 'invalid', retryable: false });
    const dead = createPrometheusClient({
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      retries: 1,
      backoffMs: 10,
    });
    await expect(dead.instant('up')).rejects.toMatchObject({ kind: 'unreachable', retryable: true });
  });
});
