/**
 * `ripcord gitops resume-sync SERVICE` as a plan: lock, restore the sync policy a rollback run paused, unlock.
 * Pure: the pause (from the journal) and the Application come in. A plan, journaled and resumable like a
 * rollback, so the restore holds the service's lock and a `--force` over a bad branch head is recorded.
 */
import type { CompiledArgoCd } from '../../config/compile-argocd.js';
import type { Plan } from '../../core/plan.js';
import type { PlanService } from '../../core/plan-service.js';
import { leaseSecondsFor, lockAround } from '../../core/steps/lock.js';
import { ARGOCD_STEP_KINDS, type ResumeAutoSyncDesired } from './steps.js';
import { appText, canonical, short, type ArgoAppView } from './view.js';

/** What a rollback run paused: its id, the app, the policy before, and the revision it rolled back from. */
export interface PausedBy {
  runId: string;
  app: { name: string; namespace?: string };
  prior: Record<string, unknown>;
  rolledBack: string;
}

export function planResumeSync(
  service: PlanService,
  s: Pick<CompiledArgoCd, 'url'>,
  input: { app: ArgoAppView; paused: PausedBy },
  opts: { rtoTargetMs: number; now: Date },
): Plan {
  const { app, paused } = input;
  const where = `application/${appText(paused.app)}`;
  const ref = { revision: 0, images: [] };
  const base = {
    service: service.name,
    scenario: 'argocd' as const,
    namespace: service.namespace,
    createdAt: opts.now.toISOString(),
    from: { ...ref, changeCause: `${where}: sync policy ${JSON.stringify(app.syncPolicy ?? {})}` },
    to: {
      ...ref,
      changeCause: `${where}: sync policy ${JSON.stringify(paused.prior)} (before run ${paused.runId})`,
    },
    rtoTargetMs: opts.rtoTargetMs,
    changes: [],
    diff: [],
    done: 'Resumed auto-sync',
    // Nothing is rolled back, so there is no checklist to hold it to: the step's own check is the proof.
    verification: { require: [] },
  };
  if (canonical(app.syncPolicy ?? {}) === canonical(paused.prior)) {
    return {
      ...base,
      steps: [],
      warnings: [],
      noop: `the sync policy of ${where} is already what it was before run ${paused.runId}; nothing to do`,
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
      [
        {
          id: 'resume-auto-sync',
          kind: ARGOCD_STEP_KINDS.resumeAutoSync,
          role: 'change',
          description: `Restore the sync policy of ${where} that run ${paused.runId} paused`,
          target: `${where} at ${s.url}`,
          why: `Auto-sync back on as it was, once the branch head no longer renders ${short(paused.rolledBack)} (the release rolled back).`,
          precondition: `The branch head renders something else than ${short(paused.rolledBack)}; auto-sync is still off.`,
          desired: {
            app: paused.app,
            policy: paused.prior,
            pausedBy: paused.runId,
            rolledBack: paused.rolledBack,
          } satisfies ResumeAutoSyncDesired,
          postcondition: `spec.syncPolicy is exactly ${JSON.stringify(paused.prior)}.`,
          danger: 'caution',
          expectedDurationMs: 2_000,
        },
      ],
    ),
  };
}
