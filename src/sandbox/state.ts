import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** Where a sandbox keeps its state: `--sandbox-dir`, else RIPCORD_SANDBOX_DIR, else ./.ripcord/sandbox. */
export function sandboxDir(explicit?: string): string {
  return resolve(explicit ?? process.env.RIPCORD_SANDBOX_DIR ?? join(process.cwd(), '.ripcord', 'sandbox'));
}

/** Well-known files inside a sandbox directory; every sandbox part finds the others through these. */
export function sandboxPaths(dir: string) {
  return {
    dir,
    state: join(dir, 'state.json'),
    kubeconfig: join(dir, 'kubeconfig'),
    env: join(dir, 'env'),
    logs: join(dir, 'logs'),
    pki: join(dir, 'pki'),
    etcdData: join(dir, 'etcd'),
    pgData: join(dir, 'postgres', 'data'),
    pgSocket: join(dir, 'postgres', 'run'),
    prometheus: join(dir, 'prometheus'),
    /** file_sd target files written by the kubelet, one per pod, read by Prometheus. */
    promTargets: join(dir, 'prometheus', 'targets'),
    alertmanager: join(dir, 'alertmanager'),
    /** Unleash's secrets.json (tokens, admin password), 0600. */
    unleash: join(dir, 'unleash'),
    /** The Argo CD stand-in's tokens.json (0600). */
    argocd: join(dir, 'argocd'),
    /** One JSON record per running container process (pid, pod uid), so nothing is ever left behind. */
    kubeletPods: join(dir, 'kubelet', 'pods'),
    /** Router listeners: one entry per Service, written by the router. */
    routes: join(dir, 'router', 'routes.json'),
  };
}

export const DaemonRecordSchema = z.object({ name: z.string(), pid: z.number().int(), log: z.string() });

/** What `sandbox up` started and where to reach it; written to state.json, read by every other command. */
export const SandboxState = z.object({
  version: z.literal(1),
  dir: z.string(),
  startedAt: z.string(),
  kube: z.object({
    server: z.string(),
    kubeconfig: z.string(),
    binDir: z.string(),
    etcdUrl: z.string(),
  }),
  /** Pods get unique loopback addresses `${podNetwork}.x.y`, so each binds its containerPort as in a cluster. */
  podNetwork: z.string().regex(/^127\.\d{1,3}$/),
  postgres: z.object({ url: z.string(), port: z.number().int() }).optional(),
  prometheus: z.object({ url: z.string() }).optional(),
  alertmanager: z.object({ url: z.string() }).optional(),
  /** Tokens are not here (state.json is printed by `sandbox status -o json`): they live in secretsFile. */
  unleash: z.object({ url: z.string(), secretsFile: z.string() }).optional(),
  /** The Argo CD API stand-in; its tokens live in tokensFile. */
  argocd: z.object({ url: z.string(), tokensFile: z.string() }).optional(),
  /**
   * The timing flags `sandbox up` was given (the kubelet's CrashLoopBackOff base, Argo CD's resync): tests need
   * short ones, and scripts/test-e2e.sh restarts a sandbox that was started without them.
   */
  timings: z.object({ crashBackoffBaseMs: z.number(), argocdResyncMs: z.number() }).optional(),
  processes: z.array(DaemonRecordSchema),
});
export type SandboxState = z.infer<typeof SandboxState>;

export function readState(dir: string): SandboxState | undefined {
  const file = sandboxPaths(dir).state;
  if (!existsSync(file)) return undefined;
  return SandboxState.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Atomic write (temp file + rename) so a reader never sees half a state file. */
export function writeState(state: SandboxState): void {
  const file = sandboxPaths(state.dir).state;
  mkdirSync(state.dir, { recursive: true });
  // 0600: it holds the sandbox database's superuser URL.
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${file}.tmp`, file);
}
