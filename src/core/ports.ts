/**
 * One interface per outside system. The core imports only these types; adapters implement them; each entry
 * point (CLI command, controller) builds the adapters and passes them in.
 */
import type { V1Deployment, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';

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
}

export interface KubernetesPort {
  /** Reads the Deployment and its ReplicaSets; throws RipcordError('invalid') when the Deployment is absent. */
  snapshot(namespace: string, name: string): Promise<DeploymentSnapshot>;
  /**
   * Sets spec.template and metadata.annotations exactly (kubectl's JSON patch `replace` of both), guarded by
   * the resourceVersion it was planned from when given.
   */
  setTemplate(
    namespace: string,
    name: string,
    desired: { template: unknown; annotations: Record<string, string> },
  ): Promise<V1Deployment>;
  /** Waits like `kubectl rollout status`: honours progressDeadlineSeconds; resolves when complete. */
  waitForRollout(
    namespace: string,
    name: string,
    opts: { signal?: AbortSignal; timeoutMs?: number; onProgress?: (msg: string) => void },
  ): Promise<void>;
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  /** Takes or renews the service's Lease; returns the current holder if somebody else has it. */
  acquireLock(
    namespace: string,
    lockName: string,
    holder: string,
    leaseSeconds: number,
  ): Promise<{ acquired: true } | { acquired: false; heldBy: LockHolder }>;
  releaseLock(namespace: string, lockName: string, holder: string): Promise<void>;
}

/** HTTP probe for health endpoints: status, latency and a body excerpt as evidence. */
export interface ProbePort {
  get(url: string, opts?: { timeoutMs?: number }): Promise<{ status: number; body: string; ms: number }>;
}

export interface Clock {
  now(): Date;
}
