import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Fine steps between 5 and 200 ms: the baseline P50 (~12 ms) and v1.2.4's (~21 ms) must land in different
// buckets for histogram_quantile to see the +80%.
const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.0225, 0.025, 0.03, 0.035, 0.04, 0.05,
  0.06, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5,
];

/** One registry per app (no global default registry), so apps started side by side in a test stay apart. */
export interface VenueMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(): VenueMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    registry,
    requests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status code.',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}
