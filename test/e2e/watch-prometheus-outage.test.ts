/**
 * Safety under faults, the watch's side: Prometheus goes away while a bad release bakes. The controller must
 * neither pass nor roll back on missing data, must say so (/healthz 503 with a reason, a failure counter in
 * /metrics), and must judge again once the data is back: the bad release is still caught and rolled back.
 *
 * The outage is a TCP proxy this test owns in front of the SHARED sandbox Prometheus (closed, then reopened
 * on the same port): the real Prometheus keeps running for every other test.
 */
import { openSqliteJournal } from '../../src/store/sqlite-journal.js';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/sandbox/deploy.js';
import {
  healthz,
  leaderLeaseHolder,
  metricValue,
  startControllerProcess,
  type ControllerProcess,
} from '../support/controller-process.js';
import { waitFor } from '../support/dev-cluster.js';
import { adminKubeConfig, deployVenueService, sandbox, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { backgroundLoad, detectBlock, ERROR_RATE_DECIDES, liveImage } from '../support/watch-helpers.js';

const FAILURES = 'ripcord_watch_interval_failures_total{service="venue-service"}';

describe('watch: Prometheus outage', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;
  let proxy: TcpProxy;
  let ctl: ControllerProcess | undefined;
  let stopLoad: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    ns = await testNamespace('promout');
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    const prometheus = sandbox().prometheus?.url;
    if (!prometheus) throw new Error('the sandbox has no Prometheus');
    proxy = await startTcpProxy(prometheus);
    const detect = detectBlock({
      bake: '60s',
      // unhealthy after 2 failed intervals; retries back off from 3 s to at most 6 s; short query timeout.
      extra: ['failures: { unhealthyAfter: 2, maxBackoff: 6s, queryTimeout: 3s }', ERROR_RATE_DECIDES],
    }).map((l) => (l.startsWith('      prometheusUrl:') ? `      prometheusUrl: ${proxy.url}` : l));
    config = writeServiceConfig({ namespace: ns.name, url, extra: detect });
    stopLoad = backgroundLoad(url, 40);
    // Traffic on the baseline before the bad release, so its error rate is known.
    await new Promise((r) => setTimeout(r, 10_000));
  });
  afterAll(async () => {
    ctl?.proc.kill('SIGKILL');
    await stopLoad();
    await proxy?.close();
    await ns?.cleanup();
  });

  it(
    'data unavailable: no pass, no rollback, /healthz 503; data back: healthy again and the bad release is rolled back',
    { timeout: 420_000 },
    async () => {
      const c = startControllerProcess(config, 'outage-a', ns.name);
      ctl = c;
      await waitFor('the controller to lead', async () =>
        (await leaderLeaseHolder(ns.name)) === 'outage-a' ? true : undefined,
      );
      await waitFor('the controller to serve', async () => c.url());
      const url = c.url() ?? '';
      await waitFor('/healthz 200', async () => ((await healthz(url)).status === 200 ? true : undefined));

      await proxy.close();
      await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
      await waitFor(
        'the watch to notice the rollout and fail intervals',
        async () =>
          c.log.some((l) => /new rollout of venue-service/.test(l)) && (await metricValue(url, FAILURES)) >= 2
            ? true
            : undefined,
        60_000,
      );
      const down = await healthz(url);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ ok: false, leading: true });
      expect(String(down.body.reason)).toMatch(
        /venue-service: \d+ intervals in a row without data: Prometheus .* (failed \(|timed out)/,
      );
      expect(c.log.some((l) => /inconclusive: data unavailable/.test(l))).toBe(true);
      // Keep it down past the point where 5% errors at 40 rps would long have been detected with data.
      await waitFor(
        'more failed intervals',
        async () => ((await metricValue(url, FAILURES)) >= 5 ? true : undefined),
        90_000,
      );

      // While blind: no verdict of any kind, nothing journaled, the bad release still running.
      expect(
        await metricValue(url, 'ripcord_verdicts_total{service="venue-service",decision="rollback"}'),
      ).toBe(0);
      expect(
        await metricValue(url, 'ripcord_verdicts_total{service="venue-service",decision="healthy"}'),
      ).toBe(0);
      expect(await liveImage(ns.name)).toBe('venue-service:v1.2.3');
      const journal = await openSqliteJournal({ path: join(dirname(config), 'journal.db') });
      try {
        expect(await journal.listRuns({ service: 'venue-service' })).toEqual([]);
      } finally {
        await journal.close();
      }
      expect(c.proc.exitCode).toBeNull();

      await proxy.open();
      await waitFor(
        'the bad release to be rolled back once data is back',
        async () =>
          (await liveImage(ns.name)) === 'venue-service:v1.2.2' && c.log.some((l) => /rolled-back/.test(l))
            ? true
            : undefined,
        150_000,
      );
      await waitFor('/healthz 200 again', async () =>
        (await healthz(url)).status === 200 ? true : undefined,
      );
      expect(
        c.log.some((l) => /data available again after \d+ failed interval\(s\); judging resumes/.test(l)),
      ).toBe(true);
      expect(
        await metricValue(url, 'ripcord_verdicts_total{service="venue-service",decision="rollback"}'),
      ).toBe(1);
      expect(
        await metricValue(url, 'ripcord_rollbacks_total{service="venue-service",result="rolled-back"}'),
      ).toBe(1);
      expect(await metricValue(url, 'ripcord_watch_consecutive_failures{service="venue-service"}')).toBe(0);
      const after = await openSqliteJournal({ path: join(dirname(config), 'journal.db') });
      try {
        const runs = await after.listRuns({ service: 'venue-service' });
        expect(runs.map((r) => r.status)).toEqual(['succeeded']);
        expect(runs[0]?.plan.trigger?.decision).toBe('rollback');
      } finally {
        await after.close();
      }
    },
  );
});
