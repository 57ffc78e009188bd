/** The rollback lock on a real API server: one holder at a time, takeover only after expiry, no double win. */
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppRollbackHandlers } from '../../src/scenarios/app/handlers.js';
import { createKubernetesAdapter } from '../../src/adapters/kubernetes/kubernetes-adapter.js';
import type { PlanStep } from '../../src/core/plan.js';
import { RipcordError } from '../../src/core/errors.js';
import { kubeConfig, namespaces } from '../support/dev-cluster.js';

const kc = kubeConfig();
const leases = kc.makeApiClient(CoordinationV1Api);
let ns = '';
let cleanup: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const n = await namespaces('rc-lease');
  ns = n.names[0] as string;
  cleanup = n.cleanup;
});
afterAll(async () => cleanup());

/** An adapter whose clock runs `offsetMs` ahead of real time. */
function adapterAt(offsetMs = 0) {
  return createKubernetesAdapter(kc, { clock: { now: () => new Date(Date.now() + offsetMs) } });
}

describe('Lease lock', () => {
  it('refuses a second holder, naming the first', async () => {
    const a = adapterAt();
    expect(await a.acquireLock(ns, 'ripcord-one', 'ripcord/run-a', 60)).toEqual({ acquired: true });
    const second = await a.acquireLock(ns, 'ripcord-one', 'ripcord/run-b', 60);
    expect(second.acquired).toBe(false);
    if (second.acquired) return;
    expect(second.heldBy).toMatchObject({ holder: 'ripcord/run-a', leaseDurationSeconds: 60 });
    expect(Date.parse(second.heldBy.expiresAt) - Date.parse(second.heldBy.since)).toBeGreaterThanOrEqual(
      59_000,
    );

    // Through the step handler, the refusal says who holds it.
    const handlers = createAppRollbackHandlers({
      kube: a,
      probe: { get: async () => ({ status: 200, body: '', ms: 0 }) },
    });
    const step = {
      id: 'acquire-lock',
      kind: 'k8s.acquire-lock',
      desired: { namespace: ns, lockName: 'ripcord-one', leaseSeconds: 60 },
    } as PlanStep;
    const ctx = {
      runId: 'run-b',
      signal: new AbortController().signal,
      clock: { now: () => new Date() },
      progress: () => undefined,
    };
    const err = await handlers['k8s.acquire-lock']!.apply(step, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('refused');
    expect((err as RipcordError).message).toMatch(
      new RegExp(`^another rollback is in progress: lock ${ns}/ripcord-one is held by ripcord/run-a since `),
    );
  });

  it('renews its own lease, keeping acquireTime', async () => {
    const a = adapterAt();
    await a.acquireLock(ns, 'ripcord-renew', 'ripcord/run-a', 30);
    const first = await leases.readNamespacedLease({ name: 'ripcord-renew', namespace: ns });
    await new Promise((r) => setTimeout(r, 20));
    expect(await a.acquireLock(ns, 'ripcord-renew', 'ripcord/run-a', 45)).toEqual({ acquired: true });
    const second = await leases.readNamespacedLease({ name: 'ripcord-renew', namespace: ns });
    expect(String(second.spec?.acquireTime)).toBe(String(first.spec?.acquireTime));
    expect(String(second.spec?.renewTime)).not.toBe(String(first.spec?.renewTime));
    expect(second.spec?.leaseDurationSeconds).toBe(45);
    // MicroTime precision, as the API server writes it.
    expect(String(second.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
  });

  it('takes over only after the lease stayed unchanged for its duration on the taker’s clock, counting the transition', async () => {
    const a = adapterAt();
    await a.acquireLock(ns, 'ripcord-expiry', 'ripcord/run-a', 5);
    // The taker's clock runs 60 s ahead: by the holder's renewTime the lease looks long expired. Expiry is by
    // observed time (client-go), so skew does not hand over a lease: only its staying unchanged does.
    let t = Date.now() + 60_000;
    const b = createKubernetesAdapter(kc, { clock: { now: () => new Date(t) } });
    expect((await b.acquireLock(ns, 'ripcord-expiry', 'ripcord/run-b', 5)).acquired).toBe(false);
    t += 3_000;
    expect((await b.acquireLock(ns, 'ripcord-expiry', 'ripcord/run-b', 5)).acquired).toBe(false);
    t += 3_000;
    expect(await b.acquireLock(ns, 'ripcord-expiry', 'ripcord/run-b', 5)).toEqual({ acquired: true });
    const lease = await leases.readNamespacedLease({ name: 'ripcord-expiry', namespace: ns });
    expect(lease.spec).toMatchObject({ holderIdentity: 'ripcord/run-b', leaseTransitions: 1 });
    expect(await a.readLock(ns, 'ripcord-expiry')).toMatchObject({ holder: 'ripcord/run-b' });
  });

  it('a lease renewed meanwhile is never taken over, however skewed the taker’s clock', async () => {
    const a = adapterAt();
    await a.acquireLock(ns, 'ripcord-renewed', 'ripcord/run-a', 5);
    let t = Date.now() + 60_000;
    const b = createKubernetesAdapter(kc, { clock: { now: () => new Date(t) } });
    for (let i = 0; i < 4; i++) {
      expect((await b.acquireLock(ns, 'ripcord-renewed', 'ripcord/run-b', 5)).acquired).toBe(false);
      await a.acquireLock(ns, 'ripcord-renewed', 'ripcord/run-a', 5); // the holder renews: a new resourceVersion
      t += 3_000;
    }
    expect(await a.readLock(ns, 'ripcord-renewed')).toMatchObject({ holder: 'ripcord/run-a' });
  });

  it('lets exactly one of many concurrent takers win', async () => {
    const takers = Array.from({ length: 6 }, (_, i) =>
      adapterAt().acquireLock(ns, 'ripcord-race', `ripcord/run-${i}`, 60),
    );
    const results = await Promise.all(takers);
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
    const holder = (await adapterAt().readLock(ns, 'ripcord-race'))?.holder;
    for (const r of results) if (!r.acquired) expect(r.heldBy.holder).toBe(holder);
  });

  it('releases only its own lease', async () => {
    const a = adapterAt();
    await a.acquireLock(ns, 'ripcord-release', 'ripcord/run-a', 60);
    await a.releaseLock(ns, 'ripcord-release', 'ripcord/run-b');
    expect(await a.readLock(ns, 'ripcord-release')).toMatchObject({ holder: 'ripcord/run-a' });
    await a.releaseLock(ns, 'ripcord-release', 'ripcord/run-a');
    expect(await a.readLock(ns, 'ripcord-release')).toBeUndefined();
    await a.releaseLock(ns, 'ripcord-release', 'ripcord/run-a'); // absent: still fine
    expect(await a.acquireLock(ns, 'ripcord-release', 'ripcord/run-b', 60)).toEqual({ acquired: true });
  });
});
