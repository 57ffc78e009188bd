/**
 * `ripcord verify SERVICE`: the whole verification checklist on the release running now, standalone — the
 * same steps and handlers a rollback ends with (pods and health, recovery against the last healthy baseline,
 * smoke checks, database, logs, verify commands), judged by the same policy. Nothing is changed or journaled.
 */
import { rolloutHistory } from '../core/app-rollback/history.js';
import { StepFailedError, type StepOutcome } from '../core/executor.js';
import type { Plan } from '../core/plan.js';
import { checklistOf, verdictOf } from '../core/steps/checklist.js';
import { verifyFor } from '../core/steps/verify.js';
import type { VerifyItem } from '../core/verify/item.js';
import type { ChecklistVerdict } from '../core/verify/verdict.js';
import { planServiceOf } from '../scenarios/plan-service.js';
import type { ScenarioContext } from '../scenarios/types.js';
import { sharedHandlers } from './handlers.js';
import { withVerification } from './recovery.js';

export interface VerifyNowResult {
  service: string;
  revision: number | undefined;
  images: string[];
  checklist: VerifyItem[];
  verdict: ChecklistVerdict;
}

export async function verifyNow(
  ctx: ScenarioContext,
  opts: { windowMs: number; signal: AbortSignal; progress(line: string): void; owner?: string },
): Promise<VerifyNowResult> {
  const { service } = ctx;
  const snap = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
  const current = rolloutHistory(snap).find((e) => e.current);
  const rev = { revision: current?.revision ?? 0, images: current?.images ?? [] };
  const base = {
    service: service.name,
    scenario: 'app',
    namespace: service.kube.namespace,
    createdAt: ctx.clock.now().toISOString(),
    from: rev,
    to: rev,
    changes: [],
    rtoTargetMs: service.rtoMs.app,
    warnings: [],
    steps: [
      verifyFor({ ...planServiceOf(service), verifyWindowMs: opts.windowMs }, snap.deployment, {
        ...(current?.podTemplateHash ? { podTemplateHash: current.podTemplateHash } : {}),
        why: 'runbook: Verification Checklist, on the release running now',
      }),
    ],
  } as Plan;
  const plan = await withVerification(ctx, base);
  const handlers = sharedHandlers(ctx);
  const outcomes: StepOutcome[] = [];
  for (const [index, step] of plan.steps.entries()) {
    const handler = handlers[step.kind];
    if (!handler) throw new Error(`no handler for ${step.kind}`);
    opts.progress(`-> ${step.id}: ${step.description}`);
    try {
      const evidence = await handler.apply(step, {
        runId: 'verify',
        signal: opts.signal,
        clock: ctx.clock,
        ...(opts.owner ? { owner: opts.owner } : {}),
        progress: (m) => opts.progress(`   ${m}`),
      });
      outcomes.push({ stepId: step.id, index, status: 'done', evidence });
    } catch (err) {
      // A failed item is the answer, not an error: the other lines still run, so the report is whole.
      if (!(err instanceof StepFailedError)) throw err;
      outcomes.push({ stepId: step.id, index, status: 'failed', evidence: err.evidence, error: err.message });
    }
  }
  const result = { steps: outcomes } as Parameters<typeof checklistOf>[0];
  const verdict = verdictOf(plan, outcomes);
  if (!verdict) throw new Error('verify: no verdict');
  return {
    service: service.name,
    revision: current?.revision,
    images: rev.images,
    checklist: checklistOf(result, plan),
    verdict,
  };
}
