import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';
import {
  ContainerRuntime,
  type ContainerDeps,
  type ContainerHost,
  type LogSource,
} from './container-runtime.js';
import type { FileSdWriter } from './file-sd.js';
import { HOST_IP } from './node-spec.js';
import type { PodIpPool } from './pod-ips.js';
import { withTimeout } from './with-timeout.js';
import { PodConditions, nowIso, podConditionStates, podPhase, toIso } from './pod-status.js';

export interface PodWorkerDeps extends ContainerDeps {
  ips: PodIpPool;
  fileSd: FileSdWriter;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * - new: seen, nothing started yet
 * - running: containers are managed (including crash-looping or finished ones)
 * - completed: the pod had finished (Succeeded/Failed) before this kubelet saw it; it is not run again
 * - terminating: deletionTimestamp set, containers being stopped
 * - gone: nothing left to do for this pod
 */
type Lifecycle = 'new' | 'running' | 'completed' | 'terminating' | 'gone';

/**
 * Everything this kubelet does for one pod bound to its node: an IP, one ContainerRuntime per container,
 * the pod's status (merge-patched to pods/status whenever it changes), its file_sd target, and the
 * graceful deletion handshake (stop the processes, then delete with grace 0 and a UID precondition).
 */
export class PodWorker {
  private pod: V1Pod;
  readonly uid: string;
  podIP = '';
  private lifecycle: Lifecycle = 'new';
  private containers: ContainerRuntime[] = [];
  private readonly conditions: PodConditions;
  private startTime = '';
  private lastSent: string | undefined;
  private sending = false;
  private resend = false;
  private syncQueued = false;
  private deletePending = false;
  private ending: Promise<void> | undefined;

  constructor(
    pod: V1Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.conditions = new PodConditions(pod);
  }

  get namespace(): string {
    return this.pod.metadata?.namespace ?? '';
  }

  get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  /** The pod's UID as the API names it. */
  get podUid(): string {
    return this.uid;
  }

  /** False once the pod is gone from the API or the kubelet is stopping (its logs are no longer served). */
  get serving(): boolean {
    return this.lifecycle !== 'gone';
  }

  /**
   * Where the log of `container` is, for `GET /containerLogs`: undefined when the pod's spec has no such
   * container (404), an error when it has no log to show (400), as the kubelet answers.
   */
  logSource(container: string, previous: boolean): LogSource | undefined {
    if (!(this.pod.spec?.containers ?? []).some((c) => c.name === container)) return undefined;
    const runtime = this.containers.find((c) => c.name === container);
    if (!runtime) return { error: `container "${container}" in pod "${this.name}" is not available` };
    return runtime.logSource(previous);
  }

  /** PIDs of this pod's running container processes. */
  pids(): number[] {
    return this.containers.flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
  }

  /** The latest object from the API: start the pod if new, begin termination if it is being deleted. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (this.lifecycle === 'new') this.begin();
    if (pod.metadata?.deletionTimestamp && (this.lifecycle === 'running' || this.lifecycle === 'completed')) {
      this.ending = this.terminate();
    }
    this.queueSync();
  }

  /** Periodic work: report status if it drifted, retry a failed deletion. */
  tick(): void {
    if (this.deletePending) void this.deleteFromApi();
    this.queueSync();
  }

