/**
 * `ripcord gitops resume-sync SERVICE`: find the last run of the service that paused Argo CD auto-sync (its
 * journaled plan holds the prior policy and the revision it rolled back from), read the Application now, and
 * plan the restore (scenarios/argocd/plan-resume.ts). Observes; changes nothing.
 */
import { rtoTargetMs } from '../config/services.js';
import { RipcordError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { withLock } from '../core/steps/lock.js';
import { appViewOf } from '../scenarios/argocd/app-view.js';
import { planResumeSync, type PausedBy } from '../scenarios/argocd/plan-resume.js';
import { requireArgoCd } from '../scenarios/argocd/scenario.js';
import { ARGOCD_STEP_KINDS, ArgoRollbackDesired, PauseAutoSyncDesired } from '../scenarios/argocd/steps.js';
import { planServiceOf } from '../scenarios/plan-service.js';
import type { ScenarioContext } from '../scenarios/types.js';

/** How far back the journal is searched for the pause. */
const RUNS_SEARCHED = 50;

/** The newest run of the service whose pause-auto-sync step wrote the pause. */
export async function lastPause(ctx: ScenarioContext): Promise<PausedBy | undefined> {
  const runs = await ctx.journal.listRuns({ service: ctx.service.name, limit: RUNS_SEARCHED });
  for (const r of runs) {
    if (r.scenario !== 'argocd') continue;
    const found = await ctx.journal.getRun(r.id);
    if (!found) continue;
    const steps = found.run.plan.steps;
    const pause = steps.find((s) => s.kind === ARGOCD_STEP_KINDS.pauseAutoSync);
    const rollback = steps.find((s) => s.kind === ARGOCD_STEP_KINDS.rollback);
    const done = found.steps.find((s) => s.stepId === pause?.id && s.status === 'done');
    if (!pause || !rollback || !done) continue;
    const p = PauseAutoSyncDesired.safeParse(pause.desired);
    const b = ArgoRollbackDesired.safeParse(rollback.desired);
    if (!p.success || !b.success) continue;
    return { runId: r.id, app: p.data.app, prior: p.data.prior, rolledBack: b.data.from.revision };
  }
  return undefined;
}

export async function planResumeSyncFor(ctx: ScenarioContext): Promise<Plan> {
  const s = requireArgoCd(ctx);
  const paused = await lastPause(ctx);
  if (!paused) {
    throw new RipcordError(
      'invalid',
      `no run of ${ctx.service.name} paused Argo CD auto-sync (in the last ${RUNS_SEARCHED} runs): nothing to resume`,
    );
  }
  const app = appViewOf(await ctx.ports.argocd(s).getApplication(paused.app));
  const plan = planResumeSync(
    planServiceOf(ctx.service),
    s,
    { app, paused },
    { rtoTargetMs: rtoTargetMs(ctx.service, 'argocd'), now: ctx.clock.now() },
  );
  return {
    ...withLock(plan, { service: ctx.service.name, leaseSeconds: ctx.service.lock.leaseSeconds }),
    cluster: ctx.cluster,
  };
}
