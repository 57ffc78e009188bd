import { z } from 'zod';
// Imported (not read from disk) so that tsc copies it into dist/ beside the compiled service.
import releasesJson from '../releases.json' with { type: 'json' };

const MigrationName = z.string().regex(/^\d{3}_[a-z0-9_]+$/);

/** What a migration does to data, declared so tools can tell a safe rollback from a dangerous one. */
export const MigrationInfo = z.object({
  kind: z.enum(['additive', 'destructive']),
  /** Has a down(); a rollback of an irreversible migration must be refused. */
  reversible: z.boolean(),
  description: z.string(),
});
export type MigrationInfo = z.infer<typeof MigrationInfo>;

/** The fault a release carries; every field absent means healthy code. */
export const ReleaseBehaviour = z.object({
  /** Share of /api/venues requests answered with 500. */
  errorRate: z.number().min(0).max(1).optional(),
  /** Multiplies the simulated handler latency. */
  latencyFactor: z.number().positive().optional(),
  /** Memory retained per second, up to a cap. */
  leak: z
    .object({ bytesPerSecond: z.number().int().positive(), maxBytes: z.number().int().positive() })
    .optional(),
  /** Exits 1 this long after start, before serving anything. */
  crashAfterMs: z.number().int().nonnegative().optional(),
  /** Answers correctly but logs an error with a stack trace on every API request: only the logs show it. */
  logErrors: z.boolean().optional(),
});
export type ReleaseBehaviour = z.infer<typeof ReleaseBehaviour>;

export const ReleaseSpec = z.object({
  description: z.string(),
  /** What an operator (or Ripcord) sees once it is deployed. */
  symptom: z.enum(['none', 'error-rate', 'latency', 'memory-leak', 'crash', 'config-invalid', 'log-errors']),
  /** The versioned ConfigMap this release ships with and expects as venue-service-config. */
  configMap: z.string(),
  /** Optional venue columns this release's code reads and writes (besides id, name, created_at). */
  venueColumns: z.array(z.enum(['city', 'capacity'])),
  /** Migrations this release ships, cumulative and in order. */
  migrations: z.array(MigrationName).min(1),
  behaviour: ReleaseBehaviour.default({}),
});
export type ReleaseSpec = z.infer<typeof ReleaseSpec>;

export const ReleaseCatalog = z
  .object({
    baseLatencyMs: z.object({ min: z.number().nonnegative(), max: z.number().nonnegative() }),
    featureNewPricing: z.object({ errorRate: z.number().min(0).max(1) }),
    migrations: z.record(MigrationName, MigrationInfo),
    releases: z.record(z.string().regex(/^v\d+\.\d+\.\d+$/), ReleaseSpec),
  })
  .superRefine((c, ctx) => {
    for (const [tag, r] of Object.entries(c.releases)) {
      for (const m of r.migrations) {
        if (!c.migrations[m])
          ctx.addIssue({
            code: 'custom',
            path: ['releases', tag, 'migrations'],
            message: `unknown migration ${m}`,
          });
      }
      const sorted = [...r.migrations].sort();
      if (sorted.join() !== r.migrations.join()) {
        ctx.addIssue({
          code: 'custom',
          path: ['releases', tag, 'migrations'],
          message: 'migrations must be in order',
        });
      }
    }
  });
export type ReleaseCatalog = z.infer<typeof ReleaseCatalog>;

/** A release resolved from the catalog, with its tag and the catalog-wide settings it runs with. */
export interface Release extends ReleaseSpec {
  tag: string;
  baseLatencyMs: { min: number; max: number };
  newPricingErrorRate: number;
}

export class UnknownReleaseError extends Error {
  constructor(
    readonly tag: string,
    known: string[],
  ) {
    super(`unknown VENUE_RELEASE "${tag}"; known releases: ${known.join(', ')}`);
  }
}

let cached: ReleaseCatalog | undefined;

/** The validated contents of releases.json (parsed once per process). */
export function releaseCatalog(): ReleaseCatalog {
  cached ??= ReleaseCatalog.parse(releasesJson);
  return cached;
}

export function releaseTags(): string[] {
  return Object.keys(releaseCatalog().releases);
}

/** Looks up a release by tag, e.g. `v1.2.3`; throws UnknownReleaseError for any other tag. */
export function findRelease(tag: string): Release {
  const catalog = releaseCatalog();
  const spec = catalog.releases[tag];
  if (!spec) throw new UnknownReleaseError(tag, releaseTags());
  return {
    ...spec,
    tag,
    baseLatencyMs: catalog.baseLatencyMs,
    newPricingErrorRate: catalog.featureNewPricing.errorRate,
  };
}
