/** The canary step kinds and the zod schemas of their desired states. */
import * as z from 'zod';
import { TrafficRefSchema } from '../../core/steps/traffic-ref.js';

export const CANARY_STEP_KINDS = {
  setWeights: 'canary.set-weights',
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

/** desired of `canary.verify-traffic`: the weights read back, and (with a header) no request reaches the canary. */
export const VerifyTrafficDesired = z.object({
  ref: TrafficRefSchema,
  weights: Weights,
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
