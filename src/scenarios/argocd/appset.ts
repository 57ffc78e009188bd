/**
 * An ApplicationSet that generated the service's Application updates that Application's spec to its template
 * on every reconcile, so a paused auto-sync is put back within seconds (Argo CD's ApplicationSet docs,
 * Controlling-Resource-Modification.md). The documented way to allow it, "Allow temporarily toggling
 * auto-sync", is an `ignoreApplicationDifferences` rule for `/spec/syncPolicy`; Ripcord adds one naming only the
 * service's Application, journals the list before, and takes its rule out again when auto-sync is resumed.
 * Nothing is added when the ApplicationSet does not update its Applications (applicationsSync `create-only` or
 * `create-delete`) or a rule already keeps the child's sync policy. Pure.
 */
import type { ArgoApplicationSet, ArgoIgnoreRule } from '../../adapters/argocd/argocd-api.js';
import type { PlanStep } from '../../core/plan.js';
import { ARGOCD_STEP_KINDS, type AppSetIgnoreDesired } from './steps.js';
import { appText, canonical } from './view.js';

export interface AppSetView {
  ref: { name: string; namespace?: string };
  /** spec.syncPolicy.applicationsSync, `sync` when unset. */
  policy: string;
  /** spec.ignoreApplicationDifferences as it is (empty when unset). */
  ignore: ArgoIgnoreRule[];
}

export function appSetViewOf(set: ArgoApplicationSet): AppSetView {
  return {
    ref: {
      name: set.metadata.name,
      ...(set.metadata.namespace ? { namespace: set.metadata.namespace } : {}),
    },
    policy: set.spec.syncPolicy?.applicationsSync ?? 'sync',
    ignore: set.spec.ignoreApplicationDifferences ?? [],
  };
}

/** The rule Ripcord adds: the child's whole sync policy, for the child only. */
export const syncPolicyRule = (app: string): ArgoIgnoreRule => ({
  name: app,
  jsonPointers: ['/spec/syncPolicy'],
});

/** The pointers whose rule keeps `/spec/syncPolicy/automated` as it is on the live Application. */
const COVERING = new Set(['/spec', '/spec/syncPolicy', '/spec/syncPolicy/automated']);

/** Does a rule (for every app, or this one) keep the app's auto-sync as set by hand? */
export function keepsSyncPolicy(rules: readonly ArgoIgnoreRule[], app: string): boolean {
  return rules.some(
    (r) => (r.name === undefined || r.name === app) && (r.jsonPointers ?? []).some((p) => COVERING.has(p)),
  );
}

/** `rules` without Ripcord's rule for `app` (every copy of it). */
export const withoutRule = (rules: readonly ArgoIgnoreRule[], app: string): ArgoIgnoreRule[] =>
  rules.filter((r) => canonical(r) !== canonical(syncPolicyRule(app)));

/** The ApplicationSet's policy lets it update the Applications it generated. */
export const appSetUpdates = (policy: string): boolean => policy === 'sync' || policy === 'create-update';

export const APPSET_STEP_ID = 'ignore-appset-sync-policy';

/** The step that keeps the ApplicationSet off the child's sync policy, or none when nothing would undo it. */
export function appSetStep(
  child: { ref: { name: string; namespace?: string } },
  set: AppSetView,
  server: string,
): PlanStep | undefined {
  if (!appSetUpdates(set.policy) || keepsSyncPolicy(set.ignore, child.ref.name)) return undefined;
  const where = `applicationset/${appText(set.ref)}`;
  const app = `application/${appText(child.ref)}`;
  return {
    id: APPSET_STEP_ID,
    kind: ARGOCD_STEP_KINDS.appSetIgnore,
    role: 'change',
    description: `Keep ${where} off the sync policy of ${app} (ignoreApplicationDifferences /spec/syncPolicy for ${child.ref.name})`,
    target: `${where} at ${server}`,
    why:
      `${where} generated ${app} and updates its spec to the template (applicationsSync ${set.policy}): it would ` +
      'put auto-sync back within seconds, and the bad release with it. Argo CD documents this rule for pausing auto-sync.',
    precondition: `ignoreApplicationDifferences is still ${JSON.stringify(set.ignore)}.`,
    desired: {
      appSet: set.ref,
      app: child.ref.name,
      prior: set.ignore,
    } satisfies AppSetIgnoreDesired,
    postcondition: `A rule keeps /spec/syncPolicy of ${child.ref.name}; the list before is in the journal.`,
    danger: 'caution',
    expectedDurationMs: 1_000,
  };
}
