/**
 * The `verify-checks` step: the checklist lines beyond pods and metrics, after every rollback — the runbook's
 * "Core functionality works (test in production)" (the smoke checks), "Database connectivity verified", section
 * 1 step 3's "check logs for errors", and the team's own `./scripts/verify-rollback.sh` (verify.commands), run
 * last. Each is an item in three states; a failed one fails the step (and the run escalates), a not-checked one
 * is recorded with why and left to the run's verdict.
 *
 * The plan holds names only: the database URL, the commands' env and anything secret are read from the current
 * config by the handlers (app/verify-checks.ts), so nothing secret reaches the journal.
 */
import * as z from 'zod';
import { AbortedError, abortReason } from '../errors.js';
import { StepFailedError, type StepHandlers } from '../executor.js';
import type { Plan, PlanStep } from '../plan.js';
import { judged, notChecked, type VerifyItem } from '../verify/item.js';
import { desiredOf } from './desired.js';
import { isVerifyStep } from './recovery.js';

export const VERIFY_CHECKS_KIND = 'verify.checks';
export const VERIFY_CHECKS_ID = 'verify-checks';

export const VerifyChecksDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  labelSelector: z.string(),
  smoke: z.array(
    z.object({
      name: z.string(),
      method: z.string(),
      url: z.string(),
      expectStatus: z.number().int(),
      expectBody: z.string().optional(),
    }),
  ),
  /** How database connectivity is checked: `SELECT 1` on the configured URL, the health answer's DB field. */
  database: z.enum(['select-1', 'health', 'none']),
  healthUrl: z.string().optional(),
  logs: z
    .object({
      sinceSeconds: z.number().positive(),
      tailLines: z.number().int().positive(),
      maxErrorsPerMinute: z.number().min(0),
      /** The service's pods' error-line rate when the plan was made (core/verify/log-errors.ts LogRate). */
      before: z
        .object({
          pods: z.number().int(),
          unreadPods: z.number().int(),
          lines: z.number().int(),
          errors: z.number().int(),
          errorsPerMinute: z.number(),
          windowSeconds: z.number(),
        })
        .optional(),
    })
    .optional(),
  commands: z.array(z.object({ name: z.string(), timeoutMs: z.number().positive() })),
});
export type VerifyChecksDesired = z.infer<typeof VerifyChecksDesired>;

export function verifyChecksStep(desired: VerifyChecksDesired, service: string): PlanStep {
  const what = [
    desired.smoke.length > 0 ? `${desired.smoke.length} smoke checks` : undefined,
    desired.database !== 'none' ? 'database connectivity' : undefined,
    desired.logs ? "the new pods' logs" : undefined,
    desired.commands.length > 0
      ? `verify commands (${desired.commands.map((c) => c.name).join(', ')})`
      : undefined,
  ].filter((s) => s !== undefined);
  return {
    id: VERIFY_CHECKS_ID,
    kind: VERIFY_CHECKS_KIND,
    role: 'verify-checks',
    description: `Verify ${service} works: ${what.join(', ') || 'nothing configured (each line shown as not checked)'}`,
    target: `deployment/${desired.deployment} -n ${desired.namespace}`,
    why: 'Verification checklist: core functionality works, database connectivity verified; runbook 1 step 3: check logs for errors',
    precondition: 'the rollout is complete and pods and health passed',
    desired,
    postcondition: 'no item failed; items that could not run are recorded as not checked',
    danger: 'safe',
    expectedDurationMs: 5_000 + desired.commands.reduce((n, c) => n + c.timeoutMs, 0),
  };
}

/** The step right after the plan's last verification step (verify or verify-recovery). */
export function insertVerifyChecks(plan: Plan, step: PlanStep): Plan {
  const at = plan.steps.findLastIndex((s) => isVerifyStep(s) || s.role === 'recovery');
  if (at < 0 || plan.noop) return plan;
  return { ...plan, steps: [...plan.steps.slice(0, at + 1), step, ...plan.steps.slice(at + 1)] };
}

export interface VerifyChecksDeps {
  smoke(
    checks: VerifyChecksDesired['smoke'],
    signal: AbortSignal,
  ): Promise<Array<{ name: string; ok: boolean; detail: string }>>;
  /** `SELECT 1` on the service's database URL (from the current config). */
  pingDatabase(signal: AbortSignal): Promise<VerifyItem>;
  /** The database line read from the health answer's body; undefined when it has no database field. */
  databaseFromHealth(healthUrl: string, signal: AbortSignal): Promise<VerifyItem | undefined>;
  logs(
    d: NonNullable<VerifyChecksDesired['logs']> & { namespace: string; labelSelector: string },
    signal: AbortSignal,
  ): Promise<VerifyItem>;
  /** Runs the configured command of that name (its argv and env from the current config). */
  command(name: string, signal: AbortSignal): Promise<VerifyItem>;
}

async function databaseItem(
  d: VerifyChecksDesired,
  deps: VerifyChecksDeps,
  signal: AbortSignal,
): Promise<VerifyItem> {
  if (d.database === 'select-1') return deps.pingDatabase(signal);
  if (d.database === 'health' && d.healthUrl) {
    const fromHealth = await deps.databaseFromHealth(d.healthUrl, signal);
    if (fromHealth) return fromHealth;
    return notChecked(
      'database',
      'the health answer has no database field and no database URL is configured',
      'database.url',
    );
  }
  return notChecked(
    'database',
    'no database URL configured and no health URL to read a database check from',
    'database.url',
  );
}

export function verifyChecksHandlers(deps: VerifyChecksDeps): StepHandlers {
  return {
    [VERIFY_CHECKS_KIND]: {
      async apply(step, ctx) {
        const d = desiredOf(step, VerifyChecksDesired);
        const { signal } = ctx;
        const items: VerifyItem[] = [];
        if (d.smoke.length === 0)
          items.push(notChecked('smoke', 'no smoke checks configured', 'detect.checks'));
        else
          for (const r of await deps.smoke(d.smoke, signal))
            items.push(judged(`smoke:${r.name}`, r.ok, r.detail));
        items.push(await databaseItem(d, deps, signal));
        items.push(
          d.logs
            ? await deps.logs({ ...d.logs, namespace: d.namespace, labelSelector: d.labelSelector }, signal)
            : notChecked('logs', 'log checking is turned off', 'verify.logs.enabled'),
        );
        // The team's own script runs last, on a service the built-in items have already looked at.
        for (const c of d.commands) {
          if (signal.aborted) throw new AbortedError(`verification aborted: ${abortReason(signal)}`);
          ctx.progress(`running verify command ${c.name}`);
          items.push(await deps.command(c.name, signal));
        }
        const bad = items.filter((i) => i.status === 'failed');
        if (bad.length > 0)
          throw new StepFailedError(
            `verification failed: ${bad.map((i) => `${i.name} (${i.detail})`).join('; ')}`,
            { checklist: items },
          );
        return { checklist: items };
      },
      // Observations of now: on resume they are made again.
      check: async () => false,
    },
  };
}
