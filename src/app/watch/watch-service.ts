/**
 * The watch loop for one service: notice a new rollout, bake it while judging the runbook's triggers every
 * interval, and act on the verdict by policy. Only decisions reach the journal (a rollback run, or a planned
 * run awaiting approval); every verdict carries its evidence in the plan (`ripcord explain RUN`).
 */
import { profileFor } from '../../adapters/prometheus/profiles/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PrometheusClient } from '../../adapters/prometheus/client.js';
import {
  baselineErrorRate,
  intervalFromCumulative,
  memorySinceStart,
  sampleInterval,
} from '../../adapters/prometheus/release-sampler.js';
import type { Policy } from '../../config/compile-detect.js';
import { checkGuards, judgedReleaseStillLive, recentlyBadImages } from '../../core/detect/guards.js';
import {
  judgeRelease,
  type DetectOptions,
  type ReleaseJudgement,
  type ReleaseSample,
} from '../../core/detect/judge-release.js';
import type { ReleaseUnderWatch } from '../../core/detect/release.js';
import { RipcordError } from '../../core/errors.js';
import type { ExecuteResult } from '../../core/executor.js';
import type { Plan } from '../../core/plan.js';
import type { IntervalCounts } from '../../core/judge/index.js';
import { contactNotification } from '../../core/notify/message.js';
import { newRunId, runPlan } from '../run-plan.js';
import { notifierFor } from '../notify-run.js';
import { makePlan } from '../plan-rollback.js';
import { liveTrafficSection } from '../../scenarios/live-traffic.js';
import { watchScenarioFor } from '../../scenarios/registry.js';
import type { ScenarioEntry, ScenarioWatch } from '../../scenarios/types.js';
import type { RunContext } from '../notify-run.js';

/** What the watch needs: a run context (the service, its ports, the journal, who runs it). */
type WatchContext = RunContext;
import { podProblems } from './pod-problems.js';
import { runSmokeChecks } from './smoke-checks.js';

export type WatchAction =
  'rolled-back' | 'rollback-failed' | 'awaiting-approval' | 'reported' | 'refused-by-guard' | 'none';

export interface WatchDecision {
  judgement: ReleaseJudgement;
  action: WatchAction;
  runId?: string;
  detail?: string;
  result?: ExecuteResult;
}

/** One interval of the watch: judged (ok), or failed because its data or API calls did. */
export interface IntervalReport {
  service: string;
  ok: boolean;
  /** Failed intervals in a row (0 after a good one). */
  consecutiveFailures: number;
  error?: string;
  /** From detect.failures.unhealthyAfter: this many in a row make the controller unhealthy. */
  unhealthyAfter: number;
}

export interface WatchOptions {
  prometheus: PrometheusClient;
  signal: AbortSignal;
  log(line: string): void;
  /** Overrides the config's policy for app rollbacks. */
  policy?: Policy;
  /** Return after the first decision on a release (a pipeline's "watch this deploy"). */
  untilDecided?: boolean;
  /** Judge the release already rolling out when the watch starts, even if it began before the bake window. */
  judgeCurrent?: boolean;
  onDecision?(d: WatchDecision): void;
  /** After every interval: the controller counts failures and turns /healthz unhealthy after N in a row. */
  onInterval?(r: IntervalReport): void;
  /** Around a rollback the watch runs: the controller waits for it before handing over its Lease. */
  onRunStart?(runId: string): void;
  onRunEnd?(runId: string): void;
  /**
   * Runs a rollback the watch decided on; the CLI's wires SIGINT and prints progress. Default: the app's
   * runPlan under the watch's own signal.
   */
  execute?(plan: Plan, runId: string): Promise<ExecuteResult>;
}

interface Tracked {
  release: ReleaseUnderWatch;
  samples: ReleaseSample[];
  baselineRate: number | null;
  /** The last non-empty cumulative counts since the rollout began. */
  cumulative: IntervalCounts;
}

export function detectOptions(ctx: WatchContext): DetectOptions {
  const d = ctx.service.detect;
  return {
    bakeMs: d.bakeMs,
    maxBakeMs: d.maxBakeMs,
    checkFailures: 3,
    memoryWarmupSeconds: d.memory.warmupMs / 1000,
    errorRate: {
      runbookThreshold: d.errorRate.threshold,
      minRequests: d.errorRate.minRequests,
      alpha: d.errorRate.alpha,
      beta: d.errorRate.beta,
      h1Factor: d.errorRate.h1,
    },
    latency: {
      ratioThreshold: d.latency.ratio,
      consecutive: d.latency.consecutive,
      minSamples: d.latency.minSamples,
    },
    memory: {
      minWindowSeconds: d.memory.minWindowMs / 1000,
      minGrowthFraction: d.memory.minGrowthFraction,
      ...(d.memory.limitBytes !== undefined ? { limitBytes: d.memory.limitBytes } : {}),
    },
  };
}

