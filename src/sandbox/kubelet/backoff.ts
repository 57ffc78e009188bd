/** Kubernetes' crash-loop back-off: 10 s doubling to 300 s, forgotten after 10 minutes without a crash. */
export const DEFAULT_CRASH_BACKOFF_BASE_MS = 10_000;

/**
 * Back-off for restarting one container, after kubelet's `flowcontrol.Backoff` as the kubelet uses it: the
 * first exit restarts at once, the next waits `base`, then twice as long each time up to `max` (30 x base,
 * i.e. 300 s for the real 10 s). A container that ran for 2 x max since the last restart starts afresh.
 */
export class CrashBackoff {
  private entry: { delayMs: number; lastUpdate: number } | undefined;

  constructor(
    private readonly baseMs = DEFAULT_CRASH_BACKOFF_BASE_MS,
    private readonly maxMs = baseMs * 30,
  ) {}

  /** How long to wait before restarting after an exit at `finishedAt` (epoch ms). */
  delayAfterExit(finishedAt: number): number {
    if (this.entry && finishedAt - this.entry.lastUpdate > 2 * this.maxMs) this.entry = undefined;
    return this.entry?.delayMs ?? 0;
  }

  /** Records a restart decided for an exit at `finishedAt`: the next exit waits longer. */
  restarted(finishedAt: number): void {
    this.entry = this.entry
      ? { delayMs: Math.min(this.entry.delayMs * 2, this.maxMs), lastUpdate: finishedAt }
      : { delayMs: this.baseMs, lastUpdate: finishedAt };
  }
}
