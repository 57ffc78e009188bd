/**
 * The metric half of the runbook's verification checklist: "Error rate returned to baseline", "Latency
 * returned to baseline", "Alerts have cleared". Pure: the recovery step gathers the intervals, this says which
 * items hold, which failed, and which are still undecided.
 *
 * "Returned to baseline" is a sequential test, never one window: 0 failures in 30 requests happens 21% of the
 * time at a true 5% error rate. The error rate passes only when Wald's SPRT (judge/recovery-sprt.ts) concludes
 * it is below the limit at the configured false-pass chance; the P50 only after consecutive qualified intervals
 * at or below the trigger's ratio. Until the deadline an undecided item is pending; at the deadline it is "not
 * checked: not enough traffic", never a pass and never a fail, and the run's verdict says so.
 *
 * The limit is the runbook's threshold. The baseline (baseline.ts) only ever comes from a window judged
 * healthy, so it cannot raise the limit: it is the P50 to compare with, and evidence.
 */
import {
  judgeErrorRecovery,
  judgeLatencyRecovery,
  type IntervalCounts,
  type LatencyInterval,
} from '../judge/index.js';
import { failed, notChecked, passed, type VerifyItem } from '../verify/item.js';
import type { BaselineChoice } from './baseline.js';

export interface RecoveryObservation {
  /** 5xx and requests of the whole service per interval since verification began, oldest first. */
  errorIntervals: readonly IntervalCounts[];
  /** P50 (seconds) and its samples per interval, same order. */
  p50Intervals: ReadonlyArray<{ p50: number | null; samples: number }>;
  baseline: BaselineChoice;
  /** Alerts firing for the service now (not silenced or inhibited). */
  alerts: Array<{ name: string; since: string }>;
  alertsChecked: boolean;
  /** The deadline is reached: undecided items are settled now (not checked, or failed for alerts). */
  final: boolean;
  /** Seconds observed so far, for the messages. */
  observedSeconds: number;
}

export interface RecoveryOptions {
  /** The runbook's 5xx threshold: the limit. */
  threshold: number;
  /** P50 may be at most this multiple of the baseline (the trigger's own ratio). */
  latencyRatio: number;
  /** Accepted chance of calling a service still at the limit recovered. */
  falsePass: number;
  /** Below this many requests the error rate cannot be decided. */
  minRequests: number;
  /** Samples a P50 interval needs. */
  minSamples: number;
  /** Consecutive qualified intervals at or below the ratio. */
  latencyIntervals: number;
}

export interface RecoveryResult {
  /** error-rate, latency, alerts — named `recovery-*` in the run's checklist. */
  items: VerifyItem[];
  /** Every item passed, failed, or was settled as not checked: observing longer changes nothing. */
  decided: boolean;
}

const pct = (p: number) => `${(p * 100).toFixed(2)}%`;
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;

function errorItem(o: RecoveryObservation, opts: RecoveryOptions): VerifyItem | undefined {
  const v = judgeErrorRecovery(o.errorIntervals, {
    limit: opts.threshold,
    falsePass: opts.falsePass,
    minRequests: opts.minRequests,
  });
  const e = v.evidence;
  const evidence = {
    test: 'wald-sprt-recovery',
    limit: opts.threshold,
    requests: Math.round(e.requests),
    errors: Math.round(e.errors),
    llr: e.llr,
    lower: e.lower,
    upper: e.upper,
    falsePass: opts.falsePass,
    intervals: e.intervals,
    baselineRate: o.baseline.rate,
  };
  const seen = `5xx ${e.observedRate === null ? 'n/a' : pct(e.observedRate)} of ${Math.round(e.requests)} requests`;
  if (v.verdict === 'pass')
    return passed(
      'error-rate',
      `${seen}; limit ${pct(opts.threshold)}: recovered (SPRT, false-pass chance <= ${pct(opts.falsePass)})`,
      evidence,
    );
  if (v.verdict === 'fail')
    return failed(
      'error-rate',
      `${seen}; still at or above the limit ${pct(opts.threshold)} (SPRT)`,
      evidence,
    );
  if (!o.final) return undefined;
  return notChecked(
    'error-rate',
    `not verified: not enough traffic to decide in ${o.observedSeconds}s (${seen}; ${v.reason})`,
    'verify.timeout',
    evidence,
  );
}

function latencyItem(o: RecoveryObservation, opts: RecoveryOptions): VerifyItem | undefined {
  const base = o.baseline.p50;
  if (base === null || !(base > 0))
    return notChecked('latency', `no P50 baseline: ${o.baseline.why}`, undefined, {
      baseline: o.baseline.window ?? null,
    });
  const intervals: LatencyInterval[] = o.p50Intervals.map((i) => ({
    p50: i.p50,
    baselineP50: base,
    samples: i.samples,
  }));
  const v = judgeLatencyRecovery(intervals, {
    ratio: opts.latencyRatio,
    consecutive: opts.latencyIntervals,
    minSamples: opts.minSamples,
  });
  const last = [...o.p50Intervals].reverse().find((i) => i.p50 !== null && i.samples >= opts.minSamples);
  const evidence = { baselineP50: base, ratio: opts.latencyRatio, last: last ?? null, verdict: v.verdict };
  const now = last?.p50 != null ? `P50 ${ms(last.p50)} = ${(last.p50 / base).toFixed(2)}x` : 'P50 n/a';
  const against = `the baseline ${ms(base)} (limit ${opts.latencyRatio}x)`;
  if (v.verdict === 'pass')
    return passed('latency', `${now} ${against}, ${opts.latencyIntervals} intervals in a row`, evidence);
  if (!o.final) return undefined;
  if (last?.p50 != null && last.p50 / base > opts.latencyRatio)
    return failed('latency', `${now} ${against} after ${o.observedSeconds}s`, evidence);
  return notChecked(
    'latency',
    `not verified: not enough traffic (${opts.minSamples} samples per interval needed; ${v.reason})`,
    'verify.timeout',
    evidence,
  );
}

function alertsItem(o: RecoveryObservation): VerifyItem | undefined {
  if (!o.alertsChecked) return notChecked('alerts', 'no Alertmanager configured', 'detect.alertmanagerUrl');
  if (o.alerts.length === 0)
    return passed('alerts', 'no alert firing for the service (silenced and inhibited excluded)', {
      firing: [],
    });
  if (!o.final) return undefined;
  return failed(
    'alerts',
    `still firing after ${o.observedSeconds}s: ${o.alerts.map((a) => `${a.name} since ${a.since}`).join(', ')}`,
    { firing: o.alerts },
  );
}

/** The three recovery items, or which of them are still pending (left out of `items` until decided). */
export function evaluateRecovery(o: RecoveryObservation, opts: RecoveryOptions): RecoveryResult {
  const got = [errorItem(o, opts), latencyItem(o, opts), alertsItem(o)];
  const items = got.filter((i): i is VerifyItem => i !== undefined);
  return { items, decided: items.length === got.length };
}

/** What is still undecided, for progress lines. */
export function pendingRecovery(r: RecoveryResult): string[] {
  const have = new Set(r.items.map((i) => i.name));
  return ['error-rate', 'latency', 'alerts'].filter((n) => !have.has(n));
}
