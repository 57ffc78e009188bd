import { z } from 'zod';

// Shapes of the Prometheus HTTP API v1 (https://prometheus.io/docs/prometheus/latest/querying/api/) and the
// Alertmanager API v2 (api/v2/openapi.yaml in the alertmanager repo). Unknown fields are ignored so newer
// servers still parse.

/** A sample value: Prometheus sends numbers as strings ("0.1", "NaN", "+Inf") beside a unix time in seconds. */
export const PromSamplePair = z.tuple([z.number(), z.string()]);
export type PromSamplePair = z.infer<typeof PromSamplePair>;

export const PromLabels = z.record(z.string(), z.string());
export type PromLabels = z.infer<typeof PromLabels>;

export const PromQueryData = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: PromLabels, value: PromSamplePair })),
  }),
  z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: PromLabels, values: z.array(PromSamplePair) })),
  }),
  z.object({ resultType: z.literal('scalar'), result: PromSamplePair }),
  z.object({ resultType: z.literal('string'), result: PromSamplePair }),
]);
export type PromQueryData = z.infer<typeof PromQueryData>;

/** Every API v1 answer, success or error; errors come with 400 (bad query), 422 (cannot run) or 503. */
export const PromQueryResponse = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: PromQueryData, warnings: z.array(z.string()).optional() }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
export type PromQueryResponse = z.infer<typeof PromQueryResponse>;

/** Alertmanager's view of an alert: active (notifying), suppressed (silenced/inhibited) or unprocessed. */
export const AlertState = z.enum(['active', 'suppressed', 'unprocessed']);
export type AlertState = z.infer<typeof AlertState>;

/** One entry of `GET /api/v2/alerts` (the `gettableAlert` definition). */
export const GettableAlert = z.object({
  labels: PromLabels,
  annotations: PromLabels,
  startsAt: z.string(),
  endsAt: z.string(),
  updatedAt: z.string(),
  fingerprint: z.string(),
  generatorURL: z.string().optional(),
  receivers: z.array(z.object({ name: z.string() })),
  status: z.object({
    state: AlertState,
    silencedBy: z.array(z.string()),
    inhibitedBy: z.array(z.string()),
  }),
});
export type GettableAlert = z.infer<typeof GettableAlert>;

export const GettableAlerts = z.array(GettableAlert);
export type GettableAlerts = z.infer<typeof GettableAlerts>;
