import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createFlagEnvHandlers } from '../../src/scenarios/flag/env-handlers.js';
import type { StepContext } from '../../src/core/executor.js';
import { planEnvFlagOff } from '../../src/scenarios/flag/plan.js';
import type { DeploymentEnvPort, KubernetesPort } from '../../src/core/ports.js';
import { history, podTemplate } from '../support/k8s-fixtures.js';

const ctx: StepContext = {
  runId: 'r-1',
  signal: new AbortController().signal,
  clock: { now: () => new Date() },
  progress: () => {},
};

function setup(value: string, o: { paused?: boolean } = {}) {
  const snap = history(
    [podTemplate({ image: 'venue-service:v1', env: [{ name: 'FEATURE_NEW_PRICING', value }] })],
    o,
  );
  let live: V1Deployment = snap.deployment;
  const calls: unknown[] = [];
  const kube = { snapshot: async () => ({ deployment: live, replicaSets: snap.replicaSets }) };
  const env: DeploymentEnvPort = {
    async setContainerEnv(_ns, _name, change) {
      calls.push(change);
      const c = live.spec?.template.spec?.containers[0];
      if (c) c.env = [{ name: 'FEATURE_NEW_PRICING', value: change.vars.FEATURE_NEW_PRICING ?? '' }];
    },
  };
  const handler = createFlagEnvHandlers({ kube: kube as unknown as KubernetesPort, env })['flag.set-env'];
  if (!handler) throw new Error('no handler');
  const plan = planEnvFlagOff(
    {
      name: 'venue-service',
      namespace: 'tickettoken',
      deployment: 'venue-service',
      verifyWindowMs: 0,
      healthTimeoutMs: 1000,
    },
    { provider: 'env', name: 'new-pricing', variable: 'FEATURE_NEW_PRICING', offValue: 'false' },
    snap,
    { rtoTargetMs: 60_000, now: new Date() },
  );
  const step = plan.steps.find((s) => s.id === 'set-env');
  if (!step) throw new Error('no set-env step');
  return {
    handler,
    step,
    calls,
    snapResourceVersion: snap.deployment.metadata?.resourceVersion,
    recreate: () => (live = { ...live, metadata: { ...live.metadata, uid: 'other' } }),
  };
}

describe('flag.set-env handler', () => {
  it('patches once with the change-cause, then is satisfied and patches nothing more', async () => {
    const { handler, step, calls, snapResourceVersion } = setup('true');
    expect(snapResourceVersion).toBeTruthy();
    expect(await handler.check(step, ctx)).toBe(false);
    expect(await handler.apply(step, ctx)).toMatchObject({ patched: true, variable: 'FEATURE_NEW_PRICING' });
    expect(calls).toEqual([
      {
        container: 'venue-service',
        vars: { FEATURE_NEW_PRICING: 'false' },
        annotations: {
          'kubernetes.io/change-cause':
            'ripcord rollback venue-service --scenario flag --flag new-pricing: FEATURE_NEW_PRICING=false',
        },
        // The version the guard read goes with the write, as its precondition.
        resourceVersion: snapResourceVersion,
      },
    ]);
    expect(await handler.check(step, ctx)).toBe(true);
    expect(await handler.apply(step, ctx)).toMatchObject({ patched: false });
    expect(calls).toHaveLength(1);
  });

  it('refuses a recreated Deployment (exit 3) and changes nothing', async () => {
    const { handler, step, calls, recreate } = setup('true');
    recreate();
    await expect(handler.apply(step, ctx)).rejects.toMatchObject({ kind: 'refused' });
    expect(await handler.check(step, ctx)).toBe(false);
    expect(calls).toHaveLength(0);
  });

  it('refuses a paused Deployment: the variable would never roll out', async () => {
    const { handler, step, calls } = setup('true', { paused: true });
    await expect(handler.apply(step, ctx)).rejects.toThrow(/is paused/);
    expect(calls).toHaveLength(0);
  });
});
