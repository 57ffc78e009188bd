import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * When the test in progress times out (epoch ms), set by test/support/e2e-timeouts.ts around each e2e test. A
 * command still running shortly before it is killed, so the test fails on that command's exit with what it
 * printed so far (which step it hung in), instead of a bare "Test timed out" that names nothing.
 */
let testDeadline: number | undefined;
const DEADLINE_MARGIN_MS = 3_000;

export function setTestDeadline(at: number | undefined): void {
  testDeadline = at;
}

/** Runs the built CLI (`bin/ripcord.js`) as a user would, with extra env; never throws on a non-zero exit. */
export function ripcord(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 300_000,
): Promise<CliResult> {
  const left = testDeadline === undefined ? Infinity : testDeadline - DEADLINE_MARGIN_MS - Date.now();
  const timeout = Math.max(1_000, Math.min(timeoutMs, left));
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot(), 'bin', 'ripcord.js'), ...args],
      { env: { ...process.env, ...env }, timeout, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const killed =
          err?.killed === true
            ? `\n[test support: \`ripcord ${args.join(' ')}\` killed after ${Date.now() - t0} ms, still running at ${timeout === timeoutMs ? 'its own timeout' : "the test's deadline"}]\n`
            : '';
        resolve({ code, stdout, stderr: stderr + killed });
      },
    );
  });
}

/** A CLI process we can signal or watch while it runs; `done` resolves like `ripcord()` when it exits. */
export function spawnRipcord(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'ripcord.js'), ...args], {
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr })),
  );
  return { child, done, output: () => stdout + stderr };
}