async function observe(ctx: WatchContext, t: Tracked, o: WatchOptions, now: Date) {
  const d = ctx.service.detect;
  const sampler = {
    app: d.app ?? ctx.service.deployment,
    profile: profileFor(d.metrics),
    deployment: ctx.service.deployment,
    intervalSeconds: d.intervalMs / 1000,
    baselineWindowSeconds: d.baselineWindowMs / 1000,
  };
  const [interval, memory, pods, checks] = await Promise.all([
    sampleInterval(o.prometheus, t.release, sampler, now),
    memorySinceStart(o.prometheus, t.release, sampler, now),
    ctx.kube.listPods(t.release.namespace, `pod-template-hash=${t.release.podTemplateHash}`),
    runSmokeChecks(d.checks, ctx.service.health.timeoutMs),
  ]);
  if (t.samples.length === 0) t.baselineRate = await baselineErrorRate(o.prometheus, t.release, sampler, now);
  const errors = intervalFromCumulative(t.cumulative, interval.cumulative);
  if (interval.cumulative !== null) t.cumulative = interval.cumulative;
  t.samples.push({ at: now.toISOString(), errors, latency: interval.latency, checks });
  return { memory, problems: podProblems(pods, ctx.service.verify.maxRecentRestarts) };
}

/**
 * Plans the rollback of the judged release with the verdict attached: the revision before it (rolling), the
 * other colour (blue-green), the weight reset (canary).
 */
async function planFor(ctx: WatchContext, w: Watcher, j: ReleaseJudgement) {
  const plan = await makePlan(ctx, { scenario: w.scenario, ...w.watch.planOptions(j) });
  return { ...plan, trigger: j };
}

async function act(
  ctx: WatchContext,
  w: Watcher,
  j: ReleaseJudgement,
  o: WatchOptions,
): Promise<WatchDecision> {
  const policy = o.policy ?? ctx.service.detect.policy.app;
  if (j.decision !== 'rollback') return { judgement: j, action: 'reported' };
  if (policy === 'off') return { judgement: j, action: 'reported', detail: 'policy off: not acting' };
  const now = ctx.clock.now();
  const runs = await ctx.journal.listRuns({ service: ctx.service.name, limit: 200 });
  const guards = { ...ctx.service.detect.guards, badRevisionMs: 24 * 3_600_000 };
  const plan = await planFor(ctx, w, j);
  if (plan.noop) return { judgement: j, action: 'reported', detail: plan.noop };
  const live = judgedReleaseStillLive(plan.from, j.release);
  if (!live.ok) return { judgement: j, action: 'refused-by-guard', detail: live.reason };
  const g = checkGuards(
    runs,
    { service: ctx.service.name, toRevisionImages: plan.to.images },
    recentlyBadImages(runs, ctx.service.name, now, guards),
    now,
    guards,
  );
  if (!g.ok) return { judgement: j, action: 'refused-by-guard', detail: g.reason };
  // A stopping watch (shutdown, lost leadership) must not start what it could not see through.
  if (o.signal.aborted) throw new RipcordError('failed', 'the watch is stopping: not acting on the verdict');
  const runId = newRunId(now);
  // Everything above only reads, so an error there fails the interval and the verdict is reached again on
  // the next one. From here on the journal or the cluster may have changed: a failure is this decision's
  // outcome, never retried blindly (a second plan would be made from the half-rolled-back state).
  try {
    if (policy === 'ask') {
      await ctx.journal.createRun({
        id: runId,
        service: plan.service,
        scenario: plan.scenario,
        plan,
        owner: ctx.owner,
      });
      return {
        judgement: j,
        action: 'awaiting-approval',
        runId,
        detail: `approve with: ripcord approve ${runId}`,
      };
    }
    o.onRunStart?.(runId);
    const execute =
      o.execute ?? ((p: Plan, id: string) => runPlan(ctx, p, id, { resume: false, signal: o.signal }));
    const result = await execute(plan, runId).finally(() => o.onRunEnd?.(runId));
    return {
      judgement: j,
      action: result.status === 'succeeded' ? 'rolled-back' : 'rollback-failed',
      runId,
      result,
      ...(result.error ? { detail: result.error.message } : {}),
    };
  } catch (err) {
    return {
      judgement: j,
      action: 'rollback-failed',
      runId,
      detail: `${(err as Error).message}; see ripcord show ${runId} (ripcord resume ${runId} continues it)`,
    };
  }
}

