import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { sandboxStatus, startSandbox, stopSandbox } from '../../src/sandbox/sandbox.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxDir: string;
  }
}

let ownedDir: string | undefined;

/**
 * One real sandbox for the whole e2e run. RIPCORD_SANDBOX_DIR naming a running sandbox reuses it (fast local
 * iteration); otherwise a fresh one is started and stopped at the end. A part that cannot start fails the run
 * loudly: these tests never skip.
 */
export async function setup(project: TestProject): Promise<void> {
  const reuse = process.env.RIPCORD_SANDBOX_DIR;
  const st = reuse ? sandboxStatus(reuse) : undefined;
  if (reuse && st && st.parts.every((p) => p.alive)) {
    project.provide('sandboxDir', reuse);
    return;
  }
  const dir = join(repoRoot(), '.ripcord', 'test-sandbox');
  await stopSandbox(dir, { purge: true });
  const t0 = Date.now();
  await startSandbox({
    dir,
    onProgress: (l) => console.log(`[sandbox] ${l}`),
    crashBackoffBaseMs: 1000,
  });
  console.log(`[sandbox] up in ${Date.now() - t0} ms at ${dir}`);
  ownedDir = dir;
  project.provide('sandboxDir', dir);
}

export async function teardown(): Promise<void> {
  if (ownedDir) await stopSandbox(ownedDir);
}
