import type { CoreV1Api, V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { rmSync } from 'node:fs';
import { stopProcessGroup } from '../process.js';
import { CrashBackoff } from './backoff.js';
import { ContainerConfigError, resolveContainerEnv } from './container-env.js';
import { containerLogPath } from './container-logs.js';
import { exitCodeOf, killGroupRemnants, spawnContainer, type ContainerProcess } from './container-process.js';
import { removeRecord, writeRecord } from './container-records.js';
import { resolveImage, type ImageMap, type ResolvedImage } from './image-map.js';
import type { KubeletLog } from './log.js';
import { HOST_IP } from './node-spec.js';
import { nowIso } from './pod-status.js';
import { ProbeLoop } from './probes.js';

/** What every container of this kubelet shares. */
export interface ContainerDeps {
  core: CoreV1Api;
  images: ImageMap;
  podsDir: string;
  logsDir: string;
  /** Bound of one container instance's log file before it is rotated (container-logs.ts). */
  maxLogBytes?: number;
  cwd: string;
  crashBackoffBaseMs: number;
  log: KubeletLog;
}

/** What a container needs from its pod. */
export interface ContainerHost {
  /** The latest pod object seen (labels or grace period may change while the container runs). */
  pod(): V1Pod;
  podIP(): string;
  /** Something in this container's status changed: the pod should report it. */
  changed(): void;
}

interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID?: string;
}

/** Where the log endpoint reads a container instance from, or why it cannot (the kubelet's wording). */
export type LogSource = { file: string; running: () => boolean } | { error: string };

type State =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: string; proc: ContainerProcess }
  | { kind: 'terminated'; terminated: Terminated };

/** Only these variables of the kubelet's own environment reach containers (a container starts clean). */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'TZ'];

/** How long ErrImagePull shows before ImagePullBackOff, like a kubelet's next sync after a failed pull. */
const ERR_IMAGE_PULL_SHOWN_MS = 2000;

/**
 * One container of one pod, run as a local process: start (image map, env from the API, spawn), probes,
 * restarts with crash-loop back-off per the pod's restartPolicy, and its Kubernetes container status.
 */
export class ContainerRuntime {
  private state: State = { kind: 'waiting', reason: 'ContainerCreating' };
  private lastTerminated: Terminated | undefined;
  private restartCount: number;
  /** True once a process was started for this container, so the next start counts as a restart. */
  private everStarted: boolean;
  private imageKnown = false;
  private readonly backoff: CrashBackoff;
  private pullFailures = 0;
  private configFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readiness: ProbeLoop | undefined;
  private liveness: ProbeLoop | undefined;
  private stopping = false;
  private starting: Promise<void> = Promise.resolve();
  /** Log file by container ID, oldest first: the current instance and the previous one (`--previous`). */
  private readonly instanceLogs = new Map<string, string>();

  constructor(
    readonly spec: V1Container,
    private readonly host: ContainerHost,
    private readonly deps: ContainerDeps,
    previous?: V1ContainerStatus,
  ) {
    this.backoff = new CrashBackoff(deps.crashBackoffBaseMs);
    // A kubelet restart killed the old processes; the pod's counts carry on, as if the runtime restarted.
    this.restartCount = previous?.restartCount ?? 0;
    this.everStarted = Boolean(
      previous?.state?.running || previous?.state?.terminated || previous?.lastState?.terminated,
    );
  }

  get name(): string {
    return this.spec.name;
  }

  start(): void {
    this.runStart();
  }

  /** True when the container's process is up and (with a readinessProbe) passing it. */
  get ready(): boolean {
    // A container being stopped is not ready, whatever its last probe said.
    if (this.state.kind !== 'running' || this.stopping) return false;
    return this.readiness ? this.readiness.state : true;
  }

  get pid(): number | undefined {
    return this.state.kind === 'running' ? this.state.proc.pid : undefined;
  }

