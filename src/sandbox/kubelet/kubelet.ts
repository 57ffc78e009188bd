import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { repoRoot } from '../control-plane/binaries.js';
import { loadKubeConfig } from '../kube-clients.js';
import { DEFAULT_CRASH_BACKOFF_BASE_MS } from './backoff.js';
import { reapRecordedProcesses } from './container-records.js';
import { FileSdWriter } from './file-sd.js';
import { startKubeStateMetrics } from './kube-state-metrics.js';
import { loadImageMap } from './image-map.js';
import { startLogServer, type KubeletTls, type LogLookup } from './log-server.js';
import { stdoutLog, type KubeletLog } from './log.js';
import { startNodeHeartbeat } from './node-heartbeat.js';
import { startPodInformer, type PodCache } from './pod-informer.js';
import { PodIpPool } from './pod-ips.js';
import { PodWorker } from './pod-worker.js';
import { bindPod, needsBinding } from './scheduler.js';

export const DEFAULT_NODE_NAME = 'sandbox-node';
/** Logs of a deleted pod stay this long, so a test or a person can still read a crash after the pod went. */
export const DEAD_POD_LOG_RETENTION_MS = 10 * 60_000;

export interface KubeletOptions {
  /** A kubeconfig file, or a loaded KubeConfig (tests). */
  kubeconfig: string | KubeConfig;
  /** Records (`pods/`) and container logs (`logs/`) live here. */
  stateDir: string;
  /** Prometheus file_sd directory: one `<namespace>_<pod>.json` per Running pod. */
  targetsDir: string;
  /** `127.N`: pods get addresses `127.N.a.b`. */
  podNetwork: string;
  nodeName?: string;
  /** Extra image map entries (see image-map.ts). */
  imagesFile?: string;
  /** Crash-loop back-off base; Kubernetes uses 10 s. */
  crashBackoffBaseMs?: number;
  /** Only this namespace (schedule and run its pods, ignore the rest): tests sharing a control plane. */
  namespace?: string;
  /** How often to re-check every pod (status drift, retries); events drive everything else. */
  resyncMs?: number;
  /**
   * Serve container logs over HTTPS (`kubectl logs` through the apiserver) with these certificates; without
   * them the Node publishes no kubelet port and pods/log fails as it would against an unreachable kubelet.
   */
  tls?: KubeletTls;
  /** Bound of one container instance's log file before rotation (container-logs.ts). */
  maxLogBytes?: number;
  /** How long the logs of a pod gone from the API stay on disk (the real kubelet deletes them at once). */
  deadPodLogRetentionMs?: number;
  /** Longest grace a container gets when the kubelet itself stops (the sandbox waits 20 s for it). */
  shutdownGraceMs?: number;
  log?: KubeletLog;
}

export interface Kubelet {
  /** Stops every container (SIGTERM, then SIGKILL), stops watching; pods stay in the API. */
  stop(): Promise<void>;
  /** Running container PIDs by pod `namespace/name` (for tests and diagnostics). */
  pids(): Map<string, number[]>;
}

/**
 * The sandbox kubelet: registers the node, binds pending pods to it (the scheduler's part), runs their
 * containers as local processes, reports their status, writes Prometheus targets, and honours deletion.
 * Processes a previous kubelet left behind are killed first, so the records always list only ours.
 */
