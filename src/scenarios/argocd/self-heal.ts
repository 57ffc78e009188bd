/**
 * Whether a change to a Deployment would hold, when Argo CD deploys it. Pure: the Deployment's tracking and
 * what could be read of its Application come in.
 *
 * With self-heal, Argo CD puts the manifests of the branch head back within seconds of any change made around
 * it: an app rollback, a restart or `kubectl set env` on such a Deployment is undone, and the "recovered" service
 * runs the bad release again. So those scenarios refuse, naming `--scenario argocd` (which pauses auto-sync
 * first). Auto-sync without self-heal leaves the change until the next commit syncs: a warning. An
 * Application that could not be read is a warning too: the change may not hold.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { ArgoAppView } from './view.js';

export const TRACKING_ID_ANNOTATION = 'argocd.argoproj.io/tracking-id';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/** The Application a Deployment's Argo CD tracking names: `namespace` only when the tracking says it. */
export interface TrackedApplication {
  name: string;
  namespace?: string;
  /** How it was found, for messages. */
  by: 'annotation' | 'label';
}

/** What tracking reads of an object: a Deployment, or a child Application rendered by its parent. */
interface Tracked {
  metadata?: {
    annotations?: Record<string, string> | null;
    labels?: Record<string, string> | null;
  };
}

/**
 * Annotation tracking (`<instance>:<group>/<kind>:<namespace>/<name>`, Argo CD 3's default) names the instance,
 * `<namespace>_<name>` for an Application outside Argo CD's namespace; label tracking names the app alone.
 */
export function trackedApplication(d: V1Deployment | Tracked): TrackedApplication | undefined {
  const tracking = d.metadata?.annotations?.[TRACKING_ID_ANNOTATION];
  const instance = tracking?.split(':')[0];
  if (instance) {
    const sep = instance.indexOf('_');
    return sep > 0
      ? { name: instance.slice(sep + 1), namespace: instance.slice(0, sep), by: 'annotation' }
      : { name: instance, by: 'annotation' };
  }
  const label = d.metadata?.labels?.[INSTANCE_LABEL];
  return label ? { name: label, by: 'label' } : undefined;
}

export type SelfHealVerdict = { refuse: string } | { warn: string } | undefined;

export function selfHealVerdict(input: {
  scenario: string;
  deployment: string;
  application: string;
  app: ArgoAppView | { unreadable: string } | undefined;
}): SelfHealVerdict {
  const what = `deployment/${input.deployment} is deployed by Argo CD application ${input.application}`;
  const a = input.app;
  if (a === undefined) return undefined;
  if ('unreadable' in a) {
    return {
      warn: `${what}, which could not be read (${a.unreadable}): if it self-heals, it will undo this ${input.scenario} rollback; --scenario argocd pauses auto-sync first`,
    };
  }
  if (a.selfHeal) {
    return {
      refuse:
        `${what} with self-heal on: Argo CD would put the branch head's manifests back within seconds of this ` +
        `${input.scenario} rollback. Use --scenario argocd (it pauses auto-sync first); nothing was changed`,
    };
  }
  if (a.autoSync) {
    return {
      warn: `${what} with auto-sync on: the next commit to its branch re-deploys over this ${input.scenario} rollback; --scenario argocd pauses auto-sync`,
    };
  }
  return undefined;
}
