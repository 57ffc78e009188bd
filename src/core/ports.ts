/**
 * One interface per outside system. The core imports only these types; adapters implement them; each entry
 * point (CLI command, controller) builds the adapters and passes them in.
 */
import type { V1Deployment, V1Pod, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';

export type { Journal } from './journal.js';

/** What Ripcord observes about one Deployment before planning. */
export interface DeploymentSnapshot {
  deployment: V1Deployment;
  /** ReplicaSets controlled by the Deployment (owner reference + selector), as kubectl finds them. */
  replicaSets: V1ReplicaSet[];
}

/** Who holds the per-service rollback lock, for the "already running" refusal. */
export interface LockHolder {
  holder: string;
  since: string;
  renewedAt?: string;
  leaseDurationSeconds: number;
  /** When the lease lapses unless renewed (renewTime, else acquireTime, plus the duration). */
  expiresAt: string;
}

export interface KubernetesPort {
  /** Reads the Deployment and its ReplicaSets; throws RipcordError('invalid') when the Deployment is absent. */
  snapshot(namespace: string, name: string): Promise<DeploymentSnapshot>;
  /**
   * Sets spec.template and metadata.annotations exactly: kubectl's JSON patch, `replace` of both. Callers
   * compare first (see templateApplied) so that re-applying after a crash sends nothing.
   */
  setTemplate(
    namespace: string,
    name: string,
    desired: { template: V1PodTemplateSpec; annotations: Record<string, string> },
  ): Promise<V1Deployment>;
  /**
   * Waits like `kubectl rollout status`: resolves with kubectl's final message when complete; throws
   * RipcordError('failed') on ProgressDeadlineExceeded (naming the deadline) or when timeoutMs passes.
   */
  waitForRollout(
    namespace: string,
    name: string,
    opts: { signal?: AbortSignal; timeoutMs?: number; onProgress?: (msg: string) => void },
  ): Promise<string>;
  /** One evaluation of the rollout status rule, without waiting (the wait-rollout postcondition). */
  rolloutStatus(namespace: string, name: string): Promise<{ done: boolean; message: string }>;
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  /** Takes or renews the service's Lease; returns the current holder if somebody else has it. */
  acquireLock(
    namespace: string,
    lockName: string,
    holder: string,
    leaseSeconds: number,
  ): Promise<{ acquired: true } | { acquired: false; heldBy: LockHolder }>;
  /** Releases the Lease if `holder` has it; a no-op when it is absent or somebody else's. */
  releaseLock(namespace: string, lockName: string, holder: string): Promise<void>;
  /** The current holder, or undefined when the Lease is absent or released. Expired holders are returned. */
  readLock(namespace: string, lockName: string): Promise<LockHolder | undefined>;
}

/** HTTP probe for health endpoints: status, latency and a body excerpt as evidence. */
export interface ProbePort {
  get(url: string, opts?: { timeoutMs?: number }): Promise<{ status: number; body: string; ms: number }>;
}

export interface Clock {
  now(): Date;
}
