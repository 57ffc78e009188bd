/**
 * Adds the shared verification steps after a plan's pods-and-health verification: `verify-recovery` when the
 * service has Prometheus (core/steps/recovery.ts), then `verify-checks` always (smoke checks, database, logs,
 * verify commands; core/steps/verify-checks.ts), and records the checklist policy (`verify.require`) in the
 * plan. The recovery baseline is the last healthy window before the bad revision began rolling out; windows
 * that overlap a rollout (a ReplicaSet created) or one of Ripcord's runs of the service are skipped.
 */
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../core/app-rollback/deployment-util.js';
import type { BusySpan } from '../core/detect/baseline.js';
import type { Plan } from '../core/plan.js';
import {
  insertAfterVerify,
  isVerifyStep,
  recoveryStep,
  type RecoveryDesired,
} from '../core/steps/recovery.js';
import {
  insertVerifyChecks,
  verifyChecksStep,
  type VerifyChecksDesired,
} from '../core/steps/verify-checks.js';
import { labelSelectorToString } from '../core/app-rollback/deployment-util.js';
import { VerifyDesired } from '../core/steps/verify.js';
import type { ScenarioContext } from '../scenarios/types.js';
import type { LogRate } from '../core/verify/log-errors.js';
import { deadlineSignal } from '../adapters/http/deadline-signal.js';
import { planningView } from './planning-view.js';

/** A rollout's pods take a while to replace the old ones: a window this soon after it is mixed. */
const ROLLOUT_SETTLE_MS = 15_000;

/** The Deployment the plan's verify step checks: blue-green's target colour, the canary's stable, the app's own. */
interface VerifiedTarget {
  namespace: string;
  deployment: string;
  labelSelector: string;
}

function verifiedTarget(ctx: ScenarioContext, plan: Plan): VerifiedTarget {
  const step = plan.steps.findLast(isVerifyStep);
  const d = VerifyDesired.safeParse(step?.desired);
  if (d.success) return d.data;
  const s = ctx.service;
  return { namespace: s.kube.namespace, deployment: s.deployment, labelSelector: '' };
}

interface Observed {
  incidentStart?: string;
  busy: BusySpan[];
  labelSelector: string;
}

/** The pods the verification reads: the service's selector, else the target's, else its Deployment's. */
async function labelSelectorOf(ctx: ScenarioContext, target: VerifiedTarget): Promise<string> {
  if (ctx.service.selector) return ctx.service.selector;
  if (target.labelSelector) return target.labelSelector;
  const snap = await ctx.kube.snapshot(target.namespace, target.deployment);
  return labelSelectorToString(snap.deployment.spec?.selector);
}

/** When the plan's `from` revision began rolling out, and every rollout and Ripcord run a baseline must avoid. */
async function observe(ctx: ScenarioContext, plan: Plan, target: VerifiedTarget): Promise<Observed> {
  const snap = await ctx.kube.snapshot(target.namespace, target.deployment);
  const busy: BusySpan[] = [];
  for (const rs of snap.replicaSets) {
    const t = rs.metadata?.creationTimestamp;
    if (!t) continue;
    const from = new Date(t);
    busy.push({
      from: from.toISOString(),
      to: new Date(from.getTime() + ROLLOUT_SETTLE_MS).toISOString(),
      what: `the rollout of revision ${rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? '?'}`,
    });
  }
  for (const r of await ctx.journal.listRuns({ service: ctx.service.name, limit: 20 })) {
    busy.push({ from: r.createdAt, to: r.updatedAt, what: `Ripcord run ${r.id}` });
  }
  const labelSelector = await labelSelectorOf(ctx, target);
  let incidentStart: string | undefined;
  if (plan.scenario === 'app' || plan.scenario === 'database') {
    const rs = snap.replicaSets.find(
      (r) => r.metadata?.annotations?.[REVISION_ANNOTATION] === String(plan.from.revision),
    );
    const hash = rs?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
    // A re-deployed template reuses its old ReplicaSet, whose creation can be days old: the rollout began when
    // its first current pod was created. The ReplicaSet's creation is the fallback.
    const pods = hash ? await ctx.kube.listPods(ctx.service.kube.namespace, labelSelector) : [];
    const starts = pods
      .filter((p) => p.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === hash)
      .map((p) => Date.parse(String(p.metadata?.creationTimestamp ?? '')))
      .filter((t) => Number.isFinite(t));
    const t =
      starts.length > 0 ? Math.min(...starts) : Date.parse(String(rs?.metadata?.creationTimestamp ?? ''));
    if (Number.isFinite(t)) {
      incidentStart = new Date(t).toISOString();
      busy.push({
        from: incidentStart,
        to: new Date(t + ROLLOUT_SETTLE_MS).toISOString(),
        what: `the rollout of revision ${plan.from.revision}`,
      });
    }
  }
  return { ...(incidentStart ? { incidentStart } : {}), busy, labelSelector };
}