  /**
   * Stops the container for good: SIGTERM to its process group, SIGKILL after `graceMs`. Resolves once the
   * process is gone and its record removed.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopProbes();
    await this.starting;
    if (this.state.kind !== 'running') return;
    const { proc } = this.state;
    await stopProcessGroup(proc.pid, graceMs);
    await proc.exited;
  }

  /** Remembers an instance's log file; instances before the previous one are deleted, as the kubelet's GC does. */
  private keepLog(containerID: string, file: string): void {
    this.instanceLogs.delete(containerID);
    this.instanceLogs.set(containerID, file);
    for (const [id, old] of this.instanceLogs) {
      if (this.instanceLogs.size <= 2) break;
      this.instanceLogs.delete(id);
      if (old === file) continue;
      rmSync(old, { force: true });
      rmSync(`${old}.1`, { force: true });
    }
  }

  /**
   * The instance `GET /containerLogs` reads, chosen from the status as the kubelet's validateContainerLogStatus
   * does: `previous` is the last terminated instance; otherwise the running one, else the one that ended.
   */
  logSource(previous: boolean): LogSource {
    const podName = this.host.pod().metadata?.name ?? '';
    const s = this.status();
    const last = s.lastState?.terminated;
    const byId = (id: string | undefined): LogSource => {
      const file = id ? this.instanceLogs.get(id) : undefined;
      if (!file) return { error: `container "${this.name}" in pod "${podName}" is terminated` };
      const state = this.state;
      const running = () =>
        this.state === state && state.kind === 'running' && `sandbox://${state.proc.pid}` === id;
      return { file, running };
    };
    if (previous) {
      if (!last?.containerID)
        return { error: `previous terminated container "${this.name}" in pod "${podName}" not found` };
      return byId(last.containerID);
    }
    if (s.state?.running) return byId(s.containerID);
    if (s.state?.terminated) return byId(s.state.terminated.containerID || last?.containerID);
    if (last) return byId(last.containerID);
    const reason = s.state?.waiting?.reason;
    if (reason === 'ErrImagePull')
      return {
        error: `container "${this.name}" in pod "${podName}" is waiting to start: image can't be pulled`,
      };
    if (reason === 'ImagePullBackOff')
      return {
        error: `container "${this.name}" in pod "${podName}" is waiting to start: trying and failing to pull image`,
      };
    if (reason)
      return { error: `container "${this.name}" in pod "${podName}" is waiting to start: ${reason}` };
    return { error: `container "${this.name}" in pod "${podName}" is waiting to start - no logs yet` };
  }

  /** The container's entry in pod.status.containerStatuses, as plain JSON. */
  status(): V1ContainerStatus {
    const image = this.spec.image ?? '';
    const out: Record<string, unknown> = {
      name: this.name,
      image,
      imageID: this.imageKnown ? `sandbox://${image}` : '',
      ready: this.ready,
      started: this.state.kind === 'running',
      restartCount: this.restartCount,
      state: this.stateJson(),
      lastState: this.lastTerminated ? { terminated: this.lastTerminated } : {},
    };
    if (this.state.kind === 'running') out.containerID = `sandbox://${this.state.proc.pid}`;
    else if (this.state.kind === 'terminated' && this.state.terminated.containerID) {
      out.containerID = this.state.terminated.containerID;
    }
    return out as unknown as V1ContainerStatus;
  }

  private stateJson(): Record<string, unknown> {
    switch (this.state.kind) {
      case 'waiting':
        return {
          waiting: {
            reason: this.state.reason,
            ...(this.state.message ? { message: this.state.message } : {}),
          },
        };
      case 'running':
        return { running: { startedAt: this.state.startedAt } };
      case 'terminated':
        return { terminated: this.state.terminated };
    }
  }

  private setState(state: State): void {
    this.state = state;
    this.host.changed();
  }

  private runStart(): void {
    this.starting = this.attemptStart().catch((err: unknown) => {
      this.deps.log(`${this.describe()}: start failed unexpectedly: ${(err as Error).stack ?? String(err)}`);
    });
  }

