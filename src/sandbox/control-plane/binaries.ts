import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KUBE_VERSION = 'v1.20.2';

/** Paths of the control-plane binaries: RIPCORD_KUBE_BIN_DIR, else the build cache. */
export function kubeBinDir(): string {
  if (process.env.RIPCORD_KUBE_BIN_DIR) return resolve(process.env.RIPCORD_KUBE_BIN_DIR);
  const cache = process.env.RIPCORD_CACHE ?? join(homedir(), '.cache', 'ripcord');
  return join(cache, `kube-${KUBE_VERSION}`);
}

export function kubeBinaries(dir = kubeBinDir()) {
  return {
    dir,
    apiserver: join(dir, 'kube-apiserver'),
    controllerManager: join(dir, 'kube-controller-manager'),
    kubectl: join(dir, 'kubectl'),
    etcd: process.env.RIPCORD_ETCD_BIN ?? '/usr/bin/etcd',
  };
}

export function repoRoot(): string {
  // dist/src/sandbox/control-plane/x.js and src/sandbox/control-plane/x.ts are both four levels down.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

/**
 * Builds the binaries when missing (scripts/build-kube.sh: about 8 minutes cold, then cached). Streams the
 * build's progress lines to `onLine` so a person at the terminal sees it is working.
 */
export async function ensureKubeBinaries(onLine: (line: string) => void = () => {}): Promise<string> {
  const bins = kubeBinaries();
  if ([bins.apiserver, bins.controllerManager, bins.kubectl].every((f) => existsSync(f))) return bins.dir;
  const script = join(repoRoot(), 'scripts', 'build-kube.sh');
  onLine(`control plane binaries missing in ${bins.dir}; building them once (about 8 minutes)`);
  await new Promise<void>((ok, fail) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const relay = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) onLine(line.trim());
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? ok() : fail(new Error(`scripts/build-kube.sh failed with exit code ${code}`)),
    );
  });
  return bins.dir;
}
