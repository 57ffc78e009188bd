/**
 * Schemas of the app steps' `desired` payloads. A plan comes back from the journal (a database) on resume, so
 * handlers validate it at that edge instead of trusting a cast. Types live in core/app-rollback/plan-app.ts.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import type { PlanStep } from '../../core/plan.js';

export const AcquireLockDesiredSchema = z.object({
  namespace: z.string().min(1),
  lockName: z.string().min(1),
  leaseSeconds: z.number().int().positive(),
});

export const ReleaseLockDesiredSchema = z.object({
  namespace: z.string().min(1),
  lockName: z.string().min(1),
});

/**
 * What a Deployment-changing step was planned against (its template hash, resourceVersion and images), checked
 * by refuseIfTemplateMoved. Optional: plans journaled before it existed have none.
 */
export const PlannedFromSchema = z.object({
  templateHash: z.string(),
  resourceVersion: z.string(),
  images: z.array(z.string()),
});

export const SetTemplateDesiredSchema = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  deploymentUid: z.string(),
  toRevision: z.number().int(),
  replicaSet: z.string(),
  // Absent in plans journaled before templates were masked: those apply `template` as it is.
  replicaSetUid: z.string().optional(),
  templateHash: z.string().optional(),
  // The template is the API server's own object; its shape is checked by the server on patch.
  template: z.looseObject({}).transform((t) => t as V1PodTemplateSpec),
  annotations: z.record(z.string(), z.string()),
  from: PlannedFromSchema.optional(),
});

export const WaitRolloutDesiredSchema = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  timeoutMs: z.number().positive(),
});

export const VerifyDesiredSchema = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  labelSelector: z.string(),
  podTemplateHash: z.string().optional(),
  healthUrl: z.string().optional(),
  healthTimeoutMs: z.number().positive(),
  maxHealthLatencyMs: z.number().positive().optional(),
  windowMs: z.number().nonnegative(),
});

/** Parses a step's desired state or throws RipcordError('invalid') naming the step. */
export function desiredOf<T>(step: PlanStep, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(step.desired);
  if (!parsed.success) {
    throw new RipcordError(
      'invalid',
      `step ${step.id}: malformed desired state: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}
