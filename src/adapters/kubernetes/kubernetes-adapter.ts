/**
 * KubernetesPort over @kubernetes/client-node 1.x. Every call goes through kubeCall, so failures reach the
 * core already mapped (errors.ts). The composition root builds one per KubeConfig; nothing is global.
 */
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubeConfig,
} from '@kubernetes/client-node';
import { controlledReplicaSets, labelSelectorToString } from '../../core/app-rollback/deployment-util.js';
import { deploymentPatch } from '../../core/app-rollback/kubectl-rollback.js';
import type { Clock, KubernetesPort } from '../../core/ports.js';
import { kubeCall } from './errors.js';
import { acquireLease, readLease, releaseLease } from './lease-lock.js';
import { rolloutStatusOnce, waitForDeploymentRollout } from './rollout-wait.js';

export interface KubernetesAdapterOptions {
  clock?: Clock;
  /** Poll interval of waitForRollout. */
  pollMs?: number;
}

const systemClock: Clock = { now: () => new Date() };

/** Builds the Kubernetes port for one cluster/context. */
export function createKubernetesAdapter(kc: KubeConfig, opts: KubernetesAdapterOptions = {}): KubernetesPort {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const clock = opts.clock ?? systemClock;

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
          { name, namespace, body: deploymentPatch(desired.template, desired.annotations) },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
    },

    async waitForRollout(namespace, name, o) {
      return waitForDeploymentRollout(apps, core, namespace, name, {
        ...o,
        watch: (onChange) => watchDeployment(kc, namespace, name, onChange),
        ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      });
    },

    async rolloutStatus(namespace, name) {
      return rolloutStatusOnce(apps, core, namespace, name);
    },

    async listPods(namespace, labelSelector) {
      const list = await kubeCall({ verb: 'list', resource: 'pods', namespace }, () =>
        core.listNamespacedPod({ namespace, labelSelector }),
      );
      return list.items;
    },

    acquireLock(namespace, lockName, holder, leaseSeconds) {
      return acquireLease(coordination, clock, namespace, lockName, holder, leaseSeconds);
    },

    releaseLock(namespace, lockName, holder) {
      return releaseLease(coordination, namespace, lockName, holder);
    },

    readLock(namespace, lockName) {
      return readLease(coordination, namespace, lockName);
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
