/**
 * The per-service rollback lock: a coordination.k8s.io/v1 Lease `ripcord-<service>` in the service namespace,
 * with the fields client-go's leader election uses (holderIdentity, acquireTime, renewTime,
 * leaseDurationSeconds, leaseTransitions). Somebody else's lease is taken over only once it has expired, and
 * every write carries the resourceVersion that was read, so two takers cannot both win: the loser gets 409,
 * reads again and sees the winner.
 */
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { RipcordError } from '../../core/errors.js';
import type { Clock, LockHolder } from '../../core/ports.js';
import { isConflict, isNotFound, mapKubeError, type KubeOp } from './errors.js';

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

async function readRaw(
  api: CoordinationV1Api,
  namespace: string,
  name: string,
): Promise<V1Lease | undefined> {
  try {
    return await api.readNamespacedLease({ name, namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw mapKubeError(err, op('get', namespace, name));
  }
}

/** Reads the lock's holder (undefined when absent or released). */
export async function readLease(
  api: CoordinationV1Api,
  namespace: string,
  name: string,
): Promise<LockHolder | undefined> {
  const lease = await readRaw(api, namespace, name);
  return lease ? leaseHolder(lease) : undefined;
}

/** Takes, renews or (once expired) takes over the lease; reports the holder when it is somebody else's. */
export async function acquireLease(
  api: CoordinationV1Api,
  clock: Clock,
  namespace: string,
  name: string,
  holder: string,
  leaseSeconds: number,
): Promise<{ acquired: true } | { acquired: false; heldBy: LockHolder }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = clock.now();
    const lease = await readRaw(api, namespace, name);
    if (!lease) {
      try {
        await api.createNamespacedLease({
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
        return { acquired: true };
      } catch (err) {
        if (isConflict(err)) continue; // somebody created it between our read and create: look again
        throw mapKubeError(err, op('create', namespace, name));
      }
    }
    const current = lease.spec?.holderIdentity;
    const ours = current === holder;
    const free = !current || leaseExpiry(lease) < now.getTime();
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
      await api.replaceNamespacedLease({ name, namespace, body });
      return { acquired: true };
    } catch (err) {
      if (isConflict(err)) continue; // it changed since we read it: decide again on the new state
      throw mapKubeError(err, op('update', namespace, name));
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
  api: CoordinationV1Api,
  namespace: string,
  name: string,
  holder: string,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const lease = await readRaw(api, namespace, name);
    if (!lease || lease.spec?.holderIdentity !== holder) return;
    try {
      await api.deleteNamespacedLease({
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
      throw mapKubeError(err, op('delete', namespace, name));
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
