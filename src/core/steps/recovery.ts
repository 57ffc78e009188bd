/**
 * The `verify-recovery` step: after the pods-and-health verification, keep checking the service's metrics and
 * alerts until they are back to the pre-incident baseline, or fail after the timeout (the run then escalates
 * instead of declaring victory). The app layer adds it to any plan whose service has Prometheus configured.
 */
import * as z from 'zod';
import {
  candidateWindows,
  chooseBaseline,
  type BaselineCandidate,
  type BaselineChoice,
} from '../detect/baseline.js';
import { evaluateRecovery, pendingRecovery } from '../detect/recovery.js';
import { StepFailedError, type StepHandlers } from '../executor.js';
import type { IntervalCounts } from '../judge/index.js';
import type { Plan, PlanStep } from '../plan.js';
import type { AlertsPort, MetricsPort } from '../ports.js';
import { desiredOf } from './desired.js';
import { pauseOrAbort } from './pause.js';

export const RECOVERY_STEP_KIND = 'recovery.verify';
export const RECOVERY_STEP_ID = 'verify-recovery';

export const RecoveryDesired = z.object({
  namespace: z.string().min(1),
  app: z.string().min(1),
  prometheusUrl: z.string().min(1),
  alertmanagerUrl: z.string().optional(),
  /** One observation interval: the SPRT adds one interval's counts per observation. */
  windowSeconds: z.number().positive(),
  timeoutMs: z.number().positive(),
  threshold: z.number().positive(),
  latencyRatio: z.number().positive(),
  minRequests: z.number().int().positive(),
  /** Chance of calling a service still at the threshold recovered. Plans journaled before it: 1%. */
  falsePass: z.number().positive().max(0.5).default(0.01),
  minSamples: z.number().int().positive().default(50),
  latencyIntervals: z.number().int().positive().default(3),
  /** When the bad revision started rolling out: the baseline is the last healthy window before it. */
  incidentStart: z.string().optional(),
  /** Where baseline windows end when the incident's start is unknown (the plan's time). */
  baselineEnd: z.string().optional(),
  baselineWindowSeconds: z.number().positive(),
  /** Rollouts and rollbacks of the service a baseline window must not overlap. */
  busy: z.array(z.object({ from: z.string(), to: z.string(), what: z.string() })).default([]),
  /** How many windows back to look for a healthy one. */
  baselineCandidates: z.number().int().positive().default(6),
});
export type RecoveryDesired = z.input<typeof RecoveryDesired>;
type Desired = z.infer<typeof RecoveryDesired>;

export function recoveryStep(desired: RecoveryDesired, service: string): PlanStep {
  return {
    id: RECOVERY_STEP_ID,
    kind: RECOVERY_STEP_KIND,
    role: 'recovery',
    description: `Verify ${service} recovered: error rate below the threshold by a sequential test, P50 back to the last healthy baseline, no alert firing`,
    target: `${desired.app} in ${desired.namespace} (Prometheus${desired.alertmanagerUrl ? ', Alertmanager' : ''})`,
    why: 'Runbook verification checklist: error rates returned to baseline, latency back to normal, no alerts firing',
    precondition: 'the rollout is complete and pods and health passed',
    desired,
    postcondition:
      'each recovery item decided (passed or failed), or not checked at the timeout for lack of traffic',
    danger: 'safe',
    expectedDurationMs: 30_000,
  };
}

/** A verification step: by role, or by the id `verify` in plans journaled before roles. */
export const isVerifyStep = (s: PlanStep): boolean =>
  s.role === 'verify' || (s.role === undefined && s.id === 'verify');

/**
 * `step` right after the plan's verification (its last `verify`-role step; plans journaled before roles by the
 * id `verify`); the plan is unchanged when it has none or does nothing.
 */
export function insertAfterVerify(plan: Plan, step: PlanStep): Plan {
  const at = plan.steps.findLastIndex(isVerifyStep);
  if (at < 0 || plan.noop) return plan;
  return { ...plan, steps: [...plan.steps.slice(0, at + 1), step, ...plan.steps.slice(at + 1)] };
}

export interface RecoveryHandlerDeps {
  /** The metrics and alerts of the URLs the step names. */
  metrics(prometheusUrl: string): MetricsPort;
  alerts(alertmanagerUrl: string): AlertsPort;
  /** Between observations (default: the desired interval); shorter in tests. */
  pollMs?: number;
}

const sel = (d: Desired) => ({ namespace: d.namespace, app: d.app });

