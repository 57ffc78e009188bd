import { z } from 'zod';

const Flag = (name: string, fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'], { error: `${name} must be "true" or "false"` })
    .default(fallback)
    .transform((v) => v === 'true');

/** Process settings venue-service needs to start; a bad one is a startup error (exit 1). */
export const ServiceEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATABASE_URL: z.string({ error: 'DATABASE_URL is required' }).regex(/^postgres(ql)?:\/\//, {
    error: 'DATABASE_URL must be a postgres:// URL',
  }),
  FEATURE_NEW_PRICING: Flag('FEATURE_NEW_PRICING', 'false'),
  VENUE_MIGRATE_ON_START: Flag('VENUE_MIGRATE_ON_START', 'true'),
  /** Overrides the release's declared 5xx share (v1.2.3). */
  VENUE_ERROR_RATE: z.coerce.number().min(0).max(1).optional(),
});
export type ServiceEnv = z.infer<typeof ServiceEnv>;

/** Parses `env`, or returns one line per problem, each naming its variable. */
export function parseServiceEnv(
  env: Record<string, string | undefined>,
): { ok: true; env: ServiceEnv } | { ok: false; problems: string[] } {
  // An empty variable (e.g. `VENUE_ERROR_RATE=`) means unset, not zero.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = ServiceEnv.safeParse(set);
  if (res.success) return { ok: true, env: res.data };
  return { ok: false, problems: res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}
