/**
 * The per-service rollback lock: a coordination.k8s.io/v1 Lease `ripcord-<service>` in the service namespace,
 * with the fields client-go's leader election uses (holderIdentity, acquireTime, renewTime,
 * leaseDurationSeconds, leaseTransitions). Every write carries the resourceVersion that was read, so two takers
 * cannot both win: the loser gets 409, reads again and sees the winner.
 *
 * Somebody else's lease is taken over only once it has expired BY OBSERVED TIME, as client-go's leader election
 * decides it: we remember when we first saw its current resourceVersion and call it expired when it has not
 * changed for its whole duration on our own clock. Comparing the holder's renewTime with our clock instead
 * would let clock skew hand a live lock to a second taker. One shortcut: a holder on this very host whose
 * process is gone (the identity carries host and pid) is dead for sure and is taken over at once.
 */
import { hostname } from 'node:os';
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { parseHolderIdentity } from '../../core/lock-identity.js';
import { RipcordError } from '../../core/errors.js';
import type { Clock, LockHolder } from '../../core/ports.js';
import type { KubeApis } from './api-client.js';
import { isConflict, isNotFound, type KubeOp } from './errors.js';

/** What the adapter remembers of other holders' leases between calls (expiry by observed time). */
export type LeaseObservations = Map<string, { resourceVersion: string; observedAt: number }>;

type LeaseApis = Pick<KubeApis, 'coordination' | 'fail'>;

