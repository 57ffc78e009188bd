/** The MetricsPort (core/ports.ts) over one Prometheus: the recovery check's 5xx counts and P50. */
import type { MetricsPort } from '../../core/ports.js';
import { createPrometheusClient } from './client.js';
import { readErrorCounts, readP50 } from './triggers.js';

export function createMetricsPort(prometheusUrl: string): MetricsPort {
  const client = createPrometheusClient({ baseUrl: prometheusUrl });
  return {
    errorCounts: (sel, w, time) => readErrorCounts(client, sel, w, time),
    p50: (sel, w, time) => readP50(client, sel, w, time),
  };
}
