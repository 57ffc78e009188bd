/**
 * One observation per plan: while a command plans (the scenario's reads, the self-heal guard, the verification's
 * baseline, the config record), each Deployment is read once and every reader sees that same read. Each of
 * them used to read it again (the flag rollback read the Deployment and its ReplicaSets three times before its
 * first change; issue 16). Only planning sees this view: the steps re-read what they act on, and the run's
 * guards compare with the live object, as before.
 */
import type { DeploymentSnapshot, KubernetesPort } from '../core/ports.js';

/** `kube` with `snapshot` read once per Deployment; a failed read is not kept (the next caller reads again). */
export function snapshotOnce<K extends Pick<KubernetesPort, 'snapshot'>>(kube: K): K {
  const reads = new Map<string, Promise<DeploymentSnapshot>>();
  return new Proxy(kube, {
    get(target, prop) {
      if (prop === 'snapshot') {
        return (namespace: string, name: string): Promise<DeploymentSnapshot> => {
          const key = `${namespace}/${name}`;
          let read = reads.get(key);
          if (!read) {
            read = target.snapshot(namespace, name);
            reads.set(key, read);
            read.catch(() => reads.delete(key));
          }
          return read;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The context to plan with: everything of `ctx`, its `kube` reading each Deployment once. */
export function planningView<C extends { kube: Pick<KubernetesPort, 'snapshot'> }>(ctx: C): C {
  const view = Object.create(ctx) as C;
  Object.defineProperty(view, 'kube', { value: snapshotOnce(ctx.kube), enumerable: true });
  return view;
}
