export {
  startAlertmanager,
  alertmanagerConfig,
  alertmanagerBin,
  type StartAlertmanagerOptions,
} from './alertmanager.js';
export type { StartedServer } from './launch.js';
export { alerts, queryInstant, queryRange } from './prom-client.js';
export type {
  AlertsOptions,
  InstantQueryOptions,
  InstantSample,
  RangeQueryOptions,
  RangeSeries,
} from './prom-client.js';
export {
  prometheusBin,
  prometheusConfig,
  reloadPrometheus,
  startPrometheus,
  type PrometheusConfigInput,
  type StartPrometheusOptions,
} from './prometheus.js';
export * from './venue-service-rules.js';
