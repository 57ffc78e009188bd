import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeApiOptions } from '../adapters/kubernetes/api-client.js';
import { createKubernetesAdapter } from '../adapters/kubernetes/kubernetes-adapter.js';
import type { CompiledService, RipcordConfig } from '../config/compile.js';
import { loadConfig } from '../config/load.js';
import { getService } from '../config/services.js';
import { AbortedError, RipcordError } from '../core/errors.js';
import type { Journal } from '../core/journal.js';
import { processIdentity } from '../core/lock-identity.js';
import { createLockKeeper, type LockKeeper } from '../core/lock-keeper.js';
import type { ClusterRef } from '../core/plan.js';
import type { Clock } from '../core/ports.js';
import { buildPorts } from '../app/ports.js';
import type { ScenarioContext } from '../scenarios/types.js';
import { openJournal } from '../store/open-journal.js';
import { progress, type GlobalOptions } from './output.js';

/**
 * The composition root of the CLI: every command builds its adapters here from the config and flags, and
 * passes them into the core. No client singletons anywhere else.
 */
export interface ServiceContext extends ScenarioContext {
  config: RipcordConfig;
  service: CompiledService;
  kc: KubeConfig;
  journal: Journal;
  /** This process: host:pid:nonce. With a run id it is the run's lock holder identity. */
  owner: string;
  /**
   * The current run's stop switch: SIGINT/SIGTERM and a lost lock abort it; every Kubernetes call made through
   * this context carries its signal (and a request deadline), so nothing in flight outlives it. `newRun()`
   * gives the next run of a long-lived context (the controller's) a fresh one.
   */
  readonly abort: AbortController;
  newRun(): AbortController;
  /** What adapters built later (ConfigMaps, env patch) need to honour the same deadline and signal. */
  kubeOptions: KubeApiOptions;
  /** Renews the Leases the run holds. */
  locks: LockKeeper;
  close(): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

export async function loadCliConfig(g: GlobalOptions): Promise<RipcordConfig> {
  const flags: { context?: string; namespace?: string } = {};
  if (g.context) flags.context = g.context;
  if (g.namespace) flags.namespace = g.namespace;
  return loadConfig({ ...(g.config ? { configPath: g.config } : {}), flags });
}

/**
 * Kubernetes access as kubectl does it: the service's kubeconfig file, else $KUBECONFIG, else ~/.kube/config,
 * else the in-cluster service account; then the context from the config or --context.
 */
export function kubeConfigFor(kube: {
  context?: string;
  kubeconfig?: string;
  namespace?: string;
}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (kube.kubeconfig) kc.loadFromFile(kube.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new RipcordError('invalid', `kubeconfig: cannot load it: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (kube.context) {
    if (!kc.getContextObject(kube.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new RipcordError(
        'invalid',
        `--context: no context "${kube.context}" in the kubeconfig (known: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(kube.context);
  }
  return kc;
}

/** The context in use and its API server, as the plan records them. */
export function clusterOf(kc: KubeConfig): ClusterRef {
  const server = kc.getCurrentCluster()?.server;
  return { context: kc.getCurrentContext(), ...(server ? { server } : {}) };
}

export async function openServiceContext(g: GlobalOptions, serviceName: string): Promise<ServiceContext> {
  const config = await loadCliConfig(g);
  const service = getService(config, serviceName);
  const kc = kubeConfigFor(service.kube);
  const journal = await openJournal(config.journal, config.baseDir);
  const cleanups: (() => Promise<void>)[] = [async () => journal.close()];
  let abort = new AbortController();
  const kubeOptions: KubeApiOptions = {
    requestTimeoutMs: service.kube.requestTimeoutMs,
    signal: () => abort.signal,
  };
  const kube = createKubernetesAdapter(kc, kubeOptions);
  const locks = createLockKeeper({
    kube,
    clock: systemClock,
    onLost: (why) => abort.abort(new AbortedError(why)),
  });
  cleanups.push(async () => locks.stop());
  const onClose = (fn: () => Promise<void>): void => void cleanups.push(fn);
  const ports = buildPorts({ service, kc, kubeOptions, kube, locks, onClose, log: progress });
  return {
    config,
    service,
    kc,
    kube,
    probe: ports.probe,
    ports,
    cluster: clusterOf(kc),
    clock: systemClock,
    journal,
    owner: processIdentity(hostname(), process.pid, randomBytes(3).toString('hex')),
    get abort() {
      return abort;
    },
    newRun() {
      if (abort.signal.aborted) abort = new AbortController();
      return abort;
    },
    kubeOptions,
    locks,
    onClose,
    close: async () => {
      for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
    },
  };
}

/** Runs `fn` with a context and always closes the journal, whatever happens. */
export async function withServiceContext<T>(
  g: GlobalOptions,
  serviceName: string,
  fn: (ctx: ServiceContext) => Promise<T>,
): Promise<T> {
  const ctx = await openServiceContext(g, serviceName);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/** The journal alone, for `runs` and `show`, which need no cluster. */
export async function withJournal<T>(
  g: GlobalOptions,
  fn: (j: Journal, c: RipcordConfig) => Promise<T>,
): Promise<T> {
  const config = await loadCliConfig(g);
  const journal = await openJournal(config.journal, config.baseDir);
  try {
    return await fn(journal, config);
  } finally {
    await journal.close();
  }
}

/** The run with its steps, or RipcordError('invalid') pointing at `ripcord runs`. */
export async function requireRun(g: GlobalOptions, runId: string) {
  const found = await withJournal(g, (j) => j.getRun(runId));
  if (!found) {
    throw new RipcordError('invalid', `run "${runId}": no such run in the journal (see \`ripcord runs\`)`);
  }
  return found;
}
