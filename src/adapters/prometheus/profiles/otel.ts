/**
 * `otel`: OpenTelemetry's HTTP server semantic conventions as exported to Prometheus
 * (opentelemetry.io/docs/specs/semconv/http/http-metrics: the stable `http.server.request.duration`
 * histogram in seconds with `http.response.status_code`; Prometheus' OTLP naming turns it into
 * `http_server_request_duration_seconds_{bucket,count}` and the attribute into `http_response_status_code`).
 * Instrumentations before the stable conventions (semconv 1.20 and earlier) export
 * `http.server.duration` in milliseconds with `http.status_code`: `http_server_duration_milliseconds_*`,
 * read when the stable names have no series. Memory: `process.memory.usage` (`process_memory_usage_bytes`,
 * the process semantic conventions). Selected by the pod scrape's target labels, as prom-client.
 */
import type { MetricProfile } from './types.js';

export const OTEL: MetricProfile = {
  name: 'otel',
  labels: { namespace: 'namespace', workload: 'app', pod: 'pod', release: 'pod_template_hash' },
  requests: 'http_server_request_duration_seconds_count',
  errorMatchers: ['http_response_status_code=~"5.."'],
  latency: {
    bucket: 'http_server_request_duration_seconds_bucket',
    count: 'http_server_request_duration_seconds_count',
    toSeconds: 1,
  },
  memory: { metric: 'process_memory_usage_bytes' },
  legacy: {
    requests: 'http_server_duration_milliseconds_count',
    errorMatchers: ['http_status_code=~"5.."'],
    latency: {
      bucket: 'http_server_duration_milliseconds_bucket',
      count: 'http_server_duration_milliseconds_count',
      toSeconds: 0.001,
    },
  },
};
