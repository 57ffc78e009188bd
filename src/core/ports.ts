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
    desired: {
      template: V1PodTemplateSpec;
      annotations: Record<string, string>;
      /** Optimistic concurrency: the write fails with a retryable conflict if the object changed since. */
      resourceVersion?: string;
    },
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

/** A ConfigMap or Secret as the config rollback sees it (Secret values stay base64, as the API holds them). */
export interface ConfigObject {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  uid: string;
  resourceVersion: string;
  createdAt?: string;
  immutable?: boolean;
  /** Secret type (`Opaque`, `kubernetes.io/tls`...); kept on copies and replaces, as the API requires. */
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  data: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** A ConfigMap or Secret to create or overwrite: data, plus labels and an owner for Ripcord's own copies. */
export interface ConfigObjectWrite {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  data: Record<string, string>;
  binaryData?: Record<string, string>;
  /** Secret type of a new copy; a replace keeps the existing object's. */
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Garbage-collect the object with this Deployment. */
  ownerDeployment?: { name: string; uid: string };
}

/** The ConfigMaps and Secrets of a namespace, for configuration rollback (runbook section 3). */
export interface ConfigPort {
  /** Every ConfigMap of the namespace, optionally filtered by label selector. */
  listConfigMaps(namespace: string, labelSelector?: string): Promise<ConfigObject[]>;
  /** The object, or undefined when it does not exist. */
  read(namespace: string, kind: ConfigObject['kind'], name: string): Promise<ConfigObject | undefined>;
  /**
   * Replaces data and binaryData exactly (keys not in `write` are removed), keeping the object's other
   * metadata; creates the object when absent. `expectResourceVersion` makes the replace conditional.
   */
  write(namespace: string, write: ConfigObjectWrite, expectResourceVersion?: string): Promise<ConfigObject>;
  /** Deletes the object; false when it was already gone. Only used on Ripcord's own record copies. */
  remove(namespace: string, kind: ConfigObject['kind'], name: string): Promise<boolean>;
  /** `kubectl rollout restart`: sets the template annotation kubectl.kubernetes.io/restartedAt. */
  restartDeployment(namespace: string, name: string, restartedAt: string): Promise<void>;
}

/** One flag in a flag service (Unleash, LaunchDarkly, ConfigCat): where it is and in which environment. */
export interface FlagRef {
  project: string;
  environment: string;
  feature: string;
}

/** A feature-flag service, for the flag rollback (runbook section 4). */
export interface FlagServicePort {
  /**
   * Whether the flag is on in the environment. Throws RipcordError: 'invalid' naming an unknown flag, project
   * or environment; 'forbidden' for a missing or rejected token; 'unreachable' when the server does not answer.
   */
  isEnabled(ref: FlagRef): Promise<boolean>;
  /** Turns the flag off in the environment; already off is fine (the service treats it as a no-op). */
  turnOff(ref: FlagRef): Promise<void>;
}

/** `kubectl set env`: sets container variables on a Deployment's pod template (a new revision). */
export interface DeploymentEnvPort {
  /**
   * Sets `vars` as literal values on `container` (replacing a valueFrom), plus Deployment annotations, in one
   * JSON patch guarded by `test` ops on the container's name, so a concurrent reorder fails instead of
   * patching the wrong container.
   */
  setContainerEnv(
    namespace: string,
    deployment: string,
    change: { container: string; vars: Record<string, string>; annotations?: Record<string, string> },
  ): Promise<void>;
}
