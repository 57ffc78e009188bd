/**
 * `kubectl rollout status` as a loop: read the Deployment, evaluate kubectl's rule (core/app-rollback/
 * rollout-status.ts), report each new message, stop when done. Like kubectl, a watch on the Deployment wakes the
 * loop as soon as it changes (measured in bench/app-rollback: polling alone added ~0.5 s on average); a poll
 * once a second stays as the fallback, so a broken watch or an API server restart only slows it down.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { labelSelectorToString } from '../../core/app-rollback/deployment-util.js';
import { deploymentRolloutStatus, type RolloutStatus } from '../../core/app-rollback/rollout-status.js';
import { formatDuration } from '../../core/duration.js';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';
import type { KubeApis } from './api-client.js';

type Apis = Pick<KubeApis, 'apps' | 'core' | 'call'>;

export interface RolloutWaitOptions {
  signal?: AbortSignal;
  /** Give up after this long even without a progress-deadline verdict (kubectl's --timeout). */
  timeoutMs?: number;
  onProgress?: (msg: string) => void;
  pollMs?: number;
  /** Starts a watch that calls `onChange` whenever the Deployment may have changed; returns its stop. */
  watch?: (onChange: () => void) => Promise<() => void>;
}

/** How long the API server may stay unreachable during a rollout wait before the step fails. */
const OUTAGE_MS = 60_000;

/** Sleeps `ms`, or less when `wake` is called; rejects when `signal` aborts. */
function napper(): { nap(ms: number, signal?: AbortSignal): Promise<void>; wake(): void } {
  let wakeUp: (() => void) | undefined;
  return {
    wake: () => wakeUp?.(),
    nap: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          wakeUp = undefined;
        };
        const onAbort = (): void => {
          done();
          reject(new Error('aborted'));
        };
        const timer = setTimeout(() => (done(), resolve()), ms);
        wakeUp = () => (done(), resolve());
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}

async function readDeployment(k: Apis, namespace: string, name: string): Promise<V1Deployment> {
  return k.call({ verb: 'get', resource: 'deployments', group: 'apps', namespace, name }, () =>
    k.apps.readNamespacedDeployment({ name, namespace }),
  );
}

/** The pods kubectl's appendWarning looks at; like kubectl, a failure to list them only loses the warning. */
async function podsForWarning(k: Apis, d: V1Deployment): Promise<V1Pod[]> {
  try {
    const list = await k.core.listNamespacedPod({
      namespace: d.metadata?.namespace ?? '',
      labelSelector: labelSelectorToString(d.spec?.selector),
    });
    return list.items;
  } catch {
    return [];
  }
}

/** One evaluation of kubectl's rule, with its warning suffix. */
export async function rolloutStatusOnce(k: Apis, namespace: string, name: string): Promise<RolloutStatus> {
  const d = await readDeployment(k, namespace, name);
  const st = deploymentRolloutStatus(d);
  if (st.done) return st;
  return deploymentRolloutStatus(d, { pods: await podsForWarning(k, d) });
}

function aborted(name: string, signal: AbortSignal): AbortedError {
  return new AbortedError(`stopped waiting for deployment "${name}" to roll out: ${abortReason(signal)}`);
}

/** Waits until the rollout is complete; resolves with kubectl's final message. */
export async function waitForDeploymentRollout(
  k: Apis,
  namespace: string,
  name: string,
  opts: RolloutWaitOptions = {},
): Promise<string> {
  const started = Date.now();
  const pollMs = opts.pollMs ?? 1_000;
  const sleeper = napper();
  const stopWatch = opts.watch ? await opts.watch(sleeper.wake).catch(() => undefined) : undefined;
  let last = '';
  let outageSince: number | undefined;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw aborted(name, opts.signal);
      let st: RolloutStatus;
      try {
        st = await rolloutStatusOnce(k, namespace, name);
        outageSince = undefined;
      } catch (err) {
        // An API server restart (or a network blip) is waited out, as a watch would reconnect, for at most
        // OUTAGE_MS in a row and never past the step's own timeout; anything else ends the wait at once.
        if (!(err instanceof RipcordError) || err.kind !== 'unreachable' || opts.signal?.aborted) throw err;
        outageSince ??= Date.now();
        if (Date.now() - outageSince > OUTAGE_MS) throw err;
        if (opts.timeoutMs !== undefined && Date.now() - started >= opts.timeoutMs) throw err;
        opts.onProgress?.(`the API server did not answer (${err.message}); retrying`);
        await sleeper.nap(pollMs, opts.signal).catch(() => {
          throw aborted(name, opts.signal as AbortSignal);
        });
        continue;
      }
      if (st.done) return st.message;
      if (st.message !== last) opts.onProgress?.(st.message);
      last = st.message;
      if (opts.timeoutMs !== undefined && Date.now() - started >= opts.timeoutMs) {
        throw new RipcordError(
          'failed',
          `timed out after ${formatDuration(opts.timeoutMs)} waiting for deployment "${name}" to roll out; last status: ${last}`,
        );
      }
      try {
        await sleeper.nap(pollMs, opts.signal);
      } catch {
        throw aborted(name, opts.signal as AbortSignal);
      }
    }
  } finally {
    stopWatch?.();
  }
}