/** True when the holder ran on this host and its process no longer exists. */
export function holderProcessGone(holder: string): boolean {
  const id = parseHolderIdentity(holder);
  if (!id || id.host !== hostname()) return false;
  try {
    process.kill(id.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const MAX_ATTEMPTS = 5;

function op(verb: string, namespace: string, name: string): KubeOp {
  return { verb, resource: 'leases', group: 'coordination.k8s.io', namespace, name };
}

function ms(t: unknown): number | undefined {
  if (t === undefined || t === null) return undefined;
  const v = t instanceof Date ? t.getTime() : Date.parse(String(t));
  return Number.isNaN(v) ? undefined : v;
}

function iso(t: unknown): string | undefined {
  const v = ms(t);
  return v === undefined ? undefined : new Date(v).toISOString();
}

/** When the lease lapses: last renewal (else acquisition, else creation) plus its duration. */
export function leaseExpiry(lease: V1Lease): number {
  const base =
    ms(lease.spec?.renewTime) ?? ms(lease.spec?.acquireTime) ?? ms(lease.metadata?.creationTimestamp) ?? 0;
  return base + (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
}

/** The holder as the port reports it, or undefined for a released lease. */
export function leaseHolder(lease: V1Lease): LockHolder | undefined {
  const holder = lease.spec?.holderIdentity;
  if (!holder) return undefined;
  const renewedAt = iso(lease.spec?.renewTime);
  return {
    holder,
    since: iso(lease.spec?.acquireTime) ?? iso(lease.metadata?.creationTimestamp) ?? '',
    ...(renewedAt ? { renewedAt } : {}),
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    expiresAt: new Date(leaseExpiry(lease)).toISOString(),
  };
}

async function readRaw(apis: LeaseApis, namespace: string, name: string): Promise<V1Lease | undefined> {
  try {
    return await apis.coordination.readNamespacedLease({ name, namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw apis.fail(err, op('get', namespace, name));
  }
}

/** Reads the lock's holder (undefined when absent or released). */
export async function readLease(
  apis: LeaseApis,
  namespace: string,
  name: string,
): Promise<LockHolder | undefined> {
  const lease = await readRaw(apis, namespace, name);
  return lease ? leaseHolder(lease) : undefined;
}

/**
 * Whether somebody else's lease may be taken now: released, its holder's process gone, or unchanged for its
 * whole duration since we first observed this resourceVersion.
 */
function expiredByObservation(
  lease: V1Lease,
  key: string,
  now: number,
  observations: LeaseObservations,
): boolean {
  const rv = lease.metadata?.resourceVersion ?? '';
  const seen = observations.get(key);
  if (!seen || seen.resourceVersion !== rv) {
    observations.set(key, { resourceVersion: rv, observedAt: now });
    return (lease.spec?.leaseDurationSeconds ?? 0) <= 0;
  }
  return now - seen.observedAt >= (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
}

/** Takes, renews or (once expired by observed time) takes over the lease; reports the other holder if not. */
export async function acquireLease(
  apis: LeaseApis,
  clock: Clock,
  namespace: string,
  name: string,
  holder: string,
  leaseSeconds: number,
  observations: LeaseObservations = new Map(),
): Promise<{ acquired: true } | { acquired: false; heldBy: LockHolder }> {
  const key = `${namespace}/${name}`;
  // Every release deletes the lease, so it is usually absent: the first attempt creates it without reading
  // first (a round trip less before a rollback's first change, issue 16); AlreadyExists sends it to the read.
  let assumeAbsent = true;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = clock.now();
    const lease = assumeAbsent ? undefined : await readRaw(apis, namespace, name);
    if (!lease) {
      try {
        await apis.coordination.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'ripcord' } },
            spec: {
              holderIdentity: holder,
              acquireTime: new V1MicroTime(now.getTime()),
              renewTime: new V1MicroTime(now.getTime()),
              leaseDurationSeconds: leaseSeconds,
              leaseTransitions: 0,
            },
          },
        });
        observations.delete(key);
        return { acquired: true };
      } catch (err) {
        if (isConflict(err)) {
          // It exists (held, or created between our read and create): read it and decide, without spending
          // one of the attempts on the create that only stood in for the read.
          if (assumeAbsent) attempt -= 1;
          assumeAbsent = false;
          continue;
        }
        throw apis.fail(err, op('create', namespace, name));
      }
    }
    const current = lease.spec?.holderIdentity;
    const ours = current === holder;
    const free =
      !current || holderProcessGone(current) || expiredByObservation(lease, key, now.getTime(), observations);
    if (!ours && !free) {
      return { acquired: false, heldBy: leaseHolder(lease) as LockHolder };
    }
    const spec = lease.spec ?? {};
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace,
        resourceVersion: lease.metadata?.resourceVersion,
        ...(lease.metadata?.labels ? { labels: lease.metadata.labels } : {}),
        ...(lease.metadata?.annotations ? { annotations: lease.metadata.annotations } : {}),
      },
      spec: ours
        ? { ...spec, renewTime: new V1MicroTime(now.getTime()), leaseDurationSeconds: leaseSeconds }
        : {
            ...spec,
            holderIdentity: holder,
            acquireTime: new V1MicroTime(now.getTime()),
            renewTime: new V1MicroTime(now.getTime()),
            leaseDurationSeconds: leaseSeconds,
            leaseTransitions: (spec.leaseTransitions ?? 0) + (current ? 1 : 0),
          },
    };
    try {
      await apis.coordination.replaceNamespacedLease({ name, namespace, body });
      observations.delete(key);
      return { acquired: true };
    } catch (err) {
      if (isConflict(err)) continue; // it changed since we read it: decide again on the new state
      throw apis.fail(err, op('update', namespace, name));
    }
  }
  throw new RipcordError(
    'failed',
    `conflict: lease ${namespace}/${name} kept changing while we tried to take it`,
    {
      retryable: true,
    },
  );
}

/** Deletes the lease if `holder` has it, guarded by the resourceVersion read; otherwise leaves it alone. */
export async function releaseLease(
  apis: LeaseApis,
  namespace: string,
  name: string,
  holder: string,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const lease = await readRaw(apis, namespace, name);
    if (!lease || lease.spec?.holderIdentity !== holder) return;
    try {
      await apis.coordination.deleteNamespacedLease({
        name,
        namespace,
        body: {
          preconditions: { resourceVersion: lease.metadata?.resourceVersion, uid: lease.metadata?.uid },
        },
      });
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (isConflict(err)) continue;
      throw apis.fail(err, op('delete', namespace, name));
    }
  }
  throw new RipcordError(
    'failed',
    `conflict: lease ${namespace}/${name} kept changing while we tried to release it`,
    {
      retryable: true,
    },
  );
}
