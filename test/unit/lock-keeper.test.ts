import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseHolderIdentity, lockHolderFor, processIdentity } from '../../src/core/lock-identity.js';
import { createLockKeeper } from '../../src/core/lock-keeper.js';
import type { KubernetesPort, LockHolder } from '../../src/core/ports.js';

const clock = { now: () => new Date() };

/** A Lease table with a switch to make renewals fail or hand the Lease to somebody else. */
function leases() {
  let mode: 'ok' | 'error' | 'stolen' | 'hang' | 'slow' = 'ok';
  const renewals: string[] = [];
  const starts: number[] = [];
  const kube = {
    async acquireLock(_ns: string, _name: string, holder: string) {
      starts.push(Date.now());
      if (mode === 'error') throw new Error('the API server did not answer');
      // A server that accepted the connection and never answers (the request timeout is longer than the lease).
      if (mode === 'hang') return new Promise(() => undefined);
      // Every renewal answers, but 2.2 s after it was sent: the lease's clock restarted when it was sent.
      if (mode === 'slow') await sleep(2_200);
      if (mode === 'stolen') {
        const heldBy: LockHolder = {
          holder: 'ripcord/r-other@h:1:ab',
          since: '',
          leaseDurationSeconds: 3,
          expiresAt: '',
        };
        return { acquired: false as const, heldBy };
      }
      renewals.push(holder);
      return { acquired: true as const };
    },
  } as unknown as KubernetesPort;
  return { kube, renewals, starts, set: (m: typeof mode) => (mode = m) };
}

const lock = { namespace: 'ns', lockName: 'ripcord-x', holder: 'ripcord/r-1@h:2:cd', leaseSeconds: 3 };

describe('lock keeper', () => {
  it('renews every third of the lease while held, and stops when released', async () => {
    const t = leases();
    const lost: string[] = [];
    const keeper = createLockKeeper({ kube: t.kube, clock, onLost: (w) => lost.push(w), periodMs: () => 20 });
    keeper.hold(lock);
    await sleep(150);
    expect(t.renewals.length).toBeGreaterThanOrEqual(3);
    keeper.forget('ns', 'ripcord-x');
    const n = t.renewals.length;
    await sleep(80);
    expect(t.renewals.length).toBe(n);
    expect(lost).toEqual([]);
  });

  it('stops the run when the Lease was taken by somebody else', async () => {
    const t = leases();
    const lost: string[] = [];
    const keeper = createLockKeeper({ kube: t.kube, clock, onLost: (w) => lost.push(w), periodMs: () => 20 });
    keeper.hold(lock);
    t.set('stolen');
    await sleep(100);
    expect(lost).toEqual(['lost the rollback lock ns/ripcord-x: it is now held by ripcord/r-other@h:1:ab']);
    expect(keeper.held()).toEqual([]);
  });

  it('stops the run when renewals keep failing for 2/3 of the lease, before it can lapse', async () => {
    const t = leases();
    const lost: string[] = [];
    const keeper = createLockKeeper({
      kube: t.kube,
      clock,
      onLost: (w) => lost.push(w),
      periodMs: () => 100,
    });
    keeper.hold({ ...lock, leaseSeconds: 1 });
    t.set('error');
    const deadline = Date.now() + 5_000;
    while (lost.length === 0 && Date.now() < deadline) await sleep(50);
    expect(lost[0]).toMatch(
      /^could not renew the rollback lock ns\/ripcord-x for \ds \(lease 1s\): the API server/,
    );
    keeper.stop();
  });
});

describe('lock keeper: a renewal never outlives the lease', () => {
  async function lostWithin(lost: string[], ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (lost.length === 0 && Date.now() < deadline) await sleep(10);
  }

  it('a renewal that hangs stops the run before the lease can lapse, not after its own request timeout', async () => {
    const t = leases();
    const lost: string[] = [];
    const keeper = createLockKeeper({
      kube: t.kube,
      clock,
      onLost: (w) => lost.push(w),
      periodMs: () => 100,
    });
    keeper.hold({ ...lock, leaseSeconds: 3 });
    await sleep(150); // one good renewal
    expect(t.renewals.length).toBeGreaterThanOrEqual(1);
    t.set('hang');
    const lastGood = t.starts[t.renewals.length - 1] ?? 0;
    await lostWithin(lost, 3_000);
    const stoppedAfter = Date.now() - lastGood;
    expect(lost[0]).toMatch(/the renewal did not answer before the lease could lapse/);
    // Stopped within the lease (3 s) of the last good renewal's start (at 5/6 of it, 2.5 s): a taker could not
    // have had it yet.
    expect(stoppedAfter).toBeLessThan(3_000);
    keeper.stop();
  });

  it('a renewal is counted from when it was sent, not when it returned', async () => {
    const t = leases();
    const lost: string[] = [];
    const keeper = createLockKeeper({
      kube: t.kube,
      clock,
      onLost: (w) => lost.push(w),
      periodMs: () => 100,
    });
    keeper.hold({ ...lock, leaseSeconds: 3 });
    t.set('slow');
    // Sent at 0.1 s, answered at 2.3 s; the next is sent at 2.4 s and may only take until 0.1 + 2.5 s: it cannot
    // answer in time, so the run stops at ~2.6 s. Stamped at the return, it would have gone on for ever.
    await lostWithin(lost, 6_000);
    expect(lost[0]).toMatch(/did not answer before the lease could lapse/);
    const firstSent = t.starts[0] ?? 0;
    expect(Date.now() - firstSent).toBeLessThan(3_000);
    keeper.stop();
  });
});

describe('lock holder identity', () => {
  it('is unique per process and parseable back to host and pid', () => {
    const id = lockHolderFor('r-20261202-1400-ab12', processIdentity('node-1', 4242, '9f3c2a'));
    expect(id).toBe('ripcord/r-20261202-1400-ab12@node-1:4242:9f3c2a');
    expect(parseHolderIdentity(id)).toEqual({ runId: 'r-20261202-1400-ab12', host: 'node-1', pid: 4242 });
    expect(parseHolderIdentity('node-1:17')).toEqual({ host: 'node-1', pid: 17 });
    // Other shapes (a pod name, the identities of older versions) are never taken for a dead local process.
    expect(parseHolderIdentity('ripcord-controller-7d9f')).toBeUndefined();
    expect(parseHolderIdentity('ripcord/r-1')).toBeUndefined();
  });
});