/** Measures the candidate baseline windows (newest first) and picks the last healthy one. */
async function findBaseline(metrics: MetricsPort, d: Desired, now: Date): Promise<BaselineChoice> {
  const endAt = d.incidentStart ?? d.baselineEnd;
  if (!endAt) return chooseBaseline([], d.busy, d.threshold);
  const windows = candidateWindows(new Date(endAt), d.baselineWindowSeconds, d.baselineCandidates, d.busy);
  const candidates: BaselineCandidate[] = await Promise.all(
    windows.map(async (w) => {
      const offsetSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(w.to)) / 1000));
      const windowSeconds = Math.max(1, Math.round((Date.parse(w.to) - Date.parse(w.from)) / 1000));
      const mw = { windowSeconds, ...(offsetSeconds > 0 ? { offsetSeconds } : {}) };
      const [counts, p50, alerts] = await Promise.all([
        metrics.errorCounts(sel(d), mw, now),
        metrics.p50(sel(d), mw, now),
        metrics.alertsFiredIn(sel(d), mw, now),
      ]);
      return { ...w, counts, p50: p50.p50, alerts };
    }),
  );
  return chooseBaseline(candidates, d.busy, d.threshold);
}

export function recoveryHandlers(deps: RecoveryHandlerDeps): StepHandlers {
  return {
    [RECOVERY_STEP_KIND]: {
      async apply(step, ctx) {
        const d = desiredOf(step, RecoveryDesired);
        const metrics = deps.metrics(d.prometheusUrl);
        const pollMs = deps.pollMs ?? d.windowSeconds * 1000;
        const started = ctx.clock.now().getTime();
        const baseline = await findBaseline(metrics, d, ctx.clock.now());
        const errorIntervals: IntervalCounts[] = [];
        const p50Intervals: Array<{ p50: number | null; samples: number }> = [];
        for (let attempt = 1; ; attempt++) {
          // Wait first: each interval asked for is the one that just ended, so the first lies wholly after this
          // step began, when traffic had already moved. Asked at once, the first window held the bad release's
          // last seconds (a blue-green switch 1.5 s earlier: "still 3.41% 5xx" on the old colour's requests).
          const waitFrom = ctx.clock.now().getTime();
          await pauseOrAbort(pollMs, ctx.signal, 'recovery verification');
          // A timer measures its delay on libuv's loop clock, read when the loop iteration began: on a busy
          // process it fires up to a few ms early by the wall clock the windows are cut on, and the first window
          // would reach back before the step began (seen: 1 ms, under a full test run). Finish the wait on that
          // clock. (A clock that does not move, in tests, is left alone: its deficit stays the whole poll.)
          for (let i = 0; i < 5; i++) {
            const short = waitFrom + pollMs - ctx.clock.now().getTime();
            if (short <= 0 || short >= pollMs) break;
            await pauseOrAbort(short, ctx.signal, 'recovery verification');
          }
          const now = ctx.clock.now();
          const w = { windowSeconds: d.windowSeconds };
          const [errors, p50, firing] = await Promise.all([
            metrics.errorCounts(sel(d), w, now),
            metrics.p50(sel(d), w, now),
            d.alertmanagerUrl ? deps.alerts(d.alertmanagerUrl).firing(sel(d)) : Promise.resolve([]),
          ]);
          errorIntervals.push(errors);
          p50Intervals.push(p50);
          const final = now.getTime() - started >= d.timeoutMs;
          const r = evaluateRecovery(
            {
              errorIntervals,
              p50Intervals,
              baseline,
              alerts: firing,
              alertsChecked: d.alertmanagerUrl !== undefined,
              final,
              observedSeconds: Math.round((now.getTime() - started) / 1000),
            },
            d,
          );
          const evidence = { attempts: attempt, items: r.items, baseline };
          if (r.decided) {
            const bad = r.items.filter((i) => i.status === 'failed');
            if (bad.length > 0)
              throw new StepFailedError(
                `not recovered: ${bad.map((i) => `${i.name} (${i.detail})`).join('; ')}`,
                evidence,
              );
            return evidence;
          }
          ctx.progress(
            `recovery: waiting for ${pendingRecovery(r).join(', ')} (${Math.round(errorIntervals.reduce((n, c) => n + (c?.requests ?? 0), 0))} requests so far)`,
          );
        }
      },
      // An observation over time, not a state: on resume it is observed again.
      check: async () => false,
    },
  };
}
