import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

// The runbook's trigger conditions for an application rollback (section 1): "> 1% 5xx responses" and
// "P50 latency increase > 50%". The PromQL lives in constants so triggers and verification reuse exactly
// what the alerts use.

/** Share of venue-service requests answered 5xx over 30 s, per namespace and app. */
export const VENUE_SERVICE_ERROR_RATE =
  'sum by (namespace, app) (rate(http_requests_total{app="venue-service",status=~"5.."}[30s]))' +
  ' / sum by (namespace, app) (rate(http_requests_total{app="venue-service"}[30s]))';

/** The runbook's error-rate threshold: more than 1% of responses are 5xx. */
export const VENUE_SERVICE_ERROR_RATE_THRESHOLD = 0.01;

/** Fires when the 5xx share is above the runbook's 1%. */
export const VENUE_SERVICE_HIGH_ERROR_RATE_EXPR = `${VENUE_SERVICE_ERROR_RATE} > ${VENUE_SERVICE_ERROR_RATE_THRESHOLD}`;

/** P50 request latency in seconds over the last minute, per namespace. */
export const VENUE_SERVICE_P50_LATENCY =
  'histogram_quantile(0.5, sum by (namespace, le) (rate(http_request_duration_seconds_bucket{app="venue-service"}[1m])))';

/** The same P50, as it was 10 minutes earlier: the baseline a release is compared against. */
export const VENUE_SERVICE_P50_LATENCY_BASELINE =
  'histogram_quantile(0.5, sum by (namespace, le) (rate(http_request_duration_seconds_bucket{app="venue-service"}[1m] offset 10m)))';

/** The runbook's latency threshold: P50 more than 50% above the baseline. */
export const VENUE_SERVICE_LATENCY_RATIO_THRESHOLD = 1.5;

/** Fires when P50 is more than 1.5x what it was 10 minutes earlier (both sides keep only `namespace`). */
export const VENUE_SERVICE_HIGH_LATENCY_EXPR = `${VENUE_SERVICE_P50_LATENCY} > ${VENUE_SERVICE_LATENCY_RATIO_THRESHOLD} * ${VENUE_SERVICE_P50_LATENCY_BASELINE}`;

export const VENUE_SERVICE_HIGH_ERROR_RATE_ALERT = 'VenueServiceHighErrorRate';
export const VENUE_SERVICE_HIGH_LATENCY_ALERT = 'VenueServiceHighLatency';

/** The Prometheus rule-file document (one group) for venue-service. */
export function venueServiceRules(): Record<string, unknown> {
  return {
    groups: [
      {
        name: 'venue-service',
        rules: [
          {
            alert: VENUE_SERVICE_HIGH_ERROR_RATE_ALERT,
            expr: VENUE_SERVICE_HIGH_ERROR_RATE_EXPR,
            for: '10s',
            labels: { severity: 'high', service: 'venue-service' },
            annotations: {
              summary:
                'venue-service in {{ $labels.namespace }} answers {{ $value | humanizePercentage }} of requests with 5xx (runbook threshold 1%)',
            },
          },
          {
            alert: VENUE_SERVICE_HIGH_LATENCY_ALERT,
            expr: VENUE_SERVICE_HIGH_LATENCY_EXPR,
            for: '30s',
            labels: { severity: 'high', service: 'venue-service' },
            annotations: {
              summary:
                'venue-service P50 latency in {{ $labels.namespace }} is {{ $value | humanizeDuration }}, more than 1.5x its value 10 minutes ago',
            },
          },
        ],
      },
    ],
  };
}

/**
 * Writes `venue-service.rules.yml` into `dir` and returns its absolute path. Written to a temp file and
 * renamed, so a Prometheus reload never reads half a file.
 */
export function writeVenueServiceRules(dir: string): string {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const file = join(abs, 'venue-service.rules.yml');
  writeFileSync(`${file}.tmp`, stringify(venueServiceRules(), { lineWidth: 0 }));
  renameSync(`${file}.tmp`, file);
  return file;
}
