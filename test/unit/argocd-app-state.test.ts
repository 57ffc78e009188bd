import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  compareApp,
  containsSubset,
  deploymentHealth,
  resourceSynced,
  worseHealth,
} from '../../src/sandbox/argocd/app-state.js';
import {
  appendHistory,
  instanceName,
  nextHistoryId,
  trackingId,
} from '../../src/sandbox/argocd/application.js';

const deployment = (image: string, extra: object = {}): KubernetesObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'venue-service', labels: { app: 'venue-service' } },
    spec: {
      replicas: 2,
      template: { spec: { containers: [{ name: 'venue-service', image }] } },
    },
    ...extra,
  }) as KubernetesObject;

/** The live object as the API server returns it: defaults filled in, status, more metadata. */
const live = (image: string, status: object = {}, meta: object = {}): KubernetesObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'venue-service',
      namespace: 'ns',
      generation: 3,
      labels: { app: 'venue-service' },
      annotations: { 'deployment.kubernetes.io/revision': '3' },
      ...meta,
    },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate' },
      template: {
        spec: {
          containers: [{ name: 'venue-service', image, imagePullPolicy: 'IfNotPresent' }],
          restartPolicy: 'Always',
        },
      },
    },
    status: {
      observedGeneration: 3,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      ...status,
    },
  }) as KubernetesObject;

describe('Argo CD stand-in: sync status (subset of the manifest in live)', () => {
  it('live with defaults and status added is Synced; another image is OutOfSync', () => {
    expect(resourceSynced(deployment('v:2'), live('v:2'))).toBe(true);
    expect(resourceSynced(deployment('v:2'), live('v:1'))).toBe(false);
    expect(resourceSynced(deployment('v:2'), undefined)).toBe(false);
  });

  it('a label the manifest sets must be there; one it does not set is ignored', () => {
    expect(resourceSynced(deployment('v:2'), live('v:2', {}, { labels: { app: 'other' } }))).toBe(false);
    expect(
      resourceSynced(deployment('v:2'), live('v:2', {}, { labels: { app: 'venue-service', x: 'y' } })),
    ).toBe(true);
  });

  it('arrays compare element by element and must have the same length', () => {
    expect(containsSubset([{ a: 1 }], [{ a: 1, b: 2 }])).toBe(true);
    expect(containsSubset([{ a: 1 }], [{ a: 1 }, { a: 2 }])).toBe(false);
    expect(containsSubset({ cpu: 1 }, { cpu: '1' })).toBe(true);
    expect(containsSubset({ a: { b: 1 } }, { a: null })).toBe(false);
  });
});

describe('Argo CD stand-in: Deployment health (gitops-engine health_deployment.go)', () => {
  it('Healthy when every new replica is updated and available', () => {
    expect(deploymentHealth(live('v:2'), 'venue-service')).toEqual({ status: 'Healthy' });
  });

  it('Progressing while the generation is not observed, replicas are not updated, old ones linger or new ones are not available', () => {
    expect(deploymentHealth(live('v:2', { observedGeneration: 2 }), 'x').status).toBe('Progressing');
    expect(deploymentHealth(live('v:2', { updatedReplicas: 1 }), 'x').message).toBe(
      'Waiting for rollout to finish: 1 out of 2 new replicas have been updated...',
    );
    expect(deploymentHealth(live('v:2', { replicas: 3 }), 'x').message).toBe(
      'Waiting for rollout to finish: 1 old replicas are pending termination...',
    );
    expect(deploymentHealth(live('v:2', { availableReplicas: 1 }), 'x').message).toBe(
      'Waiting for rollout to finish: 1 of 2 updated replicas are available...',
    );
  });

  it('Degraded past the progress deadline; Suspended when paused', () => {
    const stuck = live('v:2', {
      updatedReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    });
    expect(deploymentHealth(stuck, 'venue-service')).toEqual({
      status: 'Degraded',
      message: 'Deployment "venue-service" exceeded its progress deadline',
    });
    const paused = live('v:2');
    (paused as { spec: { paused?: boolean } }).spec.paused = true;
    expect(deploymentHealth(paused, 'x').status).toBe('Suspended');
  });

  it('the Application takes its worst resource health; a missing resource is Missing and OutOfSync', () => {
    expect(worseHealth('Healthy', 'Progressing')).toBe('Progressing');
    expect(worseHealth('Degraded', 'Missing')).toBe('Degraded');
    const svc = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'venue-service' },
    } as KubernetesObject;
    const r = compareApp([
      { desired: deployment('v:2'), live: live('v:2', { availableReplicas: 1 }), namespace: 'ns' },
      { desired: svc, live: undefined, namespace: 'ns' },
    ]);
    expect(r.sync).toBe('OutOfSync');
    expect(r.health).toEqual({ status: 'Missing' });
    expect(r.resources).toEqual([
      {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        namespace: 'ns',
        name: 'venue-service',
        status: 'Synced',
        health: {
          status: 'Progressing',
          message: 'Waiting for rollout to finish: 1 of 2 updated replicas are available...',
        },
      },
      {
        group: '',
        version: 'v1',
        kind: 'Service',
        namespace: 'ns',
        name: 'venue-service',
        status: 'OutOfSync',
        health: { status: 'Missing' },
      },
    ]);
  });
});

describe('Argo CD stand-in: prune', () => {
  it('a tracked live object the manifests no longer hold is OutOfSync, requires pruning, and does not count for health', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'old', namespace: 'ns' },
    } as KubernetesObject;
    const r = compareApp([{ desired: deployment('v:2'), live: live('v:2'), namespace: 'ns' }], [cm]);
    expect(r.sync).toBe('OutOfSync');
    expect(r.health).toEqual({ status: 'Healthy' });
    expect(r.resources.at(-1)).toEqual({
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      namespace: 'ns',
      name: 'old',
      status: 'OutOfSync',
      requiresPruning: true,
    });
  });
});

describe('Argo CD stand-in: history and tracking', () => {
  const entry = (id: number) => ({ id, revision: `sha${id}`, deployedAt: '2026-12-07T00:00:00Z' });

  it('ids count up from 0; the oldest entries go past revisionHistoryLimit (default 10)', () => {
    expect(nextHistoryId([])).toBe(0);
    expect(nextHistoryId([entry(4), entry(7)])).toBe(8);
    const ten = Array.from({ length: 10 }, (_, i) => entry(i));
    expect(appendHistory(ten, entry(10), undefined).map((e) => e.id)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(appendHistory([entry(0), entry(1)], entry(2), 2).map((e) => e.id)).toEqual([1, 2]);
  });

  it("the tracking id is Argo CD's <app>:<group>/<kind>:<namespace>/<name>", () => {
    expect(trackingId('venue', { apiVersion: 'apps/v1', kind: 'Deployment' }, 'ns', 'venue-service')).toBe(
      'venue:apps/Deployment:ns/venue-service',
    );
    expect(trackingId('venue', { apiVersion: 'v1', kind: 'Service' }, 'ns', 's')).toBe('venue:/Service:ns/s');
    // Application.InstanceName: plain in the control-plane namespace, <namespace>_<name> elsewhere.
    expect(instanceName({ name: 'venue', namespace: 'argocd' })).toBe('venue');
    expect(instanceName({ name: 'venue', namespace: 'team-a' })).toBe('team-a_venue');
  });
});
