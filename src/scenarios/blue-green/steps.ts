/** The blue-green step kinds and the zod schemas of their desired states (the journal is an outside edge). */
import * as z from 'zod';
import { TrafficRefSchema } from '../../core/steps/traffic-ref.js';

export const BLUE_GREEN_STEP_KINDS = {
  scale: 'bluegreen.scale',
  waitReady: 'bluegreen.wait-ready',
  switchSelector: 'bluegreen.switch-selector',
  verifyEndpoints: 'bluegreen.verify-traffic',
} as const;

const Labels = z.record(z.string(), z.string());

/** desired of `bluegreen.scale`: the Deployment wants `replicas`, set no sooner than `afterMs` into the step. */
export const ScaleDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  deploymentUid: z.string(),
  replicas: z.number().int().nonnegative(),
  afterMs: z.number().nonnegative(),
  /**
   * A scale-down's re-check, made after the drain delay and on every resume: the Deployment must no longer get
   * traffic — the Service does not select its colour (blue-green), the route gives its backend 0 (canary). A
   * switch-back or a promotion since the plan keeps it running: refused, not scaled to 0 under traffic.
   */
  notServing: z
    .discriminatedUnion('kind', [
      z.object({
        kind: z.literal('selector'),
        service: z.string().min(1),
        key: z.string().min(1),
        value: z.string().min(1),
      }),
      z.object({ kind: z.literal('weight'), ref: TrafficRefSchema, backend: z.string().min(1) }),
    ])
    .optional(),
});
export type ScaleDesired = z.infer<typeof ScaleDesired>;

/** desired of `bluegreen.wait-ready`: at least `readyReplicas` ready; else back to `restoreReplicas`, refused. */
export const WaitReadyDesired = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  readyReplicas: z.number().int().positive(),
  timeoutMs: z.number().positive(),
  restoreReplicas: z.number().int().nonnegative(),
});
export type WaitReadyDesired = z.infer<typeof WaitReadyDesired>;

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
