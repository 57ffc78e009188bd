import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Decides which requests fail so that exactly `rate` of them do, spread evenly (error diffusion), instead of
 * at random: a declared 5% is then 5% in every window a test or an alert looks at, without flaky tails.
 */
export class ShareInjector {
  private acc = 0;
  constructor(private readonly rate: number) {}

  /** True when this request should fail. */
  next(): boolean {
    if (this.rate <= 0) return false;
    this.acc += this.rate;
    if (this.acc >= 1 - 1e-9) {
      this.acc -= 1;
      return true;
    }
    return false;
  }
}

/** The handler's simulated work: a uniform draw in [min, max] ms, times the release's latency factor. */
export function simulatedWorkMs(
  base: { min: number; max: number },
  factor = 1,
  random = Math.random,
): number {
  return (base.min + (base.max - base.min) * random()) * factor;
}

export async function simulateWork(ms: number): Promise<void> {
  if (ms > 0) await sleep(ms);
}

/**
 * Retains `bytesPerSecond` more memory every second, up to `maxBytes`, touching every page so it shows in
 * the resident set size (process_resident_memory_bytes), as a real leak would. Returns a stop function.
 */
export function startLeak(leak: { bytesPerSecond: number; maxBytes: number }): {
  stop: () => void;
  retained: () => number;
} {
  const kept: Buffer[] = [];
  let total = 0;
  const timer = setInterval(() => {
    if (total + leak.bytesPerSecond > leak.maxBytes) return;
    kept.push(Buffer.alloc(leak.bytesPerSecond, 1 + (kept.length % 250)));
    total += leak.bytesPerSecond;
  }, 1000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      kept.length = 0;
    },
    retained: () => total,
  };
}