/** A revision a Ripcord run produced (this process or another replica): its run verified it already. */
async function isOwnRollback(ctx: WatchContext, r: ReleaseUnderWatch, now: Date): Promise<boolean> {
  const runs = await ctx.journal.listRuns({ service: ctx.service.name, limit: 20 });
  return runs.some(
    (run) =>
      run.status === 'succeeded' &&
      now.getTime() - Date.parse(run.updatedAt) < 30 * 60_000 &&
      run.plan.to.images.join(',') === r.images.join(',') &&
      Date.parse(run.createdAt) <= now.getTime(),
  );
}

/**
 * Decisions a person must hear about without a run's own messages: a rollback held for approval or refused by
 * a guard, and a release that could not be judged (too little traffic, no data). Never blocks or throws.
 */
async function tellOnCall(ctx: WatchContext, d: WatchDecision, o: WatchOptions): Promise<void> {
  const j = d.judgement;
  if (j.decision === 'healthy' || d.action === 'rolled-back' || d.action === 'rollback-failed') return;
  const what =
    d.action === 'awaiting-approval'
      ? `revision ${j.release.revision} should be rolled back: ${j.reason}. ${d.detail ?? ''}`
      : d.action === 'refused-by-guard'
        ? `revision ${j.release.revision} should be rolled back, but a guard held it: ${d.detail ?? ''}. Reason: ${j.reason}`
        : `revision ${j.release.revision} (${j.release.images.join(', ')}) could not be judged: ${j.decision}: ${j.reason}. Not rolled back, not passed.`;
  try {
    const n = notifierFor(ctx);
    if (n.channels.length === 0) return;
    const outcomes = await n.send(
      contactNotification({
        service: ctx.service.name,
        runId: d.runId ?? `watch-${j.release.deployment}-r${j.release.revision}`,
        at: j.evaluatedAt,
        to: 'onCall',
        ...(ctx.service.contacts.onCall ? { contact: ctx.service.contacts.onCall } : {}),
        text: what,
      }),
    );
    for (const f of outcomes.filter((x) => !x.ok))
      o.log(`warning: notifying ${f.channel} failed: ${f.error ?? ''}`);
  } catch (err) {
    o.log(`warning: notification failed: ${(err as Error).message}`);
  }
}

/** `revision 4 (venue-service:v1.2.3)`, naming the Deployment when it is a colour or a canary. */
function describe(r: ReleaseUnderWatch, withImages = true): string {
  const what = withImages ? `revision ${r.revision} (${r.images.join(', ')})` : `revision ${r.revision}`;
  if (r.strategy === 'canary') return `canary deployment/${r.deployment} ${what}`;
  if (r.strategy === 'blue-green') return `live colour deployment/${r.deployment} ${what}`;
  return what;
}

async function watchOf(entry: ScenarioEntry): Promise<ScenarioWatch> {
  if (!entry.watch) throw new RipcordError('invalid', `scenario ${entry.name} has no watch`);
  return entry.watch.load();
}

function line(j: ReleaseJudgement): string {
  const t = j.triggers.map((x) => `${x.trigger}=${x.verdict}`).join(' ');
  return `${describe(j.release)} ${Math.round(j.elapsedMs / 1000)}s: ${j.decision} [${t}] ${j.reason}`;
}

/** The wait before retrying after `failures` failed intervals in a row: doubling from the interval, capped. */
export function retryDelayMs(intervalMs: number, maxBackoffMs: number, failures: number): number {
  if (failures <= 0) return intervalMs;
  return Math.min(Math.max(intervalMs, maxBackoffMs), intervalMs * 2 ** (failures - 1));
}

/** What one watch keeps between intervals. */
interface WatchState {
  tracked: Tracked | undefined;
  /** The release last seen (releaseKey), undefined before the first look and while nothing serves. */
  lastKey: string | undefined;
  /** Whether the watch has looked once: the first look at start-up does not know when a release began. */
  looked: boolean;
  /** Releases this watch's own rollbacks put live: their runs verified them. */
  own: Set<string>;
}

/** The service's strategy as the watch sees it: the scenario it plans and how it finds the release. */
interface Watcher {
  scenario: string;
  watch: ScenarioWatch;
}

/** A release's identity across intervals: a new colour or a new revision is a new release. */
const releaseKey = (r: ReleaseUnderWatch): string => `${r.deployment}#${r.revision}`;

/**
 * One interval: notice a new rollout, observe and judge the tracked release, act on a decision. Throws when
 * its data or API calls fail (the caller counts it); tracked state only changes once every read succeeded.
 */
