/**
 * `nginx-ingress`: ingress-nginx's controller metrics (kubernetes.github.io/ingress-nginx/user-guide/monitoring:
 * `nginx_ingress_controller_requests` with status, namespace, ingress and service labels, and
 * `nginx_ingress_controller_request_duration_seconds` as a histogram), selected by the backend Service's
 * name (`detect.app`) and namespace, as Flagger's nginx provider does. The controller sees Services, not pods:
 * a release cannot be told from the rest (a rolling or canary release is judged "no data", never healthy)
 * and there is no memory per pod. A ServiceMonitor that keeps the controller's own namespace as `namespace`
 * moves the metric's label to `exported_namespace`: set `detect.metrics.labels.namespace` then.
 */
import type { MetricProfile } from './types.js';

export const NGINX_INGRESS: MetricProfile = {
  name: 'nginx-ingress',
  labels: { namespace: 'namespace', workload: 'service' },
  requests: 'nginx_ingress_controller_requests',
  errorMatchers: ['status=~"5.."'],
  latency: {
    bucket: 'nginx_ingress_controller_request_duration_seconds_bucket',
    count: 'nginx_ingress_controller_request_duration_seconds_count',
    toSeconds: 1,
  },
};
