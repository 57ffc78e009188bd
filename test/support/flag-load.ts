/** Shared by the flag e2e files: when the 5xx a bad flag causes have stopped, judged by a load's answers. */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusRecorder } from '../../src/sandbox/status-recorder.js';

const failed = (status: number) => status >= 500 || status === 0;

/**
 * Waits until the 5xx have stopped after `from`: `streak` consecutive successful answers, all sent after
 * `from`, and then `more` further answers. The deadline (60 s) is far above the few seconds the SDKs take
 * to refresh; no duration is asserted. Returns when the clean streak began.
 */
export async function errorsStopAfter(
  load: StatusRecorder,
  from: number,
  streak = 200,
  more = 100,
): Promise<number> {
  const deadline = performance.now() + 60_000;
  let streakStart: number | undefined;
  for (;;) {
    const after = load.samples.filter((x) => x.sentAt >= from).sort((a, b) => a.sentAt - b.sentAt);
    if (streakStart === undefined) {
      // The first run of `streak` clean answers; once found it stays fixed, so a later 5xx fails the caller.
      let run = 0;
      let start = 0;
      for (const x of after) {
        if (failed(x.status)) run = 0;
        else if (++run === 1) start = x.sentAt;
        if (run >= streak) {
          streakStart = start;
          break;
        }
      }
    }
    if (
      streakStart !== undefined &&
      after.filter((x) => x.sentAt >= (streakStart as number)).length >= streak + more
    ) {
      return streakStart;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `the 5xx did not stop: no ${streak} clean answers in a row within 60 s after the change`,
      );
    }
    await sleep(200);
  }
}