export async function startKubelet(opts: KubeletOptions): Promise<Kubelet> {
  const log = opts.log ?? stdoutLog;
  const nodeName = opts.nodeName ?? DEFAULT_NODE_NAME;
  const kc = typeof opts.kubeconfig === 'string' ? loadKubeConfig(opts.kubeconfig) : opts.kubeconfig;
  const core = kc.makeApiClient(CoreV1Api);
  const podsDir = join(opts.stateDir, 'pods');
  const logsDir = join(opts.stateDir, 'logs');
  mkdirSync(podsDir, { recursive: true });
  mkdirSync(logsDir, { recursive: true });
  const images = loadImageMap(opts.imagesFile);

  const reaped = await reapRecordedProcesses(podsDir);
  if (reaped.length > 0)
    log(`stopped ${reaped.length} container process(es) left by a previous run: ${reaped.join(', ')}`);
  const fileSd = new FileSdWriter(opts.targetsDir);
  fileSd.clearStale();

  const deps = {
    core,
    images,
    podsDir,
    logsDir,
    maxLogBytes: opts.maxLogBytes,
    cwd: repoRoot(),
    crashBackoffBaseMs: opts.crashBackoffBaseMs ?? DEFAULT_CRASH_BACKOFF_BASE_MS,
    log,
    ips: new PodIpPool(opts.podNetwork),
    fileSd,
  };
  const workers = new Map<string, PodWorker>();
  const binding = new Set<string>();
  let stopped = false;

  // Like GetPodByName: the pods this kubelet runs, terminating ones included.
  const lookup: LogLookup = (namespace, name, container, previous) => {
    let found: PodWorker | undefined;
    for (const w of workers.values()) {
      if (w.namespace === namespace && w.name === name && w.serving) found = w;
    }
    if (!found) return 'no-such-pod';
    return found.logSource(container, previous) ?? 'no-such-container';
  };
  const logServer = opts.tls ? await startLogServer(opts.tls, lookup, log) : undefined;
  let heartbeat: Awaited<ReturnType<typeof startNodeHeartbeat>>;
  try {
    heartbeat = await startNodeHeartbeat(core, nodeName, log, undefined, logServer?.port ?? 0);
  } catch (err) {
    await logServer?.stop();
    throw err;
  }
  if (logServer) log(`serving container logs on https://127.0.0.1:${logServer.port}/containerLogs/`);

  const bind = (pod: V1Pod): void => {
    const uid = pod.metadata?.uid ?? '';
    if (binding.has(uid)) return;
    binding.add(uid);
    bindPod(core, pod, nodeName)
      .then((bound) => bound && log(`bound ${pod.metadata?.namespace}/${pod.metadata?.name} to ${nodeName}`))
      .catch((err: unknown) =>
        log(`binding ${pod.metadata?.namespace}/${pod.metadata?.name} failed: ${(err as Error).message}`),
      )
      .finally(() => binding.delete(uid));
  };

  let pods: PodCache | undefined;
  const reconcile = (): void => {
    if (stopped || !pods) return;
    const seen = new Set<string>();
    for (const pod of pods.list()) {
      const uid = pod.metadata?.uid;
      if (!uid) continue;
      if (!pod.spec?.nodeName) {
        if (needsBinding(pod)) bind(pod);
        continue;
      }
      if (pod.spec.nodeName !== nodeName) continue;
      seen.add(uid);
      let worker = workers.get(uid);
      if (!worker) {
        worker = new PodWorker(pod, deps);
        workers.set(uid, worker);
      }
      worker.update(pod);
    }
    for (const [uid, worker] of workers) {
      if (seen.has(uid)) continue;
      void worker.removed().then(() => {
        if (workers.get(uid) === worker) workers.delete(uid);
      });
    }
  };

  // Events arrive in bursts (a Deployment scaling): one reconcile per turn of the event loop is enough.
  let queued = false;
  const queueReconcile = (): void => {
    if (queued || stopped) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      reconcile();
    });
  };

  try {
    pods = await startPodInformer(kc, opts.namespace, queueReconcile, log);
  } catch (err) {
    await heartbeat.stop();
    await logServer?.stop();
    throw err;
  }
  const ksm = await startKubeStateMetrics(() => pods?.list() ?? [], opts.targetsDir, opts.namespace);
  log(`serving kube-state-metrics (kube_pod_labels) on http://127.0.0.1:${ksm.port}/metrics`);
  reconcile();
  const retentionMs = opts.deadPodLogRetentionMs ?? DEAD_POD_LOG_RETENTION_MS;
  let lastPrune = 0;
  const resync = setInterval(() => {
    reconcile();
    for (const w of workers.values()) w.tick();
    if (Date.now() - lastPrune >= Math.min(60_000, retentionMs)) {
      lastPrune = Date.now();
      const live = new Set([...workers.values()].map((w) => w.podUid));
      pruneLogDirs(logsDir, live, retentionMs, opts.namespace, log);
    }
  }, opts.resyncMs ?? 2000);
  log(
    `sandbox kubelet running: node ${nodeName}, pod network ${opts.podNetwork}.0.0/16` +
      (opts.namespace ? `, namespace ${opts.namespace} only` : ''),
  );

  return {
    pids: () => {
      const out = new Map<string, number[]>();
      for (const w of workers.values()) {
        const pids = w.pids();
        if (pids.length > 0) out.set(`${w.namespace}/${w.name}`, pids);
      }
      return out;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(resync);
      await pods?.stop();
      const cap = opts.shutdownGraceMs ?? 10_000;
      await Promise.all([...workers.values()].map((w) => w.shutdown(cap)));
      workers.clear();
      await heartbeat.stop();
      await logServer?.stop();
      await ksm.stop();
      // Belt and braces: anything still recorded (a start racing the shutdown) is stopped too.
      await reapRecordedProcesses(podsDir, 1000);
      log('sandbox kubelet stopped; all containers stopped');
    },
  };
}

/**
 * Deletes the log directories (`<namespace>_<pod>_<uid>`, see container-logs.ts) of pods this kubelet no longer
 * runs, once untouched for `retentionMs`, and the flat `*.log` files of older sandbox kubelets. With
 * `namespace`, only that namespace's: kubelets of other namespaces may share the directory.
 */
export function pruneLogDirs(
  logsDir: string,
  live: Set<string>,
  retentionMs: number,
  namespace: string | undefined,
  log: KubeletLog,
  now = Date.now(),
): void {
  let entries: string[];
  try {
    entries = readdirSync(logsDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const [ns, , uid] = entry.split('_');
    if (namespace !== undefined && ns !== namespace) continue;
    if (uid && live.has(uid)) continue;
    const path = join(logsDir, entry);
    try {
      if (now - newestMtime(path) < retentionMs) continue;
      rmSync(path, { recursive: true, force: true });
    } catch (err) {
      log(`could not prune old container logs ${path}: ${(err as Error).message}`);
    }
  }
}

/** The latest modification below `path` (a pod's log directory: container folders, then files). */
function newestMtime(path: string, depth = 2): number {
  const st = statSync(path);
  let newest = st.mtimeMs;
  if (depth > 0 && st.isDirectory()) {
    for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e), depth - 1));
  }
  return newest;
}
