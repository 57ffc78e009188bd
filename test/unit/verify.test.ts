import { describe, expect, it } from 'vitest';
import { evaluateVerification, restartCounts, verificationPassed } from '../../src/core/verify.js';
import { pod } from '../support/k8s-fixtures.js';

const byName = (items: ReturnType<typeof evaluateVerification>) =>
  Object.fromEntries(items.map((i) => [i.name, i]));

describe('evaluateVerification', () => {
  const healthy = [
    pod({ name: 'a', hash: 'h1' }),
    pod({ name: 'b', hash: 'h1' }),
    pod({ name: 'c', hash: 'h1' }),
  ];

  it('passes a healthy rollout with evidence for every item', () => {
    const items = evaluateVerification({
      pods: healthy,
      restartBaseline: restartCounts(healthy),
      desiredReplicas: 3,
      windowMs: 60_000,
      expectedPodTemplateHash: 'h1',
      health: { url: 'http://venue/health', status: 200, ms: 12 },
      maxHealthLatencyMs: 500,
    });
    expect(items.map((i) => [i.name, i.status === 'passed'])).toEqual([
      ['pods-ready', true],
      ['replicas', true],
      ['no-crashloop', true],
      ['no-restarts', true],
      ['target-template', true],
      ['health', true],
    ]);
    expect(byName(items)['health']?.evidence).toEqual({
      url: 'http://venue/health',
      status: 200,
      ms: 12,
      maxMs: 500,
    });
    expect(verificationPassed(items)).toBe(true);
  });

  it('fails on not-ready pods, a short replica count and crash loops, naming them', () => {
    const items = byName(
      evaluateVerification({
        pods: [
          pod({ name: 'a' }),
          pod({ name: 'b', ready: false, waiting: 'CrashLoopBackOff' }),
          pod({ name: 'c', phase: 'Pending', ready: false, waiting: 'ImagePullBackOff' }),
        ],
        desiredReplicas: 3,
        windowMs: 60_000,
      }),
    );
    expect(items['pods-ready']).toMatchObject({
      status: 'failed',
      evidence: { notReady: ['b', 'c'], notRunning: ['c'] },
    });
    expect(items['replicas']).toMatchObject({ status: 'failed', evidence: { desired: 3, ready: 1 } });
    expect(items['no-crashloop']?.detail).toBe(
      'b/venue-service: CrashLoopBackOff; c/venue-service: ImagePullBackOff',
    );
  });

  it('fails when a restart count grew within the window, counting new pods from zero', () => {
    const before = restartCounts([pod({ name: 'a', restarts: 2 })]);
    const items = byName(
      evaluateVerification({
        pods: [pod({ name: 'a', restarts: 2 }), pod({ name: 'new', restarts: 1 })],
        restartBaseline: before,
        desiredReplicas: 2,
        windowMs: 30_000,
      }),
    );
    expect(items['no-restarts']).toMatchObject({
      status: 'failed',
      evidence: { increased: [{ key: 'new/venue-service', before: 0, after: 1 }] },
      detail: 'new/venue-service restarted 1x',
    });
  });

  it('ignores terminating pods but reports them', () => {
    const items = byName(
      evaluateVerification({
        pods: [...healthy, pod({ name: 'old', ready: false, terminating: true, hash: 'h0' })],
        desiredReplicas: 3,
        windowMs: 0,
        expectedPodTemplateHash: 'h1',
      }),
    );
    expect(items['pods-ready']).toMatchObject({ status: 'passed', evidence: { terminating: 1 } });
    expect(items['target-template']?.status).toBe('passed');
  });

  it('fails the health item on a non-200, a slow answer or no answer', () => {
    const run = (health: Parameters<typeof evaluateVerification>[0]['health']) =>
      byName(
        evaluateVerification({
          pods: healthy,
          desiredReplicas: 3,
          windowMs: 0,
          health,
          maxHealthLatencyMs: 100,
        }),
      )['health'];
    expect(run({ url: 'u', status: 503, ms: 5 })).toMatchObject({
      status: 'failed',
      detail: 'GET u answered 503, expected 200',
    });
    expect(run({ url: 'u', status: 200, ms: 250 })).toMatchObject({ status: 'failed' });
    expect(run({ url: 'u', error: 'GET u timed out after 5000ms' })).toMatchObject({ status: 'failed' });
  });

  it('without a health URL, health is not checked (never a tick)', () => {
    const items = byName(evaluateVerification({ pods: healthy, desiredReplicas: 3, windowMs: 0 }));
    expect(items['health']).toMatchObject({ status: 'not-checked', enable: 'healthUrl' });
  });

  it('does not pass with no pods at all', () => {
    const items = evaluateVerification({ pods: [], desiredReplicas: 3, windowMs: 0 });
    expect(verificationPassed(items)).toBe(false);
    expect(verificationPassed([])).toBe(false);
  });
});
