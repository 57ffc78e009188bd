/**
 * The parts of the Alertmanager API v2 Ripcord reads (api/v2/openapi.yaml in the alertmanager repo), validated at
 * the edge. Unknown fields are dropped, so newer servers still parse. Moved here from the sandbox so the recovery
 * check and the sandbox read alerts through one client.
 */
import { z } from 'zod';

const Labels = z.record(z.string(), z.string());

/** Alertmanager's view of an alert: active (notifying), suppressed (silenced/inhibited) or unprocessed. */
export const AlertState = z.enum(['active', 'suppressed', 'unprocessed']);
export type AlertState = z.infer<typeof AlertState>;

/** One entry of `GET /api/v2/alerts` (the `gettableAlert` definition). */
export const GettableAlert = z.object({
  labels: Labels,
  annotations: Labels,
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
