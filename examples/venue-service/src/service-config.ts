import { z } from 'zod';

/**
 * The keys venue-service reads from ConfigMap venue-service-config (through envFrom). Unset keys take their
 * defaults; a set but invalid value is a bad config rollout, reported by health rather than by crashing, as
 * the runbook's "Configuration error" scenario expects.
 */
export const ServiceConfig = z.object({
  VENUE_PRICING_MODE: z.enum(['standard', 'dynamic']).default('standard'),
  VENUE_CACHE_TTL_SECONDS: z.coerce.number().int().positive().default(60),
});
export type ServiceConfig = z.infer<typeof ServiceConfig>;

export type ServiceConfigResult = { ok: true; config: ServiceConfig } | { ok: false; invalidKey: string };

/** Validates the config keys in `env`, naming the first invalid key. */
export function readServiceConfig(env: Record<string, string | undefined>): ServiceConfigResult {
  const res = ServiceConfig.safeParse({
    VENUE_PRICING_MODE: env.VENUE_PRICING_MODE,
    VENUE_CACHE_TTL_SECONDS: env.VENUE_CACHE_TTL_SECONDS,
  });
  if (res.success) return { ok: true, config: res.data };
  return { ok: false, invalidKey: String(res.error.issues[0]?.path[0] ?? 'unknown') };
}
