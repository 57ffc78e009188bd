/**
 * One interface per outside system. The core imports only these types; adapters implement them; each entry
 * point (CLI command, controller) builds the adapters and passes them in.
 */
import type { V1Deployment, V1Pod, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';

import type { OutgoingNotification } from './notify/message.js';
import type { RoutingObject } from './traffic/canary-reach.js';

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
  get(
    url: string,
    /** `signal`: the run's; an abort ends the request at once (AbortedError), not at its timeout. */
    opts?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<{ status: number; body: string; ms: number; headers?: Record<string, string> }>;
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
  /**
   * `kubectl rollout restart`: sets the template annotation kubectl.kubernetes.io/restartedAt. With
   * `resourceVersion` (the one the caller's guard read), the patch carries it as a precondition: a change made
   * since that read fails the write with a conflict instead of going through.
   */
  restartDeployment(
    namespace: string,
    name: string,
    restartedAt: string,
    guard?: { resourceVersion?: string },
  ): Promise<void>;
}

/** Where a flag service's token is read from when a step runs; the token itself is never part of a plan. */
export type TokenSource = { env: string } | { file: string };

/** Where ConfigCat's Public API credentials are: two variables, or one file holding `username:password`. */
export type ConfigCatCredentials = { usernameEnv: string; passwordEnv: string } | { file: string };

/** One flag in a flag service (Unleash, LaunchDarkly, ConfigCat): where it is and in which environment. */
export interface FlagRef {
  project: string;
  environment: string;
  feature: string;
}

/** What a flag service call carries besides the flag: the run's signal, and (changes) why, for its audit log. */
export interface FlagCallOptions {
  /** The run's: aborting it ends the request, and any wait for a rate limit, at once. */
  signal?: AbortSignal;
  /** A change's comment in the service's audit log (LaunchDarkly keeps one per change); names the run. */
  comment?: string;
}

/** A flag's state in one environment, with its last change when the service keeps one (for `ripcord status`). */
export interface FlagState {
  on: boolean;
  lastChange?: { at: string; by?: string };
}

/** A feature-flag service, for the flag rollback (runbook section 4). */
export interface FlagServicePort {
  /** isEnabled plus the last change the service reports (an extra read where it keeps them apart). */
  state(ref: FlagRef, opts?: FlagCallOptions): Promise<FlagState>;
  /**
   * Whether the flag is on in the environment. Throws RipcordError: 'invalid' naming an unknown flag, project
   * or environment; 'forbidden' for a missing or rejected token; 'unreachable' when the server does not answer.
   */
  isEnabled(ref: FlagRef, opts?: FlagCallOptions): Promise<boolean>;
  /**
   * Turns the flag off in the environment; already off is fine (the service treats it as a no-op). Throws
   * 'refused' when the environment requires an approval for changes (the message says where to ask for it).
   */
  turnOff(ref: FlagRef, opts?: FlagCallOptions): Promise<void>;
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
    change: {
      container: string;
      vars: Record<string, string>;
      annotations?: Record<string, string>;
      /** The version the caller's guard read: a change since then fails the patch (409) instead of going through. */
      resourceVersion?: string;
    },
  ): Promise<void>;
}

/** One channel's result for one notification. Never contains a URL or key. */
export interface ChannelOutcome {
  /** `slack`, `pagerduty`, `webhook:<name>`. */
  channel: string;
  /** The notification kind (initiated, resolved, ...). */
  event: string;
  ok: boolean;
  status?: number;
  attempts: number;
  ms: number;
  error?: string;
  /** PagerDuty's dedup_key from its answer. */
  dedupKey?: string;
}

/** The notification channels of a service (Slack, PagerDuty, webhooks), fanned out; never throws. */
export interface NotifierPort {
  /** Names of the configured channels, for `notify test` and warnings. */
  readonly channels: readonly string[];
  send(n: OutgoingNotification): Promise<ChannelOutcome[]>;
  /** Waits for everything sent so far. */
  drain(): Promise<void>;
  /** Every outcome so far, in completion order. */
  readonly outcomes: readonly ChannelOutcome[];
}

/** Which workload's series: the namespace and the `app` label, as every metric family here carries them. */
export interface ServiceSelector {
  namespace: string;
  app: string;
}

/** A window ending at `time`, optionally shifted back by `offsetSeconds` (PromQL offset). */
export interface MetricWindow {
  windowSeconds: number;
  offsetSeconds?: number;
}

