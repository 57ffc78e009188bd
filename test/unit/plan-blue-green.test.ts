import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { RipcordError } from '../../src/core/errors.js';
import { planDiff } from '../../src/core/plan-diff.js';
import { planBlueGreenRollback, type BlueGreenSettings } from '../../src/scenarios/blue-green/plan.js';
import { BLUE_GREEN_STEP_KINDS } from '../../src/scenarios/blue-green/steps.js';
import { rollbackMarkOf, withRollbackMark } from '../../src/core/traffic/rollback-mark.js';

const service = {
  name: 'venue-service',
  namespace: 'tickettoken',
  deployment: 'venue-service',
  healthUrl: 'http://venue/api/venues/health',
  verifyWindowMs: 10_000,
  healthTimeoutMs: 2_000,
  lockLeaseSeconds: 30,
};
const settings: BlueGreenSettings = {
  service: 'venue-service',
  selectorKey: 'version',
  colours: { blue: 'venue-service-blue', green: 'venue-service-green' },
  minReadyShare: 1,
  scaleDownAfterMs: 30_000,
  readyTimeoutMs: 180_000,
  releaseHeader: 'x-venue-version',
  at: 'services.venue-service.blueGreen',
};

function colour(name: string, tag: string, replicas: number, ready: number): V1Deployment {
  return {
    metadata: {
      name,
      namespace: 'tickettoken',
      uid: `uid-${name}`,
      annotations: { 'deployment.kubernetes.io/revision': '1' },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'venue-service', version: name.split('-').pop() as string } },
      template: { spec: { containers: [{ name: 'venue-service', image: `venue-service:${tag}` }] } },
    },
    status: { readyReplicas: ready },
  };
}

const snapshot = (blueReplicas: number, blueReady: number) => ({
  selector: { app: 'venue-service', version: 'green' },
  resourceVersion: '42',
  deployments: {
    blue: colour('venue-service-blue', 'v1.2.2', blueReplicas, blueReady),
    green: colour('venue-service-green', 'v1.2.3', 3, 3),
  },
});
const opts = { rtoTargetMs: 300_000, now: new Date('2026-12-03T07:00:00Z') };

