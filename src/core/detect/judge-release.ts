/**
 * One evaluation of a release under watch: every runbook trigger judged on what has been observed since the
 * rollout began, combined into one decision. Pure: the watch loop gathers the samples, this decides.
 *
 * A single failing trigger is enough to roll back (the runbook lists them as alternatives). "Healthy" needs
 * the bake window to be over AND the error-rate test to have passed: silence, gaps and low traffic are never a
 * pass (Argo Rollouts #1466, #4479), they end as "not-enough-traffic" or "inconclusive" and are reported.
 */
import {
  judgeErrorRate,
  judgeLatency,
  judgeMemoryLeak,
  type ErrorRateSprtOptions,
  type IntervalCounts,
  type LatencyInterval,
  type LatencyRatioOptions,
  type MemoryLeakOptions,
  type MemoryPoint,
} from '../judge/index.js';
import type { ReleaseJudgement, ReleaseUnderWatch, TriggerResult } from '../model/judgement.js';

/** What the watch loop observed in one interval. */
export interface ReleaseSample {
  at: string;
  errors: IntervalCounts;
  latency: LatencyInterval;
  /** Smoke/health checks of this interval: ok or a short failure text. */
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

export interface ReleaseObservation {
  release: ReleaseUnderWatch;
  samples: readonly ReleaseSample[];
  /** Resident memory per pod since the rollout began. */
  memory: Readonly<Record<string, readonly MemoryPoint[]>>;
  /** Pods that will not recover by themselves: CrashLoopBackOff, OOMKilled, restarts since the rollout. */
  podProblems: readonly string[];
  /** The baseline's 5xx share (before the rollout, or the stable pods), when Prometheus had it. */
  baselineRate: number | null;
  now: string;
}

export interface DetectOptions {
  bakeMs: number;
  /** Keep judging after the bake while the error-rate test is still undecided, at most this long. */
  maxBakeMs: number;
  /** Consecutive failed intervals of a smoke check that count as a fail. */
  checkFailures: number;
  errorRate: ErrorRateSprtOptions;
  latency: LatencyRatioOptions;
  memory: MemoryLeakOptions;
  /**
   * Seconds of each pod's memory series ignored at its start: a fresh process grows while it warms up (JIT,
   * heap sizing; 30% in 20 s under load on the sandbox), which a short window would call a leak.
   */
  memoryWarmupSeconds: number;
}

export const DEFAULT_DETECT_OPTIONS: DetectOptions = {
  bakeMs: 120_000,
  maxBakeMs: 300_000,
  checkFailures: 3,
  errorRate: {},
  latency: {},
  memory: {},
  memoryWarmupSeconds: 30,
};

/** The judgement's types live in the core model (a plan's trigger carries them). */
export type { Decision, ReleaseJudgement, TriggerName, TriggerResult } from '../model/judgement.js';

function judgeChecks(samples: readonly ReleaseSample[], needed: number): TriggerResult {
  const names = [...new Set(samples.flatMap((s) => s.checks.map((c) => c.name)))];
  for (const name of names) {
    let streak = 0;
    let last = '';
    for (const s of samples) {
      const c = s.checks.find((x) => x.name === name);
      if (!c) continue;
      streak = c.ok ? 0 : streak + 1;
      if (!c.ok) last = c.detail;
    }
    if (streak >= needed) {
      return {
        trigger: 'smoke-checks',
        verdict: 'fail',
        reason: `check ${name} failed ${streak} times in a row (last: ${last})`,
        evidence: { check: name, consecutiveFailures: streak, needed, last },
      };
    }
  }
  const ran = samples.some((s) => s.checks.length > 0);
  return {
    trigger: 'smoke-checks',
    verdict: ran ? 'pass' : 'inconclusive',
    reason: ran ? 'every check passing' : 'no checks configured or run',
    evidence: { checks: names },
  };
}

function afterWarmup(series: readonly MemoryPoint[], warmupSeconds: number): MemoryPoint[] {
  const t0 = Math.min(...series.map((p) => p.t));
  return series.filter((p) => p.t >= t0 + warmupSeconds);
}

function judgeMemory(
  memory: ReleaseObservation['memory'],
  opts: MemoryLeakOptions,
  warmupSeconds: number,
): TriggerResult {
  const perPod = Object.entries(memory).map(([pod, series]) => ({
    pod,
    v: judgeMemoryLeak(afterWarmup(series, warmupSeconds), opts),
  }));
  const failing = perPod.find((p) => p.v.verdict === 'fail');
  const chosen = failing ?? perPod[0];
  if (!chosen) {
    return { trigger: 'memory-leak', verdict: 'inconclusive', reason: 'no memory series', evidence: {} };
  }
  return {
    trigger: 'memory-leak',
    verdict: chosen.v.verdict,
    reason: `pod ${chosen.pod}: ${chosen.v.reason}`,
    evidence: { pod: chosen.pod, ...chosen.v.evidence },
  };
}

export function judgeRelease(obs: ReleaseObservation, opts: DetectOptions): ReleaseJudgement {
  const elapsedMs = Date.parse(obs.now) - Date.parse(obs.release.startedAt);
  // Counts come from cumulative readings since the rollout (see the watch), so an interval Prometheus could
  // not answer loses nothing once a later reading arrives: the next difference holds its requests. Only
  // trailing gaps are data that stopped, and those the error-rate judge calls inconclusive.
  const lastData = obs.samples.map((s) => s.errors !== null).lastIndexOf(true);
  const errorIntervals = obs.samples.map((s) => s.errors).filter((c, i) => c !== null || i > lastData);
  const errors = judgeErrorRate(errorIntervals, {
    ...opts.errorRate,
    ...(obs.baselineRate !== null ? { baselineRate: obs.baselineRate } : {}),
  });
  const latency = judgeLatency(
    obs.samples.map((s) => s.latency),
    opts.latency,
  );
  const triggers: TriggerResult[] = [
    { trigger: 'error-rate', verdict: errors.verdict, reason: errors.reason, evidence: errors.evidence },
    { trigger: 'latency', verdict: latency.verdict, reason: latency.reason, evidence: latency.evidence },
    judgeMemory(obs.memory, opts.memory, opts.memoryWarmupSeconds),
    obs.podProblems.length > 0
      ? {
          trigger: 'pods',
          verdict: 'fail',
          reason: obs.podProblems.join('; '),
          evidence: { problems: obs.podProblems },
        }
      : {
          trigger: 'pods',
          verdict: 'pass',
          reason: 'no pod crash-looping, OOMKilled or restarting',
          evidence: {},
        },
    judgeChecks(obs.samples, opts.checkFailures),
  ];
  const base = { release: obs.release, evaluatedAt: obs.now, elapsedMs, triggers };

  const failed = triggers.filter((t) => t.verdict === 'fail');
  if (failed.length > 0) {
    return {
      ...base,
      decision: 'rollback',
      reason: failed.map((t) => `${t.trigger}: ${t.reason}`).join('; '),
    };
  }
  if (elapsedMs < opts.bakeMs) {
    return {
      ...base,
      decision: 'watching',
      reason: `baking: ${Math.round(elapsedMs / 1000)}s of ${opts.bakeMs / 1000}s`,
    };
  }
  // A pass needs the present too: if the latest reading is missing, nobody knows how the release is doing now.
  const stale = obs.samples.length > 0 && obs.samples[obs.samples.length - 1]?.errors === null;
  if (errors.verdict === 'pass' && !stale) {
    return { ...base, decision: 'healthy', reason: `bake window over and ${errors.reason}` };
  }
  if (elapsedMs < opts.maxBakeMs) {
    // Undecided, too little traffic or missing data: more time may settle it; only maxBake ends the wait.
    return {
      ...base,
      decision: 'watching',
      reason: `bake window over but the error-rate test has not passed yet: ${errors.reason}`,
    };
  }
  if (errors.verdict === 'not-enough-traffic') {
    return { ...base, decision: 'not-enough-traffic', reason: errors.reason };
  }
  return {
    ...base,
    decision: 'inconclusive',
    reason:
      stale && errors.verdict === 'pass'
        ? 'the latest metrics are missing; a silent release is never a pass'
        : errors.reason,
  };
}
