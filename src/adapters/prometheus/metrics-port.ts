/**
 * The MetricsPort (core/ports.ts) over one Prometheus: the recovery check's 5xx counts, P50 and past alerts, read
 * through the service's metric profile.
 */
import type { MetricsSettings } from '../../core/metrics-settings.js';
import type { MetricsPort } from '../../core/ports.js';
import { profileFor } from './profiles/index.js';
import { createPrometheusClient } from './client.js';
import { quote } from './queries.js';
import { readErrorCounts, readP50 } from './triggers.js';

export function createMetricsPort(prometheusUrl: string, settings?: MetricsSettings): MetricsPort {
  const client = createPrometheusClient({ baseUrl: prometheusUrl });
  const profile = profileFor(settings);
  return {
    errorCounts: (sel, w, time) => readErrorCounts(client, { ...sel, profile }, w, time),
    p50: (sel, w, time) => readP50(client, { ...sel, profile }, w, time),
    async alertsFiredIn(sel, w, time) {
      // Prometheus keeps every alert's state as the ALERTS series: a window in which one fired is no baseline.
      const offset = w.offsetSeconds ? ` offset ${Math.round(w.offsetSeconds)}s` : '';
      const q = `count by (alertname) (max_over_time(ALERTS{alertstate="firing",namespace=${quote(sel.namespace)}}[${Math.round(w.windowSeconds)}s]${offset}))`;
      const r = await client.instant(q, time);
      return r.map((s) => s.metric.alertname ?? '?');
    },
  };
}