describe('blue-green plan (runbook 5)', () => {
  it('blue healthy: lock, switch to blue, verify traffic and pods, scale green down after the delay, unlock', () => {
    const plan = planBlueGreenRollback(service, settings, snapshot(3, 3), opts);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'switch',
      'verify-traffic',
      'verify',
      'scale-down',
      'release-lock',
    ]);
    const sw = plan.steps[1];
    expect(sw?.kind).toBe(BLUE_GREEN_STEP_KINDS.switchSelector);
    expect(sw?.desired).toMatchObject({
      selector: { app: 'venue-service', version: 'blue' },
      from: { app: 'venue-service', version: 'green' },
      targetDeployment: 'venue-service-blue',
      readyReplicas: 3,
    });
    expect(plan.steps[2]?.desired).toMatchObject({
      colour: 'blue',
      probe: { header: 'x-venue-version', release: 'v1.2.2', requests: 20 },
    });
    expect(plan.steps[3]?.target).toBe('deployment/venue-service-blue -n tickettoken');
    expect(plan.steps[4]?.desired).toMatchObject({
      deployment: 'venue-service-green',
      replicas: 0,
      afterMs: 30_000,
    });
    expect(plan.from).toMatchObject({ images: ['venue-service:v1.2.3'], changeCause: 'version=green' });
    expect(plan.to).toMatchObject({ images: ['venue-service:v1.2.2'], changeCause: 'version=blue' });
    expect(planDiff(plan)).toEqual([
      {
        kind: 'service-selector',
        target: 'service/venue-service -n tickettoken',
        from: { app: 'venue-service', version: 'green' },
        to: { app: 'venue-service', version: 'blue' },
      },
    ]);
  });

  it('blue scaled to 0: scaled up to the live count and waited for BEFORE the switch (no blackout)', () => {
    const plan = planBlueGreenRollback(service, settings, snapshot(0, 0), opts);
    expect(plan.steps.map((s) => s.id).slice(0, 4)).toEqual([
      'acquire-lock',
      'scale-up',
      'wait-ready',
      'switch',
    ]);
    expect(plan.steps[1]?.desired).toMatchObject({
      deployment: 'venue-service-blue',
      replicas: 3,
      afterMs: 0,
    });
    expect(plan.steps[2]?.desired).toMatchObject({
      readyReplicas: 3,
      restoreReplicas: 0,
      timeoutMs: 180_000,
    });
    expect(plan.warnings.join('\n')).toMatch(
      /blue has 0 ready replica\(s\) of the 3 it must serve: it is scaled to 3/,
    );
  });

  it('minReadyShare lowers what the target must have ready', () => {
    const plan = planBlueGreenRollback(service, { ...settings, minReadyShare: 0.5 }, snapshot(2, 2), opts);
    expect(plan.steps.some((s) => s.id === 'scale-up')).toBe(false);
    expect(plan.steps.find((s) => s.id === 'switch')?.desired).toMatchObject({ readyReplicas: 2 });
  });

  it('--keep leaves the colour switched away from running, and says so', () => {
    const plan = planBlueGreenRollback(service, settings, snapshot(3, 3), { ...opts, keep: true });
    expect(plan.steps.some((s) => s.id === 'scale-down')).toBe(false);
    expect(plan.warnings.join('\n')).toMatch(
      /--keep: deployment\/venue-service-green \(green\) keeps running/,
    );
  });

  it('without a release header, which release answers is shown as not checked', () => {
    const { releaseHeader: _unused, ...noHeader } = settings;
    const plan = planBlueGreenRollback(service, noHeader, snapshot(3, 3), opts);
    expect(plan.steps.find((s) => s.id === 'verify-traffic')?.desired).not.toHaveProperty('probe');
    expect(plan.warnings.join('\n')).toMatch(
      /releaseHeader not set: which release answers requests is not checked/,
    );
  });

  it('bad input names the setting: selector key absent, a colour the Service does not select, a missing Deployment', () => {
    const s = snapshot(3, 3);
    expect(() => planBlueGreenRollback(service, { ...settings, selectorKey: 'colour' }, s, opts)).toThrow(
      new RipcordError(
        'invalid',
        'services.venue-service.blueGreen.selectorKey: service/venue-service\'s selector has no "colour" label (it selects app=venue-service, version=green)',
      ),
    );
    expect(() =>
      planBlueGreenRollback(
        service,
        settings,
        { ...s, selector: { app: 'venue-service', version: 'red' } },
        opts,
      ),
    ).toThrow(
      /blueGreen\.colours: service\/venue-service selects version=red, which is none of the configured colours \(blue, green\)/,
    );
    const { blue: _b, ...onlyGreen } = s.deployments;
    expect(() => planBlueGreenRollback(service, settings, { ...s, deployments: onlyGreen }, opts)).toThrow(
      /blueGreen\.colours\.blue: no deployment\/venue-service-blue in namespace tickettoken/,
    );
  });
});

describe('blue-green: a second rollback', () => {
  it('is "nothing to do" when the live colour is the one the last rollback switched to', () => {
    const s = {
      ...snapshot(3, 3),
      selector: { app: 'venue-service', version: 'blue' },
      lastRollback: {
        colour: 'blue',
        run: 'r-1',
        at: '2026-12-03T06:59:00Z',
        images: ['venue-service:v1.2.2'],
      },
    };
    const plan = planBlueGreenRollback(service, settings, s, opts);
    expect(plan.steps).toEqual([]);
    expect(plan.noop).toBe(
      'service/venue-service already serves blue, which rollback r-1 switched to at 2026-12-03T06:59:00Z; nothing to do (deploy a fixed release to green to move on)',
    );
    // A stale mark is no reason to stop: another colour is live, or blue got a new release since.
    const green = { ...s, selector: { app: 'venue-service', version: 'green' } };
    expect(planBlueGreenRollback(service, settings, green, opts).noop).toBeUndefined();
    const redeployed = { ...s, lastRollback: { ...s.lastRollback, images: ['venue-service:v1.2.1'] } };
    expect(planBlueGreenRollback(service, settings, redeployed, opts).noop).toBeUndefined();
  });
});

describe('the rollback mark on the Service', () => {
  it('reads back what was written, ignores what it does not understand, keeps other annotations', () => {
    const mark = { colour: 'blue', run: 'r-1', at: '2026-12-03T06:59:00Z', images: ['venue-service:v1.2.2'] };
    const a = withRollbackMark({ team: 'venues' }, mark);
    expect(a.team).toBe('venues');
    expect(rollbackMarkOf(a)).toEqual(mark);
    expect(rollbackMarkOf(undefined)).toBeUndefined();
    expect(rollbackMarkOf({ 'ripcord.dev/rolled-back': 'not json' })).toBeUndefined();
    expect(rollbackMarkOf({ 'ripcord.dev/rolled-back': '{"colour":"blue"}' })).toBeUndefined();
  });
});
