import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { constants } from 'node:os';
import { CriLogWriter, DEFAULT_MAX_LOG_BYTES } from './container-logs.js';

export interface SpawnOptions {
  command: string[];
  env: Record<string, string>;
  /** This instance's log file (container-logs.ts): stdout and stderr, line by line, with timestamps. */
  logFile: string;
  maxLogBytes?: number;
  cwd: string;
}

export interface ContainerProcess {
  child: ChildProcess;
  pid: number;
  /** Settles when the process has exited (and been reaped). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Settles when both output pipes have closed and the log file holds everything the process wrote. */
  logClosed: Promise<void>;
}

/**
 * Starts one container process in its own process group (detached), so that stopping the container also
 * stops anything it spawned, and so it is not killed with the kubelet's group by accident. Resolves once
 * the OS has started it; rejects when it cannot (e.g. the command does not exist).
 */
export function spawnContainer(opts: SpawnOptions): Promise<ContainerProcess> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  // Pipes, not the file itself, so that each line gets its timestamp (as the CRI shim does). The cost: a
  // container outliving a crashed kubelet loses its output, and the next kubelet stops it anyway.
  const log = new CriLogWriter(opts.logFile, opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES);
  return new Promise((resolve, reject) => {
    const [file, ...args] = opts.command as [string, ...string[]];
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env,
      cwd: opts.cwd,
    });
    const streamClosed = (name: 'stdout' | 'stderr') =>
      new Promise<void>((done) => {
        const s = child[name];
        if (!s) return done();
        s.on('data', (chunk: Buffer) => log.write(name, chunk));
        s.once('close', () => {
          log.end(name);
          done();
        });
      });
    const logClosed = Promise.all([streamClosed('stdout'), streamClosed('stderr')]).then(() => log.close());
    // Listening before 'spawn' so an instant exit is never missed.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once('exit', (code, signal) => done({ code, signal })),
    );
    child.once('spawn', () => {
      child.unref();
      resolve({ child, pid: child.pid as number, exited, logClosed });
    });
    child.once('error', (err) => {
      log.close();
      reject(err);
    });
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