function recoveryDesired(ctx: ScenarioContext, o: Observed, prometheusUrl: string): RecoveryDesired {
  const d = ctx.service.detect;
  const v = ctx.service.verify;
  return {
    namespace: ctx.service.kube.namespace,
    app: d.app ?? ctx.service.deployment,
    prometheusUrl,
    ...(d.alertmanagerUrl ? { alertmanagerUrl: d.alertmanagerUrl } : {}),
    windowSeconds: Math.max(5, Math.round(d.intervalMs / 1000)),
    timeoutMs: v.timeoutMs,
    threshold: d.errorRate.threshold,
    latencyRatio: d.latency.ratio,
    minRequests: 100,
    falsePass: v.falsePass,
    minSamples: 50,
    latencyIntervals: 3,
    ...(o.incidentStart ? { incidentStart: o.incidentStart } : {}),
    baselineEnd: ctx.clock.now().toISOString(),
    baselineWindowSeconds: d.baselineWindowMs / 1000,
    busy: o.busy,
    baselineCandidates: 6,
  };
}

/** How long reading the service's logs may hold up the plan: the comparison is worth less than the rollback. */
const LOGS_BEFORE_TIMEOUT_MS = 10_000;

/**
 * The error-line rate of the service's pods now, before the rollback, over the verify window: what the logs
 * item compares the rolled-back pods with. Unreadable logs only leave the comparison out.
 */
async function logsBefore(
  ctx: ScenarioContext,
  labelSelector: string,
  target: VerifiedTarget,
): Promise<LogRate | undefined> {
  const s = ctx.service;
  if (!s.verify.logs.enabled) return undefined;
  try {
    return await ctx.ports.verification.logRate(
      {
        namespace: target.namespace,
        labelSelector,
        sinceSeconds: logsWindowSeconds(ctx),
        tailLines: s.verify.logs.tailLines,
      },
      {
        ...(s.verify.logs.patterns ? { patterns: s.verify.logs.patterns } : {}),
        signal: deadlineSignal(LOGS_BEFORE_TIMEOUT_MS),
      },
    );
  } catch {
    return undefined;
  }
}

const logsWindowSeconds = (ctx: ScenarioContext): number =>
  Math.max(10, Math.round(ctx.service.verify.windowMs / 1000));

function checksDesired(
  ctx: ScenarioContext,
  o: Observed,
  target: VerifiedTarget,
  before: LogRate | undefined,
): VerifyChecksDesired {
  const s = ctx.service;
  return {
    namespace: target.namespace,
    deployment: target.deployment,
    labelSelector: o.labelSelector,
    smoke: s.detect.checks.map((c) => ({
      name: c.name,
      method: c.method,
      url: c.url,
      expectStatus: c.expectStatus,
      ...(c.expectBody !== undefined ? { expectBody: c.expectBody } : {}),
    })),
    database: s.database?.url ? 'select-1' : s.healthUrl ? 'health' : 'none',
    ...(s.healthUrl ? { healthUrl: s.healthUrl } : {}),
    ...(s.verify.logs.enabled
      ? {
          logs: {
            sinceSeconds: logsWindowSeconds(ctx),
            tailLines: s.verify.logs.tailLines,
            maxErrorsPerMinute: s.verify.logs.maxErrorsPerMinute,
            ...(before ? { before } : {}),
          },
        }
      : {}),
    commands: s.verify.commands.map((c) => ({ name: c.name, timeoutMs: c.timeoutMs })),
  };
}

/**
 * The plan with its verification completed: recovery (with Prometheus) and verify-checks after its verify
 * step, and `verify.require` recorded. A plan that does nothing, or has no verify step, is unchanged.
 */
export async function withVerification(live: ScenarioContext, plan: Plan): Promise<Plan> {
  // observe and the logs' baseline both want the Deployment (its selector): one read between them, also for
  // `ripcord verify`, which does not come through makePlan.
  const ctx = planningView(live);
  const withPolicy: Plan = { ...plan, verification: { require: [...ctx.service.verify.require] } };
  if (plan.noop || !plan.steps.some(isVerifyStep)) return withPolicy;
  const target = verifiedTarget(ctx, plan);
  // The logs' baseline beside the observation, not after it: both are reads before the first change (issue 16).
  const [o, before] = await Promise.all([
    observe(ctx, plan, target),
    labelSelectorOf(ctx, target).then((selector) => logsBefore(ctx, selector, target)),
  ]);
  const url = ctx.service.detect.prometheusUrl;
  const recovered = url
    ? insertAfterVerify(withPolicy, recoveryStep(recoveryDesired(ctx, o, url), ctx.service.name))
    : withPolicy;
  return insertVerifyChecks(
    recovered,
    verifyChecksStep(checksDesired(ctx, o, target, before), ctx.service.name),
  );
}
