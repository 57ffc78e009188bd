/**
 * A request deadline that cannot be lost. Node's AbortSignal.timeout() holds its signal only weakly (its timer
 * closes over a WeakRef, and a FinalizerRegistry cancels the timer once the signal is collected), and
 * AbortSignal.any() tracks its sources weakly too. node-fetch, which @kubernetes/client-node uses, keeps no
 * strong reference to the signal while it waits on a socket, so a garbage collection during a long wait took the
 * deadline with it: against an API server that accepts connections and never answers, `ripcord status` hung for
 * ever with a 25-30 s request timeout (20 s happened to fire before the first collection). Here the timer itself
 * holds the controller, so the abort fires; the timer is unref'd, so it never keeps a finished process alive.
 */
import { setMaxListeners } from 'node:events';

/** Aborts after `ms` (a TimeoutError, as AbortSignal.timeout) or when `parent` aborts (with its reason). */
export function deadlineSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const ac = new AbortController();
  if (parent?.aborted) {
    ac.abort(parent.reason);
    return ac.signal;
  }
  const onParent = (): void => {
    clearTimeout(timer);
    ac.abort(parent?.reason);
  };
  const timer = setTimeout(() => {
    parent?.removeEventListener('abort', onParent);
    ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  if (parent) {
    // One listener per request in flight (removed at its deadline): a run polling a rollout every second has
    // tens at a time, which is not a leak; without this Node would warn at 11.
    setMaxListeners(0, parent);
    parent.addEventListener('abort', onParent, { once: true });
  }
  return ac.signal;
}
