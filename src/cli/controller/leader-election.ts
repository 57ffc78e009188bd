/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it:
 *
 * - Expiry by OBSERVED time: we remember the Lease record we last saw (holder, renewTime) and the moment, on
 *   our own monotonic clock, we first saw it. Somebody else's Lease counts as expired only when that record
 *   has not changed for a whole lease duration since. The holder's renewTime is never compared with our clock,
 *   so clock skew between replicas cannot hand a live leader's Lease to a second one.
 * - RenewDeadline: every attempt has a timeout below the retry period, and a leader that could not renew
 *   within the renew deadline (2/3 of the lease) steps down by itself, so it has stopped acting before any
 *   other replica can see its Lease as expired (which takes a full lease duration after its last renewal).
 *   A hung API server (accepting and never answering) therefore cannot keep a leader leading.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesPort, LockHolder } from '../../core/ports.js';

export type StoppedReason = 'lost' | 'shutdown';

export interface LeaderElectionOptions {
  kube: KubernetesPort;
  namespace: string;
  name: string;
  identity: string;
  leaseSeconds: number;
  /** Stops the election; the Lease is then released unless keepLeaseOnShutdown() says otherwise. */
  signal: AbortSignal;
  onStartedLeading(leadership: AbortSignal): void;
  onStoppedLeading(reason: StoppedReason): void;
  /**
   * Asked once at shutdown: true leaves the Lease to lapse instead of releasing it (a rollback of ours may still
   * be running, and nobody may take over before this process is gone).
   */
  keepLeaseOnShutdown?(): boolean;
  log(line: string): void;
  /** Milliseconds on a monotonic clock; injectable for tests. Default performance.now(). */
  now?(): number;
  /** Overrides for tests; defaults derive from leaseSeconds. */
  retryMs?: number;
  renewDeadlineMs?: number;
  attemptTimeoutMs?: number;
}

/** The timings client-go would use for this lease, scaled: retry lease/4, renew deadline 2/3 of the lease. */
export function electionTimings(leaseSeconds: number): {
  retryMs: number;
  renewDeadlineMs: number;
  attemptTimeoutMs: number;
} {
  const leaseMs = leaseSeconds * 1000;
  const retryMs = Math.max(100, leaseMs / 4);
  return { retryMs, renewDeadlineMs: (leaseMs * 2) / 3, attemptTimeoutMs: retryMs * 0.9 };
}

class AttemptTimeout extends Error {}

/** Races one API call against a timeout; the call itself may go on in the background, its answer ignored. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeout(`${what}: no answer within ${Math.round(ms)}ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The parts of a Lease record that change on every renewal or takeover. */
function recordKey(h: LockHolder | undefined): string {
  return h ? `${h.holder}|${h.renewedAt ?? ''}|${h.since}|${h.leaseDurationSeconds}` : '';
}

export async function runLeaderElection(o: LeaderElectionOptions): Promise<void> {
  const defaults = electionTimings(o.leaseSeconds);
  const retryMs = o.retryMs ?? defaults.retryMs;
  const renewDeadlineMs = o.renewDeadlineMs ?? defaults.renewDeadlineMs;
  const attemptTimeoutMs = Math.min(o.attemptTimeoutMs ?? defaults.attemptTimeoutMs, retryMs);
  const now = o.now ?? (() => performance.now());
  const leaseMs = o.leaseSeconds * 1000;

  let leadership: AbortController | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let observed: { key: string; at: number } | undefined;
  let announced: string | undefined;

  const stepDown = (why: string, reason: StoppedReason) => {
    clearTimeout(deadline);
    if (!leadership) return;
    o.log(`stopped leading: ${why}`);
    leadership.abort();
    leadership = undefined;
    o.onStoppedLeading(reason);
  };
  // Armed from the START of each successful renewal: the write may land any time after, and another replica
  // can only see it expired a full lease duration after it observed that write.
  const armDeadline = (renewStartedAt: number) => {
    clearTimeout(deadline);
    const left = Math.max(0, renewStartedAt + renewDeadlineMs - now());
    deadline = setTimeout(
      () => stepDown(`could not renew the Lease within ${Math.round(renewDeadlineMs)}ms`, 'lost'),
      left,
    );
  };

  /** One try: renew ours, or take a Lease that is absent, released or expired by observation. */
  const attempt = async (): Promise<void> => {
    const startedAt = now();
    if (!leadership) {
      const current = await withTimeout(
        o.kube.readLock(o.namespace, o.name),
        attemptTimeoutMs,
        'reading the Lease',
      );
      const key = recordKey(current);
      if (!observed || observed.key !== key) observed = { key, at: now() };
      if (current && current.holder !== o.identity) {
        // The record must stay unchanged for a whole lease duration, measured from when WE saw it.
        const duration = Math.max(leaseMs, current.leaseDurationSeconds * 1000);
        if (now() - observed.at < duration) return;
        if (announced !== key)
          o.log(`the Lease of ${current.holder} has not been renewed for ${duration / 1000}s: taking it`);
        announced = key;
      }
    }
    const r = await withTimeout(
      o.kube.acquireLock(o.namespace, o.name, o.identity, o.leaseSeconds),
      attemptTimeoutMs,
      leadership ? 'renewing the Lease' : 'taking the Lease',
    );
    if (!r.acquired) {
      observed = {
        key: recordKey(r.heldBy),
        at: observed?.key === recordKey(r.heldBy) ? observed.at : now(),
      };
      stepDown(`the Lease is held by ${r.heldBy.holder}`, 'lost');
      return;
    }
    if (leadership) {
      armDeadline(startedAt);
      return;
    }
    leadership = new AbortController();
    armDeadline(startedAt);
    o.log(`leading (Lease ${o.namespace}/${o.name}, ${o.leaseSeconds}s)`);
    o.onStartedLeading(leadership.signal);
  };

  while (!o.signal.aborted) {
    try {
      await attempt();
    } catch (err) {
      // A failed or timed-out attempt: the renew deadline timer decides when a leader must give up.
      o.log(`leader election: ${(err as Error).message}`);
    }
    try {
      await sleep(retryMs, undefined, { signal: o.signal });
    } catch {
      break;
    }
  }
  const wasLeading = leadership !== undefined;
  stepDown('shutting down', 'shutdown');
  if (wasLeading && o.keepLeaseOnShutdown?.()) {
    o.log('keeping the Lease until it lapses: a rollback of ours was interrupted and is journaled');
    return;
  }
  await withTimeout(
    o.kube.releaseLock(o.namespace, o.name, o.identity),
    attemptTimeoutMs,
    'releasing the Lease',
  ).catch(() => undefined);
}
