/**
 * The watch on the traffic strategies, under real load through the sandbox router with real Prometheus
 * scraping the real pods: a blue-green switch to a bad colour is judged against the old colour before the
 * switch, and rolled back by switching back; a bad canary is judged against its stable pods over the same
 * intervals, and rolled back by the weight reset. Asserts the cluster (selector, weights) and which release
 * answers afterwards.
 */
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISTIO_CANARY_SECTION } from '../support/canary-rollback.js';
import { ripcord } from '../support/cli.js';
import {
  adminKubeConfig,
  deployBlueGreenVenue,
  deployCanaryVenue,
  testNamespace,
  versionsServed,
} from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import { backgroundLoad, detectBlock, type WatchDecisionJson } from '../support/watch-helpers.js';

interface TrafficDecision extends WatchDecisionJson {
  judgement: WatchDecisionJson['judgement'] & {
    release: WatchDecisionJson['judgement']['release'] & {
      deployment: string;
      strategy?: string;
      startedAt: string;
      previous?: { deployment?: string; images: string[] };
    };
  };
}

/** Starts `ripcord watch --until-decided` now; resolves with its one decision. */
function watchInBackground(config: string): Promise<TrafficDecision> {
  return ripcord(
    ['--config', config, 'watch', 'venue-service', '--until-decided', '-o', 'json'],
    {},
    240_000,
  ).then((res) => {
    if (res.code !== 0) throw new Error(`watch exited ${res.code}: ${res.stderr}`);
    const all = JSON.parse(res.stdout) as TrafficDecision[];
    if (all.length !== 1 || !all[0]) throw new Error(`expected one decision: ${res.stdout}\n${res.stderr}`);
    return all[0];
  });
}

describe('ripcord watch on a blue-green service', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let stopLoad: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    ns = await testNamespace('watch-bg');
  });
  afterAll(async () => {
    await stopLoad();
    await ns?.cleanup();
  });

  it('a switch to a bad colour is judged against the old colour before the switch, and switched back', async () => {
    const { url } = await deployBlueGreenVenue(ns.name, 'v1.2.2'); // blue, live
    const config = writeServiceConfig({
      namespace: ns.name,
      url,
      verifyWindow: '1s',
      extra: [
        '    blueGreen:',
        '      service: venue-service',
        '      colours: { blue: venue-service-blue, green: venue-service-green }',
        '      scaleDownAfter: 1s',
        '      releaseHeader: x-venue-version',
        ...detectBlock({ bake: '60s' }),
      ],
    });
    stopLoad = backgroundLoad(url, 40);
    await sleep(12_000); // the healthy colour under load: the baseline Prometheus will be asked for
    const decided = watchInBackground(config);
    await sleep(4_000); // the watch has seen blue live (baked) before the switch
    const deployed = await deployBlueGreenVenue(ns.name, 'v1.2.3'); // green gets it, then the switch
    expect(deployed.to).toBe('green');
    const d = await decided;

    expect(d.judgement.release).toMatchObject({
      deployment: 'venue-service-green',
      images: ['venue-service:v1.2.3'],
      strategy: 'blue-green',
      previous: { deployment: 'venue-service-blue', images: ['venue-service:v1.2.2'] },
    });
    expect(d.judgement.decision).toBe('rollback');
    expect(d.judgement.triggers.find((t) => t.trigger === 'error-rate')?.verdict).toBe('fail');
    expect(d.action).toBe('rolled-back');
    expect(d.status).toBe('succeeded');
    const svc = await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .readNamespacedService({ name: 'venue-service', namespace: ns.name });
    expect(svc.spec?.selector).toEqual({ app: 'venue-service', version: 'blue' });
    expect(await versionsServed(url, 10)).toEqual({ 'v1.2.2': 10 });

    const show = await ripcord(['--config', config, 'show', d.runId ?? '', '-o', 'json']);
    expect((JSON.parse(show.stdout) as { run: { scenario: string } }).run.scenario).toBe('blue-green');
    const explain = await ripcord(['--config', config, 'explain', d.runId ?? '']);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toMatch(
      /^baseline: the previous colour, deployment\/venue-service-blue revision \d+ \(venue-service:v1\.2\.2\), before the switch$/m,
    );
    expect(explain.stdout).toMatch(/^switched to at /m);
  });
});

describe('ripcord watch on a canary', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let stopLoad: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    ns = await testNamespace('watch-canary');
  });
  afterAll(async () => {
    await stopLoad();
    await ns?.cleanup();
  });

  it('a bad canary is judged against its stable pods over the same intervals, and its weight reset', async () => {
    // Stable v1.2.2 (2 pods) and the canary v1.2.3 (1 pod, 5% 5xx), split 50/50 by the Istio VirtualService.
    const url = await deployCanaryVenue(ns.name, { weight: 50, router: 'VirtualService' });
    const config = writeServiceConfig({
      namespace: ns.name,
      url,
      verifyWindow: '1s',
      extra: [...ISTIO_CANARY_SECTION, ...detectBlock({ bake: '60s' })],
    });
    stopLoad = backgroundLoad(url, 40);
    const d = await watchInBackground(config);

    expect(d.judgement.release).toMatchObject({
      deployment: 'venue-service-canary',
      images: ['venue-service:v1.2.3'],
      strategy: 'canary',
      previous: { deployment: 'venue-service', images: ['venue-service:v1.2.2'] },
    });
    expect(d.judgement.decision).toBe('rollback');
    expect(d.judgement.triggers.find((t) => t.trigger === 'error-rate')?.verdict).toBe('fail');
    expect(d.action).toBe('rolled-back');
    expect(d.status).toBe('succeeded');
    const vs = (await adminKubeConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1beta1',
      namespace: ns.name,
      plural: 'virtualservices',
      name: 'venue-service',
    })) as { spec: { http: Array<{ route: Array<{ weight?: number }> }> } };
    expect(vs.spec.http[0]?.route.map((r) => r.weight)).toEqual([100, 0]);
    expect(await versionsServed(url, 10)).toEqual({ 'v1.2.2': 10 });

    const show = await ripcord(['--config', config, 'show', d.runId ?? '', '-o', 'json']);
    expect((JSON.parse(show.stdout) as { run: { scenario: string } }).run.scenario).toBe('canary');
    const explain = await ripcord(['--config', config, 'explain', d.runId ?? '']);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toMatch(
      /^baseline: the stable pods, deployment\/venue-service revision \d+ \(venue-service:v1\.2\.2\), over the same intervals$/m,
    );
    expect(explain.stdout).toMatch(
      /^Canary revision \d+ \(venue-service:v1\.2\.3\) of deployment\/venue-service-canary/m,
    );
  });
});
