/**
 * The runbook's Argo CD row as a plan that holds. Pure: the Application (as view.ts sees it) and the Deployment
 * come in.
 *
 * `argocd app rollback` alone does not hold: with automated sync on, Argo CD refuses a rollback, and with
 * self-heal it would put the branch head's (bad) manifests back seconds later. So: lock; pause auto-sync (the
 * prior policy journaled, for `ripcord gitops resume-sync` to restore exactly); roll back to the last history
 * entry that ran another revision before the bad one (or `--to-history ID`, or `--revision SHA` as the
 * runbook's `argocd app sync --revision`); wait until that operation succeeded, the app was reconciled after it
 * and is Healthy; the Deployment's rollout and the usual checklist; unlock. Auto-sync stays paused: the branch
 * head still renders the bad release until someone fixes it.
 *
 * Refused before anything changes: an operation in progress (it would race ours), an app OutOfSync with
 * auto-sync on (Argo CD is about to sync, or failing to), an app that already runs an older revision with
 * auto-sync off (rolled back already: going further back needs an explicit target), an unknown target.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { CompiledArgoCd } from '../../config/compile-argocd.js';
import { revisionRefOf } from '../../core/app-rollback/history.js';
import { RipcordError } from '../../core/errors.js';
import type { Plan, PlanStep, RevisionRef } from '../../core/plan.js';
import type { PlanService } from '../../core/plan-service.js';
import { leaseSecondsFor, lockAround } from '../../core/steps/lock.js';
import { verifyFor } from '../../core/steps/verify.js';
import { waitRolloutFor } from '../../core/steps/wait-rollout.js';
import {
  ARGOCD_STEP_KINDS,
  type ArgoRollbackDesired,
  type PauseAutoSyncDesired,
  type WaitSyncedDesired,
} from './steps.js';
import { appText, deployedOf, short, type ArgoAppView } from './view.js';
import { appSetStep, type AppSetView } from './appset.js';
import { checkSyncWindows, type WindowsView } from './sync-windows.js';
import { gitRevertSteps } from './plan-git-revert.js';
import { parentPauseId } from './plan-ids.js';

export interface ArgoCdTarget {
  /** `--to-history ID`. */
  toHistory?: number;
  /** `--revision SHA` (a full SHA or a prefix of 7 or more). */
  revision?: string;
  /** `--git-revert`: after the verified rollback, revert the release on the branch and restore auto-sync. */
  gitRevert?: boolean;
}

/** The history entry to go back to, and how (`rollback` by id, or `sync` to a revision as the runbook). */
function chooseTarget(
  v: ArgoAppView,
  current: { id: number; revision: string },
  t: ArgoCdTarget,
  name: string,
): { entry: { id: number; revision: string }; method: 'rollback' | 'sync' } {
  const ids = v.history.map((h) => h.id).join(', ');
  if (t.toHistory !== undefined) {
    const entry = v.history.find((h) => h.id === t.toHistory);
    if (!entry)
      throw new RipcordError(
        'invalid',
        `--to-history: application ${name} has no history entry ${t.toHistory} (it has ${ids || 'none'})`,
      );
    return { entry, method: 'rollback' };
  }
  if (t.revision !== undefined) {
    const want = t.revision.toLowerCase();
    const matches = v.history.filter(
      (h) => h.revision === want || (want.length >= 7 && h.revision.startsWith(want)),
    );
    const entry = matches.at(-1);
    if (!entry)
      throw new RipcordError(
        'invalid',
        `--revision: ${t.revision} is not a revision application ${name} has deployed (its history: ${
          v.history.map((h) => `${h.id}=${short(h.revision)}`).join(', ') || 'empty'
        }); Ripcord rolls back only to a revision that ran`,
      );
    return { entry, method: 'sync' };
  }
  // The newest entry before the one that runs that ran something else: a re-sync of the bad revision is not
  // a good release.
  const before = v.history.slice(0, -1).filter((h) => h.revision !== current.revision);
  const entry = before.at(-1);
  if (!entry)
    throw new RipcordError(
      'invalid',
      `application ${name} has no earlier revision in its history to roll back to (history ids: ${ids || 'none'})`,
    );
  return { entry, method: 'rollback' };
}

export { parentPauseId } from './plan-ids.js';

/**
 * App of apps: a parent with auto-sync renders its child's spec, sync policy included, and puts it back (at
 * once with self-heal, at its next commit without), so the child's pause would not hold. Each such parent is
 * paused first, the top-most first, so no level is left that could undo the one below it. A parent without
 * auto-sync is named in a warning: a manual sync of it would do the same.
 */
