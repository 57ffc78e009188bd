/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: try to take or renew
 * every retry period; a holder that cannot renew within the lease duration steps down by itself, so two
 * replicas never both act (the other one can only take the Lease once it has expired).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesPort } from '../../core/ports.js';

export interface LeaderElectionOptions {
  kube: KubernetesPort;
  namespace: string;
  name: string;
  identity: string;
  leaseSeconds: number;
  signal: AbortSignal;
  onStartedLeading(leadership: AbortSignal): void;
  onStoppedLeading(): void;
  log(line: string): void;
}

export async function runLeaderElection(o: LeaderElectionOptions): Promise<void> {
  const retryMs = Math.max(200, (o.leaseSeconds * 1000) / 3);
  let leadership: AbortController | undefined;
  let lastRenew = 0;
  const stepDown = (why: string) => {
    if (!leadership) return;
    o.log(`stopped leading: ${why}`);
    leadership.abort();
    leadership = undefined;
    o.onStoppedLeading();
  };
  while (!o.signal.aborted) {
    try {
      const r = await o.kube.acquireLock(o.namespace, o.name, o.identity, o.leaseSeconds);
      if (r.acquired) {
        lastRenew = Date.now();
        if (!leadership) {
          leadership = new AbortController();
          o.log(`leading (Lease ${o.namespace}/${o.name}, ${o.leaseSeconds}s)`);
          o.onStartedLeading(leadership.signal);
        }
      } else {
        stepDown(`the Lease is held by ${r.heldBy.holder}`);
      }
    } catch (err) {
      o.log(`leader election: ${(err as Error).message}`);
      // Renewal failing for a whole lease period means someone else may already lead.
      if (leadership && Date.now() - lastRenew > o.leaseSeconds * 1000 - retryMs)
        stepDown('could not renew the Lease');
    }
    try {
      await sleep(retryMs, undefined, { signal: o.signal });
    } catch {
      break;
    }
  }
  stepDown('shutting down');
  await o.kube.releaseLock(o.namespace, o.name, o.identity).catch(() => undefined);
}
