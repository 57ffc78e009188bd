/** A step's wait that the run's AbortSignal (Ctrl-C, a lost lock) ends at once, as an AbortedError naming it. */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, abortReason } from '../errors.js';

export async function pauseOrAbort(ms: number, signal: AbortSignal, what: string): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new AbortedError(`${what} aborted: ${abortReason(signal)}`);
  }
}
