/**
 * KubernetesPort over @kubernetes/client-node 1.x. Every call goes through kubeCall, so failures reach the
 * core already mapped (errors.ts). The composition root builds one per KubeConfig; nothing is global.
 */
import { PatchStrategy, setHeaderOptions, Watch, type KubeConfig } from '@kubernetes/client-node';
import { controlledReplicaSets, labelSelectorToString } from '../../core/app-rollback/deployment-util.js';
import { deploymentPatch } from '../../core/app-rollback/kubectl-rollback.js';
import type { Clock, KubernetesPort } from '../../core/ports.js';
import { kubeApis } from './api-client.js';
import { acquireLease, readLease, releaseLease, type LeaseObservations } from './lease-lock.js';
import { rolloutStatusOnce, waitForDeploymentRollout } from './rollout-wait.js';

export interface KubernetesAdapterOptions {
  clock?: Clock;
  /** Poll interval of waitForRollout. */
  pollMs?: number;
  /** Deadline of each API request (default 30 s). */
  requestTimeoutMs?: number;
  /** The current run's signal: aborting it cancels every call in flight (except releasing a lock). */
  signal?: () => AbortSignal | undefined;
}

const systemClock: Clock = { now: () => new Date() };

/** Builds the Kubernetes port for one cluster/context. */
export function createKubernetesAdapter(kc: KubeConfig, opts: KubernetesAdapterOptions = {}): KubernetesPort {
  const k = kubeApis(kc, {
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  // Releasing a lock must work after the run was aborted (that is when a failed run gives it back).
  const unaborted = kubeApis(kc, { requestTimeoutMs: k.requestTimeoutMs });
  const { apps, core } = k;
  const kubeCall = k.call;
  const clock = opts.clock ?? systemClock;
  const observations: LeaseObservations = new Map();

  return {
    async snapshot(namespace, name) {
      const deployment = await kubeCall(
        { verb: 'get', resource: 'deployments', group: 'apps', namespace, name },
        () => apps.readNamespacedDeployment({ name, namespace }),
      );
      // The server filters by selector; controlledReplicaSets re-applies it and keeps only those whose
      // controller reference is this Deployment, as kubectl's listReplicaSets does.
      const list = await kubeCall({ verb: 'list', resource: 'replicasets', group: 'apps', namespace }, () =>
        apps.listNamespacedReplicaSet({
          namespace,
          labelSelector: labelSelectorToString(deployment.spec?.selector),
        }),
      );
      return { deployment, replicaSets: controlledReplicaSets(deployment, list.items) };
    },

    async setTemplate(namespace, name, desired) {
      return kubeCall({ verb: 'patch', resource: 'deployments', group: 'apps', namespace, name }, () =>
        apps.patchNamespacedDeployment(
          {
            name,
            namespace,
            // A resourceVersion in the patched object makes the API server refuse it (409) if the Deployment
            // changed since we read it, as an update with that resourceVersion would.
            body: [
              ...deploymentPatch(desired.template, desired.annotations),
              ...(desired.resourceVersion
                ? [{ op: 'replace', path: '/metadata/resourceVersion', value: desired.resourceVersion }]
                : []),
            ],
          },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
    },

    async waitForRollout(namespace, name, o) {
      return waitForDeploymentRollout(k, namespace, name, {
        ...o,
        watch: (onChange) => watchDeployment(kc, namespace, name, onChange),
        ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      });
    },

    async rolloutStatus(namespace, name) {
      return rolloutStatusOnce(k, namespace, name);
    },

    async listPods(namespace, labelSelector) {
      const list = await kubeCall({ verb: 'list', resource: 'pods', namespace }, () =>
        core.listNamespacedPod({ namespace, labelSelector }),
      );
      return list.items;
    },

    acquireLock(namespace, lockName, holder, leaseSeconds) {
      return acquireLease(k, clock, namespace, lockName, holder, leaseSeconds, observations);
    },

    releaseLock(namespace, lockName, holder) {
      return releaseLease(unaborted, namespace, lockName, holder);
    },

    readLock(namespace, lockName) {
      return readLease(k, namespace, lockName);
    },
  };
}

/**
 * Watches one Deployment (fieldSelector on its name) and calls `onChange` on every event. Only a wake-up
 * signal: the waiter re-reads the object itself, so a dropped watch costs latency, never correctness.
 */
async function watchDeployment(kc: KubeConfig, namespace: string, name: string, onChange: () => void) {
  const controller = await new Watch(kc).watch(
    `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`,
    { fieldSelector: `metadata.name=${name}` },
    () => onChange(),
    () => undefined,
  );
  return () => controller.abort();
}
