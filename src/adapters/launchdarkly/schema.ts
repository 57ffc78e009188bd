/**
 * The parts of LaunchDarkly's REST API v2 answers Ripcord reads (launchdarkly.com/docs/api, "Get feature flag"
 * and "Errors"). Loose objects: LaunchDarkly adds fields and Ripcord must not break on them.
 */
import * as z from 'zod';

/** One environment's configuration of a flag (`environments.<key>` of GET /api/v2/flags/:project/:flag). */
export const LaunchDarklyFlagEnvironment = z.looseObject({
  /** Targeting on or off: off serves the flag's off variation to everyone. */
  on: z.boolean(),
  lastModified: z.number().optional(),
  version: z.number().optional(),
  /** Which variation targeting-off serves (an index into `variations`); null: the caller's fallback. */
  offVariation: z.number().nullish(),
  /** The flag's page in LaunchDarkly's web app, relative to the site (`/<project>/<env>/features/<flag>`). */
  _site: z.looseObject({ href: z.string() }).optional(),
});

export const LaunchDarklyFlag = z.looseObject({
  key: z.string(),
  archived: z.boolean().optional(),
  variations: z.array(z.looseObject({ value: z.unknown() })).optional(),
  environments: z.record(z.string(), LaunchDarklyFlagEnvironment),
});
export type LaunchDarklyFlag = z.infer<typeof LaunchDarklyFlag>;

/** The error envelope every endpoint uses: `{ code, message }` (e.g. `approval_required`, `rate_limited`). */
export const LaunchDarklyErrorBody = z.looseObject({
  code: z.string().optional(),
  message: z.string().optional(),
});
