import { randomInt } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ensureKubeBinaries, repoRoot } from './control-plane/binaries.js';
import { ensureNamespace, ensureRipcordServiceAccount } from './control-plane/bootstrap.js';
import { writeKubeconfig } from './control-plane/kubeconfig.js';
import { startControlPlane } from './control-plane/start.js';
import { createIfMissing, loadKubeConfig } from './kube-clients.js';
import { startAlertmanager, startPrometheus } from './monitoring/index.js';
import { writeVenueServiceRules } from './monitoring/venue-service-rules.js';
import { createDatabase, databaseUrl, startPostgres } from './postgres.js';
import { isAlive, startDaemon, stopProcessGroup, type DaemonRecord } from './process.js';
import { installSandboxCrds } from './router/sandbox-crds.js';
import { ARGOCD_NAMESPACE } from './argocd/application.js';
import { ensureArgoTokens, readArgoTokens } from './argocd/tokens.js';
import { freePort } from './free-port.js';
import { readState, sandboxPaths, writeState, type SandboxState } from './state.js';
import { putUnleashSecret, readUnleashSecrets, startUnleash, type StartedUnleash } from './unleash.js';

/** The namespace the runbook's commands use; `sandbox up` prepares it for venue-service. */
export const DEMO_NAMESPACE = 'tickettoken';
export const DEMO_DATABASE = 'venues';

export interface StartOptions {
  dir: string;
  onProgress?: (line: string) => void;
  /** Use this PostgreSQL instead of a private cluster (e.g. an existing server on a laptop). */
  databaseUrl?: string;
  /** Kubelet crash-loop back-off base; Kubernetes uses 10 s, tests may want less. */
  crashBackoffBaseMs?: number;
  /** The Argo CD stand-in's reconciliation period (Argo CD: 180 s; the sandbox: 10 s, tests less). */
  argocdResyncMs?: number;
}

/** The sandbox's Argo CD reconciliation period unless told: a new commit shows within seconds in the demo. */
export const DEFAULT_ARGOCD_RESYNC_MS = 10_000;

/**
 * Starts every part of the sandbox and records what it started in state.json. If any part fails, what was
 * already started is stopped again, so a failed `up` leaves nothing running.
 */
