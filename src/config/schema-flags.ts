/**
 * `services.<name>.flags`: the feature flags the flag rollback (runbook section 4) may turn off, and where
 * they live (an env var on the Deployment, Unleash). Owned by the flag feature; compile-flags.ts fills the
 * defaults.
 */
import * as z from 'zod';

export const FlagSettings = z.strictObject({});
export type FlagSettings = z.infer<typeof FlagSettings>;
