import { describe, expect, it } from 'vitest';
import { planAppRollback, type SetTemplateDesired } from '../../src/scenarios/app/plan.js';
import { maskTemplateEnv, templateHash } from '../../src/core/app-rollback/template-hash.js';
import { RipcordError } from '../../src/core/errors.js';
import { history, podTemplate } from '../support/k8s-fixtures.js';

const now = new Date('2025-03-01T12:00:00Z');
const service = {
  name: 'venue-service',
  namespace: 'tickettoken',
  healthUrl: 'http://venue/health',
  verifyWindowMs: 30_000,
};

const v1 = podTemplate({
  image: 'venue-service:v1',
  env: [
    { name: 'DB_URL', value: 'postgres://user:s3cret@db/venues' },
    { name: 'OLD_FLAG', value: '1' },
  ],
  resources: { limits: { cpu: '500m', memory: '256Mi' } },
  annotations: { 'prometheus.io/scrape': 'true' },
});
const v2 = podTemplate({
  image: 'venue-service:v2',
  env: [
    { name: 'DB_URL', value: 'postgres://user:0ther-s3cret@db/venues' },
    { name: 'NEW_FLAG', value: 'on' },
  ],
  resources: { limits: { cpu: '1', memory: '256Mi' } },
  labels: { track: 'stable' },
});

describe('planAppRollback', () => {
  const snap = history([v1, v2], {
    deploymentAnnotations: { 'kubernetes.io/change-cause': 'release v2' },
    rsAnnotations: [
      { 'kubernetes.io/change-cause': 'release v1' },
      { 'kubernetes.io/change-cause': 'release v2' },
    ],
  });
  const plan = planAppRollback(service, snap, { rtoTargetMs: 300_000, now });

  it('plans lock, set-template, wait, verify, unlock', () => {
    expect(plan.steps.map((s) => [s.id, s.kind])).toEqual([
      ['acquire-lock', 'k8s.acquire-lock'],
      ['set-template', 'k8s.set-deployment-template'],
      ['wait-rollout', 'k8s.wait-rollout'],
      ['verify', 'app.verify'],
      ['release-lock', 'k8s.release-lock'],
    ]);
    expect(plan).toMatchObject({
      service: 'venue-service',
      scenario: 'app',
      namespace: 'tickettoken',
      createdAt: now.toISOString(),
      rtoTargetMs: 300_000,
      from: { revision: 2, images: ['venue-service:v2'], changeCause: 'release v2' },
      to: { revision: 1, images: ['venue-service:v1'], changeCause: 'release v1' },
    });
    expect(plan.noop).toBeUndefined();
  });

  it("sets kubectl's template and annotations as desired state, with a hash-blind postcondition", () => {
    const step = plan.steps[1];
    const desired = step?.desired as SetTemplateDesired;
    // The journal keeps no literal env value: the template is masked, the ReplicaSet named and hashed, and
    // the step reads the real template from it when it runs.
    expect(desired.template).toEqual(maskTemplateEnv(v1));
    expect(JSON.stringify(plan)).not.toContain('s3cret');
    expect(desired.template.spec?.containers[0]?.env).toEqual([
      { name: 'DB_URL', value: '<masked>' },
      { name: 'OLD_FLAG', value: '<masked>' },
    ]);
    expect(desired.templateHash).toBe(templateHash(v1));
    expect(desired.replicaSetUid).toMatch(/^rs-/);
    expect(desired.from).toEqual({
      templateHash: templateHash(v2),
      resourceVersion: '1234',
      images: ['venue-service:v2'],
    });
    expect(desired.annotations).toEqual({
      'deployment.kubernetes.io/revision': '2',
      'kubernetes.io/change-cause': 'release v1',
    });
    expect(desired).toMatchObject({ deployment: 'venue-service', deploymentUid: 'd-uid-1', toRevision: 1 });
    expect(step?.postcondition).toBe("Deployment template equals revision 1's (ignoring pod-template-hash).");
    expect(plan.steps[0]).toMatchObject({
      desired: { namespace: 'tickettoken', lockName: 'ripcord-venue-service', leaseSeconds: 900 },
      recheckOnResume: true,
    });
    expect(plan.steps[3]?.desired).toMatchObject({
      labelSelector: 'app=venue-service',
      healthUrl: 'http://venue/health',
      windowMs: 30_000,
      podTemplateHash: snap.replicaSets[0]?.metadata?.labels?.['pod-template-hash'],
    });
  });

  it('lists the changes: images, env names (never values), resources, labels, annotations', () => {
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        {
          field: 'containers[venue-service].image',
          change: 'changed',
          from: 'venue-service:v2',
          to: 'venue-service:v1',
        },
        { field: 'containers[venue-service].env[DB_URL]', change: 'changed' },
        { field: 'containers[venue-service].env[NEW_FLAG]', change: 'removed' },
        { field: 'containers[venue-service].env[OLD_FLAG]', change: 'added' },
        { field: 'containers[venue-service].resources.limits.cpu', change: 'changed', from: '1', to: '500m' },
        { field: 'template.labels[track]', change: 'removed', from: 'stable' },
        { field: 'template.annotations[prometheus.io/scrape]', change: 'added', to: 'true' },
        {
          field: 'metadata.annotations[kubernetes.io/change-cause]',
          change: 'changed',
          from: 'release v2',
          to: 'release v1',
        },
      ]),
    );
    expect(plan.changes).toHaveLength(8);
    expect(JSON.stringify(plan.changes)).not.toMatch(/s3cret|postgres:/);
  });

  it("is a noop with kubectl's message when the target is the current template", () => {
    const p = planAppRollback(service, snap, { toRevision: 2, rtoTargetMs: 300_000, now });
    expect(p.noop).toBe('skipped rollback (current template already matches revision 2)');
    expect(p.steps).toEqual([]);
    expect(p.changes).toEqual([]);
  });

  it("passes kubectl's refusals through", () => {
    expect(() => planAppRollback(service, history([v1]), { rtoTargetMs: 1, now })).toThrow(
      /no rollout history found for deployment "venue-service"/,
    );
    const paused = history([v1, v2], { paused: true });
    try {
      planAppRollback(service, paused, { rtoTargetMs: 1, now });
      throw new Error('expected refusal');
    } catch (err) {
      expect((err as RipcordError).kind).toBe('refused');
    }
  });

  it('warns when there is no health URL or when only configuration differs', () => {
    const same = podTemplate({ image: 'venue-service:v2', env: [{ name: 'A', value: '1' }] });
    const p = planAppRollback({ name: 'venue-service', namespace: 'tickettoken' }, history([same, v2]), {
      rtoTargetMs: 300_000,
      now,
    });
    expect(p.warnings).toEqual([
      'no health URL configured: verification checks pods only',
      'revision 1 runs the same images as revision 2; only configuration differs',
    ]);
  });
});