function pauseParents(
  child: ArgoAppView,
  parents: readonly ArgoAppView[],
  server: string,
  warnings: string[],
): PlanStep[] {
  const steps: PlanStep[] = [];
  parents.forEach((p, i) => {
    const where = `application/${appText(p.ref)}`;
    const below = `application/${appText((parents[i - 1] ?? child).ref)}`;
    if (!p.autoSync) {
      warnings.push(
        `${below} is rendered by ${where} (app of apps), whose auto-sync is off: a sync of ${where} would put ` +
          `the auto-sync of ${below} back; do not sync it until the branch is fixed`,
      );
      return;
    }
    steps.unshift({
      id: parentPauseId(i + 1),
      kind: ARGOCD_STEP_KINDS.pauseAutoSync,
      role: 'change',
      description: `Pause auto-sync of ${where}, which renders ${below} (app of apps)`,
      target: `${where} at ${server}`,
      why:
        `${where} renders ${below}'s spec: with auto-sync${p.selfHeal ? ' and self-heal' : ''} it would put ` +
        `${below}'s sync policy back${p.selfHeal ? ' within seconds' : ' at its next commit'}, and the bad release with it.`,
      precondition: `The sync policy is still ${JSON.stringify(p.syncPolicy)}.`,
      desired: { app: p.ref, server, prior: p.syncPolicy ?? {} } satisfies PauseAutoSyncDesired,
      postcondition: 'spec.syncPolicy.automated is absent; the prior policy is in the journal.',
      danger: 'caution',
      expectedDurationMs: 1_000,
    });
  });
  return steps;
}

