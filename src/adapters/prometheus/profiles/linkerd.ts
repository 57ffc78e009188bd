/**
 * `linkerd`: the Linkerd proxy's metrics (linkerd.io/2/reference/proxy-metrics: `response_total`, a counter
 * of responses with a `classification` label, success or failure; `response_latency_ms`, a histogram of
 * time to first byte in milliseconds; `direction` inbound or outbound). Counted at the receiving proxy
 * (direction="inbound"), as `linkerd viz stat` does; a failure is what Linkerd classifies as one (5xx, gRPC
 * errors). Linkerd's Prometheus scrape config maps namespace, deployment, pod and the pod's labels
 * (pod_template_hash) onto the series. Memory: not in the proxy's metrics, not checked under this profile.
 */
import type { MetricProfile } from './types.js';

export const LINKERD: MetricProfile = {
  name: 'linkerd',
  labels: { namespace: 'namespace', workload: 'deployment', pod: 'pod', release: 'pod_template_hash' },
  scope: ['direction="inbound"'],
  requests: 'response_total',
  errorMatchers: ['classification="failure"'],
  latency: { bucket: 'response_latency_ms_bucket', count: 'response_latency_ms_count', toSeconds: 0.001 },
};