export async function startSandbox(opts: StartOptions): Promise<SandboxState> {
  const say = opts.onProgress ?? (() => {});
  const p = sandboxPaths(opts.dir);
  const existing = readState(opts.dir);
  if (existing && existing.processes.some((d) => isAlive(d.pid))) {
    throw new Error(`a sandbox is already running in ${opts.dir}; run \`ripcord sandbox down\` first`);
  }
  mkdirSync(p.logs, { recursive: true });
  const binDir = await ensureKubeBinaries(say);
  const started: DaemonRecord[] = [];
  let unleashStart: Promise<StartedUnleash> | undefined;
  try {
    say('starting etcd, kube-apiserver and kube-controller-manager');
    const cp = await startControlPlane(opts.dir);
    started.push(...cp.processes);
    const kc = loadKubeConfig(p.kubeconfig);
    await ensureNamespace(kc, DEMO_NAMESPACE);
    await ensureNamespace(kc, ARGOCD_NAMESPACE);
    const ripcordToken = await ensureRipcordServiceAccount(kc);
    writeKubeconfig(p.kubeconfig, {
      server: cp.server,
      caFile: cp.caFile,
      adminToken: cp.adminToken,
      ripcordToken,
    });
    await installSandboxCrds(kc);

    let postgres: SandboxState['postgres'];
    if (opts.databaseUrl) {
      postgres = { url: opts.databaseUrl, port: Number(new URL(opts.databaseUrl).port || 5432) };
    } else {
      say('starting PostgreSQL');
      const pg = await startPostgres({
        dataDir: p.pgData,
        socketDir: p.pgSocket,
        logFile: join(p.logs, 'postgres.log'),
      });
      started.push({ name: 'postgres', pid: pg.pid, log: pg.log });
      postgres = { url: pg.url, port: pg.port };
    }
    await prepareDemoDatabase(kc, postgres.url);

    // Unleash takes seconds (loading ~300 packages, then migrations): it starts while the rest comes up.
    say('starting Unleash');
    unleashStart = startUnleash({
      dir: p.unleash,
      superUrl: postgres.url,
      logFile: join(p.logs, 'unleash.log'),
    }).then((u) => {
      started.push({ name: 'unleash', pid: u.pid, log: u.log });
      return u;
    });
    // Observed now, awaited below: a failure while Prometheus starts must not be an unhandled rejection.
    unleashStart.catch(() => undefined);

    say('starting Alertmanager and Prometheus');
    const am = await startAlertmanager({ dir: p.alertmanager, logFile: join(p.logs, 'alertmanager.log') });
    started.push({ name: 'alertmanager', pid: am.pid, log: am.log });
    mkdirSync(p.promTargets, { recursive: true });
    const rules = writeVenueServiceRules(join(p.prometheus, 'rules'));
    const prom = await startPrometheus({
      dir: p.prometheus,
      targetsDir: p.promTargets,
      alertmanagerUrl: am.url,
      logFile: join(p.logs, 'prometheus.log'),
      ruleFiles: [rules],
    });
    started.push({ name: 'prometheus', pid: prom.pid, log: prom.log });

    say('starting the sandbox kubelet, service router and Argo CD stand-in');
    const podNetwork = `127.${randomInt(20, 250)}`;
    const argoTokens = ensureArgoTokens(p.argocd);
    const argoPort = await freePort();
    const node = process.execPath;
    const dist = join(repoRoot(), 'dist', 'src', 'sandbox');
    started.push(
      startDaemon({
        name: 'kubelet',
        command: node,
        args: [
          join(dist, 'kubelet', 'main.js'),
          `--kubeconfig=${p.kubeconfig}`,
          `--state-dir=${join(opts.dir, 'kubelet')}`,
          `--targets-dir=${p.promTargets}`,
          `--pod-network=${podNetwork}`,
          `--crash-backoff-base-ms=${opts.crashBackoffBaseMs ?? 10_000}`,
          `--tls-cert-file=${cp.kubeletTls.cert}`,
          `--tls-private-key-file=${cp.kubeletTls.key}`,
          `--client-ca-file=${cp.kubeletTls.clientCa}`,
        ],
        log: join(p.logs, 'kubelet.log'),
      }),
      startDaemon({
        name: 'router',
        command: node,
        args: [join(dist, 'router', 'main.js'), `--kubeconfig=${p.kubeconfig}`, `--routes-file=${p.routes}`],
        log: join(p.logs, 'router.log'),
      }),
      // The Argo CD application-controller stand-in (src/sandbox/argocd/controller.ts).
      startDaemon({
        name: 'argocd',
        command: node,
        args: [
          join(dist, 'argocd', 'main.js'),
          `--kubeconfig=${p.kubeconfig}`,
          `--resync-ms=${opts.argocdResyncMs ?? DEFAULT_ARGOCD_RESYNC_MS}`,
          `--api-port=${argoPort}`,
          `--tokens-file=${argoTokens.file}`,
        ],
        log: join(p.logs, 'argocd.log'),
      }),
    );
    const unleash = await unleashStart;
    say(`Unleash ready in ${unleash.startMs} ms`);
    await putUnleashSecret(kc, DEMO_NAMESPACE, {
      url: unleash.url,
      clientToken: unleash.secrets.clientToken,
    });
    const state: SandboxState = {
      version: 1,
      dir: opts.dir,
      startedAt: new Date().toISOString(),
      kube: { server: cp.server, kubeconfig: p.kubeconfig, binDir, etcdUrl: cp.etcdUrl },
      podNetwork,
      postgres,
      prometheus: { url: prom.url },
      alertmanager: { url: am.url },
      unleash: { url: unleash.url, secretsFile: unleash.secretsFile },
      argocd: { url: `http://127.0.0.1:${argoPort}`, tokensFile: argoTokens.file },
      timings: {
        crashBackoffBaseMs: opts.crashBackoffBaseMs ?? 10_000,
        argocdResyncMs: opts.argocdResyncMs ?? DEFAULT_ARGOCD_RESYNC_MS,
      },
      processes: started,
    };
    writeState(state);
    writeEnvFile(state);
    return state;
  } catch (err) {
    // Unleash may still be starting: let it finish (or fail) so its process is recorded and stopped too.
    await unleashStart?.catch(() => undefined);
    await stopDaemons(started);
    throw err;
  }
}

/** Creates the demo database and hands its URL to pods through a Secret, as a real cluster would. */
async function prepareDemoDatabase(kc: KubeConfig, superUrl: string): Promise<void> {
  const url = await createDatabase(superUrl, DEMO_DATABASE);
  await putDatabaseSecret(kc, DEMO_NAMESPACE, url);
}

/** Writes (or replaces) Secret venue-service-db with DATABASE_URL in `namespace`. */
export async function putDatabaseSecret(kc: KubeConfig, namespace: string, url: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const body = {
    metadata: { name: 'venue-service-db', namespace },
    type: 'Opaque',
    stringData: { DATABASE_URL: url },
  };
  await createIfMissing(() => core.createNamespacedSecret({ namespace, body }));
  await core.replaceNamespacedSecret({ name: 'venue-service-db', namespace, body });
}

/**
 * Shell-sourceable endpoints: `. .ripcord/sandbox/env` then use kubectl, psql, curl as usual. Services of the
 * demo namespace get `<NAME>_URL` (their router address), rewritten after each `sandbox deploy`.
 */
