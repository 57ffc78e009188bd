import { describe, expect, it } from 'vitest';
import { planningView, snapshotOnce } from '../../src/app/planning-view.js';
import type { DeploymentSnapshot } from '../../src/core/ports.js';

function countingKube() {
  const calls: string[] = [];
  let fail = false;
  const kube = {
    marker: 'kube',
    async snapshot(namespace: string, name: string): Promise<DeploymentSnapshot> {
      calls.push(`snapshot ${namespace}/${name}`);
      if (fail) throw new Error('apiserver down');
      return { deployment: { metadata: { name, namespace } }, replicaSets: [] } as DeploymentSnapshot;
    },
    async readLock(this: { marker: string }): Promise<string> {
      calls.push('readLock');
      return this.marker;
    },
  };
  return { kube, calls, failNext: (f: boolean) => (fail = f) };
}

describe('planningView: one read of each Deployment while planning', () => {
  it('reads a Deployment once however many ask, each Deployment apart; the same object for all', async () => {
    const { kube, calls } = countingKube();
    const once = snapshotOnce(kube);
    const [a, b] = await Promise.all([once.snapshot('ns', 'web'), once.snapshot('ns', 'web')]);
    const c = await once.snapshot('ns', 'web');
    await once.snapshot('ns', 'api');
    await once.snapshot('other', 'web');
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(calls).toEqual(['snapshot ns/web', 'snapshot ns/api', 'snapshot other/web']);
  });

  it('a failed read is not kept: the next caller reads again', async () => {
    const { kube, calls, failNext } = countingKube();
    const once = snapshotOnce(kube);
    failNext(true);
    await expect(once.snapshot('ns', 'web')).rejects.toThrow('apiserver down');
    failNext(false);
    await expect(once.snapshot('ns', 'web')).resolves.toMatchObject({ replicaSets: [] });
    expect(calls).toEqual(['snapshot ns/web', 'snapshot ns/web']);
  });

  it('other methods pass through, bound to the real client; the context keeps the rest of itself', async () => {
    const { kube, calls } = countingKube();
    const ctx = {
      kube,
      service: { name: 'venue-service' },
      newRun(this: { service: { name: string } }) {
        return this.service.name;
      },
    };
    const view = planningView(ctx);
    expect(await view.kube.readLock()).toBe('kube');
    expect(view.service).toBe(ctx.service);
    expect(view.newRun()).toBe('venue-service');
    await view.kube.snapshot('ns', 'web');
    await view.kube.snapshot('ns', 'web');
    // The original context is untouched: a run made with it reads live.
    await ctx.kube.snapshot('ns', 'web');
    expect(calls).toEqual(['readLock', 'snapshot ns/web', 'snapshot ns/web']);
    expect(ctx.kube).toBe(kube);
  });
});