/** The service's request metrics (Prometheus), as the verification's recovery check reads them. */
export interface MetricsPort {
  /** 5xx and total requests in the window; null when there is no data. */
  errorCounts(
    sel: ServiceSelector,
    w: MetricWindow,
    time: Date,
  ): Promise<{ requests: number; errors: number } | null>;
  /** P50 in seconds (null without data) and its sample count. */
  p50(sel: ServiceSelector, w: MetricWindow, time: Date): Promise<{ p50: number | null; samples: number }>;
  /** Alert names that were firing in the service's namespace at some time in the window (Prometheus' ALERTS). */
  alertsFiredIn(sel: ServiceSelector, w: MetricWindow, time: Date): Promise<string[]>;
}

/** The service's alerts (Alertmanager v2): active ones, not silenced or inhibited. */
export interface AlertsPort {
  firing(labels: Record<string, string>): Promise<Array<{ name: string; since: string }>>;
}

/*
 * Ports of the traffic and GitOps scenarios (runbook 5, 6 and Argo CD). Declared here so those scenarios plug
 * in as folders; their adapters come with them and are built in src/app/ports.ts.
 */

/** One route Ripcord manages: the object holding it, and the route by name inside it. */
export interface TrafficRef {
  namespace: string;
  /** `VirtualService` (Istio), `HTTPRoute` (Gateway API). */
  kind: string;
  name: string;
  /** The named route (Istio http[].name, a Gateway API rule's name/index); absent: the only one. */
  route?: string;
}

/**
 * Traffic splitting, one adapter per kind, after Flagger's pkg/router (GetRoutes/SetRoutes) and Argo Rollouts'
 * trafficrouting reconcilers (SetWeight/VerifyWeight). A write changes the weights of the one managed route
 * only — never the object's other routes, matches, retries or header rules — and is guarded by the
 * resourceVersion it read, so a concurrent edit fails instead of being overwritten.
 */
export interface TrafficRouterPort {
  readonly kind: string;
  /**
   * Weights by backend (subset or backendRef name), the object's resourceVersion, and the progressive-delivery
   * controller that owns the object when one does (it would undo a change: Flagger, Argo Rollouts).
   */
  getWeights(ref: TrafficRef): Promise<{
    weights: Record<string, number>;
    resourceVersion: string;
    managedBy?: { controller: 'Flagger' | 'Argo Rollouts'; name: string };
  }>;
  setWeights(ref: TrafficRef, weights: Record<string, number>, expectResourceVersion: string): Promise<void>;
  /** Whether the data plane serves these weights yet; undefined when this router cannot tell. */
  verifyWeights(ref: TrafficRef, weights: Record<string, number>): Promise<boolean | undefined>;
  /** Every object of this kind in the namespace (none when the API is not served there). */
  list(namespace: string): Promise<RoutingObject[]>;
  /** One object as `list` gives it. */
  get(namespace: string, name: string): Promise<RoutingObject>;
  /**
   * Replaces whole sections of the object's spec, each guarded by a `test` of its planned value and the whole
   * write by `resourceVersion` (409 when the object changed since it was read).
   */
  replaceSections(
    namespace: string,
    name: string,
    sections: ReadonlyArray<{ path: string; before: unknown; after: unknown }>,
    resourceVersion: string,
  ): Promise<void>;
}

/** A Service's selector and the pods behind it (blue-green's switch). */
export interface ServiceSelectorPort {
  read(
    namespace: string,
    name: string,
  ): Promise<{
    selector: Record<string, string>;
    resourceVersion: string;
    annotations?: Record<string, string>;
  }>;
  /**
   * Replaces the selector exactly, guarded by resourceVersion; with `annotations`, replaces those too in the
   * same write (the whole map: pass the ones read, changed).
   */
  setSelector(
    namespace: string,
    name: string,
    selector: Record<string, string>,
    expectResourceVersion: string,
    annotations?: Record<string, string>,
  ): Promise<void>;
  /** The ready endpoints' pods with their labels, to prove which colour answers. */
  readyEndpoints(
    namespace: string,
    name: string,
  ): Promise<Array<{ pod: string; labels: Record<string, string> }>>;
}

/** A Deployment's scale subresource (a colour scaled up before the switch, down after). */
export interface ScalePort {
  getScale(
    namespace: string,
    deployment: string,
  ): Promise<{ replicas: number; readyReplicas: number; resourceVersion: string }>;
  setReplicas(
    namespace: string,
    deployment: string,
    replicas: number,
    expectResourceVersion: string,
  ): Promise<void>;
}

/** A GitOps controller's application (Argo CD): its sync policy, history and rollback. */
export interface GitOpsPort {
  application(name: string): Promise<{
    autoSync: boolean;
    revision: string;
    history: Array<{ id: number; revision: string; deployedAt: string }>;
  }>;
  /** Turns automated sync off or back on (a rollback of an auto-synced app is undone by the next sync). */
  setAutoSync(name: string, enabled: boolean): Promise<void>;
  rollback(name: string, historyId: number): Promise<void>;
}
