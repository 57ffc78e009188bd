/**
 * Leader election against an in-memory Lease (a fake KubernetesPort: only the three lock calls). The fake's
 * acquireLock decides expiry the naive way, renewTime + duration against the CALLER's clock, as the Lease
 * adapter used to: so these tests prove that the election's own observed-time rule is what keeps a skewed
 * replica from taking a live leader's Lease, and that its renew deadline makes a leader on a hung API server
 * step down before another replica can see its Lease as expired.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runLeaderElection, type StoppedReason } from '../../src/cli/controller/leader-election.js';
import type { KubernetesPort, LockHolder } from '../../src/core/ports.js';

interface LeaseRecord {
  holder: string;
  acquireTime: number;
  renewTime: number;
  leaseDurationSeconds: number;
}

/** The API server's copy of one Lease, and a log of every successful write to it. */
interface LeaseStore {
  lease?: LeaseRecord;
  writes: Array<{ holder: string; at: number; kind: 'create' | 'renew' | 'takeover' }>;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * One replica's view of the store. `clockOffsetMs` skews the replica's clock (what it writes as renewTime and
 * what it compares with); `hang()` true makes every call accept and never answer, like a hung API server.
 */
function fakePort(
  store: LeaseStore,
  o: { clockOffsetMs?: number; hang?: () => boolean } = {},
): KubernetesPort {
  const clock = () => Date.now() + (o.clockOffsetMs ?? 0);
  const view = (l: LeaseRecord): LockHolder => ({
    holder: l.holder,
    since: new Date(l.acquireTime).toISOString(),
    renewedAt: new Date(l.renewTime).toISOString(),
    leaseDurationSeconds: l.leaseDurationSeconds,
    expiresAt: new Date(l.renewTime + l.leaseDurationSeconds * 1000).toISOString(),
  });
  const port: Pick<KubernetesPort, 'acquireLock' | 'releaseLock' | 'readLock'> = {
    async readLock() {
      if (o.hang?.()) return never();
      return store.lease ? view(store.lease) : undefined;
    },
    async acquireLock(_ns, _name, holder, leaseSeconds) {
      if (o.hang?.()) return never();
      const now = clock();
      const l = store.lease;
      const kind = !l ? 'create' : l.holder === holder ? 'renew' : 'takeover';
      if (kind === 'takeover' && l && l.renewTime + l.leaseDurationSeconds * 1000 >= now)
        return { acquired: false, heldBy: view(l) };
      store.lease = {
        holder,
        acquireTime: kind === 'renew' && l ? l.acquireTime : now,
        renewTime: now,
        leaseDurationSeconds: leaseSeconds,
      };
      store.writes.push({ holder, at: Date.now(), kind });
      return { acquired: true };
    },
    async releaseLock(_ns, _name, holder) {
      if (o.hang?.()) return never();
      if (store.lease?.holder === holder) delete store.lease;
    },
  };
  return port as KubernetesPort;
}

/** Polls until `cond` holds; generous deadline, no timing asserted. */
async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Replica {
  events: Array<{ type: 'started' | 'stopped'; at: number; reason?: StoppedReason }>;
  leading: () => boolean;
  stop: AbortController;
  done: Promise<void>;
}

function replica(identity: string, kube: KubernetesPort, leaseSeconds: number): Replica {
  const events: Replica['events'] = [];
  const stop = new AbortController();
  let leading = false;
  const done = runLeaderElection({
    kube,
    namespace: 'ripcord-system',
    name: 'ripcord-controller',
    identity,
    leaseSeconds,
    signal: stop.signal,
    log: () => undefined,
    onStartedLeading: () => {
      leading = true;
      events.push({ type: 'started', at: Date.now() });
    },
    onStoppedLeading: (reason) => {
      leading = false;
      events.push({ type: 'stopped', at: Date.now(), reason });
    },
  });
  return { events, leading: () => leading, stop, done };
}

const running: Replica[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    // A replica whose port hangs never finishes releasing; it is abandoned, not awaited.
    await Promise.race([r.done, new Promise((res) => setTimeout(res, 2_000))]);
  }
});

