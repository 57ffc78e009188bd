/** The blue-green step kinds and the zod schemas of their desired states (the journal is an outside edge). */
import * as z from 'zod';
import { REPLICA_STEP_KINDS } from '../../core/steps/replicas.js';

export { ScaleDesired, WaitReadyDesired } from '../../core/steps/replicas.js';

export const BLUE_GREEN_STEP_KINDS = {
  ...REPLICA_STEP_KINDS,
  switchSelector: 'bluegreen.switch-selector',
  verifyEndpoints: 'bluegreen.verify-traffic',
} as const;

const Labels = z.record(z.string(), z.string());

/** desired of `bluegreen.switch-selector`: the selector is exactly `selector`; it was `from` at plan time. */
export const SwitchDesired = z.object({
  namespace: z.string().min(1),
  service: z.string().min(1),
  selector: Labels,
  from: Labels,
  colourKey: z.string().min(1),
  /** Re-checked right before the write: the target colour can serve (no blackout). */
  targetDeployment: z.string().min(1),
  readyReplicas: z.number().int().positive(),
  /**
   * The target colour's template images at plan time, re-checked right before the write with its rollout: a
   * release deployed to the idle colour since the plan must not get the traffic, nor pods of a rollout in
   * progress count as ready. Plans journaled before this field skip the check.
   */
  targetImages: z.array(z.string()).optional(),
});
export type SwitchDesired = z.infer<typeof SwitchDesired>;

/** desired of `bluegreen.verify-traffic`: what proves traffic moved. */
export const VerifyEndpointsDesired = z.object({
  namespace: z.string().min(1),
  service: z.string().min(1),
  colourKey: z.string().min(1),
  colour: z.string().min(1),
  minEndpoints: z.number().int().positive(),
  timeoutMs: z.number().positive(),
  /** With a release header: `requests` GETs of `url` must all be answered by `release`. */
  probe: z
    .object({
      url: z.string().min(1),
      header: z.string().min(1),
      release: z.string().min(1),
      requests: z.number().int().positive(),
    })
    .optional(),
});
export type VerifyEndpointsDesired = z.infer<typeof VerifyEndpointsDesired>;