export function planArgoCdRollback(
  service: PlanService,
  s: Pick<CompiledArgoCd, 'url' | 'syncTimeoutMs' | 'at'> & { git?: { url?: string } },
  observed: {
    app: ArgoAppView;
    /** The Applications that render this one (app of apps), nearest first (scenario.ts parentsOf). */
    parents?: readonly ArgoAppView[];
    /** The ApplicationSet that generated it, when one did (scenario.ts). */
    appSet?: AppSetView;
    /** The app's sync windows now (scenario.ts). */
    windows?: WindowsView;
    deployment: V1Deployment;
  },
  opts: ArgoCdTarget & { rtoTargetMs: number; now: Date },
): Plan {
  const v = observed.app;
  const name = appText(v.ref);
  const where = `application/${name}`;
  const running = v.operationPending ?? (v.operation?.phase === 'Running' ? v.operation : undefined);
  if (running) {
    throw new RipcordError(
      'refused',
      `${where} has an operation in progress${running.revision ? ` (to ${short(running.revision)})` : ''}: ` +
        'a rollback now would race it. Wait for it (argocd app wait) or terminate it (argocd app terminate-op); nothing was changed',
    );
  }
  const current = deployedOf(v);
  if (!current) {
    throw new RipcordError('invalid', `${where} has never been synced (no history): nothing to roll back`);
  }
  const explicit = opts.toHistory !== undefined || opts.revision !== undefined;
  if (v.syncStatus === 'OutOfSync' && v.autoSync) {
    throw new RipcordError(
      'refused',
      `${where} is OutOfSync with auto-sync on: Argo CD is about to sync it (or failing to). Wait until it is ` +
        'Synced (argocd app wait --sync), then plan again; nothing was changed',
    );
  }
  if (v.syncStatus === 'OutOfSync' && !v.autoSync && !explicit) {
    throw new RipcordError(
      'refused',
      `${where} has auto-sync off and runs ${short(current.revision)} (history ${current.id}), not its branch head ` +
        `${short(v.headRevision ?? '?')}: it looks rolled back already. To go further back, name the target ` +
        '(--to-history ID or --revision SHA); to resume, `ripcord gitops resume-sync`. Nothing was changed',
    );
  }
  const { entry, method } = chooseTarget(v, current, opts, name);
  const from: RevisionRef = {
    ...revisionRefOf(observed.deployment),
    changeCause: `${name} history ${current.id} (${short(current.revision)})`,
  };
  const to: RevisionRef = {
    revision: entry.id,
    images: [],
    changeCause: `${name} history ${entry.id} (${short(entry.revision)})`,
  };
  const base = {
    service: service.name,
    scenario: 'argocd' as const,
    namespace: service.namespace,
    createdAt: opts.now.toISOString(),
    from,
    to,
    rtoTargetMs: opts.rtoTargetMs,
    changes: [],
    diff: [
      {
        kind: 'gitops-revision' as const,
        target: where,
        from: `${short(current.revision)} (history ${current.id})`,
        to: `${short(entry.revision)} (history ${entry.id})`,
      },
    ],
  };
  if (entry.revision === current.revision) {
    return {
      ...base,
      diff: [],
      steps: [],
      warnings: [],
      noop: `${where} already runs ${short(entry.revision)}${v.autoSync ? '' : ' with auto-sync off'}; nothing to do`,
    };
  }
  const parents = v.autoSync ? (observed.parents ?? []) : [];
  const appSetKeep = v.autoSync && observed.appSet ? appSetStep(v, observed.appSet, s.url) : undefined;
  // Refused before anything changes: a --git-revert that could not be pushed anywhere.
  const revert = opts.gitRevert
    ? gitRevertSteps(
        { app: v, parents, appSetKeep, appSet: observed.appSet, bad: current.revision, good: entry.revision },
        s,
      )
    : undefined;
  const warnings: string[] = checkSyncWindows(where, observed.windows);
  if (v.health === 'Degraded') {
    warnings.push(
      `${where} is Degraded${v.healthMessage ? ` (${v.healthMessage})` : ''}: the rollback must make it Healthy`,
    );
  }
  const body: PlanStep[] = [];
  if (appSetKeep) body.push(appSetKeep);
  if (v.autoSync) body.push(...pauseParents(v, parents, s.url, warnings));
  const pausedParents = parents.filter((p) => p.autoSync);
  if (v.autoSync) {
    body.push({
      id: 'pause-auto-sync',
      kind: ARGOCD_STEP_KINDS.pauseAutoSync,
      role: 'change',
      description: `Pause auto-sync of ${where}${v.selfHeal ? ' (self-heal would undo the rollback)' : ''}`,
      target: `${where} at ${s.url}`,
      why: 'Argo CD refuses a rollback while automated sync is on, and auto-sync would put the branch head (the bad release) back.',
      precondition: `The sync policy is still ${JSON.stringify(v.syncPolicy)}.`,
      desired: {
        app: v.ref,
        server: s.url,
        prior: v.syncPolicy ?? {},
        ...(pausedParents.length > 0 ? { parents: pausedParents.map((p) => p.ref) } : {}),
      } satisfies PauseAutoSyncDesired,
      postcondition: 'spec.syncPolicy.automated is absent; the prior policy is in the journal.',
      danger: 'caution',
      expectedDurationMs: 1_000,
    });
  } else {
    warnings.push(`${where} has auto-sync off already: nothing to pause, nothing for resume-sync to restore`);
  }
  const runbookCommand =
    method === 'sync'
      ? `argocd app sync ${v.ref.name} --revision ${entry.revision}`
      : `argocd app rollback ${v.ref.name} ${entry.id}`;
  body.push(
    {
      id: 'rollback',
      kind: ARGOCD_STEP_KINDS.rollback,
      role: 'change',
      description: `Roll ${where} back from ${short(current.revision)} to ${short(entry.revision)} (history ${entry.id})`,
      target: `${where} at ${s.url}`,
      why: `Runbook, Argo CD: \`${runbookCommand}\`.`,
      precondition: `${where} still runs ${short(current.revision)} (history ${current.id}) and no operation is in progress.`,
      desired: {
        app: v.ref,
        method,
        historyId: entry.id,
        revision: entry.revision,
        from: { historyId: current.id, revision: current.revision },
      } satisfies ArgoRollbackDesired,
      postcondition: `The sync operation to ${short(entry.revision)} is started (a history entry of it when done).`,
      danger: 'caution',
      expectedDurationMs: 2_000,
    },
    {
      id: 'wait-synced',
      kind: ARGOCD_STEP_KINDS.waitSynced,
      role: 'wait',
      description: `Wait for ${where} to sync ${short(entry.revision)} and be Healthy`,
      target: `${where} at ${s.url}`,
      why: 'argocd app wait --sync --health: the operation succeeded, the app was reconciled after it and is Healthy.',
      precondition: 'The rollback operation is started.',
      desired: {
        app: v.ref,
        revision: entry.revision,
        timeoutMs: s.syncTimeoutMs,
      } satisfies WaitSyncedDesired,
      postcondition: `The last operation Succeeded on ${short(entry.revision)}, reconciled after it, health Healthy.`,
      danger: 'safe',
      expectedDurationMs: 20_000,
    },
    waitRolloutFor(
      observed.deployment,
      { namespace: service.namespace, deployment: service.deployment },
      {
        why: 'Runbook 1, step 2: kubectl rollout status, on what Argo CD applied.',
        precondition: 'Argo CD applied the rolled-back manifests.',
        timeoutMs: service.rolloutTimeoutMs,
      },
    ),
    verifyFor(service, observed.deployment),
  );
  if (revert) {
    body.push(...revert.steps);
    warnings.push(revert.warning);
  } else if (v.autoSync) {
    const paused = [v, ...parents.filter((p) => p.autoSync)].map((p) => `application/${appText(p.ref)}`);
    warnings.push(
      `auto-sync of ${paused.join(' and ')} stays paused after the rollback: the branch head of ${where} ` +
        `(${short(v.headRevision ?? current.revision)}) still renders the bad release. Fix the branch, then ` +
        `\`ripcord gitops resume-sync ${service.name}\`` +
        (appSetKeep
          ? ` (it also takes the rule out of applicationset/${appText(observed.appSet?.ref ?? v.ref)})`
          : ''),
    );
  }
  return {
    ...base,
    steps: lockAround(
      {
        service: service.name,
        namespace: service.namespace,
        leaseSeconds: leaseSecondsFor(service.lockLeaseSeconds, opts.rtoTargetMs),
      },
      body,
    ),
    warnings,
  };
}
