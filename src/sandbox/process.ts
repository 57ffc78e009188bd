import { spawn } from 'node:child_process';
import { closeSync, openSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A background process started by the sandbox, recorded by PID so `down` stops exactly it. */
export interface DaemonRecord {
  name: string;
  pid: number;
  log: string;
}

export interface DaemonOptions {
  name: string;
  command: string;
  args: string[];
  log: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this system user (via runuser) when we are root, e.g. postgres refuses to run as root. */
  runAsUser?: string;
}

/**
 * Starts a process in its own process group, detached from ours, with stdout and stderr appended to `log`.
 * Detached so that `ripcord sandbox up` can exit while the sandbox keeps running; its own group so that
 * stopping it also stops anything it spawned.
 */
export function startDaemon(opts: DaemonOptions): DaemonRecord {
  mkdirSync(dirname(opts.log), { recursive: true });
  const fd = openSync(opts.log, 'a');
  let command = opts.command;
  let args = opts.args;
  if (opts.runAsUser && process.getuid?.() === 0) {
    args = ['-u', opts.runAsUser, '--', command, ...args];
    command = 'runuser';
  }
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  closeSync(fd);
  // A command that cannot be spawned (ENOENT, EACCES) also emits 'error' on the next tick; unheard, that event
  // would crash the process. The throw below already says what failed.
  child.once('error', () => undefined);
  if (child.pid === undefined) {
    throw new Error(`could not start ${opts.name} (${opts.command}: not found or not executable)`);
  }
  child.unref();
  return { name: opts.name, pid: child.pid, log: opts.log };
}

/**
 * True when a process with this PID exists and is not a zombie. Signal 0 probes without touching it; the
 * zombie check matters because daemons outlive the `sandbox up` that started them, and where PID 1 does not
 * reap orphans (some container inits) a stopped daemon lingers as a zombie forever.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces or parentheses, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): signal 0 is all we have
  }
}

/**
 * Stops a process group: `firstSignal` (SIGTERM; PostgreSQL wants SIGINT, its "fast shutdown"), then
 * SIGKILL after `graceMs`. Resolves once the leader is gone.
 * Falls back to the single PID when the group is already gone.
 */
export async function stopProcessGroup(
  pid: number,
  graceMs = 5000,
  firstSignal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signal(firstSignal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  signal('SIGKILL');
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(20);
}

/** Polls `check` until it resolves true, or throws with `what` and the last error after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  const why = last instanceof Error ? `: ${last.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}