// Real timers and short leases (2-3 s): each test waits several lease durations.
describe('leader election', { timeout: 60_000 }, () => {
  it('clock skew: a leader whose renewTime is 60 s behind our clock, but renewing, is never taken over', async () => {
    const store: LeaseStore = { writes: [] };
    // The leader's clock runs 60 s behind: every renewTime it writes is a minute "in the past" for b.
    const a = replica('replica-a', fakePort(store, { clockOffsetMs: -60_000 }), 2);
    running.push(a);
    await until('a to lead', () => a.leading());
    const b = replica('replica-b', fakePort(store), 2);
    running.push(b);
    // Several lease durations of a renewing every retry period (2 s lease: 500 ms retry).
    const renewalsBefore = store.writes.filter((w) => w.holder === 'replica-a').length;
    await until(
      'a to renew 16 more times',
      () => store.writes.filter((w) => w.holder === 'replica-a').length >= renewalsBefore + 16,
    );
    expect(b.events).toEqual([]);
    expect(store.writes.filter((w) => w.holder === 'replica-b')).toEqual([]);
    expect(store.lease?.holder).toBe('replica-a');
    expect(a.leading()).toBe(true);
    // The renewTime b keeps seeing is indeed a minute behind b's clock: naive expiry would have said "expired".
    expect(Date.now() - (store.lease?.renewTime ?? Date.now())).toBeGreaterThan(50_000);
  });

  it('a hung API server: the leader steps down before its Lease can expire, then the other takes over', async () => {
    const store: LeaseStore = { writes: [] };
    let hung = false;
    const a = replica('replica-a', fakePort(store, { hang: () => hung }), 3);
    running.push(a);
    await until('a to lead', () => a.leading());
    const b = replica('replica-b', fakePort(store), 3);
    running.push(b);
    await until(
      'a to renew while b watches',
      () => store.writes.filter((w) => w.kind === 'renew').length >= 3,
    );

    // From now on every call of a's is accepted and never answered (no error, no timeout from the server).
    hung = true;
    const lastRenewal = Math.max(...store.writes.filter((w) => w.holder === 'replica-a').map((w) => w.at));
    await until('b to take over', () => b.leading());

    const stopped = a.events.find((e) => e.type === 'stopped');
    const started = b.events.find((e) => e.type === 'started');
    expect(stopped?.reason).toBe('lost');
    // Never two leaders: a stopped acting before b started.
    expect(stopped && started && stopped.at <= started.at).toBe(true);
    // a gave up before its last renewal could have lapsed (its renew deadline is 2/3 of the 3 s lease).
    expect((stopped?.at ?? Infinity) - lastRenewal).toBeLessThan(3_000);
    expect(store.writes.at(-1)).toMatchObject({ holder: 'replica-b', kind: 'takeover' });
    expect(a.leading()).toBe(false);
  });

  it('a dead leader (no renewals) is replaced once its record stayed unchanged for a lease duration', async () => {
    const store: LeaseStore = {
      writes: [],
      // Written by a replica that is gone; its clock was a minute ahead, so naive expiry would wait 60 s more.
      lease: {
        holder: 'gone',
        acquireTime: Date.now() + 60_000,
        renewTime: Date.now() + 60_000,
        leaseDurationSeconds: 2,
      },
    };
    const b = replica('replica-b', fakePort(store, { clockOffsetMs: 65_000 }), 2);
    running.push(b);
    await until('b to take over', () => b.leading());
    expect(store.writes).toEqual([expect.objectContaining({ holder: 'replica-b', kind: 'takeover' })]);
    b.stop.abort();
    await b.done;
    // Shutting down releases the Lease for a fast handover.
    expect(store.lease).toBeUndefined();
    expect(b.events.map((e) => e.reason ?? e.type)).toEqual(['started', 'shutdown']);
  });
});
