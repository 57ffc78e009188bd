/**
 * `ripcord config check --online`, the metrics part: each service with a Prometheus runs every query its
 * verdicts would run, once (adapters/prometheus/dry-queries.ts). Observes; changes nothing.
 */
import { createPrometheusClient } from '../adapters/prometheus/client.js';
import { dryQueries, type DryQueryReport } from '../adapters/prometheus/dry-queries.js';
import { profileFor } from '../adapters/prometheus/profiles/index.js';
import type { CompiledService } from '../config/compile.js';

export interface ServiceMetricsCheck extends DryQueryReport {
  service: string;
  prometheusUrl: string;
}

export async function checkMetricsOnline(
  services: readonly CompiledService[],
  now: Date,
): Promise<ServiceMetricsCheck[]> {
  const out: ServiceMetricsCheck[] = [];
  for (const s of services) {
    const url = s.detect.prometheusUrl;
    if (!url) continue;
    const client = createPrometheusClient({ baseUrl: url, timeoutMs: s.detect.failures.queryTimeoutMs });
    const report = await dryQueries(
      client,
      {
        namespace: s.kube.namespace,
        app: s.detect.app ?? s.deployment,
        deployment: s.deployment,
        profile: profileFor(s.detect.metrics),
      },
      { field: `services.${s.name}.detect.metrics`, now },
    );
    out.push({ service: s.name, prometheusUrl: url, ...report });
  }
  return out;
}
