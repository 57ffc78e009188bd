/**
 * Keeps a run's rollback Leases alive while it works: a renewal every lease/3, as client-go's leader election
 * renews (a rollout wait may take 10 minutes and a database rollback 30, far beyond one lease). When a renewal
 * finds the Lease taken by somebody else, or no renewal succeeded for two thirds of the lease (so it may lapse
 * before the next try), the run is stopped through `onLost` — acting without the lock is what the lock exists
 * to prevent. Only ports and timers: the composition root hands in the Kubernetes port.
 */
import type { Clock, KubernetesPort } from './ports.js';

/** One Lease a run holds. */
export interface HeldLock {
  namespace: string;
  lockName: string;
  holder: string;
  leaseSeconds: number;
}

interface Renewal {
  lock: HeldLock;
  timer?: ReturnType<typeof setTimeout>;
  lastRenewedAt: number;
}

export interface LockKeeper {
  /** Starts renewing (idempotent per Lease). */
  hold(lock: HeldLock): void;
  /** Stops renewing one Lease (it is being released). */
  forget(namespace: string, lockName: string): void;
  /** The Leases being renewed now. */
  held(): HeldLock[];
  /** Stops every renewal. */
  stop(): void;
}

class RenewalDeadline extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms}ms`);
  }
}

export function createLockKeeper(o: {
  kube: KubernetesPort;
  clock: Clock;
  onLost(why: string): void;
  /** Renewal period; default lease/3. */
  periodMs?: (leaseSeconds: number) => number;
}): LockKeeper {
  const renewing = new Map<string, Renewal>();
  const key = (ns: string, name: string) => `${ns}/${name}`;
  const period = o.periodMs ?? ((s: number) => Math.max(200, (s * 1000) / 3));

  const schedule = (r: Renewal): void => {
    r.timer = setTimeout(() => void renew(r), period(r.lock.leaseSeconds));
    r.timer.unref?.();
  };

  const lost = (r: Renewal, why: string): void => {
    renewing.delete(key(r.lock.namespace, r.lock.lockName));
    o.onLost(why);
  };

  async function renew(r: Renewal): Promise<void> {
    const { namespace, lockName, holder, leaseSeconds } = r.lock;
    if (!renewing.has(key(namespace, lockName))) return;
    // Stamped when the request starts, not when it returns: the server may have written renewTime as early
    // as the start, so that is when the lease's clock restarted at the latest we can be sure of.
    const startedAt = o.clock.now().getTime();
    // A renewal gets only what is left of the lease, minus a sixth as margin (client-go's RenewDeadline is
    // likewise shorter than the lease): a hung request must not outlive the lease while the run goes on.
    const leftMs = r.lastRenewedAt + (leaseSeconds * 1000 * 5) / 6 - startedAt;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    try {
      const res = await Promise.race([
        o.kube.acquireLock(namespace, lockName, holder, leaseSeconds),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(() => reject(new RenewalDeadline(Math.max(0, leftMs))), Math.max(0, leftMs));
          deadline.unref?.();
        }),
      ]);
      if (!renewing.has(key(namespace, lockName))) return;
      if (!res.acquired) {
        lost(r, `lost the rollback lock ${namespace}/${lockName}: it is now held by ${res.heldBy.holder}`);
        return;
      }
      r.lastRenewedAt = startedAt;
    } catch (err) {
      if (!renewing.has(key(namespace, lockName))) return;
      if (err instanceof RenewalDeadline) {
        const since = o.clock.now().getTime() - r.lastRenewedAt;
        lost(
          r,
          `could not renew the rollback lock ${namespace}/${lockName} for ${Math.round(since / 1000)}s ` +
            `(lease ${leaseSeconds}s): the renewal did not answer before the lease could lapse`,
        );
        return;
      }
      const since = o.clock.now().getTime() - r.lastRenewedAt;
      if (since >= (leaseSeconds * 1000 * 2) / 3) {
        lost(
          r,
          `could not renew the rollback lock ${namespace}/${lockName} for ${Math.round(since / 1000)}s ` +
            `(lease ${leaseSeconds}s): ${(err as Error).message}`,
        );
        return;
      }
    } finally {
      if (deadline) clearTimeout(deadline);
    }
    schedule(r);
  }

  return {
    hold(lock) {
      const k = key(lock.namespace, lock.lockName);
      if (renewing.has(k)) return;
      const r: Renewal = { lock, lastRenewedAt: o.clock.now().getTime() };
      renewing.set(k, r);
      schedule(r);
    },
    forget(namespace, lockName) {
      const r = renewing.get(key(namespace, lockName));
      if (r?.timer) clearTimeout(r.timer);
      renewing.delete(key(namespace, lockName));
    },
    held: () => [...renewing.values()].map((r) => r.lock),
    stop() {
      for (const r of renewing.values()) if (r.timer) clearTimeout(r.timer);
      renewing.clear();
    },
  };
}
