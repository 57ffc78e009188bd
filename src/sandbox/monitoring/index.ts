export {
  startAlertmanager,
  alertmanagerConfig,
  alertmanagerBin,
  type StartAlertmanagerOptions,
} from './alertmanager.js';
export type { StartedServer } from './launch.js';
// Queries and alerts are read with the adapters (src/adapters/prometheus, src/adapters/alertmanager); this
// folder only starts, configures and reloads the servers.
export {
  prometheusBin,
  prometheusConfig,
  reloadPrometheus,
  startPrometheus,
  type PrometheusConfigInput,
  type StartPrometheusOptions,
} from './prometheus.js';
export * from './venue-service-rules.js';
