/**
 * `prom-client`: Node's prom-client as the sandbox's venue-service exports it (and most hand-rolled Prometheus
 * instrumentations: a counter `http_requests_total{status}` and a histogram `http_request_duration_seconds`),
 * plus the default `process_resident_memory_bytes` (prom-client README, "Default metrics"). Selected by the
 * target labels a Kubernetes pod scrape writes: namespace, app, pod, pod_template_hash (Prometheus
 * kubernetes_sd_config's __meta_kubernetes_pod_* labels, relabelled).
 */
import type { MetricProfile } from './types.js';

export const PROM_CLIENT: MetricProfile = {
  name: 'prom-client',
  labels: { namespace: 'namespace', workload: 'app', pod: 'pod', release: 'pod_template_hash' },
  requests: 'http_requests_total',
  errorMatchers: ['status=~"5.."'],
  latency: {
    bucket: 'http_request_duration_seconds_bucket',
    count: 'http_request_duration_seconds_count',
    toSeconds: 1,
  },
  memory: { metric: 'process_resident_memory_bytes' },
};
