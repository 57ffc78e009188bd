/** The canary step kinds and the zod schemas of their desired states. */
import * as z from 'zod';
import { TrafficRefSchema } from '../../core/steps/traffic-ref.js';

export const CANARY_STEP_KINDS = {
  /** Planned before issue 29 (the managed route's weights only); kept so journaled runs still resume. */
  setWeights: 'canary.set-weights',
  reroute: 'canary.reroute',
  verifyTraffic: 'canary.verify-traffic',
} as const;

export { TrafficRefSchema };

const Weights = z.record(z.string(), z.number().int().nonnegative());

/** desired of `canary.set-weights`: the managed route's weights are exactly `weights`; they were `from`. */
export const SetWeightsDesired = z.object({
  ref: TrafficRefSchema,
  weights: Weights,
  from: Weights,
  /**
   * The stable Deployment must have this many ready replicas when the write happens (its desired count, at
   * least 1): all traffic goes to it, as blue-green's switch requires of its target colour.
   */
  stable: z
    .object({
      namespace: z.string().min(1),
      deployment: z.string().min(1),
      readyReplicas: z.number().int().positive(),
    })
    .optional(),
});
export type SetWeightsDesired = z.infer<typeof SetWeightsDesired>;

const RoutingKindSchema = z.enum(['VirtualService', 'HTTPRoute']);
const ObjectRef = z.object({
  namespace: z.string().min(1),
  kind: RoutingKindSchema,
  name: z.string().min(1),
});
const Side = z.object({
  service: z.string().min(1),
  subset: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().positive().optional(),
});

/**
 * desired of `canary.reroute`: the object's route sections are exactly `after`; they were `before` (the plan's
 * read, so the journal holds the prior routes). `sides` lets a forced or re-planned write recompute.
 */
export const RerouteDesired = z.object({
  ref: ObjectRef,
  sides: z.object({ canary: Side, stable: Side }),
  sections: z
    .array(
      z.object({
        path: z.enum(['/spec/http', '/spec/tcp', '/spec/tls', '/spec/rules']),
        before: z.unknown(),
        after: z.unknown(),
      }),
    )
    .min(1),
  changes: z.array(z.object({ route: z.string(), from: z.string(), to: z.string() })),
  stable: z
    .object({
      namespace: z.string().min(1),
      deployment: z.string().min(1),
      readyReplicas: z.number().int().positive(),
    })
    .optional(),
});
export type RerouteDesired = z.infer<typeof RerouteDesired>;

/**
 * desired of `canary.verify-traffic`: the managed route's weights read back, no route of the rewritten
 * `objects` reaches `canary`, and (with a header) no request reaches the canary release.
 */
export const VerifyTrafficDesired = z.object({
  ref: TrafficRefSchema,
  weights: Weights,
  objects: z.array(ObjectRef).optional(),
  canary: Side.optional(),
  probe: z
    .object({
      url: z.string().min(1),
      header: z.string().min(1),
      release: z.string().min(1),
      requests: z.number().int().positive(),
      timeoutMs: z.number().positive(),
    })
    .optional(),
});
export type VerifyTrafficDesired = z.infer<typeof VerifyTrafficDesired>;
