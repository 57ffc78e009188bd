import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { sandboxStatus, startSandbox, stopSandbox } from '../../src/sandbox/sandbox.js';
import { assertSandboxHealthy, deadPartsReport, startSandboxWatchdog } from './sandbox-watchdog.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxDir: string;
  }
}

/**
 * Both e2e projects (the solo group and the parallel one) name this file; the sandbox is started once and shared,
 * and stopped when the last of them tears down. The state lives on globalThis because each project may load its
 * own copy of this module in the same main process.
 */
interface SharedSandbox {
  dir: Promise<string>;
  owned: boolean;
  users: number;
  stopWatchdog?: () => void;
}
const shared = globalThis as { __ripcordE2eSandbox?: SharedSandbox };

/**
 * One real sandbox for the whole e2e run. RIPCORD_SANDBOX_DIR naming a running sandbox reuses it (fast local
 * iteration); otherwise a fresh one is started and stopped at the end. A part that cannot start fails the run
 * loudly: these tests never skip.
 */
export async function setup(project: TestProject): Promise<void> {
  if (!shared.__ripcordE2eSandbox) {
    const reuse = process.env.RIPCORD_SANDBOX_DIR;
    const st = reuse ? sandboxStatus(reuse) : undefined;
    const reused = reuse !== undefined && st !== undefined && st.parts.every((p) => p.alive);
    shared.__ripcordE2eSandbox = {
      dir: (reused ? Promise.resolve(reuse) : startOwned()).then(watch),
      owned: !reused,
      users: 0,
    };
  }
  shared.__ripcordE2eSandbox.users += 1;
  project.provide('sandboxDir', await shared.__ripcordE2eSandbox.dir);
}

/**
 * Every part must answer before the first file starts, and a part that stops answering for 30 s ends the whole
 * run at once, naming it (sandbox-watchdog.ts): a dead part must not cost every later test its timeout.
 */
async function watch(dir: string): Promise<string> {
  await assertSandboxHealthy(dir);
  const s = shared.__ripcordE2eSandbox;
  if (s) {
    s.stopWatchdog = startSandboxWatchdog(dir, (dead) => {
      console.error(
        `\n[sandbox watchdog] ending the e2e run: a sandbox part is dead\n${deadPartsReport(dead, dir)}\n`,
      );
      process.exit(1);
    });
  }
  return dir;
}

/** The Argo CD stand-in's reconciliation period in tests: a new commit is seen within 3 s. */
export const ARGOCD_TEST_RESYNC_MS = 3_000;

async function startOwned(): Promise<string> {
  const dir = join(repoRoot(), '.ripcord', 'test-sandbox');
  await stopSandbox(dir, { purge: true });
  const t0 = Date.now();
  await startSandbox({
    dir,
    onProgress: (l) => console.log(`[sandbox] ${l}`),
    crashBackoffBaseMs: 1000,
    argocdResyncMs: ARGOCD_TEST_RESYNC_MS,
  });
  console.log(`[sandbox] up in ${Date.now() - t0} ms at ${dir}`);
  return dir;
}

export async function teardown(): Promise<void> {
  const s = shared.__ripcordE2eSandbox;
  if (!s) return;
  s.users -= 1;
  if (s.users > 0) return;
  shared.__ripcordE2eSandbox = undefined;
  s.stopWatchdog?.();
  if (s.owned) await stopSandbox(await s.dir);
}
