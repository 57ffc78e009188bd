/**
 * The e2e run fails fast on a dead sandbox part (test/support/sandbox-watchdog.ts). A child vitest run, with
 * the real e2e global setup, runs a long test against a second sandbox of its own; the part killed mid-run is
 * named within 60 s, exit 1, instead of every later test waiting out its timeout. Then the sandbox is started
 * again and the same child run passes. Solo: it starts a whole second sandbox.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { isAlive } from '../../src/sandbox/process.js';
import { readState } from '../../src/sandbox/state.js';
import { ripcord } from '../support/cli.js';

interface ChildRun {
  done: Promise<{ code: number; output: string; endedAt: number }>;
  output: () => string;
  kill: () => void;
}

function childRun(dir: string, env: NodeJS.ProcessEnv = {}): ChildRun {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot(), 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--config',
      join(repoRoot(), 'test', 'fixtures', 'watchdog', 'vitest.config.ts'),
    ],
    { cwd: repoRoot(), env: { ...process.env, RIPCORD_SANDBOX_DIR: dir, ...env }, detached: true },
  );
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  return {
    done: new Promise((resolve) =>
      child.on('exit', (code, signal) =>
        resolve({ code: code ?? (signal ? 128 : 1), output, endedAt: Date.now() }),
      ),
    ),
    output: () => output,
    kill: () => {
      if (child.pid && isAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('the e2e watchdog on a second sandbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-watchdog-'));
  const children: ChildRun[] = [];
  afterAll(async () => {
    for (const c of children) c.kill();
    await ripcord(['sandbox', 'down', '--purge', '--sandbox-dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a part killed mid-run ends the child run within 60 s, exit 1, naming it; after a restart it passes', async () => {
    const up = await ripcord(['sandbox', 'up', '--sandbox-dir', dir]);
    expect(up.code, up.stderr).toBe(0);

    const run = childRun(dir);
    children.push(run);
    await until(
      'the child run to start its test',
      () => run.output().includes('watchdog fixture: test started'),
      120_000,
    );
    const prometheus = readState(dir)?.processes.find((p) => p.name === 'prometheus');
    if (!prometheus) throw new Error('the second sandbox records no prometheus');
    process.kill(prometheus.pid, 'SIGKILL');
    const killedAt = Date.now();

    const r = await Promise.race([
      run.done,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 90_000)),
    ]);
    expect(r, `the child run was still going 90 s after the kill:\n${run.output()}`).toBeDefined();
    const ended = r!;
    expect(ended.code, ended.output).toBe(1);
    expect(ended.endedAt - killedAt).toBeLessThan(60_000);
    expect(ended.output).toContain('sandbox part "prometheus" is down');
    expect(ended.output).toMatch(/last 20 lines of \S+prometheus\.log:/);
    // It ended the run: the long test did not get to finish, and nothing else was reported as passed.
    expect(ended.output).not.toMatch(/1 passed/);

    // Started again, the same run passes (a short wait this time).
    const down = await ripcord(['sandbox', 'down', '--sandbox-dir', dir]);
    expect(down.code, down.stderr).toBe(0);
    const again = await ripcord(['sandbox', 'up', '--sandbox-dir', dir]);
    expect(again.code, again.stderr).toBe(0);
    const rerun = childRun(dir, { RIPCORD_FIXTURE_WAIT_MS: '1000' });
    children.push(rerun);
    const ok = await rerun.done;
    expect(ok.code, ok.output).toBe(0);
    expect(ok.output).toMatch(/1 passed/);
  }, 400_000);
});