  private describe(): string {
    const meta = this.host.pod().metadata;
    return `${meta?.namespace}/${meta?.name}/${this.name}`;
  }

  private retryDelay(failures: number): number {
    return Math.min(
      this.deps.crashBackoffBaseMs * 2 ** Math.max(0, failures - 1),
      this.deps.crashBackoffBaseMs * 30,
    );
  }

  private later(fn: () => void, ms: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(fn, ms);
  }

  private async attemptStart(): Promise<void> {
    if (this.stopping) return;
    const image = this.spec.image ?? '';
    const resolved = resolveImage(this.deps.images, image);
    if (!resolved) {
      this.imagePullFailed(image);
      return;
    }
    this.imageKnown = true;
    this.pullFailures = 0;

    let env: Record<string, string>;
    try {
      env = await this.buildEnv(resolved);
    } catch (err) {
      if (this.stopping) return;
      if (!(err instanceof ContainerConfigError)) throw err;
      this.configFailures++;
      this.deps.log(`${this.describe()}: CreateContainerConfigError: ${err.message}`);
      this.setState({ kind: 'waiting', reason: 'CreateContainerConfigError', message: err.message });
      this.later(() => this.runStart(), this.retryDelay(this.configFailures));
      return;
    }
    if (this.stopping) return;
    this.configFailures = 0;

    if (this.everStarted) this.restartCount++;
    this.everStarted = true;
    const pod = this.host.pod();
    const namespace = pod.metadata?.namespace ?? '';
    const podName = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    const logFile = containerLogPath(
      this.deps.logsDir,
      { namespace, name: podName, uid },
      this.name,
      this.restartCount,
    );
    let proc: ContainerProcess;
    try {
      proc = await spawnContainer({
        command: resolved.command,
        env,
        logFile,
        maxLogBytes: this.deps.maxLogBytes,
        cwd: this.deps.cwd,
      });
    } catch (err) {
      const now = nowIso();
      this.deps.log(`${this.describe()}: cannot start ${resolved.command[0]}: ${(err as Error).message}`);
      this.terminatedOnItsOwn({
        exitCode: 128,
        reason: 'StartError',
        message: (err as Error).message,
        startedAt: now,
        finishedAt: now,
      });
      return;
    }
    const startedAt = nowIso();
    this.keepLog(`sandbox://${proc.pid}`, logFile);
    writeRecord(this.deps.podsDir, {
      pid: proc.pid,
      namespace,
      name: podName,
      uid,
      container: this.name,
      podIP: this.host.podIP(),
      startedAt,
      command: resolved.command,
    });
    this.deps.log(`${this.describe()}: started pid ${proc.pid} on ${this.host.podIP()} (${image})`);
    this.setState({ kind: 'running', startedAt, proc });
    void proc.exited.then(({ code, signal }) => this.processExited(proc, startedAt, code, signal));
    // stop() may have begun while spawning: it waits for this start, then stops the process it finds.
    if (!this.stopping) this.startProbes();
  }

  private async buildEnv(resolved: ResolvedImage): Promise<Record<string, string>> {
    const pod = this.host.pod();
    const podIP = this.host.podIP();
    const inherited = Object.fromEntries(
      INHERITED_ENV.flatMap((k) => (process.env[k] !== undefined ? [[k, process.env[k] as string]] : [])),
    );
    const sandbox = {
      HOSTNAME: pod.metadata?.name ?? '',
      HOST: podIP,
      PORT: String(this.spec.ports?.[0]?.containerPort ?? 8080),
      POD_IP: podIP,
      POD_NAME: pod.metadata?.name ?? '',
      POD_NAMESPACE: pod.metadata?.namespace ?? '',
    };
    const fromSpec = await resolveContainerEnv(
      { core: this.deps.core, pod, podIP, hostIP: HOST_IP },
      this.spec,
      (m) => this.deps.log(`${this.describe()}: ${m}`),
    );
    // The pod spec wins over what the sandbox provides, as a container's own env wins over the image's.
    return { ...inherited, ...sandbox, ...resolved.env, ...fromSpec };
  }

