/**
 * Fail fast on a dead sandbox part. Without this, one dead part (the API server, PostgreSQL, the kubelet...)
 * makes every later e2e test wait out its own timeout, hours in all, before anything names the cause.
 *
 * The e2e global setup checks every part before the first file (`assertSandboxHealthy`) and then keeps
 * checking while files run (`startSandboxWatchdog`). A part failing its probe for `deadAfterMs` in a row ends
 * the whole run: the part, what its probe saw, and the last 20 lines of its log on stderr, exit 1, so no later
 * file starts. The grace lets a part ride out a short outage a test causes on purpose (safety-faults restarts
 * the API server within ~10 s); state.json is re-read each round, so a restarted part's new pid is seen.
 */
import { checkSandboxHealth, logTail, type PartHealth } from '../../src/sandbox/health.js';

export interface WatchdogOptions {
  /** How often every part is probed. */
  intervalMs?: number;
  /** A part failing this long without a pass is dead. */
  deadAfterMs?: number;
}

/** Defaults, overridable by the environment for the watchdog's own test (a child run with a shorter fuse). */
export function watchdogOptions(env: NodeJS.ProcessEnv = process.env): Required<WatchdogOptions> {
  const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
  return {
    intervalMs: num(env.RIPCORD_WATCHDOG_INTERVAL_MS, 5_000),
    deadAfterMs: num(env.RIPCORD_WATCHDOG_DEAD_AFTER_MS, 30_000),
  };
}

/** The failure report: one block per dead part, the part named first. */
export function deadPartsReport(parts: PartHealth[], dir: string): string {
  return parts
    .map((p) => {
      const tail = logTail(p.log, 20);
      return [
        `sandbox part "${p.name}" is down (${dir}): ${p.detail}`,
        p.log ? `last 20 lines of ${p.log}:` : '(no log recorded)',
        ...(tail ? tail.split('\n').map((l) => `  ${l}`) : p.log ? ['  (empty)'] : []),
      ].join('\n');
    })
    .join('\n\n');
}

/** Waits up to `withinMs` for every part to pass; throws the report naming each part that does not. */
export async function assertSandboxHealthy(dir: string, withinMs = 60_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const parts = await checkSandboxHealth(dir);
    if (!parts) throw new Error(`no sandbox in ${dir}`);
    const bad = parts.filter((p) => !p.ok);
    if (bad.length === 0) return;
    if (Date.now() >= deadline) throw new Error(deadPartsReport(bad, dir));
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/**
 * Probes every part each `intervalMs`; calls `onDead` once, with the parts that failed for `deadAfterMs` in a
 * row. Returns a stop function. The timer is unref'd: it never keeps the process alive by itself.
 */
export function startSandboxWatchdog(
  dir: string,
  onDead: (parts: PartHealth[]) => void,
  opts: WatchdogOptions = {},
): () => void {
  const { intervalMs, deadAfterMs } = { ...watchdogOptions(), ...opts };
  const failingSince = new Map<string, number>();
  let stopped = false;
  let busy = false;
  const round = async () => {
    if (stopped || busy) return;
    busy = true;
    try {
      const parts = (await checkSandboxHealth(dir)) ?? [];
      const now = Date.now();
      for (const p of parts) {
        if (p.ok) failingSince.delete(p.name);
        else if (!failingSince.has(p.name)) failingSince.set(p.name, now);
      }
      const dead = parts.filter((p) => !p.ok && now - (failingSince.get(p.name) ?? now) >= deadAfterMs);
      if (dead.length > 0 && !stopped) {
        stopped = true;
        clearInterval(timer);
        onDead(dead);
      }
    } catch {
      // state.json mid-rewrite or unreadable: the next round reads it again.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void round(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