  private begin(): void {
    const phase = this.pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.lifecycle = 'completed';
      return;
    }
    this.podIP = this.deps.ips.allocate(this.uid, this.pod.status?.podIP);
    this.startTime = toIso(this.pod.status?.startTime) ?? nowIso();
    const previous = new Map((this.pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
    const host: ContainerHost = {
      pod: () => this.pod,
      podIP: () => this.podIP,
      changed: () => this.queueSync(),
    };
    this.containers = (this.pod.spec?.containers ?? []).map(
      (c) => new ContainerRuntime(c, host, this.deps, previous.get(c.name)),
    );
    if ((this.pod.spec?.initContainers ?? []).length > 0) {
      this.deps.log(
        `${this.namespace}/${this.name}: init containers are not run by the sandbox kubelet; skipping them`,
      );
    }
    this.lifecycle = 'running';
    if (!this.pod.metadata?.deletionTimestamp) for (const c of this.containers) c.start();
  }

  /** The grace period the deleter asked for, else the pod's own, else Kubernetes' default of 30 s. */
  private graceMs(): number {
    const s =
      this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    return s * 1000;
  }

  private async terminate(): Promise<void> {
    this.lifecycle = 'terminating';
    this.deps.log(
      `${this.namespace}/${this.name}: deleting; stopping containers (grace ${this.graceMs() / 1000}s)`,
    );
    this.deps.fileSd.removePod(this.namespace, this.name);
    await Promise.all(this.containers.map((c) => c.stop(this.graceMs())));
    await this.syncStatus();
    this.deps.ips.release(this.uid);
    this.lifecycle = 'gone';
    await this.deleteFromApi();
  }

  /** The real kubelet's last word on a pod: delete it now (grace 0), but only this incarnation (UID). */
  private async deleteFromApi(): Promise<void> {
    this.deletePending = false;
    try {
      await this.deps.core.deleteNamespacedPod({
        name: this.name,
        namespace: this.namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
      });
      this.deps.log(`${this.namespace}/${this.name}: containers stopped, pod deleted`);
    } catch (err) {
      const code = apiStatus(err);
      if (code === 404 || code === 409) return;
      this.deps.log(`${this.namespace}/${this.name}: delete failed (${(err as Error).message}); will retry`);
      this.deletePending = true;
    }
  }

  /** The pod vanished from the API (force-deleted, or its namespace went): kill what still runs. */
  removed(): Promise<void> {
    if (this.ending) return this.ending;
    this.ending = (async () => {
      this.lifecycle = 'gone';
      this.deps.log(`${this.namespace}/${this.name}: gone from the API; stopping its containers`);
      this.deps.fileSd.removePod(this.namespace, this.name);
      await Promise.all(this.containers.map((c) => c.stop(this.graceMs())));
      this.deps.ips.release(this.uid);
    })();
    return this.ending;
  }

  /**
   * The kubelet is stopping: stop the processes (at most `capMs` grace) but leave the pod in the API, its
   * status saying what is true now (containers terminated, not Ready), so nothing routes to a dead pod.
   */
  async shutdown(capMs: number): Promise<void> {
    this.deletePending = false;
    const wasRunning = this.lifecycle === 'running' || this.lifecycle === 'terminating';
    this.lifecycle = 'gone';
    this.deps.fileSd.removePod(this.namespace, this.name);
    await Promise.all(this.containers.map((c) => c.stop(Math.min(this.graceMs(), capMs))));
    this.deps.ips.release(this.uid);
    if (wasRunning) await withTimeout(this.reportStatus(this.buildStatus(true)), 3000);
  }

  private queueSync(): void {
    if (this.syncQueued) return;
    this.syncQueued = true;
    setImmediate(() => {
      this.syncQueued = false;
      void this.syncStatus();
    });
  }

  /** Pod status as the kubelet reports it (plain JSON for a merge patch of pods/status). */
  private buildStatus(stopped = false): Record<string, unknown> {
    const statuses = this.containers.map((c) => c.status());
    const terminating = stopped || Boolean(this.pod.metadata?.deletionTimestamp);
    const phase = podPhase(statuses, this.pod.spec?.restartPolicy);
    const { states, passthrough } = podConditionStates(this.pod, statuses, phase, terminating);
    return {
      phase,
      hostIP: HOST_IP,
      podIP: this.podIP,
      podIPs: [{ ip: this.podIP }],
      startTime: this.startTime,
      conditions: [
        ...this.conditions.build(states),
        ...passthrough.map((c) => ({
          ...c,
          lastProbeTime: toIso(c.lastProbeTime) ?? null,
          lastTransitionTime: toIso(c.lastTransitionTime),
        })),
      ],
      containerStatuses: statuses,
    };
  }

  private async syncStatus(): Promise<void> {
    // Once gone (deleted, removed, or the kubelet stopping) the pod's last status stays as reported.
    if (this.lifecycle !== 'running' && this.lifecycle !== 'terminating') return;
    // No containers: the pod had completed before we saw it; its status is final and not ours to redo.
    if (this.containers.length === 0) return;
    const status = this.buildStatus();
    if (this.lifecycle === 'running') this.deps.fileSd.sync(this.pod, this.podIP, status.phase === 'Running');
    const json = JSON.stringify(status);
    if (json === this.lastSent) return;
    if (this.sending) {
      this.resend = true;
      return;
    }
    this.sending = true;
    try {
      if (await this.reportStatus(status)) this.lastSent = json;
    } finally {
      this.sending = false;
      if (this.resend) {
        this.resend = false;
        this.queueSync();
      }
    }
  }

  /** Merge-patches pods/status; true when the API has it (or the pod is gone, so there is nothing to tell). */
  private async reportStatus(status: Record<string, unknown>): Promise<boolean> {
    try {
      await this.deps.core.patchNamespacedPodStatus(
        { name: this.name, namespace: this.namespace, body: { status } },
        mergePatch,
      );
      return true;
    } catch (err) {
      if (apiStatus(err) === 404) return true;
      this.deps.log(`${this.namespace}/${this.name}: status update failed: ${(err as Error).message}`);
      return false;
    }
  }
}
