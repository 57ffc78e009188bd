import { existsSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../free-port.js';
import { isAlive, startDaemon, stopProcessGroup, type DaemonOptions } from '../process.js';

/** A monitoring server started by the sandbox: its process-group leader, base URL and log file. */
export interface StartedServer {
  pid: number;
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  port: number;
  log: string;
  /** The generated configuration file the server was started with. */
  configFile: string;
}

export interface LaunchOptions {
  name: string;
  /** A fixed port; when left out a free one is picked, and picked again if another process takes it first. */
  port?: number;
  log: string;
  configFile: string;
  /** Builds the daemon for a port; called again with a new port after a lost race for the previous one. */
  daemon: (port: number) => Omit<DaemonOptions, 'name' | 'log'>;
  readyPath: string;
  readyTimeoutMs?: number;
}

// freePort() closes its probe before the server binds, so a neighbouring sandbox can win the port in between.
// Rare, but retrying is cheap and keeps side-by-side sandboxes reliable.
const PORT_ATTEMPTS = 3;

/**
 * Starts a server in its own process group on a loopback port and waits until `readyPath` answers 200.
 * Fails fast (with the log tail) if the process exits, and stops it again if it never becomes ready, so a
 * failed start leaves nothing running.
 */
export async function launchServer(opts: LaunchOptions): Promise<StartedServer> {
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const logStart = existsSync(opts.log) ? statSync(opts.log).size : 0;
    const rec = startDaemon({ name: opts.name, log: opts.log, ...opts.daemon(port) });
    const outcome = await waitReady(`${url}${opts.readyPath}`, rec.pid, opts.readyTimeoutMs ?? 60_000);
    if (outcome === 'ready') return { pid: rec.pid, url, port, log: opts.log, configFile: opts.configFile };
    await stopProcessGroup(rec.pid);
    const tail = logSince(opts.log, logStart);
    const lostPortRace = outcome === 'exited' && /address already in use/i.test(tail);
    if (lostPortRace && opts.port === undefined && attempt < PORT_ATTEMPTS) continue;
    const why =
      outcome === 'exited' ? 'exited during start-up' : `was not ready at ${opts.readyPath} in time`;
    throw new Error(`${opts.name} ${why} (log ${opts.log}):\n${lastLines(tail, 20)}`);
  }
}

async function waitReady(
  url: string,
  pid: number,
  timeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'exited';
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      // The port may already belong to someone else if we lost the race; only trust it while ours is alive.
      if (res.ok && isAlive(pid)) return 'ready';
    } catch {
      /* not listening yet */
    }
    await sleep(150);
  }
  return 'timeout';
}

function logSince(file: string, offset: number): string {
  try {
    return readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
