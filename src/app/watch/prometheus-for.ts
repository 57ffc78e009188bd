import { createPrometheusClient } from '../../adapters/prometheus/client.js';
import { RipcordError } from '../../core/errors.js';
import type { ScenarioContext } from '../../scenarios/types.js';

/**
 * The watch's Prometheus client: every query has detect.failures.queryTimeout per attempt and the watch's
 * signal, so a hung Prometheus fails the interval (which the watch retries) instead of stalling the watch.
 */
export function prometheusFor(ctx: Pick<ScenarioContext, 'service'>, signal?: AbortSignal) {
  const url = ctx.service.detect.prometheusUrl ?? process.env.PROMETHEUS_URL;
  if (!url) {
    throw new RipcordError(
      'invalid',
      `services.${ctx.service.name}.detect.prometheusUrl: not set (nor $PROMETHEUS_URL); the watch needs metrics`,
    );
  }
  return createPrometheusClient({
    baseUrl: url,
    timeoutMs: ctx.service.detect.failures.queryTimeoutMs,
    // One quick retry for a blip; longer outages are the watch's business (backoff, /healthz).
    retries: 1,
    ...(signal ? { signal } : {}),
  });
}
