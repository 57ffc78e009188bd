/**
 * `istio`: Istio's standard metrics (istio.io/latest/docs/reference/config/metrics: `istio_requests_total`, a
 * COUNTER, and `istio_request_duration_milliseconds`, a DISTRIBUTION, with the labels reporter,
 * destination_workload, destination_workload_namespace and response_code). Counted where the request arrives
 * (reporter="destination"), as Flagger's built-in istio queries do, so a request is not counted twice.
 * The pod and its template hash are the target labels of Istio's recommended pod scrape (merged metrics on
 * :15020, pod labels mapped). Memory is not in the mesh's metrics: not checked under this profile.
 */
import type { MetricProfile } from './types.js';

export const ISTIO: MetricProfile = {
  name: 'istio',
  labels: {
    namespace: 'destination_workload_namespace',
    workload: 'destination_workload',
    pod: 'pod',
    release: 'pod_template_hash',
  },
  scope: ['reporter="destination"'],
  requests: 'istio_requests_total',
  errorMatchers: ['response_code=~"5.."'],
  latency: {
    bucket: 'istio_request_duration_milliseconds_bucket',
    count: 'istio_request_duration_milliseconds_count',
    toSeconds: 0.001,
  },
};
