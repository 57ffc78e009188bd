import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { constants } from 'node:os';

/** `<stateDir>/logs/<namespace>_<pod>_<container>.log`: stdout and stderr of every run, appended. */
export function containerLogFile(logsDir: string, namespace: string, pod: string, container: string): string {
  return join(logsDir, `${namespace}_${pod}_${container}.log`);
}

export interface SpawnOptions {
  command: string[];
  env: Record<string, string>;
  logFile: string;
  cwd: string;
}

export interface ContainerProcess {
  child: ChildProcess;
  pid: number;
  /** Settles when the process has exited (and been reaped). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts one container process in its own process group (detached), so that stopping the container also
 * stops anything it spawned, and so it is not killed with the kubelet's group by accident. Resolves once
 * the OS has started it; rejects when it cannot (e.g. the command does not exist).
 */
export function spawnContainer(opts: SpawnOptions): Promise<ContainerProcess> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  writeSync(fd, `--- ${new Date().toISOString()} starting ${opts.command.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const [file, ...args] = opts.command as [string, ...string[]];
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env,
      cwd: opts.cwd,
    });
    closeSync(fd);
    // Listening before 'spawn' so an instant exit is never missed.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once('exit', (code, signal) => done({ code, signal })),
    );
    child.once('spawn', () => {
      child.unref();
      resolve({ child, pid: child.pid as number, exited });
    });
    child.once('error', reject);
  });
}

/** The exit code a container runtime reports: the code, or 128 + signal number when killed by a signal. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return n === undefined ? 137 : 128 + n;
}

/** Signals whatever is left of a process group (children that outlived their leader). */
export function killGroupRemnants(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* the group is already empty */
  }
}