export function writeEnvFile(state: SandboxState, routes: Record<string, { url: string }> = {}): void {
  const serviceUrls = Object.entries(routes)
    .filter(([key]) => key.startsWith(`${DEMO_NAMESPACE}/`))
    .map(
      ([key, r]) =>
        `export ${key
          .slice(DEMO_NAMESPACE.length + 1)
          .toUpperCase()
          .replace(/-/g, '_')}_URL=${r.url}`,
    );
  const lines = [
    ...serviceUrls,
    `export KUBECONFIG=${state.kube.kubeconfig}`,
    `export PATH=${state.kube.binDir}:$PATH`,
    `export RIPCORD_SANDBOX_DIR=${state.dir}`,
    `export PROMETHEUS_URL=${state.prometheus?.url ?? ''}`,
    `export ALERTMANAGER_URL=${state.alertmanager?.url ?? ''}`,
    // The demo namespace's database, as its pods get it (Secret venue-service-db), for psql and `ripcord db`.
    ...(state.postgres ? [`export DATABASE_URL='${databaseUrl(state.postgres.url, DEMO_DATABASE)}'`] : []),
    ...unleashEnvLines(state),
    ...argocdEnvLines(state),
  ];
  writeFileSync(sandboxPaths(state.dir).env, lines.join('\n') + '\n', { mode: 0o600 });
}

/** UNLEASH_URL and its tokens for the shell (the env file is 0600, like the kubeconfig beside it). */
function unleashEnvLines(state: SandboxState): string[] {
  if (!state.unleash) return [];
  const s = readUnleashSecrets(state.unleash.secretsFile);
  return [
    `export UNLEASH_URL=${state.unleash.url}`,
    `export UNLEASH_ADMIN_TOKEN='${s.adminToken}'`,
    `export UNLEASH_CLIENT_TOKEN='${s.clientToken}'`,
  ];
}

/** The names the argocd CLI reads: ARGOCD_SERVER (host:port), ARGOCD_AUTH_TOKEN, ARGOCD_OPTS (plain HTTP). */
function argocdEnvLines(state: SandboxState): string[] {
  if (!state.argocd) return [];
  const t = readArgoTokens(state.argocd.tokensFile);
  return [
    `export ARGOCD_SERVER=${new URL(state.argocd.url).host}`,
    `export ARGOCD_AUTH_TOKEN='${t.admin}'`,
    `export ARGOCD_OPTS='--plaintext'`,
  ];
}

/** Stops in reverse start order: the kubelet (and its pods) first, the control plane and etcd last. */
async function stopDaemons(records: DaemonRecord[]): Promise<void> {
  for (const d of [...records].reverse()) {
    await stopProcessGroup(
      d.pid,
      d.name === 'kubelet' ? 20_000 : 8_000,
      d.name === 'postgres' ? 'SIGINT' : 'SIGTERM',
    );
  }
}

/** PIDs of container processes the kubelet recorded; killed too in case the kubelet itself died. */
function recordedContainerPids(dir: string): number[] {
  const podsDir = sandboxPaths(dir).kubeletPods;
  if (!existsSync(podsDir)) return [];
  const pids: number[] = [];
  for (const f of readdirSync(podsDir)) {
    try {
      const rec = JSON.parse(readFileSync(join(podsDir, f), 'utf8')) as { pid?: number };
      if (typeof rec.pid === 'number') pids.push(rec.pid);
    } catch {
      /* a half-written record: its process is found by the kubelet's own shutdown */
    }
  }
  return pids;
}

/**
 * Stops exactly what `up` started (by PID, process groups included) plus any container process the kubelet
 * recorded. Returns the PIDs that were stopped. Data stays for a fast next `up` unless `purge`.
 */
export async function stopSandbox(dir: string, opts: { purge?: boolean } = {}): Promise<number[]> {
  const state = readState(dir);
  // Read the kubelet's records first: a kubelet that stops cleanly removes them along with its containers.
  const containers = recordedContainerPids(dir);
  const pids: number[] = [];
  if (state) {
    await stopDaemons(state.processes);
    pids.push(...state.processes.map((d) => d.pid));
  }
  for (const pid of containers) {
    await stopProcessGroup(pid, 2000);
    pids.push(pid);
  }
  rmSync(sandboxPaths(dir).kubeletPods, { recursive: true, force: true });
  rmSync(sandboxPaths(dir).promTargets, { recursive: true, force: true });
  rmSync(sandboxPaths(dir).routes, { force: true });
  rmSync(sandboxPaths(dir).state, { force: true });
  if (opts.purge) rmSync(dir, { recursive: true, force: true });
  return pids;
}

export interface PartStatus {
  name: string;
  pid: number;
  alive: boolean;
  log: string;
}

/** Which recorded processes are alive; undefined when no sandbox was started in `dir`. */
export function sandboxStatus(dir: string): { state: SandboxState; parts: PartStatus[] } | undefined {
  const state = readState(dir);
  if (!state) return undefined;
  return { state, parts: state.processes.map((d) => ({ ...d, alive: isAlive(d.pid) })) };
}
