import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`bin/ripcord.js`) as a user would, with extra env; never throws on a non-zero exit. */
export function ripcord(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 300_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot(), 'bin', 'ripcord.js'), ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
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
