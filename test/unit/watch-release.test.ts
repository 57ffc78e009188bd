/**
 * Which release the watch judges and against what, per strategy: a rolling deploy against the revision before
 * it (before the rollout), a blue-green colour against the other colour (before the switch), a canary against
 * the stable pods over the same window. The PromQL the sampler sends is checked for each: the baseline's
 * `offset` is what makes a canary's comparison simultaneous.
 */
import type { V1Deployment, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { PrometheusClient } from '../../src/adapters/prometheus/client.js';
import { baselineErrorRate, sampleInterval } from '../../src/adapters/prometheus/release-sampler.js';
import {
  blueGreenReleaseOf,
  canaryReleaseOf,
  releaseOf,
  simultaneousBaseline,
} from '../../src/core/detect/release.js';
import type { DeploymentSnapshot } from '../../src/core/ports.js';

const T0 = new Date('2026-12-03T10:00:00Z');

function snapshot(
  name: string,
  sets: Array<{ revision: number; hash: string; image: string; createdAt: Date }>,
  replicas = 2,
): DeploymentSnapshot {
  const deployment: V1Deployment = {
    metadata: { name, namespace: 'shop', uid: `uid-${name}` },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'x' }] } },
    },
  };
  const replicaSets: V1ReplicaSet[] = sets.map((s) => ({
    metadata: {
      name: `${name}-${s.hash}`,
      namespace: 'shop',
      creationTimestamp: s.createdAt,
      labels: { app: name, 'pod-template-hash': s.hash },
      annotations: { 'deployment.kubernetes.io/revision': String(s.revision) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: `uid-${name}`, controller: true },
      ],
    },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, 'pod-template-hash': s.hash } },
        spec: { containers: [{ name: 'app', image: s.image }] },
      },
    },
  }));
  return { deployment, replicaSets } as DeploymentSnapshot;
}

const minutesAfter = (m: number) => new Date(T0.getTime() + m * 60_000);

describe('the release under watch', () => {
  const stable = snapshot('venue-service', [
    { revision: 3, hash: 'stable3', image: 'venue-service:v1.2.2', createdAt: T0 },
  ]);

  it('rolling: the newest revision against the one before it', () => {
    const r = releaseOf(
      snapshot('venue-service', [
        { revision: 1, hash: 'old1', image: 'venue-service:v1.2.2', createdAt: T0 },
        { revision: 2, hash: 'new2', image: 'venue-service:v1.2.3', createdAt: minutesAfter(5) },
      ]),
    );
    expect(r).toMatchObject({
      revision: 2,
      podTemplateHash: 'new2',
      previous: { revision: 1, podTemplateHash: 'old1', images: ['venue-service:v1.2.2'] },
      startedAt: minutesAfter(5).toISOString(),
    });
    expect(r && simultaneousBaseline(r)).toBe(false);
  });

  it('canary: the canary pods against the stable Deployment’s pods, judged simultaneously', () => {
    const canary = snapshot(
      'venue-service-canary',
      [
        { revision: 1, hash: 'can1', image: 'venue-service:v1.2.3', createdAt: minutesAfter(1) },
        { revision: 2, hash: 'can2', image: 'venue-service:v1.2.4', createdAt: minutesAfter(9) },
      ],
      1,
    );
    const r = canaryReleaseOf(canary, stable, 20);
    expect(r).toMatchObject({
      deployment: 'venue-service-canary',
      revision: 2,
      podTemplateHash: 'can2',
      images: ['venue-service:v1.2.4'],
      strategy: 'canary',
      // Not the canary's own previous revision: the stable pods are the baseline.
      previous: {
        deployment: 'venue-service',
        revision: 3,
        podTemplateHash: 'stable3',
        images: ['venue-service:v1.2.2'],
      },
    });
    expect(r && simultaneousBaseline(r)).toBe(true);
  });

  it('canary: nothing to judge at weight 0 or with the canary scaled to 0', () => {
    const sets = [{ revision: 1, hash: 'can1', image: 'venue-service:v1.2.3', createdAt: T0 }];
    expect(canaryReleaseOf(snapshot('venue-service-canary', sets, 1), stable, 0)).toBeUndefined();
    expect(canaryReleaseOf(snapshot('venue-service-canary', sets, 0), stable, 20)).toBeUndefined();
  });

  it('blue-green: the live colour from the switch on, against the other colour before it', () => {
    const green = snapshot('venue-service-green', [
      { revision: 4, hash: 'green4', image: 'venue-service:v1.2.3', createdAt: minutesAfter(2) },
    ]);
    const blue = snapshot('venue-service-blue', [
      { revision: 2, hash: 'blue2', image: 'venue-service:v1.2.2', createdAt: T0 },
    ]);
    const switchedSeen = minutesAfter(3);
    const r = blueGreenReleaseOf(green, blue, switchedSeen);
    expect(r).toMatchObject({
      deployment: 'venue-service-green',
      revision: 4,
      podTemplateHash: 'green4',
      strategy: 'blue-green',
      startedAt: switchedSeen.toISOString(),
      previous: { deployment: 'venue-service-blue', revision: 2, podTemplateHash: 'blue2' },
    });
    expect(r && simultaneousBaseline(r)).toBe(false);
    // The other colour deleted: judged without a baseline, not refused.
    expect(blueGreenReleaseOf(green, undefined, switchedSeen)?.previous).toBeUndefined();
  });
});

/** A Prometheus that records every query and answers each with one sample. */
function recordingPrometheus(): PrometheusClient & { queries: string[] } {
  const queries: string[] = [];
  return {
    baseUrl: 'http://prometheus.test',
    queries,
    instant: async (q) => {
      queries.push(q);
      return [{ metric: {}, value: q.includes('5..') ? 1 : 100, t: 0 }] as never;
    },
    range: async () => [],
  };
}

describe('the sampler’s windows', () => {
  const o = { app: 'venue-service', intervalSeconds: 10, baselineWindowSeconds: 60 };
  const now = minutesAfter(2);
  const base = {
    namespace: 'shop',
    deployment: 'd',
    revision: 2,
    podTemplateHash: 'new',
    images: [],
    previous: { revision: 1, podTemplateHash: 'base', images: [] },
    startedAt: T0.toISOString(),
  };
  const baselineQueries = (qs: string[]) => qs.filter((q) => q.includes('pod_template_hash="base"'));

  it('rolling: the baseline is read in the window before the rollout (offset = time since start)', async () => {
    const p = recordingPrometheus();
    await sampleInterval(p, base, o, now);
    await baselineErrorRate(p, base, o, now);
    const qs = baselineQueries(p.queries);
    expect(qs.length).toBeGreaterThan(0);
    for (const q of qs) expect(q).toContain('offset 120s');
  });

  it('canary: the baseline is the stable pods over the same window, no offset', async () => {
    const p = recordingPrometheus();
    await sampleInterval(p, { ...base, strategy: 'canary' }, o, now);
    expect(await baselineErrorRate(p, { ...base, strategy: 'canary' }, o, now)).toBe(0.01);
    const qs = baselineQueries(p.queries);
    expect(qs.length).toBeGreaterThan(0);
    for (const q of qs) expect(q).not.toContain('offset');
    // P50 on both sides over the same latency window.
    const p50 = p.queries.filter((q) => q.startsWith('histogram_quantile'));
    expect(p50.map((q) => /\[(\d+)s\]/.exec(q)?.[1])).toEqual(['10', '10']);
  });
});