  private imagePullFailed(image: string): void {
    this.pullFailures++;
    const known = [...this.deps.images.keys()].join(', ');
    const message = `image "${image}" is not in the sandbox image map (known: ${known})`;
    if (this.pullFailures === 1) this.deps.log(`${this.describe()}: ErrImagePull: ${message}`);
    this.setState({ kind: 'waiting', reason: 'ErrImagePull', message });
    const backoff = this.retryDelay(this.pullFailures);
    this.later(
      () => {
        this.setState({
          kind: 'waiting',
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "${image}"`,
        });
        this.later(() => this.runStart(), backoff);
      },
      Math.min(ERR_IMAGE_PULL_SHOWN_MS, backoff),
    );
  }

  private startProbes(): void {
    const target = () => ({ podIP: this.host.podIP(), container: this.spec });
    if (this.spec.readinessProbe) {
      this.readiness = new ProbeLoop(this.spec.readinessProbe, target, false, (ready, last) => {
        this.deps.log(`${this.describe()}: readiness ${ready ? 'passed' : `failed (${last.message})`}`);
        this.host.changed();
      });
      this.readiness.start();
    }
    if (this.spec.livenessProbe) {
      this.liveness = new ProbeLoop(this.spec.livenessProbe, target, true, (alive, last) => {
        if (alive || this.state.kind !== 'running') return;
        this.deps.log(
          `${this.describe()}: liveness probe failed (${last.message}); restarting the container`,
        );
        void stopProcessGroup(this.state.proc.pid, this.graceMs());
      });
      this.liveness.start();
    }
  }

  private stopProbes(): void {
    this.readiness?.stop();
    this.liveness?.stop();
    this.readiness = undefined;
    this.liveness = undefined;
  }

  private graceMs(): number {
    return (this.host.pod().spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  private processExited(
    proc: ContainerProcess,
    startedAt: string,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    killGroupRemnants(proc.pid);
    const pod = this.host.pod();
    removeRecord(this.deps.podsDir, pod.metadata?.uid ?? '', this.name);
    this.stopProbes();
    const exitCode = exitCodeOf(code, signal);
    const terminated: Terminated = {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt,
      finishedAt: nowIso(),
      containerID: `sandbox://${proc.pid}`,
    };
    this.deps.log(
      `${this.describe()}: pid ${proc.pid} exited with code ${exitCode}${signal ? ` (${signal})` : ''}`,
    );
    if (this.stopping) {
      this.setState({ kind: 'terminated', terminated });
      return;
    }
    this.terminatedOnItsOwn(terminated);
  }

  private willRestart(exitCode: number): boolean {
    const policy = this.host.pod().spec?.restartPolicy ?? 'Always';
    return !this.stopping && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
  }

  /** The process ended without being asked to: restart per restartPolicy, with crash-loop back-off. */
  private terminatedOnItsOwn(terminated: Terminated): void {
    if (!this.willRestart(terminated.exitCode)) {
      this.setState({ kind: 'terminated', terminated });
      return;
    }
    this.lastTerminated = terminated;
    const at = Date.now();
    const delay = this.backoff.delayAfterExit(at);
    const restart = (): void => {
      this.backoff.restarted(at);
      this.runStart();
    };
    if (delay === 0) {
      this.setState({ kind: 'terminated', terminated });
      restart();
      return;
    }
    const pod = this.host.pod().metadata;
    this.setState({
      kind: 'waiting',
      reason: 'CrashLoopBackOff',
      message: `back-off ${formatDelay(delay)} restarting failed container=${this.name} pod=${pod?.name}_${pod?.namespace}(${pod?.uid})`,
    });
    this.later(restart, delay);
  }
}

/** Like Go's time.Duration String for whole seconds ("10s", "5m0s"), sub-second for tests ("500ms"). */
function formatDelay(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}
