/**
 * `kubectl rollout status` as a loop: read the Deployment, evaluate kubectl's rule (core/app-rollback/
 * rollout-status.ts), report each new message, stop when done. kubectl watches; we poll once a second, which
 * sees the same states a little later and survives API server restarts without re-establishing a watch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppsV1Api, CoreV1Api, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { labelSelectorToString } from '../../core/app-rollback/deployment-util.js';
import { deploymentRolloutStatus, type RolloutStatus } from '../../core/app-rollback/rollout-status.js';
import { formatDuration } from '../../core/duration.js';
import { RipcordError } from '../../core/errors.js';
import { kubeCall } from './errors.js';

export interface RolloutWaitOptions {
  signal?: AbortSignal;
  /** Give up after this long even without a progress-deadline verdict (kubectl's --timeout). */
  timeoutMs?: number;
  onProgress?: (msg: string) => void;
  pollMs?: number;
}

async function readDeployment(apps: AppsV1Api, namespace: string, name: string): Promise<V1Deployment> {
  return kubeCall({ verb: 'get', resource: 'deployments', group: 'apps', namespace, name }, () =>
    apps.readNamespacedDeployment({ name, namespace }),
  );
}

/** The pods kubectl's appendWarning looks at; like kubectl, a failure to list them only loses the warning. */
async function podsForWarning(core: CoreV1Api, d: V1Deployment): Promise<V1Pod[]> {
  try {
    const list = await core.listNamespacedPod({
      namespace: d.metadata?.namespace ?? '',
      labelSelector: labelSelectorToString(d.spec?.selector),
    });
    return list.items;
  } catch {
    return [];
  }
}

/** One evaluation of kubectl's rule, with its warning suffix. */
export async function rolloutStatusOnce(
  apps: AppsV1Api,
  core: CoreV1Api,
  namespace: string,
  name: string,
): Promise<RolloutStatus> {
  const d = await readDeployment(apps, namespace, name);
  const st = deploymentRolloutStatus(d);
  if (st.done) return st;
  return deploymentRolloutStatus(d, { pods: await podsForWarning(core, d) });
}

/** Waits until the rollout is complete; resolves with kubectl's final message. */
export async function waitForDeploymentRollout(
  apps: AppsV1Api,
  core: CoreV1Api,
  namespace: string,
  name: string,
  opts: RolloutWaitOptions = {},
): Promise<string> {
  const started = Date.now();
  const pollMs = opts.pollMs ?? 1_000;
  let last = '';
  for (;;) {
    if (opts.signal?.aborted) {
      throw new RipcordError('failed', `stopped waiting for deployment "${name}" to roll out: aborted`);
    }
    const st = await rolloutStatusOnce(apps, core, namespace, name);
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
      await sleep(pollMs, undefined, opts.signal ? { signal: opts.signal } : {});
    } catch {
      throw new RipcordError('failed', `stopped waiting for deployment "${name}" to roll out: aborted`);
    }
  }
}
