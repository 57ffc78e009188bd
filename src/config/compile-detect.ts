import { parseDuration } from '../core/duration.js';
import { DEFAULT_H1_FACTOR, DEFAULT_MISS_CHANCE } from '../core/judge/error-rate-sprt.js';
import type { MetricsSettings } from '../core/metrics-settings.js';
import type { DetectSettings, SmokeCheck } from './schema-detect.js';

export type Policy = 'auto' | 'ask' | 'off';

/** `detect` with defaults filled and durations in milliseconds. */
export interface CompiledDetect {
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  app?: string;
  /** Whose series the verdicts read; prom-client when unset. */
  metrics?: MetricsSettings;
  bakeMs: number;
  maxBakeMs: number;
  intervalMs: number;
  baselineWindowMs: number;
  policy: { app: Policy; database: Policy; approvalMaxAgeMs: number };
  /** An interval whose data or API calls fail: inconclusive, retried with backoff, unhealthy after N. */
  failures: { unhealthyAfter: number; maxBackoffMs: number; queryTimeoutMs: number };
  errorRate: { threshold: number; minRequests: number; alpha: number; beta: number; h1: number };
  latency: { ratio: number; consecutive: number; minSamples: number };
  memory: { limitBytes?: number; minWindowMs: number; minGrowthFraction: number; warmupMs: number };
  checks: Array<Required<Omit<SmokeCheck, 'expectBody'>> & { expectBody?: string }>;
  guards: { maxPerDay: number; cooldownMs: number };
}

export function compileDetect(s: DetectSettings | undefined, at: string): CompiledDetect {
  const ms = (v: string | undefined, d: string, f: string) => parseDuration(v ?? d, `${at}.${f}`);
  const out: CompiledDetect = {
    bakeMs: ms(s?.bake, '2m', 'bake'),
    maxBakeMs: ms(s?.maxBake, '5m', 'maxBake'),
    intervalMs: ms(s?.interval, '10s', 'interval'),
    baselineWindowMs: ms(s?.baselineWindow, '5m', 'baselineWindow'),
    policy: {
      app: s?.policy?.app ?? 'auto',
      database: s?.policy?.database ?? 'ask',
      approvalMaxAgeMs: ms(s?.policy?.approvalMaxAge, '15m', 'policy.approvalMaxAge'),
    },
    failures: {
      unhealthyAfter: s?.failures?.unhealthyAfter ?? 3,
      maxBackoffMs: ms(s?.failures?.maxBackoff, '1m', 'failures.maxBackoff'),
      queryTimeoutMs: ms(s?.failures?.queryTimeout, '10s', 'failures.queryTimeout'),
    },
    errorRate: {
      threshold: s?.errorRate?.threshold ?? 0.01,
      minRequests: s?.errorRate?.minRequests ?? 100,
      alpha: s?.errorRate?.alpha ?? 0.01,
      beta: s?.errorRate?.beta ?? DEFAULT_MISS_CHANCE,
      h1: s?.errorRate?.h1 ?? DEFAULT_H1_FACTOR,
    },
    latency: {
      ratio: s?.latency?.ratio ?? 1.5,
      consecutive: s?.latency?.consecutive ?? 3,
      minSamples: s?.latency?.minSamples ?? 50,
    },
    memory: {
      ...(s?.memory?.limitBytes !== undefined ? { limitBytes: s.memory.limitBytes } : {}),
      minWindowMs: ms(s?.memory?.minWindow, '5m', 'memory.minWindow'),
      minGrowthFraction: s?.memory?.minGrowthFraction ?? 0.05,
      warmupMs: ms(s?.memory?.warmup, '30s', 'memory.warmup'),
    },
    checks: (s?.checks ?? []).map((c) => ({
      name: c.name,
      url: c.url,
      method: c.method ?? 'GET',
      expectStatus: c.expectStatus ?? 200,
      ...(c.expectBody !== undefined ? { expectBody: c.expectBody } : {}),
    })),
    guards: {
      maxPerDay: s?.guards?.maxPerDay ?? 3,
      cooldownMs: ms(s?.guards?.cooldown, '10m', 'guards.cooldown'),
    },
  };
  if (s?.prometheusUrl) out.prometheusUrl = s.prometheusUrl;
  if (s?.alertmanagerUrl) out.alertmanagerUrl = s.alertmanagerUrl;
  if (s?.app) out.app = s.app;
  if (s?.metrics) {
    const labels = Object.fromEntries(Object.entries(s.metrics.labels ?? {}).filter(([, v]) => v));
    out.metrics = {
      profile: s.metrics.profile ?? 'prom-client',
      ...(s.metrics.queries ? { queries: s.metrics.queries } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(s.metrics.releaseBy ? { releaseBy: s.metrics.releaseBy } : {}),
    };
  }
  if (out.maxBakeMs < out.bakeMs) out.maxBakeMs = out.bakeMs;
  return out;
}
