/**
 * `ripcord gitops resume-sync SERVICE` as a plan: lock, restore the sync policy a rollback run paused, unlock.
 * Pure: the pause (from the journal) and the Application come in. A plan, journaled and resumable like a
 * rollback, so the restore holds the service's lock and a `--force` over a bad branch head is recorded.
 */
import type { CompiledArgoCd } from '../../config/compile-argocd.js';
import type { Plan, PlanStep } from '../../core/plan.js';
import type { PlanService } from '../../core/plan-service.js';
import { leaseSecondsFor, lockAround } from '../../core/steps/lock.js';
import { ARGOCD_STEP_KINDS, type AppSetRestoreDesired, type ResumeAutoSyncDesired } from './steps.js';
import { withoutRule, type AppSetView } from './appset.js';
import { parentResumeId } from './plan-ids.js';
import { appText, canonical, short, type ArgoAppView } from './view.js';

/** What a rollback run paused: its id, the app, the policy before, and the revision it rolled back from. */
export interface PausedBy {
  runId: string;
  app: { name: string; namespace?: string };
  prior: Record<string, unknown>;
  rolledBack: string;
  /** The parents (app of apps) it paused too, nearest first, each with its policy before. */
  parents?: Array<{ app: { name: string; namespace?: string }; prior: Record<string, unknown> }>;
  /** The ApplicationSet it kept off the app's sync policy (a rule added). */
  appSet?: { name: string; namespace?: string };
}

/** One level to restore: the app as it is now, the policy it had, and the step's id. */
interface Level {
  id: string;
  view: ArgoAppView;
  app: PausedBy['app'];
  prior: Record<string, unknown>;
  parentOf?: PausedBy['app'];
}

/** What a restore step needs of the pause; no run id when the pausing run restores it itself (`--git-revert`). */
export type PauseOf = Pick<PausedBy, 'app' | 'rolledBack'> & { runId?: string };

const byRun = (p: PauseOf): string => (p.runId ? `run ${p.runId}` : 'this run');

export function planResumeSync(
  service: PlanService,
  s: Pick<CompiledArgoCd, 'url'>,
  input: { app: ArgoAppView; paused: PausedBy; parents?: readonly ArgoAppView[]; appSet?: AppSetView },
  opts: { rtoTargetMs: number; now: Date },
): Plan {
  const { app, paused } = input;
  const where = `application/${appText(paused.app)}`;
  const ref = { revision: 0, images: [] };
  // The child first: a parent resumed before it would put the child's auto-sync back unchecked.
  const levels: Level[] = [
    { id: 'resume-auto-sync', view: app, app: paused.app, prior: paused.prior },
    ...(paused.parents ?? []).flatMap((p, i): Level[] => {
      const view = input.parents?.[i];
      return view
        ? [
            {
              id: parentResumeId(i + 1),
              view,
              app: p.app,
              prior: p.prior,
              parentOf: (paused.parents?.[i - 1] ?? paused).app,
            },
          ]
        : [];
    }),
  ];
  const policies = (pick: (l: Level) => unknown) =>
    levels.map((l) => `application/${appText(l.app)} ${JSON.stringify(pick(l))}`).join('; ');
  const base = {
    service: service.name,
    scenario: 'argocd' as const,
    namespace: service.namespace,
    createdAt: opts.now.toISOString(),
    from: { ...ref, changeCause: `sync policy ${policies((l) => l.view.syncPolicy ?? {})}` },
    to: {
      ...ref,
      changeCause: `sync policy ${policies((l) => l.prior)} (before run ${paused.runId})`,
    },
    rtoTargetMs: opts.rtoTargetMs,
    changes: [],
    diff: [],
    done: 'Resumed auto-sync',
    // Nothing is rolled back, so there is no checklist to hold it to: the step's own check is the proof.
    verification: { require: [] },
  };
  const todo = levels.filter((l) => canonical(l.view.syncPolicy ?? {}) !== canonical(l.prior));
  // Last: with the rule out, the ApplicationSet writes the template's policy (auto-sync) over the child's.
  const set = input.appSet;
  const ruleLeft = set !== undefined && withoutRule(set.ignore, paused.app.name).length < set.ignore.length;
  const steps = todo.map((l) => resumeStep(l, paused, s.url));
  if (set && ruleLeft) steps.push(appSetRestoreStep(set, paused, s.url));
  if (steps.length === 0) {
    const also = levels.length > 1 ? ` and of its ${levels.length - 1} parent(s)` : '';
    return {
      ...base,
      steps: [],
      warnings: [],
      noop: `the sync policy of ${where}${also} is already what it was before run ${paused.runId}; nothing to do`,
    };
  }
  return {
    ...base,
    warnings: [],
    steps: lockAround(
      {
        service: service.name,
        namespace: service.namespace,
        leaseSeconds: leaseSecondsFor(service.lockLeaseSeconds, opts.rtoTargetMs),
      },
      steps,
    ),
  };
}

export function appSetRestoreStep(set: Pick<AppSetView, 'ref'>, paused: PauseOf, server: string): PlanStep {
  const where = `applicationset/${appText(set.ref)}`;
  const release = `application/${appText(paused.app)}`;
  return {
    id: 'restore-appset-ignore',
    kind: ARGOCD_STEP_KINDS.appSetRestore,
    role: 'change',
    description: `Take ${byRun(paused)}'s rule for ${paused.app.name} out of the ignoreApplicationDifferences of ${where}`,
    target: `${where} at ${server}`,
    why: `The ApplicationSet manages ${release}'s sync policy again, once its branch head no longer renders ${short(paused.rolledBack)}.`,
    precondition: `The branch head of ${release} renders something else than ${short(paused.rolledBack)}.`,
    desired: {
      appSet: set.ref,
      app: paused.app.name,
      ...(paused.runId ? { pausedBy: paused.runId } : {}),
      rolledBack: paused.rolledBack,
      releaseApp: paused.app,
    } satisfies AppSetRestoreDesired,
    postcondition: `No rule of ${byRun(paused)} for ${paused.app.name} is left in ${where}.`,
    danger: 'caution',
    expectedDurationMs: 1_000,
  };
}

export function resumeStep(l: Omit<Level, 'view'>, paused: PauseOf, server: string): PlanStep {
  const at = `application/${appText(l.app)}`;
  const release = `application/${appText(paused.app)}`;
  return {
    id: l.id,
    kind: ARGOCD_STEP_KINDS.resumeAutoSync,
    role: 'change',
    description: `Restore the sync policy of ${at}${l.parentOf ? ` (renders application/${appText(l.parentOf)})` : ''} that ${byRun(paused)} paused`,
    target: `${at} at ${server}`,
    why: `Auto-sync back on as it was, once the branch head of ${release} no longer renders ${short(paused.rolledBack)} (the release rolled back).`,
    precondition: `The branch head of ${release} renders something else than ${short(paused.rolledBack)}; auto-sync of ${at} is still off.`,
    desired: {
      app: l.app,
      policy: l.prior,
      ...(paused.runId ? { pausedBy: paused.runId } : {}),
      rolledBack: paused.rolledBack,
      ...(l.parentOf ? { releaseApp: paused.app } : {}),
    } satisfies ResumeAutoSyncDesired,
    postcondition: `spec.syncPolicy is exactly ${JSON.stringify(l.prior)}.`,
    danger: 'caution',
    expectedDurationMs: 2_000,
  };
}
