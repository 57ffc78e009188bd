/**
 * The parts of Unleash's admin API answers Ripcord reads (unleash-server 7.x, OpenAPI `featureSchema` and
 * its error body). Loose objects: Unleash adds fields between versions and Ripcord must not break on them.
 */
import * as z from 'zod';

/** One environment of a flag, from GET /api/admin/projects/:project/features/:feature. */
export const FeatureEnvironment = z.looseObject({
  name: z.string(),
  enabled: z.boolean(),
});
export type FeatureEnvironment = z.infer<typeof FeatureEnvironment>;

export const Feature = z.looseObject({
  name: z.string(),
  project: z.string().optional(),
  environments: z.array(FeatureEnvironment),
});
export type Feature = z.infer<typeof Feature>;

/** Unleash's error body: `{ name, message, details: [{ message }] }`, or just `{ message }` from the auth layer. */
export const UnleashErrorBody = z.looseObject({
  name: z.string().optional(),
  message: z.string().optional(),
});
export type UnleashErrorBody = z.infer<typeof UnleashErrorBody>;

/** GET /api/admin/events/:feature (newest first): who changed the flag, when, in which environment. */
export const FeatureEvents = z.looseObject({
  events: z.array(
    z.looseObject({
      type: z.string(),
      createdAt: z.string(),
      createdBy: z.string().optional(),
      environment: z.string().nullish(),
    }),
  ),
});
