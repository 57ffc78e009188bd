/**
 * The watch on a cluster whose pod scrape puts no pod_template_hash on targets (kube-prometheus' default): the
 * sandbox scrapes this namespace's pods without it (the ripcord.dev/scrape-pod-template-hash annotation) and
 * its kube-state-metrics stand-in exports kube_pod_labels. With `releaseBy: kube-state-metrics` the watch still
 * judges the new ReplicaSet alone: the 5 % 5xx release v1.2.3 is caught and rolled back. Named outside
 * the watch's solo group (vitest.config.ts) on purpose: its verdict is the error rate only, which other files' load does not move, so it
 * runs in the parallel group instead of adding its minute and a half to the solo one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusClient } from '../../src/adapters/prometheus/client.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { NO_RELEASE_LABEL_ANNOTATION } from '../../src/sandbox/kubelet/file-sd.js';
import { waitFor } from '../../src/sandbox/process.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { adminKubeConfig, deployVenueService, sandbox, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import {
  backgroundLoad,
  detectBlock,
  ERROR_RATE_DECIDES,
  expectRolledBackBy,
  watchUntilDecided,
} from '../support/watch-helpers.js';

describe('ripcord watch without a pod_template_hash target label (releaseBy: kube-state-metrics)', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;
  let stopLoad: () => Promise<void> = async () => undefined;
  const prom = () => {
    const url = sandbox().prometheus?.url;
    if (!url) throw new Error('the sandbox has no Prometheus (state.prometheus missing)');
    return createPrometheusClient({ baseUrl: url });
  };

  beforeAll(async () => {
    ns = await testNamespace('watchksm');
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    const kc = adminKubeConfig();
    await kc.makeApiClient(AppsV1Api).patchNamespacedDeployment(
      {
        name: 'venue-service',
        namespace: ns.name,
        body: {
          spec: { template: { metadata: { annotations: { [NO_RELEASE_LABEL_ANNOTATION]: 'false' } } } },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await waitForDeploymentRollout(kc, ns.name, 'venue-service', { timeoutMs: 120_000 });
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: detectBlock({
        bake: '60s',
        // Only the error-rate trigger decides: this file runs beside others (not in the watch's solo group), and
        // their CPU load must not make a latency verdict come first.
        extra: ['metrics: { profile: prom-client, releaseBy: kube-state-metrics }', ERROR_RATE_DECIDES],
      }),
    });
    stopLoad = backgroundLoad(url, 40);
    // A baseline of the healthy release under load, longer than the 15 s after its rollout a baseline skips.
    await sleep(25_000);
  }, 240_000);
  afterAll(async () => {
    await stopLoad();
    await ns?.cleanup();
  });

  it('the set-up is real: no release label on the app series, kube_pod_labels for its pods', async () => {
    const sel = `namespace="${ns.name}",app="venue-service"`;
    await waitFor(
      'kube_pod_labels of the namespace',
      async () => (await prom().instant(`kube_pod_labels{namespace="${ns.name}"}`)).length >= 2,
      30_000,
    );
    expect(await prom().instant(`http_requests_total{${sel},pod_template_hash!=""}`)).toEqual([]);
    expect((await prom().instant(`http_requests_total{${sel}}`)).length).toBeGreaterThan(0);
  });

  it('5% 5xx (v1.2.3) is caught on the new ReplicaSet alone and rolled back to v1.2.2', async () => {
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    const { d } = await watchUntilDecided(config);
    await expectRolledBackBy(d, { image: 'venue-service:v1.2.3', trigger: 'error-rate', ns: ns.name });
    expect(d.status).toBe('succeeded');
  });
});
