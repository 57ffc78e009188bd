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
import { parentPauseId } from '../scenarios/argocd/plan.js';
import { planResumeSync, type PausedBy } from '../scenarios/argocd/plan-resume.js';
import { requireArgoCd } from '../scenarios/argocd/scenario.js';
import {
  AppSetIgnoreDesired,
  ARGOCD_STEP_KINDS,
  ArgoRollbackDesired,
  PauseAutoSyncDesired,
} from '../scenarios/argocd/steps.js';
import { APPSET_STEP_ID, appSetViewOf } from '../scenarios/argocd/appset.js';
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
    const doneIds = new Set(found.steps.filter((s) => s.status === 'done').map((s) => s.stepId));
    const pause = steps.find((s) => s.id === 'pause-auto-sync' && s.kind === ARGOCD_STEP_KINDS.pauseAutoSync);
    const rollback = steps.find((s) => s.kind === ARGOCD_STEP_KINDS.rollback);
    if (!pause || !rollback || !doneIds.has(pause.id)) continue;
    const p = PauseAutoSyncDesired.safeParse(pause.desired);
    const b = ArgoRollbackDesired.safeParse(rollback.desired);
    if (!p.success || !b.success) continue;
    // The parents it paused (app of apps), nearest first: level 1, 2, ...
    const parents: NonNullable<PausedBy['parents']> = [];
    for (let level = 1; ; level++) {
      const step = steps.find((s) => s.id === parentPauseId(level));
      if (!step) break;
      const d = PauseAutoSyncDesired.safeParse(step.desired);
      if (d.success && doneIds.has(step.id)) parents.push({ app: d.data.app, prior: d.data.prior });
    }
    const keep = steps.find((s) => s.id === APPSET_STEP_ID);
    const k = keep && doneIds.has(keep.id) ? AppSetIgnoreDesired.safeParse(keep.desired) : undefined;
    return {
      runId: r.id,
      app: p.data.app,
      prior: p.data.prior,
      rolledBack: b.data.from.revision,
      ...(parents.length > 0 ? { parents } : {}),
      ...(k?.success ? { appSet: k.data.appSet } : {}),
    };
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
  const api = ctx.ports.argocd(s);
  const app = appViewOf(await api.getApplication(paused.app));
  const parents = await Promise.all(
    (paused.parents ?? []).map(async (p) => appViewOf(await api.getApplication(p.app))),
  );
  const appSet = paused.appSet ? appSetViewOf(await api.getApplicationSet(paused.appSet)) : undefined;
  const plan = planResumeSync(
    planServiceOf(ctx.service),
    s,
    { app, paused, parents, ...(appSet ? { appSet } : {}) },
    { rtoTargetMs: rtoTargetMs(ctx.service, 'argocd'), now: ctx.clock.now() },
  );
  return {
    ...withLock(plan, { service: ctx.service.name, leaseSeconds: ctx.service.lock.leaseSeconds }),
    cluster: ctx.cluster,
  };
}
