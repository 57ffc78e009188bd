/**
 * `micrometer`: Spring Boot / Micrometer's server timer as the Prometheus registry writes it
 * (`http.server.requests`: `http_server_requests_seconds_count`, `_sum`, and `_bucket` once
 * management.metrics.distribution.percentiles-histogram.http.server.requests is true; tags method, uri,
 * status, outcome, exception; Micrometer docs and Spring Boot's actuator metrics reference). 5xx by the
 * status tag (outcome SERVER_ERROR says the same). Memory: `jvm_memory_used_bytes{area="heap"}`, summed per
 * pod. Selected by the pod scrape's target labels, as prom-client.
 */
import type { MetricProfile } from './types.js';

export const MICROMETER: MetricProfile = {
  name: 'micrometer',
  labels: { namespace: 'namespace', workload: 'app', pod: 'pod', release: 'pod_template_hash' },
  requests: 'http_server_requests_seconds_count',
  errorMatchers: ['status=~"5.."'],
  latency: {
    bucket: 'http_server_requests_seconds_bucket',
    count: 'http_server_requests_seconds_count',
    toSeconds: 1,
  },
  memory: { metric: 'jvm_memory_used_bytes', matchers: ['area="heap"'] },
};