async function tick(
  ctx: WatchContext,
  w: Watcher,
  o: WatchOptions,
  st: WatchState,
  opts: DetectOptions,
): Promise<WatchDecision | undefined> {
  const { service } = ctx;
  const now = ctx.clock.now();
  const seen = await w.watch.observe(ctx, service.detect.intervalMs + 5_000);
  const first = !st.looked;
  st.looked = true;
  // At start-up a re-used ReplicaSet's age says nothing; --judge-current judges it from now on, and so does
  // a rollout still in progress: a controller replica that takes over a moment after a deploy (its leader
  // died) must not wave that release through as "already baked".
  const judgeNow = !first || o.judgeCurrent === true || seen.inProgress;
  const release = seen.release(judgeNow ? now : undefined);
  if (!release) {
    // Nothing serves that could be judged (a canary at weight 0 or scaled to 0): a later canary is new.
    st.lastKey = undefined;
    st.tracked = undefined;
    return undefined;
  }
  const key = releaseKey(release);
  if (key !== st.lastKey) {
    const age = now.getTime() - Date.parse(release.startedAt);
    const own = st.own.has(key) || (await isOwnRollback(ctx, release, now));
    st.lastKey = key;
    if (own) {
      st.tracked = undefined;
      o.log(`${describe(release, false)} is Ripcord's own rollback; its run verified it`);
    } else if (!judgeNow && age > opts.bakeMs) {
      st.tracked = undefined;
      o.log(`watching ${service.name}: ${describe(release)} has baked; waiting for a new rollout`);
    } else {
      st.tracked = { release, samples: [], baselineRate: null, cumulative: null };
      o.log(`new rollout of ${service.name}: ${describe(release)}; baking for ${opts.bakeMs / 1000}s`);
    }
  }
  const tracked = st.tracked;
  if (!tracked) return undefined;
  const { memory, problems } = await observe(ctx, tracked, o, now);
  const j = judgeRelease(
    {
      release: tracked.release,
      samples: tracked.samples,
      memory,
      podProblems: problems,
      baselineRate: tracked.baselineRate,
      now: now.toISOString(),
    },
    opts,
  );
  o.log(line(j));
  if (j.decision === 'watching') return undefined;
  const d = await act(ctx, w, j, o);
  st.tracked = undefined;
  await tellOnCall(ctx, d, o);
  // Counted before it is logged: whoever reads the log line may look at /metrics next.
  o.onDecision?.(d);
  o.log(`${d.action}${d.runId ? ` (run ${d.runId})` : ''}${d.detail ? `: ${d.detail}` : ''}`);
  if (d.action === 'rolled-back' || d.action === 'rollback-failed') {
    const after = await w.watch
      .observe(ctx, service.detect.intervalMs + 5_000)
      .then((x) => x.release(now))
      .catch(() => undefined);
    // Unknown (the API failed just now): the journal's succeeded run still marks it (isOwnRollback).
    if (after) st.own.add(releaseKey(after));
  }
  return d;
}

/**
 * Watches one service until aborted (or, with untilDecided, until the first release is decided). An interval
 * whose data or API calls fail is "inconclusive: data unavailable": never a pass, never a rollback; it is
 * logged, reported through onInterval, and retried with exponential backoff, and the watch goes on.
 */
export async function watchService(ctx: WatchContext, o: WatchOptions): Promise<WatchDecision[]> {
  const { service } = ctx;
  const decisions: WatchDecision[] = [];
  const opts = detectOptions(ctx);
  const st: WatchState = { tracked: undefined, lastKey: undefined, looked: false, own: new Set() };
  const entry = watchScenarioFor(await liveTrafficSection(ctx));
  const w: Watcher = { scenario: entry.name, watch: await watchOf(entry) };
  const { unhealthyAfter, maxBackoffMs } = service.detect.failures;
  let failures = 0;
  while (!o.signal.aborted) {
    let delay = service.detect.intervalMs;
    try {
      const d = await tick(ctx, w, o, st, opts);
      if (failures > 0) o.log(`data available again after ${failures} failed interval(s); judging resumes`);
      failures = 0;
      o.onInterval?.({ service: service.name, ok: true, consecutiveFailures: 0, unhealthyAfter });
      if (d) {
        decisions.push(d);
        if (o.untilDecided) return decisions;
      }
    } catch (err) {
      if (o.signal.aborted) break;
      failures += 1;
      delay = retryDelayMs(service.detect.intervalMs, maxBackoffMs, failures);
      const error = (err as Error).message;
      const what = st.tracked ? `revision ${st.tracked.release.revision}` : service.name;
      o.log(
        `${what}: inconclusive: data unavailable (${failures} failed interval(s) in a row): ${error}; not judged, retrying in ${Math.round(delay / 1000)}s`,
      );
      o.onInterval?.({
        service: service.name,
        ok: false,
        consecutiveFailures: failures,
        error,
        unhealthyAfter,
      });
    }
    try {
      await sleep(delay, undefined, { signal: o.signal });
    } catch {
      break;
    }
  }
  return decisions;
}
