import type { ReleaseJudgement, TriggerResult } from '../../core/detect/judge-release.js';
import type {
  ErrorRateSprtEvidence,
  LatencyRatioEvidence,
  MemoryLeakEvidence,
} from '../../core/judge/index.js';

const ms = (seconds: number) => (seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0);
const pct = (p: number | null | undefined) =>
  p === null || p === undefined ? 'unknown' : `${(p * 100).toFixed(2)}%`;

function detail(t: TriggerResult): string[] {
  if (t.trigger === 'error-rate') {
    const e = t.evidence as ErrorRateSprtEvidence;
    return [
      `test: Wald SPRT on 5xx counts, H0 rate <= ${pct(e.p0)} vs H1 >= ${pct(e.p1)} (runbook threshold ${pct(e.runbookThreshold)}, baseline ${pct(e.baselineRate)})`,
      `observed: ${e.errors.toFixed(0)} 5xx of ${e.requests.toFixed(0)} requests = ${pct(e.observedRate)} over ${e.intervals} intervals (${e.missingIntervals} without data)`,
      `statistic: log-likelihood ratio ${e.llr.toFixed(2)}; fail at >= ${e.upper.toFixed(2)}, pass at <= ${e.lower.toFixed(2)}; at least ${e.minRequests} requests needed`,
      `false-alarm bound: alpha/(1-beta) = ${pct(e.falseAlarmBound)}`,
    ];
  }
  if (t.trigger === 'latency') {
    const e = t.evidence as LatencyRatioEvidence;
    const ratios = e.ratios.map((r) => (r === null ? '-' : r.toFixed(2))).join(' ');
    // Journaled judgements from before p50s was kept have ratios only.
    const both = (e.p50s ?? [])
      .map((p) => (p === null ? '-' : `${ms(p.p50)}/${ms(p.baselineP50)}`))
      .join(' ');
    return [
      `test: P50 against the baseline's P50, ${e.consecutive} consecutive intervals above x${e.ratioThreshold} fail`,
      `ratios per interval: ${ratios || 'none'} (${e.lowTrafficIntervals} low-traffic, ${e.missingIntervals} missing)`,
      ...(both ? [`P50 release/baseline per interval (ms): ${both}`] : []),
    ];
  }
  if (t.trigger === 'memory-leak') {
    const e = t.evidence as Partial<MemoryLeakEvidence> & { pod?: string };
    if (e.slope === undefined || !e.points) return [];
    return [
      `fit: ${(e.slope / 1024).toFixed(1)} KiB/s over ${e.windowSeconds}s, R² ${e.r2?.toFixed(2)}, growth ${pct(e.growthFraction)}` +
        (e.timeToLimitSeconds ? `, reaches the limit in ${Math.round(e.timeToLimitSeconds / 60)} min` : ''),
    ];
  }
  return [];
}

/** What the release was compared with, and when: the line that makes both sides' numbers readable. */
function baselineLine(r: ReleaseJudgement['release']): string {
  const p = r.previous;
  if (!p) return 'baseline: none (first revision)';
  const what = `revision ${p.revision} (${p.images.join(', ')})`;
  const of = p.deployment ? `deployment/${p.deployment} ${what}` : what;
  if (r.strategy === 'canary') return `baseline: the stable pods, ${of}, over the same intervals`;
  if (r.strategy === 'blue-green') return `baseline: the previous colour, ${of}, before the switch`;
  return `baseline: ${of} before the rollout`;
}

/** A watch verdict in plain words, with the numbers it rests on. */
export function explainText(j: ReleaseJudgement): string {
  const r = j.release;
  return [
    `${r.strategy === 'canary' ? 'Canary revision' : r.strategy === 'blue-green' ? 'Live colour, revision' : 'Revision'} ${r.revision} (${r.images.join(', ')}) of deployment/${r.deployment} -n ${r.namespace}`,
    `${r.strategy === 'blue-green' ? 'switched to' : 'rolled out'} at ${r.startedAt}; judged at ${j.evaluatedAt} (${Math.round(j.elapsedMs / 1000)}s later)`,
    baselineLine(r),
    `decision: ${j.decision}: ${j.reason}`,
    '',
    ...j.triggers.flatMap((t) => [
      `${t.trigger}: ${t.verdict}: ${t.reason}`,
      ...detail(t).map((l) => `    ${l}`),
    ]),
  ].join('\n');
}
